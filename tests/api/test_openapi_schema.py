import pytest

pytestmark = pytest.mark.django_db


def test_schema_documents_the_events_endpoint(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    post = schema["paths"]["/api/v1/events"]["post"]
    request_schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert request_schema == {"$ref": "#/components/schemas/EventsBodyRequest"}
    assert set(post["responses"]) >= {"201", "401", "422", "429"}
    event = schema["components"]["schemas"]["EventInput"]
    assert set(event["required"]) == {"provider", "model", "input_tokens", "output_tokens"}
    assert "/api/health" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "mtt_...",
    }
    assert {"ApiKey": []} in post["security"]


def test_swagger_ui_is_served_offline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content
    assert b'src="http' not in response.content
    assert b'href="http' not in response.content


def test_schema_documents_the_carbon_llm_endpoints(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert paths["/api/v1/estimate"]["post"]["operationId"] == "postEstimate"
    assert paths["/api/v1/track"]["post"]["operationId"] == "postTrack"
    assert set(paths["/api/v1/track"]["post"]["responses"]) >= {"202", "400", "401", "402"}
    assert "X-Event-Id" in paths["/api/v1/track"]["post"]["responses"]["202"]["headers"]
    estimate_ok = paths["/api/v1/estimate"]["post"]["responses"]["200"]
    assert "X-Response-Time" in estimate_ok["headers"]
    session = paths["/api/v1/session/{developer_id}/today"]["get"]
    assert session["operationId"] == "getSessionDeveloperToday"
    accepted = schema["components"]["schemas"]["TrackAccepted"]
    assert set(accepted["required"]) == {
        "queued",
        "event_id",
        "is_test",
        "methodology_version",
        "estimated_co2_grams",
        "total_tokens",
        "co2_per_1k_tokens_used",
        "confidence",
        "source",
        "model_found",
    }


def test_schema_documents_the_open_data_endpoints_as_public(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    operations = {
        "": "dataIndex",
        "/schema": "dataSchema",
        "/cost-index": "dataCostIndex",
        "/community": "dataCommunity",
        "/models": "dataModels",
    }
    for path, operation_id in operations.items():
        get = schema["paths"][f"/api/v1/data{path}"]["get"]
        assert get["operationId"] == operation_id  # MyTokenTracker's own ids
        assert get["tags"] == ["open-data"]
        assert "security" not in get  # public: no key
    cost_index = schema["paths"]["/api/v1/data/cost-index"]["get"]
    assert {p["name"] for p in cost_index["parameters"]} == {
        "index",
        "from",
        "to",
        "limit",
        "format",
    }
    assert set(cost_index["responses"]) >= {"200", "304", "422"}
    assert "text/csv" in cost_index["responses"]["200"]["content"]
