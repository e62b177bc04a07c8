"""tokentracker.crypto and FIELD_ENCRYPTION_KEY: encryption at rest, rotation, loud config."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from tokentracker.crypto import (
    DecryptionFailed,
    field_decrypt,
    field_encrypt,
    field_rotate,
    json_decrypt,
    json_encrypt,
)
from tokentracker.env import envfernetkeys
from tokentracker.settings import DEV_SECRET_KEY

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def test_json_round_trips_and_the_ciphertext_hides_the_plaintext():
    value = {"messages": [{"role": "user", "content": "näive secret"}]}
    ciphertext = json_encrypt(value)
    assert "secret" not in ciphertext
    assert json_decrypt(ciphertext) == value
    assert json_encrypt(value) != ciphertext  # a fresh IV every time


def test_a_tampered_ciphertext_does_not_decrypt():
    ciphertext = field_encrypt("hello")
    tampered = ciphertext[:-4] + ("AAAA" if not ciphertext.endswith("AAAA") else "BBBB")
    with pytest.raises(DecryptionFailed):
        field_decrypt(tampered)
    with pytest.raises(DecryptionFailed):
        field_decrypt("not a token at all ✓")


def test_a_new_key_first_still_reads_old_ciphertext_and_rotation_moves_it(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    old_ciphertext = field_encrypt("payload")
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert field_decrypt(old_ciphertext) == "payload"
    rotated = field_rotate(old_ciphertext)
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert field_decrypt(rotated) == "payload"
    with pytest.raises(DecryptionFailed):
        field_decrypt(old_ciphertext)


def test_settings_read_a_comma_separated_key_list(monkeypatch):
    monkeypatch.setenv("X_FIELD_KEY", f" {NEW} , {OLD} ")
    assert envfernetkeys("X_FIELD_KEY", dev_secret=None) == [NEW, OLD]


@pytest.mark.parametrize(
    "raw",
    # Named: a random key in a test id differs between the xdist workers' collections.
    ["short", "x" * 44, pytest.param(f"{NEW},not-a-key", id="a-good-key-then-not-a-key")],
)
def test_settings_fail_loudly_on_a_malformed_key(monkeypatch, raw):
    monkeypatch.setenv("X_FIELD_KEY", raw)
    with pytest.raises(ImproperlyConfigured, match=r"X_FIELD_KEY: key \d is not a Fernet key"):
        envfernetkeys("X_FIELD_KEY", dev_secret=DEV_SECRET_KEY)


def test_a_missing_key_with_a_real_secret_key_stops_start_up(monkeypatch):
    monkeypatch.delenv("X_FIELD_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_FIELD_KEY must be set"):
        envfernetkeys("X_FIELD_KEY", dev_secret=None)


def test_the_development_install_derives_a_stable_valid_key(monkeypatch):
    monkeypatch.delenv("X_FIELD_KEY", raising=False)
    keys = envfernetkeys("X_FIELD_KEY", dev_secret=DEV_SECRET_KEY)
    assert keys == envfernetkeys("X_FIELD_KEY", dev_secret=DEV_SECRET_KEY)
    assert len(keys) == 1
    Fernet(keys[0])


def test_a_ciphertext_decrypts_only_within_its_max_age():
    made = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    ciphertext = field_encrypt("secret", now=made)
    five = timedelta(minutes=5)
    assert field_decrypt(ciphertext, max_age=five, now=made + five) == "secret"
    with pytest.raises(DecryptionFailed):
        field_decrypt(ciphertext, max_age=five, now=made + five + timedelta(seconds=1))
    assert field_decrypt(ciphertext) == "secret"  # without max_age, age does not matter
