"""Carbon figures as EcoLogits computes them, to compare ours with."""

import json
import math

from ecologits.tracers.utils import llm_impacts

from carbon.factors import carbon_decimal


def grams(value: float) -> float:
    """Grams as every response and stored event carries them: nine decimal places."""
    return float(carbon_decimal(value))


def ecologits_grams(
    provider: str,
    model: str,
    output_tokens: int,
    zone: str | None = None,
    latency_s: float = math.inf,
):
    """EcoLogits called directly: usage-phase GWP (kgCO2e → g) and its range."""
    impacts = llm_impacts(provider, model, output_tokens, latency_s, zone)
    value = impacts.usage.gwp.value
    low, high = (value.min, value.max) if hasattr(value, "min") else (value, value)
    return grams((low + high) / 2 * 1000), grams(low * 1000), grams(high * 1000)


def post_json(client, path, body, key=None, **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **headers)
