# The plans sold through Stripe (issue 17) are Indie and Pro, made by tokentracker 0003 with
# Tokenwise's published hourly tiers; their CodingVibez per-minute limits were left at the
# defaults (tokentracker 0008), so buying one raised no rate limit. Each is lifted a step
# above the default: Indie twice, Pro five times the seed's 100/30/10/5. A limit an admin
# has already changed is kept, and a plan an admin removed is not made again.

from django.conf import settings
from django.db import migrations

PER_MINUTE = {
    "indie": {
        "reads_per_minute": 200,
        "writes_per_minute": 60,
        "syncs_per_minute": 20,
        "uploads_per_minute": 10,
    },
    "pro": {
        "reads_per_minute": 500,
        "writes_per_minute": 150,
        "syncs_per_minute": 50,
        "uploads_per_minute": 25,
    },
}


def _defaults():
    return {
        "reads_per_minute": settings.DEFAULT_PLAN_READS_PER_MINUTE,
        "writes_per_minute": settings.DEFAULT_PLAN_WRITES_PER_MINUTE,
        "syncs_per_minute": settings.DEFAULT_PLAN_SYNCS_PER_MINUTE,
        "uploads_per_minute": settings.DEFAULT_PLAN_UPLOADS_PER_MINUTE,
    }


def _move(apps, source, target):
    """Each limit still at `source`'s value for its plan is set to `target`'s."""
    Plan = apps.get_model("tokentracker", "Plan")
    for slug in PER_MINUTE:
        plan = Plan.objects.filter(slug=slug).first()
        if plan is None:
            continue
        was, becomes = source(slug), target(slug)
        changed = [field for field in was if getattr(plan, field) == was[field]]
        for field in changed:
            setattr(plan, field, becomes[field])
        if changed:
            plan.save(update_fields=changed)


def lift_limits(apps, schema_editor):
    _move(apps, lambda slug: _defaults(), PER_MINUTE.get)


def restore_limits(apps, schema_editor):
    _move(apps, PER_MINUTE.get, lambda slug: _defaults())


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_stripe_event_claims"),
        ("tokentracker", "0008_plan_per_minute_limits"),
    ]

    operations = [migrations.RunPython(lift_limits, restore_limits)]
