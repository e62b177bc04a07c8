"""The session summary and the deltas ingest appends to it.

Registered through `usage.models`, which imports this module.
"""

from django.db import models
from django.db.models import Q


class SessionFields(models.Model):
    """The key and sums shared by a session summary and the deltas waiting to be merged."""

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    livemode = models.BooleanField(default=True, help_text="False: test-key events.")
    session_id = models.CharField(max_length=200)
    # The developer of the session's earliest event that named one (ties: the smallest id),
    # and that event's time: merges in any order then pick the developer a rebuild picks.
    developer_id = models.CharField(max_length=200, blank=True)
    developer_seen_at = models.DateTimeField(null=True, blank=True)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    events = models.PositiveBigIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_tokens = models.PositiveBigIntegerField(default=0)
    cache_write_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    uncached_input_tokens = models.PositiveBigIntegerField(default=0)
    total_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=28, decimal_places=12, default=0)
    # Unpriced (and unconverted) events are outside `cost`: a session of them is never $0.
    unpriced_events = models.PositiveBigIntegerField(default=0)
    co2e_grams = models.DecimalField(max_digits=28, decimal_places=9, default=0)
    errors = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


class SessionSummary(SessionFields):
    """One session's sums over all its events (not clipped to any window).

    Ingest appends `SessionDelta` rows in its own transaction; `session_summaries_merge`
    folds them in here. Rebuildable from raw events (`manage.py rebuild_rollups`).
    """

    class Meta:
        verbose_name_plural = "session summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "livemode", "session_id"], name="session_summary_unique"
            )
        ]
        indexes = [
            # The list's window (sessions active in it) and its default order.
            models.Index(fields=["organization", "livemode", "last_at"], name="session_org_last"),
            # The list sorted by cost, its order to the last key: the first page is the first
            # 50 entries that are in the window, not a sort of every session (bench: 6 ms to
            # 0.2 ms for 20,000 sessions).
            models.Index(
                fields=["organization", "livemode", "-cost", "-last_at", "session_id"],
                name="session_org_cost",
            ),
            models.Index(
                fields=["organization", "livemode", "developer_id", "last_at"],
                condition=~Q(developer_id=""),
                name="session_org_developer_last",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.session_id} of {self.organization_id}"


class SessionDelta(SessionFields):
    """Sums of one ingest batch's events of one session, appended without locks.

    Upserting the summary in the ingest transaction would make concurrent batches of one
    session wait on its row; appending here keeps ingest lock-free, as `RollupDelta` does.
    """

    def __str__(self) -> str:
        return f"session delta {self.pk} for {self.organization_id}"
