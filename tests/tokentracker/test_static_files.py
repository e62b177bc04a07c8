"""Static files in production: DEBUG off, no runserver, WhiteNoise serving what
`collectstatic` gathered into STATIC_ROOT under hashed names."""

import gzip
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

STATIC = settings.BASE_DIR / "static"


def production_storages() -> dict:
    return {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": settings.PRODUCTION_STATICFILES_STORAGE},
    }


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """A fresh STATIC_ROOT filled by `collectstatic` with production's manifest storage,
    once for the module: hashing and compressing every file takes seconds, and the tests
    only read what it wrote."""
    root = tmp_path_factory.mktemp("static_root")
    with override_settings(DEBUG=False, STATIC_ROOT=root, STORAGES=production_storages()):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def collected(settings, static_root):
    """Production's settings (DEBUG off, manifest storage) serving the collected
    STATIC_ROOT; a new Client, so WhiteNoise scans that root."""
    settings.DEBUG = False
    settings.STATIC_ROOT = static_root
    settings.STORAGES = production_storages()
    return Client()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_production_uses_whitenoise_with_compressed_manifest_storage():
    assert settings.PRODUCTION_STATICFILES_STORAGE == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    position = settings.MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware")
    assert settings.MIDDLEWARE[position - 1] == "django.middleware.security.SecurityMiddleware"


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("css/app.css", r"/static/css/app\.[0-9a-f]{12}\.css"),
        ("vendor/chart-4.6.1.min.js", r"/static/vendor/chart-4\.6\.1\.min\.[0-9a-f]{12}\.js"),
    ],
)
def test_with_debug_off_the_stylesheet_and_chart_library_are_served_cached_for_good(
    collected, name, pattern
):
    url = staticfiles_storage.url(name)
    assert re.fullmatch(pattern, url)
    response = collected.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert _body(response) == (STATIC / name).read_bytes()


def test_with_debug_off_a_client_that_accepts_gzip_gets_the_compressed_copy(collected):
    response = collected.get(staticfiles_storage.url("css/app.css"), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(_body(response)) == (STATIC / "css/app.css").read_bytes()


@pytest.mark.django_db
def test_with_debug_off_pages_link_the_hashed_stylesheet(collected):
    content = collected.get("/accounts/login").content.decode()
    assert f'href="{staticfiles_storage.url("css/app.css")}"' in content
    assert 'href="/static/css/app.css"' not in content
