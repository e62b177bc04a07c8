"""The sessions list `/o/<slug>/sessions/`, one session's page `/o/<slug>/sessions/<id>/`,
and the request page's links to them."""

from decimal import Decimal
from urllib.parse import quote

import pytest

from tokentracker.models import ApiKey, ApiKeyMode, Role
from usage.models import UsageEvent
from usage.schemas import EventInput
from usage.services.events import events_record
from usage.sessions.summaries import session_summaries_merge
from usage.views import sessions as session_views

pytestmark = pytest.mark.django_db

ODD_IDS = ["a/b", "with space", "日本語-セッション", "a/../b", "100%?#&"]


@pytest.fixture
def sessions(now, record):
    # gpt-4o, 1,000 input and 100 output tokens: $0.0025 + $0.001 = $0.0035 each.
    def call(moment, session, **fields):
        return {
            "occurred_at": moment,
            "session_id": session,
            "input_tokens": 1000,
            "output_tokens": 100,
            **fields,
        }

    record(
        call("2026-03-20T10:00:00Z", "cheap", developer_id="ann"),
        call("2026-03-20T10:00:00Z", "dear", developer_id="bob", input_tokens=100000),
        call("2026-03-20T12:00:00Z", "dear"),
        call("2026-03-21T08:00:00Z", "long", developer_id="ann"),
        call("2026-03-21T11:00:00Z", "long"),
        call("2026-03-21T11:30:00Z", "long"),
        call("2026-03-21T09:00:00Z", "unpriced", provider="mistral", model="mystery-model"),
        call("2026-01-01T09:00:00Z", "ancient"),
        *(call("2026-03-19T10:00:00Z", odd) for odd in ODD_IDS),
    )
    session_summaries_merge()


def _ids(content: str, candidates) -> list[str]:
    found = [
        (content.index(f"<code>{c}</code>"), c)
        for c in candidates
        if f"<code>{c}</code>" in content
    ]
    return [c for _, c in sorted(found)]


MAIN = ["cheap", "dear", "long", "unpriced"]


def test_the_list_sorts_by_last_activity_by_default_and_by_cost(client, sign_in, org, sessions):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/sessions/").content.decode()
    assert _ids(content, MAIN) == ["long", "unpriced", "dear", "cheap"]
    assert "<code>ancient</code>" not in content  # outside the default 30 days
    content = client.get("/o/acme/sessions/?sort=cost").content.decode()
    assert _ids(content, MAIN) == ["dear", "long", "cheap", "unpriced"]
    # 100,000 input: $0.25 + $0.001, plus the second call's $0.0035.
    assert "$0.2545" in content and "$0.0105" in content
    assert '<span class="badge neutral">unpriced</span>' in content
    assert _ids(client.get("/o/acme/sessions/?sort=events").content.decode(), MAIN)[0] == "long"
    assert _ids(client.get("/o/acme/sessions/?sort=tokens").content.decode(), MAIN)[0] == "dear"
    content = client.get("/o/acme/sessions/?sort=duration").content.decode()
    assert _ids(content, MAIN)[:2] == ["long", "dear"]  # 3 h 30 min, then 2 h


def test_the_window_and_developer_narrow_the_list(client, sign_in, org, sessions):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/sessions/?developer=ann").content.decode()
    assert _ids(content, MAIN) == ["long", "cheap"]
    content = client.get(
        "/o/acme/sessions/?start_date=2026-01-01&end_date=2026-01-02"
    ).content.decode()
    assert "<code>ancient</code>" in content and _ids(content, MAIN) == []


def test_the_list_pages(client, sign_in, org, sessions, monkeypatch):
    monkeypatch.setattr(session_views, "SESSIONS_PER_PAGE", 2)
    sign_in(org, Role.VIEWER)
    first = client.get("/o/acme/sessions/?sort=cost").content.decode()
    second = client.get("/o/acme/sessions/?sort=cost&page=2").content.decode()
    assert _ids(first, MAIN) == ["dear", "long"]
    # cheap ties at $0.0035 with the five odd ids, and was active later; unpriced is last.
    assert _ids(second, MAIN) == ["cheap"]
    assert "Page 2 of 5" in second and "3\u20134 of 9" in second
    assert _ids(client.get("/o/acme/sessions/?sort=cost&page=5").content.decode(), MAIN) == [
        "unpriced"
    ]


def test_bad_sort_and_page_give_the_page_with_a_message(client, sign_in, org, sessions):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/sessions/?sort=drop&page=zero&developer=a%00b")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Sessions cannot be sorted by “drop”" in content
    assert "page must be a whole number" in content
    assert "That developer id cannot exist" in content
    assert _ids(content, MAIN) == ["long", "unpriced", "dear", "cheap"]
    content = client.get("/o/acme/sessions/?page=99").content.decode()
    assert "There is no page 99 of these sessions" in content
    content = client.get("/o/acme/sessions/" + quote("long") + "/?page=-1").content.decode()
    assert "page must be a whole number" in content


def test_the_empty_list_explains_session_id(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/sessions/").content.decode()
    assert "No sessions between these dates." in content
    assert "<code>session_id</code>" in content


def test_the_session_page_lists_requests_with_running_totals(client, sign_in, org, sessions):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/sessions/long/")
    assert response.status_code == 200
    content = response.content.decode()
    rows = content.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 3
    assert [
        '<td class="num">$0.0035</td>' in rows[0],
        '<td class="num">$0.007</td>' in rows[1],
    ] == [
        True,
        True,
    ]
    assert '<td class="num">$0.0105</td>' in rows[2] and '<td class="num">3,300</td>' in rows[2]
    assert 'href="/o/acme/sessions/?developer=ann"' in content
    assert "3\xa0hours, 30\xa0minutes" in content  # Django's timeuntil, no-break spaces
    assert "gpt-4o" in content
    for event in UsageEvent.objects.filter(session_id="long"):
        assert f'href="/o/acme/requests/{event.uuid}"' in content


def test_running_totals_are_right_across_pages(client, sign_in, org, now, record, monkeypatch):
    record(
        *(
            {
                "occurred_at": f"2026-03-21T10:{minute:02d}:00Z",
                "session_id": "paged",
                "input_tokens": 1000,
                "output_tokens": 100,
                **({"provider": "mistral", "model": "mystery-model"} if minute == 1 else {}),
            }
            for minute in range(5)
        )
    )
    monkeypatch.setattr(session_views, "REQUESTS_PER_PAGE", 2)
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/sessions/paged/?page=3").content.decode()
    rows = content.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 1
    # Four priced calls of $0.0035 before and on this row, one unpriced.
    assert '<td class="num">$0.014 <span class="muted small">+ 1 unpriced</span></td>' in rows[0]
    assert '<td class="num">5,500</td>' in rows[0]
    assert "<td>5</td>" in rows[0]
    assert "Page 3 of 3" in content


@pytest.mark.parametrize("session_id", ODD_IDS)
def test_odd_session_ids_link_and_resolve(client, sign_in, org, sessions, session_id):
    sign_in(org, Role.VIEWER)
    path = "/o/acme/sessions/" + quote(session_id, safe="") + "/"
    listing = client.get("/o/acme/sessions/?start_date=2026-03-19&end_date=2026-03-19")
    assert f'href="{path}"' in listing.content.decode()
    response = client.get(path)
    assert response.status_code == 200
    assert UsageEvent.objects.get(session_id=session_id).uuid.hex[:8] in response.content.decode()


def test_unknown_and_overlong_sessions_are_404(client, sign_in, org, sessions):
    sign_in(org, Role.VIEWER)
    assert client.get("/o/acme/sessions/nope/").status_code == 404
    assert client.get("/o/acme/sessions/" + "x" * 201 + "/").status_code == 404
    assert client.get("/o/acme/sessions/a%00b/").status_code == 404


def test_not_signed_in_is_sent_to_sign_in(client, org, sessions):
    for path in ("/o/acme/sessions/", "/o/acme/sessions/long/"):
        response = client.get(path)
        assert response.status_code == 302 and "login" in response["Location"]


def test_an_outsider_gets_404(client, sign_in, outsider_org, org, sessions):
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/sessions/").status_code == 404
    assert client.get("/o/acme/sessions/long/").status_code == 404


def test_test_sessions_show_only_when_asked(client, sign_in, org, now, test_key):
    key = ApiKey.objects.get(organization=org, mode=ApiKeyMode.TEST)
    events_record(
        organization_id=org.id,
        api_key_id=key.id,
        events=[
            EventInput(
                provider="openai",
                model="gpt-4o",
                input_tokens=1,
                output_tokens=1,
                occurred_at="2026-03-21T10:00:00Z",
                session_id="sandbox",
                developer_id="tess",
                total_cost=Decimal("0.5"),
            )
        ],
    )
    session_summaries_merge()
    sign_in(org, Role.VIEWER)
    assert "<code>sandbox</code>" not in client.get("/o/acme/sessions/").content.decode()
    # Reached by a link (a test event's request page), a test session still opens, badged.
    content = client.get("/o/acme/sessions/sandbox/").content.decode()
    assert "$0.50" in content and "test data" in content
    assert client.get("/o/acme/sessions/nowhere/").status_code == 404
    # Switched to test data (the switch every usage page shares), the list holds it.
    client.post("/o/acme/data", {"data": "test", "next": "/o/acme/sessions/"})
    content = client.get("/o/acme/sessions/").content.decode()
    assert 'href="/o/acme/sessions/sandbox/"' in content
    assert 'href="/o/acme/sessions/?developer=tess"' in content
    content = client.get("/o/acme/sessions/sandbox/").content.decode()
    assert "$0.50" in content and "test data" in content


def test_the_request_page_links_session_and_developer(client, sign_in, org, sessions):
    sign_in(org, Role.VIEWER)
    event = UsageEvent.objects.get(session_id="cheap")
    content = client.get(f"/o/acme/requests/{event.uuid}").content.decode()
    assert '<a href="/o/acme/sessions/cheap/">cheap</a>' in content
    assert '<a href="/o/acme/sessions/?developer=ann">ann</a>' in content
    odd = UsageEvent.objects.get(session_id="a/b")
    content = client.get(f"/o/acme/requests/{odd.uuid}").content.decode()
    assert '<a href="/o/acme/sessions/a%2Fb/">a/b</a>' in content


def test_the_navigation_links_the_sessions(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    assert 'href="/o/acme/sessions/"' in client.get("/o/acme/explorer/").content.decode()
