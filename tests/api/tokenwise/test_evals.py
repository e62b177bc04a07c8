"""POST/GET /api/v1/evals (native) and GET /api/v1/public/evals (Tokenwise)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope
from usage.models import Eval

from .conftest import observe

NATIVE = "/api/v1/evals"
PUBLIC = "/api/v1/public/evals"
GROUP = "6f1c2d3e-4b5a-4c6d-8e7f-901234567890"
pytestmark = pytest.mark.django_db


def eval_body(**fields):
    return {
        "prompt_group_id": GROUP,
        "overall_score": 87.5,
        "scores": {"accuracy": 90, "tone": 85},
        "reasoning": "Correct and polite.",
        "judge_model": "gpt-4o",
        **fields,
    }


def test_an_eval_recorded_against_a_request_is_listed_in_both_dialects(api, org, tw_key):
    request_id = observe(api, tw_key).json()["id"]
    created = api.post(NATIVE, eval_body(event_id=request_id), tw_key)
    assert created.status_code == 201
    run = Eval.objects.get()
    native = created.json()
    assert native == {
        "id": str(run.uuid),
        "event_id": request_id,
        "prompt_group_id": GROUP,
        "overall_score": 87.5,
        "scores": {"accuracy": 90.0, "tone": 85.0},
        "reasoning": "Correct and polite.",
        "judge_model": "gpt-4o",
        "created_at": native["created_at"],
    }
    public = api.get(PUBLIC, tw_key)
    assert public.status_code == 200
    assert public.json() == {
        "data": [
            {
                "id": str(run.uuid),
                "promptGroupId": GROUP,
                "requestId": request_id,
                "overallScore": 87.5,
                "scores": {"accuracy": 90.0, "tone": 85.0},
                "reasoning": "Correct and polite.",
                "judgeModel": "gpt-4o",
                "createdAt": run.created_at.isoformat().replace("+00:00", "Z"),
            }
        ]
    }
    assert api.get(f"{NATIVE}/{run.uuid}", tw_key).json() == native
    assert api.get(NATIVE, tw_key).json()["results"] == [native]


def test_an_eval_without_a_request_has_a_null_request_id(api, org, tw_key):
    assert api.post(NATIVE, eval_body(reasoning=""), tw_key).status_code == 201
    row = api.get(PUBLIC, tw_key).json()["data"][0]
    assert (row["requestId"], row["reasoning"]) == (None, None)


def test_public_evals_honour_the_range_newest_first(api, org, tw_key):
    for score in (10, 20, 30):
        api.post(NATIVE, eval_body(overall_score=score), tw_key)
    Eval.objects.filter(overall_score=10).update(created_at=timezone.now() - timedelta(days=10))
    Eval.objects.filter(overall_score=20).update(created_at=timezone.now() - timedelta(days=2))

    def scores(**params):
        response = api.get(PUBLIC, tw_key, **params)
        assert response.status_code == 200
        return [row["overallScore"] for row in response.json()["data"]]

    assert scores() == [30.0, 20.0]
    assert scores(range="24h") == [30.0]
    assert scores(range="30d") == [30.0, 20.0, 10.0]


def test_the_native_list_filters_by_prompt_group(api, org, tw_key):
    other = str(uuid.uuid4())
    api.post(NATIVE, eval_body(), tw_key)
    api.post(NATIVE, eval_body(prompt_group_id=other), tw_key)
    results = api.get(NATIVE, tw_key, prompt_group_id=other).json()["results"]
    assert [r["prompt_group_id"] for r in results] == [other]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"overall_score": 100.5}, "overall_score"),
        ({"overall_score": -1}, "overall_score"),
        ({"overall_score": None}, "overall_score"),
        ({"scores": {"accuracy": 101}}, "scores"),
        ({"scores": {"accuracy": "high"}}, "scores"),
        ({"scores": {"": 50}}, "scores"),
        ({"scores": [1, 2]}, "scores"),
        ({"prompt_group_id": "not-a-uuid"}, "prompt_group_id"),
        ({"judge_model": ""}, "judge_model"),
        ({"event_id": "nope"}, "event_id"),
        ({"event_id": str(uuid.uuid4())}, "event_id"),
    ],
)
def test_each_invalid_eval_field_is_a_422_naming_it(api, org, tw_key, fields, field):
    response = api.post(NATIVE, eval_body(**fields), tw_key)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert field in error["details"]
    assert not Eval.objects.exists()


def test_an_eval_cannot_point_at_another_organizations_request(api, org, tw_key, outsider_key):
    request_id = observe(api, tw_key).json()["id"]
    response = api.post(NATIVE, eval_body(event_id=request_id), outsider_key)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "event_id": ["No usage event with this id in your organization."]
    }


def test_an_outsider_sees_none_of_our_evals(api, org, tw_key, outsider_key):
    api.post(NATIVE, eval_body(), tw_key)
    run = Eval.objects.get()
    assert api.get(PUBLIC, outsider_key).json() == {"data": []}
    assert api.get(NATIVE, outsider_key).json()["results"] == []
    response = api.get(f"{NATIVE}/{run.uuid}", outsider_key)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_evals_need_a_key(api, org):
    assert api.get(PUBLIC).json() == {"error": "Invalid or missing API token"}
    assert api.get(PUBLIC).status_code == 401
    response = api.post(NATIVE, eval_body())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_a_read_only_key_can_list_but_not_record_evals(api, org, tw_key):
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ).raw_key
    assert api.post(NATIVE, eval_body(), read_key).status_code == 403
    assert api.get(NATIVE, read_key).status_code == 200
    assert api.get(PUBLIC, read_key).status_code == 200


def test_an_unknown_range_is_a_400(api, org, tw_key):
    response = api.get(PUBLIC, tw_key, range="365d")
    assert response.status_code == 400
    assert response.json()["error"].startswith("range:")
