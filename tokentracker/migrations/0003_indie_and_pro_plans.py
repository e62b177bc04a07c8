# Tokenwise's published tiers (seed 003: "1,000/hour on Indie, 10,000/hour on Pro"), so a
# workspace moved over from Tokenwise can be given the quota it had.

from django.db import migrations

PLANS = [
    # Daily events: a day of the hourly request limit through observe, with headroom for
    # batched ingest through /api/v1/events.
    {"slug": "indie", "name": "Indie", "hourly_request_limit": 1_000, "daily_event_limit": 100_000},
    {"slug": "pro", "name": "Pro", "hourly_request_limit": 10_000, "daily_event_limit": 1_000_000},
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("tokentracker", "Plan")
    for plan in PLANS:
        # get_or_create: re-running never undoes an admin's edit of these plans.
        Plan.objects.get_or_create(
            slug=plan["slug"],
            defaults={key: value for key, value in plan.items() if key != "slug"},
        )


def delete_unused_plans(apps, schema_editor):
    Plan = apps.get_model("tokentracker", "Plan")
    Plan.objects.filter(slug__in=[p["slug"] for p in PLANS], organizations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tokentracker", "0002_plan_rate_limits_payload_storage"),
    ]

    operations = [migrations.RunPython(create_plans, delete_unused_plans)]
