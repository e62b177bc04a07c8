"""/v1/traces in our own /api/schema/: both encodings, the Status of every error."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_documents_the_otlp_traces_endpoint(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/v1/traces"]["post"]
    assert post["tags"] == ["OpenTelemetry"]
    assert {"ApiKey": []} in post["security"]
    assert "parameters" not in post  # the answer's encoding is the request's, no ?format=
    content = post["requestBody"]["content"]
    assert content["application/x-protobuf"]["schema"] == {"type": "string", "format": "binary"}
    spans = content["application/json"]["schema"]["properties"]["resourceSpans"]["items"]
    span = spans["properties"]["scopeSpans"]["items"]["properties"]["spans"]["items"]
    assert span["properties"]["traceId"]["pattern"] == "^[0-9a-fA-F]{32}$"
    assert set(post["responses"]) == {"200", "400", "401", "403", "413", "415", "429"}
    ok = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(ok["properties"]["partialSuccess"]["properties"]) == {
        "rejectedSpans",
        "errorMessage",
    }
    for status in ("400", "401", "403", "413", "415", "429"):
        answer = post["responses"][status]["content"]
        assert answer["application/json"]["schema"]["title"] == "Status"
        assert answer["application/x-protobuf"]["schema"]["format"] == "binary"
