from unittest import mock

import pytest

from usage import tasks
from usage.models import HourlyRollup, RollupDelta

pytestmark = pytest.mark.django_db

EVENT = {"provider": "openai", "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1}


def test_without_a_broker_the_merge_runs_in_process_after_ingest(
    api, org, raw_key, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/events", EVENT, raw_key)
    assert not RollupDelta.objects.exists()
    assert HourlyRollup.objects.get().events == 1


def test_with_a_broker_one_merge_is_queued_per_window(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(tasks.rollups_merge_task, "apply_async") as queue:
        tasks.rollups_merge_soon()
        tasks.rollups_merge_soon()
    queue.assert_called_once()
    assert queue.call_args.kwargs["countdown"] == tasks.MERGE_DELAY_SECONDS


def test_a_broker_outage_leaves_the_deltas_for_beat_and_raises_nothing(settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(
        tasks.rollups_merge_task, "apply_async", side_effect=ConnectionError("broker down")
    ):
        tasks.rollups_merge_soon()
    assert "broker unreachable: usage.tasks.rollups_merge_task not queued" in caplog.text


def test_the_task_merges_pending_deltas(api, org, raw_key):
    api.post("/api/v1/events", EVENT, raw_key)
    assert tasks.rollups_merge_task.apply().get() == 1
    assert HourlyRollup.objects.get().events == 1
