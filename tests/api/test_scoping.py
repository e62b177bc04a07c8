"""Tenant scoping cannot be skipped by a view, and nothing of a domain app reaches HTTP."""

import shutil
import subprocess
import sys
import tomllib
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


def lint_imports(root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layer_contracts_hold():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_domain_app_importing_an_api_contract_breaks_the_contracts(tmp_path):
    # On a copy of the packages: a probe in the checkout itself would break the contracts
    # for a lint-imports running beside this test (`make test` runs two at a time).
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package in config["root_packages"]:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    forbidden = tmp_path / "carbon" / "_forbidden_import_probe.py"
    forbidden.write_text("from tokentracker.api.base import PublicView  # noqa: F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "carbon._forbidden_import_probe -> tokentracker.api.base" in result.stdout
