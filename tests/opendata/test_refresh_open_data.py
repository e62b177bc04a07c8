"""The refresh entry points: the management command, the Celery task and its beat entry."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from opendata.models import CostIndexPoint, DatasetRefresh
from opendata.tasks import opendata_refresh_task

pytestmark = pytest.mark.django_db


def test_the_command_refreshes_every_dataset_and_says_how_many_rows():
    CostIndexPoint.objects.all().delete()
    DatasetRefresh.objects.all().delete()
    out = StringIO()

    call_command("refresh_open_data", stdout=out)

    points = CostIndexPoint.objects.count()
    assert points > 0
    assert out.getvalue().splitlines() == [
        f"cost-index: {points} rows",
        "community: 0 rows added",
    ]
    assert set(DatasetRefresh.objects.values_list("dataset", flat=True)) == {
        "cost-index",
        "community",
    }


def test_the_command_can_refresh_one_dataset():
    DatasetRefresh.objects.all().delete()

    call_command("refresh_open_data", "--dataset", "community", stdout=StringIO())

    assert list(DatasetRefresh.objects.values_list("dataset", flat=True)) == ["community"]


def test_only_an_operator_rebuilds_the_community_history(settings, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "opendata.services.community_refresh", lambda **kwargs: calls.append(kwargs) or 0
    )

    call_command("refresh_open_data", "--dataset", "community", "--rebuild", stdout=StringIO())
    opendata_refresh_task.apply().get()

    assert calls == [{"rebuild": True}, {"today": None}]
    with pytest.raises(CommandError, match="--dataset community only"):
        call_command("refresh_open_data", "--rebuild", stdout=StringIO())


def test_the_task_rebuilds_both_and_beat_runs_it_daily():
    DatasetRefresh.objects.all().delete()

    result = opendata_refresh_task.apply().get()

    assert set(result) == {"cost-index", "community"}
    assert DatasetRefresh.objects.count() == 2
    entry = settings.CELERY_BEAT_SCHEDULE["opendata-refresh"]
    assert entry["task"] == "opendata.tasks.opendata_refresh_task"
    assert entry["schedule"].hour == {0}
