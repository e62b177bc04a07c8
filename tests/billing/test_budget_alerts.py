"""Budget evaluation: each threshold fires once per budget and month, also under
concurrent evaluations, and only on the organization's own spend."""

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from billing import tasks
from billing.models import AlertKind, Budget, BudgetAlert
from billing.selectors import budgets as budget_selectors
from billing.selectors.budgets import budget_projection
from billing.services.alerts import FORECAST_MIN_CONFIDENCE, budgets_evaluate
from billing.signals import alert_fired
from tokentracker.models import ExchangeRate
from usage.schemas import EventInput
from usage.services.events import events_record

NOW = datetime.fromisoformat("2026-03-20T12:00:00+00:00")
MARCH = date(2026, 3, 1)


@pytest.fixture
def announced():
    """The alert ids `alert_fired` was sent with."""
    ids = []

    def collect(*, alert_id, **kwargs):
        ids.append(alert_id)

    alert_fired.connect(collect, dispatch_uid="test-collect")
    yield ids
    alert_fired.disconnect(dispatch_uid="test-collect")


def budget_of(org, amount="10", **fields):
    return Budget.objects.create(
        organization=org,
        name="Team",
        scope="organization",
        amount=Decimal(amount),
        currency="USD",
        **fields,
    )


def fired(alerts):
    return sorted((a.kind, a.threshold, a.period) for a in alerts)


@pytest.mark.django_db
def test_each_threshold_fires_once_across_evaluations(
    org, record, announced, django_capture_on_commit_callbacks
):
    budget = budget_of(org)
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 8.5})
    with django_capture_on_commit_callbacks(execute=True):
        first = budgets_evaluate(org.id, now=NOW)
    assert fired(first) == [("threshold", 50, MARCH), ("threshold", 80, MARCH)]
    assert sorted(announced) == sorted(alert.pk for alert in first)
    alert = BudgetAlert.objects.get(threshold=80)
    assert (alert.budget, alert.organization, alert.spent, alert.budget_amount) == (
        budget,
        org,
        Decimal("8.5"),
        Decimal("10"),
    )
    assert alert.currency == "USD"
    assert alert.projected == budget_projection(budget, now=NOW).estimate

    with django_capture_on_commit_callbacks(execute=True):
        assert budgets_evaluate(org.id, now=NOW) == []
    record({"occurred_at": "2026-03-03T10:00:00Z", "total_cost": 1.5})
    with django_capture_on_commit_callbacks(execute=True):
        assert fired(budgets_evaluate(org.id, now=NOW)) == [("threshold", 100, MARCH)]
        assert budgets_evaluate(org.id, now=NOW) == []
    assert BudgetAlert.objects.count() == 3
    assert len(announced) == 3


@pytest.mark.django_db
def test_a_claimed_alert_is_not_fired_again_even_when_missed_by_the_first_read(
    org, record, monkeypatch
):
    budget_of(org, thresholds=[50])
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6})
    assert len(budgets_evaluate(org.id, now=NOW)) == 1
    # As if another worker read before this one inserted: the constraint still holds.
    monkeypatch.setattr("billing.services.alerts.alerts_claimed", lambda *a, **k: set())
    assert budgets_evaluate(org.id, now=NOW) == []
    assert BudgetAlert.objects.count() == 1


@pytest.mark.django_db
def test_a_new_month_fires_again(org, record):
    budget_of(org, thresholds=[50])
    record(
        {"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6},
        {"occurred_at": "2026-04-02T10:00:00Z", "total_cost": 4},
    )
    assert fired(budgets_evaluate(org.id, now=NOW)) == [("threshold", 50, MARCH)]
    april = datetime.fromisoformat("2026-04-05T12:00:00+00:00")
    assert budgets_evaluate(org.id, now=april) == []  # 4 of 10 is not half
    record({"occurred_at": "2026-04-03T10:00:00Z", "total_cost": 1})
    assert fired(budgets_evaluate(org.id, now=april)) == [("threshold", 50, date(2026, 4, 1))]


@pytest.mark.django_db
def test_another_organizations_spend_fires_nothing(org, outsider_org, record):
    budget_of(org, thresholds=[1])
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 500}, organization=outsider_org)
    assert budgets_evaluate(org.id, now=NOW) == []
    assert budgets_evaluate(outsider_org.id, now=NOW) == []  # it has no budget
    assert not BudgetAlert.objects.exists()


@pytest.mark.django_db
def test_an_amount_without_an_exchange_rate_fires_nothing(org, record, caplog):
    budget = budget_of(org, amount="1", thresholds=[50])
    Budget.objects.filter(pk=budget.pk).update(currency="CHF")
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 100})
    assert budgets_evaluate(org.id, now=NOW) == []
    assert "No exchange rate from CHF to USD for 2026-03-20" in caplog.text
    ExchangeRate.objects.bulk_create(
        [
            ExchangeRate(day="2026-03-20", currency="CHF", rate=Decimal("1")),
            ExchangeRate(day="2026-03-20", currency="USD", rate=Decimal("1.25")),
        ]
    )
    from tokentracker.money import money_book_invalidate

    money_book_invalidate()
    [alert] = budgets_evaluate(org.id, now=NOW)
    assert alert.budget_amount == Decimal("1.25")


@pytest.mark.django_db
def test_forecast_alert_fires_once_when_the_projection_exceeds_the_amount(org, record):
    budget = budget_of(org, amount="250", thresholds=[], forecast_alert=True)
    # Ten a day since mid-January: about 310 by the end of March.
    record(
        *(
            {"occurred_at": f"{day.isoformat()}T06:00:00Z", "total_cost": 10}
            for day in (date(2026, 1, 15) + timedelta(days=n) for n in range(65))
        )
    )
    projection = budget_projection(budget, now=NOW)
    assert projection.estimate > Decimal("250") > projection.spent
    assert projection.confidence >= FORECAST_MIN_CONFIDENCE
    [alert] = budgets_evaluate(org.id, now=NOW)
    assert (alert.kind, alert.threshold, alert.period) == (AlertKind.FORECAST, 100, MARCH)
    assert (alert.spent, alert.projected) == (projection.spent, projection.estimate)
    assert budgets_evaluate(org.id, now=NOW) == []


@pytest.mark.django_db
def test_forecast_waits_for_a_confident_projection(org, record, monkeypatch):
    budget_of(org, amount="10", thresholds=[], forecast_alert=True)
    budget_of(org, amount="10", thresholds=[])  # no forecast alert asked for
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 1})
    engine = budget_selectors.project_month

    def projected(confidence):
        def project(daily, *, now, fixed=Decimal(0)):
            made = engine(daily, now=now, fixed=fixed)
            return replace(made, estimate=Decimal("11"), confidence=confidence)

        return project

    monkeypatch.setattr(
        budget_selectors, "project_month", projected(FORECAST_MIN_CONFIDENCE - 0.01)
    )
    assert budgets_evaluate(org.id, now=NOW) == []
    monkeypatch.setattr(budget_selectors, "project_month", projected(FORECAST_MIN_CONFIDENCE))
    assert fired(budgets_evaluate(org.id, now=NOW)) == [("forecast", 100, MARCH)]


# -- After rollup merges, throttled --------------------------------------------------------


@pytest.mark.django_db
def test_a_merge_evaluates_the_budgets_of_its_organizations_at_most_once_a_minute(
    org, outsider_org, record, freeze, django_capture_on_commit_callbacks, monkeypatch
):
    freeze("2026-03-20T12:00:00Z")
    budget_of(org, thresholds=[50, 80])
    evaluated = []
    monkeypatch.setattr(
        tasks, "budgets_evaluate", lambda organization_id, *, now: evaluated.append(organization_id)
    )
    with django_capture_on_commit_callbacks(execute=True):
        record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6})
        record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6}, organization=outsider_org)
        record({"occurred_at": "2026-03-02T11:00:00Z", "total_cost": 3})
    assert evaluated == [org.id]  # the outsider has no budget; the second merge throttled


@pytest.mark.django_db
def test_a_merge_fires_the_alerts_it_makes_due(
    org, record, freeze, django_capture_on_commit_callbacks, announced
):
    freeze("2026-03-20T12:00:00Z")
    budget_of(org, thresholds=[50, 80])
    with django_capture_on_commit_callbacks(execute=True):
        record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6})
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [50]
    assert announced == [BudgetAlert.objects.get().pk]


@pytest.mark.django_db
def test_with_a_broker_the_evaluation_is_queued_a_minute_ahead_once(org, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(
        tasks,
        "task_publish",
        lambda task, *args, countdown=None: queued.append((task.name, args, countdown)) or True,
    )
    tasks.budgets_evaluate_soon(org.id, throttled=True)
    tasks.budgets_evaluate_soon(org.id, throttled=True)
    tasks.budgets_evaluate_soon(org.id)  # a budget was just saved: not throttled
    assert queued == [
        ("billing.tasks.budgets_evaluate_task", (org.id,), 60),
        ("billing.tasks.budgets_evaluate_task", (org.id,), None),
    ]


@pytest.mark.django_db
def test_beat_evaluates_every_organization_with_budgets(org, outsider_org, record, freeze):
    freeze("2026-03-20T12:00:00Z")
    budget_of(org, thresholds=[50])
    budget_of(outsider_org, thresholds=[50])
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6})
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 4}, organization=outsider_org)
    assert tasks.budgets_evaluate_all_task() == 2
    assert list(BudgetAlert.objects.values_list("organization_id", flat=True)) == [org.id]
    assert tasks.budgets_evaluate_task(org.id) == 0  # idempotent


@pytest.mark.django_db
def test_one_failing_organization_does_not_stop_the_others(
    org, outsider_org, freeze, record, monkeypatch
):
    freeze("2026-03-20T12:00:00Z")
    budget_of(org, thresholds=[50])
    budget_of(outsider_org, thresholds=[50])
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 6}, organization=outsider_org)
    real = tasks.budgets_evaluate

    def evaluate(organization_id, *, now):
        if organization_id == org.id:
            raise RuntimeError("boom")
        return real(organization_id, now=now)

    monkeypatch.setattr(tasks, "budgets_evaluate", evaluate)
    assert tasks.budgets_evaluate_all_task() == 2
    assert list(BudgetAlert.objects.values_list("organization_id", flat=True)) == [outsider_org.id]


# -- Concurrency (PostgreSQL) --------------------------------------------------------------


def _in_threads(count, work):
    """Run `work(index)` in `count` threads released together, each on its own database
    connection; returns their results."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # surfaced below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises every write, so evaluations never overlap: PostgreSQL only",
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluations_fire_each_threshold_exactly_once(org, record, announced):
    record({"occurred_at": "2026-03-02T10:00:00Z", "total_cost": 10})
    budget_of(org)  # after the merge, whose commit would evaluate it
    results = _in_threads(8, lambda index: budgets_evaluate(org.id, now=NOW))
    assert sorted((a.kind, a.threshold) for alerts in results for a in alerts) == [
        ("threshold", 50),
        ("threshold", 80),
        ("threshold", 100),
    ]
    assert BudgetAlert.objects.count() == 3
    assert sorted(announced) == sorted(BudgetAlert.objects.values_list("pk", flat=True))


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_threshold_crossed_by_concurrent_ingests_fires_exactly_once(org, announced, freeze):
    freeze("2026-03-20T12:00:00Z")
    budget_of(org, thresholds=[50, 100])

    def ingest_then_evaluate(index):
        # Each ingest alone is below half the budget; together they cross both thresholds.
        events_record(
            organization_id=org.id,
            api_key_id=None,
            events=[
                EventInput(
                    provider="openai",
                    model="gpt-4o",
                    input_tokens=0,
                    output_tokens=0,
                    occurred_at=datetime.fromisoformat("2026-03-02T10:00:00+00:00"),
                    total_cost=Decimal("2.5"),
                )
            ],
        )
        return budgets_evaluate(org.id, now=NOW)

    results = _in_threads(6, ingest_then_evaluate)
    # The ingests' merges evaluated too (in-process, as without a broker); whoever fired,
    # each threshold fired once.
    assert sorted(BudgetAlert.objects.values_list("threshold", flat=True)) == [50, 100]
    assert len(announced) == 2
    assert sum(len(alerts) for alerts in results) <= 2
