"""Who may call the CodingVibez surface: an API key, or a signed-in member of an organization."""

import pytest

from .helpers import data, error

pytestmark = pytest.mark.django_db

READS = [
    "/api/tokens",
    "/api/tokens/timeseries",
    "/api/tokens/burn-rate",
    "/api/analytics",
    "/api/tracking-health",
]
WRITES = ["/api/tokens/track", "/api/ingest"]


@pytest.mark.parametrize("url", READS)
def test_a_read_without_a_key_or_session_is_an_authentication_error(api, url):
    assert error(api.get(url), 401, "AUTHENTICATION_ERROR") == "Invalid or missing API token"


@pytest.mark.parametrize("url", WRITES)
def test_a_write_without_a_key_or_session_is_an_authentication_error(api, url):
    error(api.post(url, {}), 401, "AUTHENTICATION_ERROR")


def test_a_wrong_key_is_an_authentication_error(api):
    error(api.get("/api/tokens", "mtt_not_a_real_key"), 401, "AUTHENTICATION_ERROR")


@pytest.mark.parametrize("url", READS)
def test_a_signed_in_member_reads_their_organization_without_a_key(member_client, org, record, url):
    record({"input_tokens": 4, "total_cost": 0.4}, organization=org)
    body = data(member_client.get(url))
    assert body["dataFreshness"] == "fresh"
    assert body["lastUpdated"] is not None


@pytest.mark.parametrize("url", READS)
def test_a_viewer_member_can_read(viewer_client, url):
    data(viewer_client.get(url))


def test_a_signed_in_user_of_no_organization_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="loner", password="x"))
    error(client.get("/api/tokens"), 403, "AUTHORIZATION_ERROR")


def test_a_member_sees_their_own_figures_not_an_outsiders(member_client, outsider_key, api):
    api.post(
        "/api/tokens/track",
        {
            "provider": "openai",
            "model": "gpt-4o",
            "inputTokens": 1,
            "outputTokens": 1,
            "flush": True,
        },
        outsider_key,
    )
    usage = data(member_client.get("/api/tokens"))
    assert (usage["tokens"], usage["dataFreshness"]) == ([], "no_data")


def test_every_path_is_documented_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for url in READS:
        assert "get" in schema["paths"][url]
    for url in WRITES:
        post = schema["paths"][url]["post"]
        assert set(post["responses"]) >= {"200", "400", "401", "403"}
        assert list(post["requestBody"]["content"]) == ["application/json"]
    for url in ("/api/tokens/stats", "/api/projections", "/api/dashboard"):
        assert set(schema["paths"][url]["get"]["responses"]) >= {"200", "401", "403", "429"}
    assert "400" in schema["paths"]["/api/tokens/stats"]["get"]["responses"]


@pytest.mark.parametrize("url", READS)
def test_a_read_costs_a_fixed_number_of_queries(
    api, org, raw_key, record, url, django_assert_max_num_queries
):
    record(*({"model": f"model-{n}", "input_tokens": n} for n in range(20)), organization=org)
    api.get(url, raw_key)  # warm the key cache
    with django_assert_max_num_queries(3):
        data(api.get(url, raw_key))
