"""The command line's environment: its own data folder and database per test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from triage.services import Services

TRIAGE = [sys.executable, "-m", "triage.cli"]


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TRIAGE_DATA_DIR=str(tmp_path / "data"),
        TRIAGE_DATABASE_URL=database_url,
        TRIAGE_WORKER_POLL_SECONDS="0.2",
        TRIAGE_WORKER_GATHER_SECONDS="0",
        COLUMNS="200",
    )
    return env


def services_env(services: Services, **extra: str) -> dict[str, str]:
    """The environment of a command that works on the same data folder and database as
    the test's ``services``."""
    return {
        **os.environ,
        "TRIAGE_DATA_DIR": str(services.settings.data_dir),
        "TRIAGE_DATABASE_URL": services.settings.effective_database_url,
        "COLUMNS": "200",
        **extra,
    }


def run_triage(
    env: dict[str, str], *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*TRIAGE, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"triage {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
