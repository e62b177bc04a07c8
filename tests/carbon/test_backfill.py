"""`manage.py backfill_carbon`: events recorded before carbon accounting get estimated once."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from usage.models import HourlyRollup, UsageEvent
from usage.rollups import rollups_merge

from .helpers import ecologits_grams


def test_old_events_are_estimated_and_rollups_include_them(api, org, raw_key, methodology):
    for tokens in (100, 200):
        api.post(
            "/api/v1/events",
            {
                "provider": "openai",
                "model": "gpt-4o",
                "input_tokens": 1,
                "output_tokens": tokens,
            },
            key=raw_key,
        )
    rollups_merge()
    first, second = UsageEvent.objects.order_by("id")
    # As if the first had been recorded before carbon accounting existed.
    UsageEvent.objects.filter(pk=first.pk).update(
        co2e_grams=None, energy_wh=None, carbon_methodology=""
    )
    HourlyRollup.objects.update(co2e_grams=second.co2e_grams)

    out = StringIO()
    call_command("backfill_carbon", "--org", "acme", stdout=out)

    assert out.getvalue() == "acme: 1 events estimated\n"
    first.refresh_from_db()
    assert float(first.co2e_grams) == ecologits_grams("openai", "gpt-4o", 100)[0]
    assert first.carbon_methodology == methodology
    assert HourlyRollup.objects.get().co2e_grams == first.co2e_grams + second.co2e_grams
    out = StringIO()
    call_command("backfill_carbon", stdout=out)  # nothing left to do
    assert "acme: 0 events estimated" in out.getvalue()


def test_an_unknown_organization_is_an_error(db):
    with pytest.raises(CommandError):
        call_command("backfill_carbon", "--org", "nope")
