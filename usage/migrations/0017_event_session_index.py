"""An index on (organization, session_id, occurred_at) of the events that have a session:
the session page lists one session's requests in time order, one walk down this index.
Partial, so events without a session cost ingest nothing.

Built CONCURRENTLY on PostgreSQL (as 0013), so ingest keeps writing while it builds.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


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
