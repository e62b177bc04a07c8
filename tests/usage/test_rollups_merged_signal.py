"""`rollups_merged`: sent once a merge commits, with the organizations it merged; a failing
receiver never fails the merge."""

import pytest

from tests.usage.test_rollup_isolation import ingest, poison
from usage.models import RollupDelta
from usage.rollups import rollups_merge
from usage.signals import rollups_merged

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    sent = []

    def collect(*, organization_ids, **kwargs):
        sent.append(organization_ids)

    rollups_merged.connect(collect, dispatch_uid="test-announced")
    yield sent
    rollups_merged.disconnect(dispatch_uid="test-announced")


def test_a_merge_names_the_organizations_it_merged_once_committed(
    org, outsider_org, announced, django_capture_on_commit_callbacks
):
    ingest(org)
    ingest(outsider_org)
    with django_capture_on_commit_callbacks() as callbacks:
        assert rollups_merge() == 2
        assert announced == []  # not before the commit
    for callback in callbacks:
        callback()
    assert announced == [frozenset({org.id, outsider_org.id})]
    with django_capture_on_commit_callbacks(execute=True):
        assert rollups_merge() == 0
    assert len(announced) == 1  # nothing merged, nothing sent


def test_a_merge_that_isolates_a_bad_delta_names_only_what_it_merged(
    org, outsider_org, announced, django_capture_on_commit_callbacks
):
    poison(org, "input_tokens", 9 * 10**18)
    ingest(outsider_org)
    with django_capture_on_commit_callbacks(execute=True):
        assert rollups_merge() == 1
    assert announced == [frozenset({outsider_org.id})]


def test_a_failing_receiver_is_logged_and_the_merge_stands(
    org, announced, django_capture_on_commit_callbacks, caplog
):
    def broken(**kwargs):
        raise RuntimeError("receiver down")

    rollups_merged.connect(broken, dispatch_uid="test-broken")
    try:
        ingest(org)
        with django_capture_on_commit_callbacks(execute=True):
            assert rollups_merge() == 1
    finally:
        rollups_merged.disconnect(dispatch_uid="test-broken")
    assert not RollupDelta.objects.exists()
    assert announced == [frozenset({org.id})]
    assert "rollups_merged receiver" in caplog.text
    assert "receiver down" in caplog.text
