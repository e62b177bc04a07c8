"""The request page `/o/<slug>/requests/<uuid>`: tokens, cost parts, CO2e and its
methodology, payloads when stored (decrypted, escaped), eval scores."""

import uuid

import pytest
from cryptography.fernet import Fernet

from tokentracker.models import Role
from usage.models import UsageEvent
from usage.schemas import EventInput
from usage.services.evals import eval_record
from usage.services.observations import observation_record

pytestmark = pytest.mark.django_db


def _event(org, moment: str) -> UsageEvent:
    return UsageEvent.objects.get(organization=org, occurred_at=moment)


def _path(event: UsageEvent) -> str:
    return f"/o/acme/requests/{event.uuid}"


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_owner_and_viewer_see_the_tokens_and_cost_parts(client, sign_in, org, page_events, role):
    sign_in(org, role)
    event = _event(org, "2026-03-20T10:15:00Z")
    response = client.get(_path(event))
    assert response.status_code == 200
    content = response.content.decode()
    # 800 uncached at $2.50/Mtok, 200 cached at $1.25/Mtok, 500 output at $10/Mtok.
    assert '<td>Input, uncached</td><td class="num">800</td><td class="num">$0.002</td>' in content
    assert '<td>Cache reads</td><td class="num">200</td><td class="num">$0.00025</td>' in content
    assert (
        '<td>Output (without reasoning)</td><td class="num">500</td><td class="num">$0.005</td>'
    ) in content
    assert "<strong>1,500</strong>" in content
    assert "<strong>$0.00725</strong>" in content
    assert f"version {event.carbon_methodology}" in content
    assert 'href="/o/acme/carbon/methodology"' in content
    assert "No payload is stored for this request. Payload storage is off" in content
    assert "No evals have scored this request." in content


def test_an_unpriced_request_says_unpriced_not_zero(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    content = client.get(_path(_event(org, "2026-03-21T09:00:00Z"))).content.decode()
    assert '<span class="badge neutral">unpriced</span>' in content
    assert "No price is known for this model, so its cost is shown as unpriced" in content
    assert "$0.0" not in content.replace("not $0.", "")


def test_stored_payloads_are_decrypted_and_shown_escaped(client, sign_in, org, now):
    org.payload_storage_enabled = True
    org.save()
    observed = observation_record(
        organization_id=org.id,
        api_key_id=None,
        event=EventInput(
            provider="openai",
            model="gpt-4o",
            input_tokens=10,
            output_tokens=5,
            occurred_at="2026-03-21T10:00:00Z",
        ),
        input_payload={"messages": [{"role": "user", "content": "<script>alert(1)</script>"}]},
        output_payload="Hello & goodbye",
    )
    eval_record(
        organization_id=org.id,
        event_id=observed.event_id,
        prompt_group_id=uuid.uuid4(),
        overall_score=87.5,
        scores={"accuracy": 90.0, "tone": 85.0},
        reasoning="Correct and polite.",
        judge_model="gpt-4o-mini",
    )
    sign_in(org, Role.VIEWER)
    event = UsageEvent.objects.get(organization=org)
    content = client.get(_path(event)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)</script>" not in content
    assert '"role": "user"' not in content  # quotes are escaped too
    assert "&quot;role&quot;: &quot;user&quot;" in content
    assert "Hello &amp; goodbye" in content
    assert '<td class="num">87.5</td>' in content
    assert "accuracy 90.0, tone 85.0" in content
    assert "Correct and polite." in content


def test_payloads_encrypted_with_a_retired_key_say_so(client, sign_in, org, now, settings):
    org.payload_storage_enabled = True
    org.save()
    observation_record(
        organization_id=org.id,
        api_key_id=None,
        event=EventInput(provider="openai", model="gpt-4o", input_tokens=1, output_tokens=1),
        input_payload={"q": 1},
    )
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    sign_in(org, Role.VIEWER)
    response = client.get(_path(UsageEvent.objects.get(organization=org)))
    assert response.status_code == 200
    assert "encrypted with a key this server no longer has" in response.content.decode()


def test_an_outsider_gets_404_for_another_organizations_request(
    client, sign_in, org, outsider_org, page_events
):
    event = _event(org, "2026-03-20T10:15:00Z")
    sign_in(outsider_org, Role.OWNER)
    assert client.get(_path(event)).status_code == 404
    # Nor through their own organization's address.
    assert client.get(f"/o/outsider/requests/{event.uuid}").status_code == 404


def test_an_unknown_request_is_404(client, sign_in, org):
    sign_in(org, Role.OWNER)
    assert client.get(f"/o/acme/requests/{uuid.uuid4()}").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, org, page_events):
    path = _path(_event(org, "2026-03-20T10:15:00Z"))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login?next={path}"
