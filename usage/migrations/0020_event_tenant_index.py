"""An index on (organization, tenant_id, occurred_at) of the events that name a customer:
the explorer filtered by customer reads raw events for its tables. Partial, so events
without a customer cost ingest nothing. Built CONCURRENTLY on PostgreSQL (as 0013)."""

from django.db import migrations, models

from usage.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("usage", "0019_session_cost_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="usageevent",
            index=models.Index(
                condition=models.Q(("tenant_id", ""), _negated=True),
                fields=["organization", "tenant_id", "occurred_at"],
                name="event_org_tenant_time",
            ),
        ),
    ]
