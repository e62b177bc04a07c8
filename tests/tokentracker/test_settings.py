import pytest
from django.core.exceptions import ImproperlyConfigured

from tokentracker.settings import envbool, envint


def test_envbool_reads_common_spellings(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert envbool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert envbool("X_FLAG", True) is False
    monkeypatch.delenv("X_FLAG")
    assert envbool("X_FLAG", True) is True


def test_envbool_fails_loudly_on_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be a boolean"):
        envbool("X_FLAG", False)


def test_envint_fails_loudly_on_nonsense_and_out_of_range(monkeypatch):
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="must be an integer"):
        envint("X_INT", 1)
    monkeypatch.setenv("X_INT", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        envint("X_INT", 1, minimum=0)
    monkeypatch.setenv("X_INT", "42")
    assert envint("X_INT", 1) == 42


def test_the_community_k_cannot_be_set_below_two(monkeypatch):
    import importlib

    import tokentracker.settings as settings_module

    monkeypatch.setenv("OPENDATA_COMMUNITY_MIN_CONTRIBUTORS", "1")
    with pytest.raises(ImproperlyConfigured, match="at least 2"):
        importlib.reload(settings_module)
    monkeypatch.setenv("OPENDATA_COMMUNITY_MIN_CONTRIBUTORS", "7")
    assert importlib.reload(settings_module).OPENDATA_COMMUNITY_MIN_CONTRIBUTORS == 7
    monkeypatch.delenv("OPENDATA_COMMUNITY_MIN_CONTRIBUTORS")
    importlib.reload(settings_module)
