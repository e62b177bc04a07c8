"""An index on (occurred_at, id): Django admin lists events newest first by when they
happened (usage.admin), one walk down this index however many events there are.

Built CONCURRENTLY on PostgreSQL, so ingest keeps writing while it builds on a large
table (a plain CREATE INDEX would hold every insert until it finished); SQLite builds it
as usual.
"""

from django.db import migrations, models

from usage.migration_operations import AddIndexConcurrentlyOnPostgreSQL


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
