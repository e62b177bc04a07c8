from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tokentracker import keys, services
from tokentracker.models import ApiKey, Organization

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("prefix", "mode"),
    [("mtt_", "live"), ("tw_api_", "live"), ("isv_test_sk_", "test"), ("isv_live_sk_", "live")],
)
def test_key_mode_follows_its_prefix(org, prefix, mode):
    created = services.api_key_create(organization=org, name="k", prefix=prefix)
    assert created.raw_key.startswith(prefix)
    assert len(created.raw_key) == len(prefix) + keys.RANDOM_LENGTH
    assert created.api_key.mode == mode
    assert created.api_key.prefix == prefix


def test_only_a_lookup_prefix_and_a_digest_are_stored(org):
    created = services.api_key_create(organization=org, name="k")
    stored = ApiKey.objects.get(pk=created.api_key.pk)
    secret_part = created.raw_key[len("mtt_") + keys.LOOKUP_LENGTH :]
    for value in vars(stored).values():
        assert secret_part not in str(value)
    assert stored.digest == keys.key_digest(created.raw_key)
    assert created.raw_key.startswith(stored.lookup)


def test_unknown_prefix_is_refused(org):
    with pytest.raises(ValueError, match="Unknown key prefix"):
        services.api_key_create(organization=org, name="k", prefix="sk_")


def test_create_api_key_creates_the_org_and_prints_the_key_last():
    out = StringIO()
    call_command(
        "create_api_key",
        "--org",
        "newco",
        "--prefix",
        "isv_test_sk_",
        "--name",
        "CI",
        stdout=out,
        stderr=StringIO(),
    )
    raw_key = out.getvalue().strip().splitlines()[-1]
    assert raw_key.startswith("isv_test_sk_")
    api_key = ApiKey.objects.get(organization__slug="newco")
    assert (api_key.name, api_key.mode) == ("CI", "test")
    assert keys.key_matches(raw_key, api_key.digest)


def test_create_api_key_adds_to_an_existing_org(org):
    call_command("create_api_key", "--org", org.slug, stdout=StringIO(), stderr=StringIO())
    assert Organization.objects.filter(slug=org.slug).count() == 1
    assert org.api_keys.count() == 1


def test_create_api_key_rejects_a_bad_slug():
    with pytest.raises(CommandError, match="not a valid organization slug"):
        call_command("create_api_key", "--org", "Not A Slug", stdout=StringIO())


def test_last_used_at_is_written_at_most_once_a_minute(api, org, raw_key):
    api.get("/api/v1/events", raw_key)
    api_key = org.api_keys.get()
    first_use = api_key.last_used_at
    assert first_use is not None
    api.get("/api/v1/events", raw_key)
    api_key.refresh_from_db()
    assert api_key.last_used_at == first_use


def test_touch_skips_a_key_used_within_the_minute(org):
    api_key = services.api_key_create(organization=org, name="k").api_key
    recent = timezone.now() - timezone.timedelta(seconds=30)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=recent)
    services.api_key_touch(api_key_id=api_key.pk)
    api_key.refresh_from_db()
    assert api_key.last_used_at == recent
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=recent - timezone.timedelta(minutes=1))
    services.api_key_touch(api_key_id=api_key.pk)
    api_key.refresh_from_db()
    assert api_key.last_used_at > recent


def test_bootstrap_demo_is_idempotent(tmp_path):
    key_file = tmp_path / "key"
    first, second = StringIO(), StringIO()
    call_command("bootstrap_demo", "--key-file", str(key_file), stdout=first)
    call_command("bootstrap_demo", "--key-file", str(key_file), stdout=second)
    first_key = first.getvalue().strip().splitlines()[-1]
    assert first_key == second.getvalue().strip().splitlines()[-1]
    assert ApiKey.objects.filter(organization__slug="demo").count() == 1
    assert (
        "Admin login: admin / (unchanged since it was printed on the first start; set a new "
        "one with .venv/bin/python manage.py changepassword admin)"
    ) in second.getvalue()
