"""The scheduled retrain in the worker: only when due and when enough new decisions
arrived, one process at a time, and a failure never stops the worker."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.classify.feedback_data import (
    START,
    add_decisions,
    letters_round_robin,
    use_vague_taxonomy,
)
from tests.conftest import TenantKeys
from triage.classify.artefact import ModelRegistry
from triage.classify.base import Classifier
from triage.classify.feedback import RetrainDecision
from triage.classify.retrain import (
    RetrainScheduler,
    build_retrain_lock,
    feedback_seen_until,
    read_state,
)
from triage.config import Settings
from triage.embedding import Embedder
from triage.services import Services, build_services

pytestmark = pytest.mark.slow

DAY = timedelta(hours=24)


@pytest.fixture
def retraining(
    settings: Settings, embedder: Embedder, classifier_cache: dict[str, Classifier]
) -> Iterator[Services]:
    """Services whose workers retrain a day after their last check, from 8 new decisions."""
    configured = settings.model_copy(
        update={
            "retrain_interval_hours": 24.0,
            "retrain_min_examples": 10,
            "retrain_min_new_examples": 8,
        }
    )
    built = build_services(
        configured, migrate=False, embedder=embedder, classifier_cache=classifier_cache
    )
    yield built
    built.close()


def _scheduler(services: Services) -> RetrainScheduler:
    scheduler = RetrainScheduler.from_settings(
        services.settings,
        engine=services.engine,
        session_factory=services.session_factory,
        embedder=services.embedder,
        classifiers=services.classifiers,
    )
    assert scheduler is not None
    return scheduler


def test_switched_off_with_interval_zero(settings: Settings, services: Services) -> None:
    off = settings.model_copy(update={"retrain_interval_hours": 0.0})
    assert (
        RetrainScheduler.from_settings(
            off,
            engine=services.engine,
            session_factory=services.session_factory,
            embedder=services.embedder,
            classifiers=services.classifiers,
        )
        is None
    )


def test_retrains_only_when_due_and_enough_new_decisions_arrived(
    retraining: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    letters = letters_round_robin()
    use_vague_taxonomy(retraining.session_factory, tenant=tenant_a.name)
    add_decisions(retraining.session_factory, tenant=tenant_a.name, decisions=letters[:5])
    registry = ModelRegistry(retraining.settings.models_dir)
    scheduler = _scheduler(retraining)
    now = START + DAY

    first = {o.tenant: o for o in scheduler.run_due(now)}
    assert first[tenant_a.name].new_examples == 5
    assert first[tenant_a.name].result is None  # 5 of 8 new decisions
    assert first[tenant_b.name].new_examples == 0
    assert registry.current_version(tenant_a.name) is None

    add_decisions(
        retraining.session_factory,
        tenant=tenant_a.name,
        decisions=letters[5:],
        start=START + timedelta(hours=5),
    )
    assert scheduler.run_due(now + timedelta(hours=1)) == []  # not due yet
    assert registry.current_version(tenant_a.name) is None

    due = {o.tenant: o for o in scheduler.run_due(now + DAY)}
    outcome = due[tenant_a.name]
    assert outcome.new_examples == len(letters)
    assert outcome.result is not None
    assert outcome.result.decision == RetrainDecision.INSTALLED, outcome.result.reason
    assert registry.current_version(tenant_a.name) == outcome.result.installed_version
    assert due[tenant_b.name].result is None
    state = read_state(registry, tenant_a.name)
    assert state["decision"] == "installed"
    assert state["candidate"]["macro_f1"] >= state["current"]["macro_f1"]
    assert feedback_seen_until(registry, tenant_a.name) == START + timedelta(hours=len(letters) - 1)

    # A day later nothing new has arrived: nothing is trained again.
    later = {o.tenant: o for o in scheduler.run_due(now + 2 * DAY)}
    assert later[tenant_a.name].new_examples == 0
    assert later[tenant_a.name].result is None
    assert registry.versions(tenant_a.name) == [outcome.result.installed_version]


def test_the_worker_runs_the_scheduled_retrain_when_idle(
    retraining: Services, tenant_a: TenantKeys
) -> None:
    use_vague_taxonomy(retraining.session_factory, tenant=tenant_a.name)
    add_decisions(retraining.session_factory, tenant=tenant_a.name, decisions=letters_round_robin())
    worker = retraining.new_worker()
    worker.run_idle_tasks(START + DAY)
    assert ModelRegistry(retraining.settings.models_dir).current_version(tenant_a.name)


def test_one_process_at_a_time(retraining: Services, tenant_a: TenantKeys) -> None:
    use_vague_taxonomy(retraining.session_factory, tenant=tenant_a.name)
    add_decisions(retraining.session_factory, tenant=tenant_a.name, decisions=letters_round_robin())
    lock = build_retrain_lock(retraining.settings, retraining.engine)
    with lock.hold(tenant_a.name) as taken:
        assert taken
        with lock.hold(tenant_a.name) as again:
            assert not again
        outcome = {o.tenant: o for o in _scheduler(retraining).run_due(START + DAY)}
        assert outcome[tenant_a.name].skipped == "another process retrains it"
    with lock.hold(tenant_a.name) as taken:
        assert taken  # released


def test_a_failing_retrain_is_logged_and_the_others_go_on(
    retraining: Services,
    tenant_a: TenantKeys,
    tenant_b: TenantKeys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for tenant in (tenant_a, tenant_b):
        use_vague_taxonomy(retraining.session_factory, tenant=tenant.name)
        add_decisions(
            retraining.session_factory, tenant=tenant.name, decisions=letters_round_robin()
        )
    registry = ModelRegistry(retraining.settings.models_dir)
    # A file where tenant A's model folder belongs: its retrain cannot even start.
    registry.root.mkdir(parents=True, exist_ok=True)
    registry.tenant_dir(tenant_a.name).write_text("in the way", encoding="utf-8")
    worker = retraining.new_worker()
    with caplog.at_level(logging.ERROR):
        worker.run_idle_tasks(START + DAY)
    assert f"tenant {tenant_a.name}: scheduled retrain failed" in caplog.text
    assert registry.current_version(tenant_b.name) is not None
    assert worker.run_once() == 0  # the worker still takes jobs
