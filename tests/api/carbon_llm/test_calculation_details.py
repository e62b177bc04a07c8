"""carbon-llm's numbers add up: `calculation_details.formula`, evaluated with the numbers of
`calculation_details` itself, gives `estimated_co2_grams`; `co2_per_1k_tokens_used` is the
grams per 1,000 of `total_tokens`, on the estimate and on the track endpoint."""

import ast
import operator

import pytest

from carbon.models import CarbonFactor, Confidence
from carbon.services import carbon_factor_save
from tests.carbon.helpers import grams, post_json

pytestmark = pytest.mark.django_db

OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def evaluate(expression: str, numbers: dict) -> float:
    """Arithmetic over names and literals only, as a client would evaluate the formula."""

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp):
            return OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name):
            value = numbers[node.id]
            assert isinstance(value, int | float), f"{node.id} is not a number: {value!r}"
            return value
        raise AssertionError(f"not plain arithmetic: {ast.dump(node)}")

    return walk(ast.parse(expression, mode="eval"))


def assert_adds_up(body: dict) -> None:
    details = body["calculation_details"]
    named, substituted = details["formula"].split(" = ")
    from_names = evaluate(named, details)
    # Exactly the figure before its rounding to the nine decimals it is answered with.
    assert grams(from_names) == body["estimated_co2_grams"]
    # The same formula with its numbers written in is the same computation.
    assert evaluate(substituted, {}) == from_names
    per_1k = body["co2_per_1k_tokens_used"]
    assert per_1k == round(body["estimated_co2_grams"] / body["total_tokens"] * 1000, 9)


def estimate(client, **fields):
    body = {"model": "gpt-4o", "prompt_tokens": 100, "completion_tokens": 50, **fields}
    response = post_json(client, "/api/v1/estimate", body)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"completion_tokens": 1_000_000, "prompt_tokens": 3},
        {"completion_tokens": 1},
        {"provider": "anthropic", "model": "claude-sonnet-4-0", "completion_tokens": 777},
        {"model": "acme-private-7b", "completion_tokens": 90},  # the default coefficient
        {"datacenter_country": "FI", "completion_tokens": 5_000},
        {"datacenter_country": "AQ", "completion_tokens": 5_000},  # no grid: world average
    ],
    ids=["gpt-4o", "a-million", "one-token", "anthropic", "unknown-model", "finland", "world"],
)
def test_the_token_formula_gives_the_estimate(client, fields):
    body = estimate(client, **fields)
    assert body["calculation_details"]["formula"].startswith(
        "fixed_grams + output_tokens / 1000 * coefficient_per_1k = "
    )
    assert body["calculation_details"]["output_tokens"] == body["total_tokens"] - (
        fields.get("prompt_tokens", 100)
    )
    assert_adds_up(body)


def test_a_duration_that_bounds_generation_is_in_the_terms(client):
    # 4,000 tokens cannot be generated in 200 ms: the server's share is fixed by the
    # duration, so the terms differ from the unbounded ones and still add up.
    bounded = estimate(client, completion_tokens=4_000, duration_ms=200)
    unbounded = estimate(client, completion_tokens=4_000)
    assert bounded["estimated_co2_grams"] < unbounded["estimated_co2_grams"]
    details, free = bounded["calculation_details"], unbounded["calculation_details"]
    assert details["coefficient_per_1k"] < free["coefficient_per_1k"]
    assert_adds_up(bounded)
    assert_adds_up(unbounded)


def test_an_admin_figure_in_grams_adds_up_with_no_fixed_part(client):
    carbon_factor_save(
        factor=CarbonFactor(
            provider="openai",
            model="gpt-4o",
            co2e_g_per_1k_output_tokens="0.12",
            confidence=Confidence.MEASURED,
            source="Provider report",
        )
    )
    body = estimate(client, completion_tokens=2_000)
    details = body["calculation_details"]
    assert (details["fixed_grams"], details["coefficient_per_1k"]) == (0.0, 0.12)
    assert body["estimated_co2_grams"] == 0.24
    assert body["co2_per_1k_tokens_used"] == 0.114285714  # 0.24 g over 2,100 tokens
    assert_adds_up(body)


@pytest.mark.parametrize(
    ("country", "duration_ms", "completion_tokens"),
    [("FI", 120_000, 50), ("PL", 120_000, 50), ("US", 1, 10), ("FR", 3_600_000, 100_000)],
)
def test_the_hardware_formula_gives_the_estimate(client, country, duration_ms, completion_tokens):
    body = estimate(
        client,
        method="hardware",
        duration_ms=duration_ms,
        datacenter_country=country,
        completion_tokens=completion_tokens,
    )
    details = body["calculation_details"]
    assert details["formula"].startswith(
        "duration_ms / 3600000 * (gpus * gpu_power_kw + server_power_kw * gpus / server_gpus) "
        "* pue / batch_size * grid_gco2e_per_kwh = "
    )
    context = body["hardware_context"]
    assert details["grid_gco2e_per_kwh"] == context["grid_gco2e_per_kwh"]
    assert (details["server_power_kw"], details["server_gpus"]) == (1.2, 8)
    assert details["gpu_power_kw"] == context["gpu_power_kw"]
    assert details["pue"] == context["pue"]
    assert_adds_up(body)
    # The hardware coefficient is the figure per 1,000 tokens used.
    assert details["coefficient_per_1k"] == body["co2_per_1k_tokens_used"]


def test_the_finland_figures_are_the_published_ones(client):
    body = estimate(client, method="hardware", duration_ms=120_000, datacenter_country="FI")
    details = body["calculation_details"]
    assert (details["duration_ms"], details["gpus"], details["batch_size"]) == (120_000, 16, 64)
    assert (details["grid_gco2e_per_kwh"], details["pue"]) == (57.47, 1.2)
    # 120 s on 16 GPUs of 0.7 kW and two 8-GPU servers' 1.2 kW, PUE 1.2, 64 requests.
    kwh = 120_000 / 3_600_000 * (16 * 0.7 + 1.2 * 16 / 8) * 1.2 / 64
    assert body["estimated_co2_grams"] == grams(kwh * 57.47)


def test_no_tokens_is_a_per_1k_of_zero_not_a_division_error(client):
    body = estimate(client, prompt_tokens=0, completion_tokens=0)
    assert body["total_tokens"] == 0
    assert body["co2_per_1k_tokens_used"] == 0.0
    details = body["calculation_details"]
    # A request with no output still costs its fixed part.
    assert (
        grams(evaluate(details["formula"].split(" = ")[0], details))
        == (body["estimated_co2_grams"])
    )
    assert body["estimated_co2_grams"] == grams(details["fixed_grams"]) > 0


@pytest.mark.parametrize(
    ("prompt_tokens", "completion_tokens", "model"),
    [(100, 50, "gpt-4o"), (3, 1_000_000, "gpt-4o"), (7, 13, "claude-sonnet-4-0"), (0, 1, "x")],
)
def test_track_answers_grams_per_1k_of_its_total_tokens(
    client, test_key, prompt_tokens, completion_tokens, model
):
    body = {
        "tenant_id": "client-acme",
        "model": model,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
    }
    response = post_json(client, "/api/v1/track", body, key=test_key)
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["total_tokens"] == prompt_tokens + completion_tokens
    assert answer["co2_per_1k_tokens_used"] == round(
        answer["estimated_co2_grams"] / answer["total_tokens"] * 1000, 9
    )
    # The same call estimated gives the same grams: one computation behind both doors.
    estimated = estimate(
        client, model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
    )
    assert answer["estimated_co2_grams"] == estimated["estimated_co2_grams"]


def test_track_with_no_key_or_a_bad_key_is_refused(client):
    body = {"tenant_id": "t", "model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1}
    assert post_json(client, "/api/v1/track", body).status_code == 401
    assert post_json(client, "/api/v1/track", body, key="isv_test_sk_nope").status_code == 401
