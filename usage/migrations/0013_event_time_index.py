"""An index on (occurred_at, id): Django admin lists events newest first by when they
happened (usage.admin), one walk down this index however many events there are.

Built CONCURRENTLY on PostgreSQL, so ingest keeps writing while it builds on a large
table (a plain CREATE INDEX would hold every insert until it finished); SQLite builds it
as usual.
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
        ("usage", "0012_output_tokens_include_reasoning"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="usageevent",
            index=models.Index(fields=["occurred_at", "id"], name="event_time"),
        ),
    ]
