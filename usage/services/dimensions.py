"""Writes of the explorer's dimension rollups beyond ingest (usage.dimensions)."""

from tokentracker.broker import task_queued

from ..rollup_rebuild import dimension_rollups_rebuild


def dimension_rollups_rebuild_soon(organization_id: int) -> None:
    """After an organization's tag keys changed (and committed): queue the recount of its
    dimension rollups, or run it here without a broker (tests, the embedded default)."""
    from ..tasks import dimension_rollups_rebuild_task

    if not task_queued(dimension_rollups_rebuild_task, organization_id):
        dimension_rollups_rebuild(organization_id=organization_id)
