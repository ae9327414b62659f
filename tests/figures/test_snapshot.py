"""A day's figures from a known history: every count, the age percentiles, the misroute
and the handling time; snapshots stored, refreshed and backfilled by the worker's task."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import TenantKeys
from tests.figures.history import WORKER, History
from triage.db.models import FigureSnapshot
from triage.db.session import transaction
from triage.figures.snapshot import DAY_ZONE, DayFigures, compute_day, day_bounds
from triage.figures.store import SnapshotTaker, days_to_take, snapshots, take_snapshot
from triage.services import Services
from triage.tenants import require_tenant

DAY = date(2026, 3, 10)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=DAY_ZONE).astimezone(UTC)


def _history(services: Services, keys: TenantKeys) -> None:
    with transaction(services.session_factory) as session:
        tenant = require_tenant(session, name=keys.name)
        h = History(session, tenant.id)
        a1 = h.letter(received=local(3, 1, 10))
        h.letter(received=local(3, 5, 12), sla_days=3)  # overdue on the day
        a3 = h.letter(received=local(3, 2, 10))
        h.work(a3, claimed=local(3, 10, 9), minutes=30)
        a4 = h.letter(received=local(3, 3, 10))
        h.work(a4, claimed=local(3, 12, 9), minutes=10)  # completed after the day: open then
        a5 = h.letter(received=local(3, 4, 10))
        h.work(a5, claimed=local(3, 10, 13), minutes=45, relief=True)
        h.event(
            a5,
            local(3, 10, 15),
            "second_review",
            {"outcome": "corrected", "case_type_before": "wohngeld"},
        )
        h.letter(received=local(3, 10, 8))
        h.letter(received=local(3, 10, 9), case_type="meldewesen", routed=False)
        b3 = h.letter(received=local(3, 10, 10), case_type="gewerbe", queue="ordnung")
        h.correct(b3, at=local(3, 10, 11), case_type="wohngeld", queue="leistungen")
        h.letter(received=local(3, 10, 12), duplicate_of=a1)  # left out everywhere
        h.letter(received=local(3, 11, 8))  # the next day
        # Reprocessing triages a document again: the day counts its first outcome only.
        h.event(a1, local(3, 10, 14), "routed", {"case_type": "wohngeld", "queue": "x"}, WORKER)


def _figures(services: Services, keys: TenantKeys, day: date) -> dict[tuple[str, str], DayFigures]:
    with services.session_factory() as session:
        tenant = require_tenant(session, name=keys.name)
        found = compute_day(session, tenant_id=tenant.id, day=day, now=local(11, 1, 0))
    return {(f.scope, f.key): f for f in found}


def test_the_days_figures_for_the_tenant(services: Services, tenant_a: TenantKeys) -> None:
    _history(services, tenant_a)
    tenant = _figures(services, tenant_a, DAY)["tenant", "alle"]
    assert (tenant.open_count, tenant.inflow, tenant.outflow, tenant.overdue) == (6, 3, 2, 1)
    assert (tenant.triaged, tenant.auto_routed, tenant.to_review) == (3, 2, 1)
    assert tenant.misrouted == 1
    assert tenant.handling_median_minutes == pytest.approx(37.5)
    assert (tenant.relief_completed, tenant.second_reviewed) == (1, 1)
    assert tenant.second_review_corrected == 1
    # Ages at midnight after the day: 9.583, 5.5, 7.583, 0.667, 0.625, 0.583 days.
    # Linear interpolation (numpy's and the spreadsheet's PERCENTILE.INC):
    assert tenant.age_p50_days == pytest.approx((0.6667 + 5.5) / 2, abs=1e-3)
    assert tenant.age_p90_days == pytest.approx(7.5833 + 0.5 * 2.0, abs=1e-3)


def test_queues_and_case_types_count_where_documents_are_and_were(
    services: Services, tenant_a: TenantKeys
) -> None:
    _history(services, tenant_a)
    figures = _figures(services, tenant_a, DAY)
    leistungen, review = figures["queue", "leistungen"], figures["queue", "review"]
    assert (leistungen.open_count, review.open_count) == (5, 1)
    assert (review.triaged, review.to_review) == (1, 1)
    # The misrouted letter counts where triage sent it (the queue and the case type it
    # had then), and its open days where it is now.
    ordnung, gewerbe = figures["queue", "ordnung"], figures["case_type", "gewerbe"]
    assert (ordnung.open_count, ordnung.auto_routed, ordnung.misrouted) == (0, 1, 1)
    assert (gewerbe.auto_routed, gewerbe.misrouted) == (1, 1)
    assert figures["case_type", "meldewesen"].to_review == 1
    assert figures["case_type", "wohngeld"].open_count == 5


def test_a_day_before_anything_happened_has_the_tenant_row_only(
    services: Services, tenant_a: TenantKeys
) -> None:
    _history(services, tenant_a)
    figures = _figures(services, tenant_a, date(2026, 2, 1))
    assert list(figures) == [("tenant", "alle")]
    assert figures["tenant", "alle"].open_count == 0
    assert figures["tenant", "alle"].age_p50_days is None


def test_days_follow_berlin_time_across_the_clock_change() -> None:
    start, end = day_bounds(date(2026, 3, 29))  # summer time begins: 23 hours
    assert end - start == timedelta(hours=23)
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)


def test_snapshots_are_stored_backfilled_and_today_refreshed(
    services: Services, tenant_a: TenantKeys
) -> None:
    _history(services, tenant_a)
    with services.session_factory() as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
    now = local(3, 12, 18)  # two days after the day, in the evening
    taker = SnapshotTaker(
        session_factory=services.session_factory,
        backfill_days=400,
        refresh=timedelta(minutes=15),
    )
    # From the first letter's day (1 March) to today (12 March): 12 days.
    assert taker.run_due(now) == 12
    assert taker.run_due(now + timedelta(minutes=5)) == 0  # nothing due
    assert taker.run_due(now + timedelta(minutes=20)) == 1  # today's, refreshed
    # Past midnight, yesterday's partial snapshot is replaced by the final one.
    with services.session_factory() as session:
        due = days_to_take(
            session,
            tenant_id=tenant_id,
            now=local(3, 13, 0, 30),
            backfill_days=400,
            refresh=timedelta(minutes=15),
        )
        assert due == [date(2026, 3, 12), date(2026, 3, 13)]
        stored = snapshots(session, tenant_id=tenant_id, scopes=["tenant"], days=[DAY])
        assert [(s.open_count, s.inflow, s.outflow) for s in stored] == [(6, 3, 2)]


def test_taking_a_day_again_replaces_its_rows(services: Services, tenant_a: TenantKeys) -> None:
    _history(services, tenant_a)
    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        first = take_snapshot(session, tenant_id=tenant_id, day=DAY, now=local(4, 1, 0))
        again = take_snapshot(session, tenant_id=tenant_id, day=DAY, now=local(4, 1, 1))
    assert first == again
    with services.session_factory() as session:
        rows = session.query(FigureSnapshot).filter_by(tenant_id=tenant_id, day=DAY).count()
    assert rows == first


def test_tenants_see_only_their_own_figures(
    services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    _history(services, tenant_a)
    figures = _figures(services, tenant_b, DAY)
    assert figures["tenant", "alle"].open_count == 0
    assert figures["tenant", "alle"].inflow == 0


def test_the_idle_task_looks_at_most_once_a_minute(
    services: Services, tenant_a: TenantKeys
) -> None:
    _history(services, tenant_a)
    now = local(3, 12, 18)
    eager = SnapshotTaker(
        session_factory=services.session_factory, backfill_days=400, refresh=timedelta(0)
    )
    assert eager.run_due(now) == 12
    assert eager.run_due(now + timedelta(seconds=30)) == 0  # today would be due: not yet
    assert eager.run_due(now + timedelta(seconds=61)) == 1
