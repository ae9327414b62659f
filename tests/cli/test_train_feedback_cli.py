"""`triage train --from-feedback`: the model owner retrains a tenant from caseworkers'
decisions and sees both models' figures and the decision."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.classify.feedback_data import add_decisions, letters_round_robin, use_vague_taxonomy
from tests.cli.conftest import run_triage, services_env
from tests.conftest import TenantKeys
from triage.classify.artefact import ModelRegistry
from triage.services import Services

pytestmark = pytest.mark.slow


@pytest.mark.sqlite_only
def test_train_from_feedback_installs_a_better_model_and_reports_both_figures(
    tmp_path: Path, services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    env = services_env(services, TRIAGE_RETRAIN_MIN_EXAMPLES="10")
    use_vague_taxonomy(services.session_factory, tenant=tenant_a.name)
    add_decisions(services.session_factory, tenant=tenant_a.name, decisions=letters_round_robin())

    result = run_triage(env, "train", "--from-feedback", "--tenant", tenant_a.name)
    registry = ModelRegistry(services.settings.models_dir)
    version = registry.current_version(tenant_a.name)
    assert version is not None
    out = result.stdout
    assert "candidate: accuracy / macro-F1" in out
    assert "zero-shot: accuracy / macro-F1" in out
    assert "installed" in out
    assert f"model {version} is in service for tenant {tenant_a.name}" in out
    assert registry.current_version(tenant_b.name) is None

    # Tenant B has no decisions: nothing is trained, and the exit code says so.
    nothing = run_triage(env, "train", "--from-feedback", "--tenant", tenant_b.name, check=False)
    assert nothing.returncode == 1
    assert "nothing trained: 0 usable labelled examples, at least 10 needed" in nothing.stdout
    assert registry.current_version(tenant_b.name) is None


def test_train_takes_a_file_or_feedback_not_both(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("text,label\nIch melde meinen Hund an.,hundesteuer\n", encoding="utf-8")
    env = {**os.environ, "TRIAGE_DATA_DIR": str(tmp_path / "data")}
    both = run_triage(env, "train", str(data), "--from-feedback", check=False)
    assert both.returncode == 2
    assert "--from-feedback" in both.stderr
    neither = run_triage(env, "train", check=False)
    assert neither.returncode == 2
    assert "--from-feedback" in neither.stderr
    force = run_triage(env, "train", str(data), "--force", check=False)
    assert force.returncode == 2
    assert "--force only applies to --from-feedback" in force.stderr
