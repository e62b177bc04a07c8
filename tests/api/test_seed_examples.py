"""The requests each seed documents, sent as its own example shows them: a client written
from the seed gets the documented status. The examples live beside each contract's tests
(`tests/api/<contract>/seed_examples.json`, with the seed file they come from)."""

import json
from pathlib import Path

import pytest

from tokentracker import services

pytestmark = pytest.mark.django_db

EXAMPLES = sorted(Path(__file__).parent.glob("*/seed_examples.json"))
CASES = [
    pytest.param(
        example["key_prefix"],
        request,
        id=f"{path.parent.name}: {request['method']} {request['path']}",
    )
    for path in EXAMPLES
    for example in [json.loads(path.read_text())]
    for request in example["requests"]
]


def test_every_contract_has_its_seed_examples():
    assert {path.parent.name for path in EXAMPLES} == {
        "mytokentracker",
        "token_optimizer",
        "carbon_llm",
        "tokenwise",
        "codingvibez",
    }


@pytest.mark.parametrize(("key_prefix", "request_"), CASES)
def test_a_seed_example_request_gets_its_documented_status(
    client, org, django_capture_on_commit_callbacks, key_prefix, request_
):
    key = services.api_key_create(organization=org, name="seed", prefix=key_prefix).raw_key
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    with django_capture_on_commit_callbacks(execute=True):
        if request_["method"] == "POST":
            response = client.post(
                request_["path"],
                json.dumps(request_["body"]),
                content_type="application/json",
                **headers,
            )
        else:
            response = client.get(request_["path"], **headers)
    assert response.status_code == request_["status"], response.content
