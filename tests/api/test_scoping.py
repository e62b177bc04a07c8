"""Tenant scoping cannot be skipped by a view, and nothing of a domain app reaches HTTP."""

import subprocess
import sys
from pathlib import Path

import pytest

from tokentracker.api.base import OrganizationScoped, TokenwiseView

ROOT = Path(__file__).resolve().parents[2]


def test_a_view_that_defines_get_queryset_is_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match="would skip the organization scope"):

        class Leaky(TokenwiseView):
            def get_queryset(self):
                return self.queryset


def test_a_view_narrows_the_scoped_queryset_instead():
    class Narrow(OrganizationScoped):
        def scoped_queryset(self, queryset):
            return queryset.order_by("-id")

    assert Narrow.scoped_queryset is not OrganizationScoped.scoped_queryset


def lint_imports() -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layer_contracts_hold():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_domain_app_importing_an_api_contract_breaks_the_contracts():
    forbidden = ROOT / "carbon" / "_forbidden_import_probe.py"
    forbidden.write_text("from tokentracker.api.base import PublicView  # noqa: F401\n")
    try:
        result = lint_imports()
    finally:
        forbidden.unlink()
    assert result.returncode == 1
    assert "carbon._forbidden_import_probe -> tokentracker.api.base" in result.stdout
