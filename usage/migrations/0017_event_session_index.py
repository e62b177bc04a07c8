"""An index on (organization, session_id, occurred_at) of the events that have a session:
the session page lists one session's requests in time order, one walk down this index.
Partial, so events without a session cost ingest nothing.

Built CONCURRENTLY on PostgreSQL (as 0013), so ingest keeps writing while it builds.
"""

from django.db import migrations, models

from usage.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("usage", "0016_session_summaries"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="usageevent",
            index=models.Index(
                condition=models.Q(("session_id", ""), _negated=True),
                fields=["organization", "session_id", "occurred_at"],
                name="event_org_session_time",
            ),
        ),
    ]
