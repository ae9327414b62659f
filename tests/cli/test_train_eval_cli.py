"""`triage eval` and `triage train` as the owner of the model runs them, on the demo letters
(real embedding model, real parsers for the folder form)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.cli.conftest import run_triage, services_env
from tests.conftest import TenantKeys
from triage.classify.artefact import ModelRegistry, load_model
from triage.demo import load_demo_letters
from triage.services import Services

pytestmark = pytest.mark.slow


def _split(tmp_path: Path) -> tuple[Path, Path]:
    """Demo letters split alternately into a training and a test CSV, plus two letters
    of no known case type in the test file."""
    letters = load_demo_letters()
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    seen: dict[str, int] = {}
    with (
        train.open("w", newline="", encoding="utf-8") as a,
        test.open("w", newline="", encoding="utf-8") as b,
    ):
        wa, wb = csv.writer(a), csv.writer(b)
        wa.writerow(["text", "label"])
        wb.writerow(["text", "label"])
        for letter in letters:
            count = seen.get(letter.case_type, 0)
            seen[letter.case_type] = count + 1
            (wa if count % 2 == 0 else wb).writerow([letter.text, letter.case_type])
        wb.writerow(["Das Rezept für Apfelkuchen: 200 g Mehl, drei Eier.", "__out_of_scope__"])
        wb.writerow(["Unser Fußballverein hat am Samstag 3:1 gewonnen.", "__out_of_scope__"])
    return train, test


def test_eval_reports_model_and_peer_with_plots(tmp_path: Path) -> None:
    train, test = _split(tmp_path)
    out, report = tmp_path / "figures.json", tmp_path / "report"
    result = run_triage(
        dict(os.environ),
        "eval", "--train", str(train), str(test),
        "--json", str(out), "--report", str(report), "--shots", "1,2",
    )  # fmt: skip
    assert "tfidf+lr peer" in result.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))
    for key in ("accuracy", "macro_f1", "ece", "coverage_at_95_precision", "peer", "n_test"):
        assert key in figures
    for key in ("accuracy", "macro_f1", "ece", "coverage_at_95_precision", "n_test"):
        assert key in figures["peer"]
    with test.open(encoding="utf-8") as handle:
        assert figures["n_test"] == sum(1 for _ in csv.reader(handle)) - 1
    assert figures["out_of_scope"]["n"] == 2
    # With about two letters per case type no threshold reaches 95 % in cross-validation:
    # the honest answer is to route nothing automatically.
    assert figures["at_thresholds"]["coverage"] <= 0.5
    assert [p["shots"] for p in figures["few_shot"]] == [1, 2]
    slowest, fastest = figures["predictions_per_second_spread"]
    assert 0 < slowest <= figures["predictions_per_second"] <= fastest
    # each label in words joined the model's training rows (one per case type)
    labels = {letter.case_type for letter in load_demo_letters()}
    assert figures["settings"]["description_rows"] == len(labels)
    assert figures["settings"]["out_of_scope_share"] == 0.1
    # The model knows the demo case types well from half the letters.
    assert figures["macro_f1"] > 0.5
    for image in ("reliability.png", "coverage.png", "confusion.png", "few_shot.png"):
        assert (report / image).read_bytes().startswith(b"\x89PNG")
    assert "reliability.png" in (report / "index.html").read_text(encoding="utf-8")


def test_eval_refuses_bad_arguments_clearly(tmp_path: Path) -> None:
    train, test = _split(tmp_path)
    env = dict(os.environ)
    neither = run_triage(env, "eval", str(test), check=False)
    assert neither.returncode == 2
    assert "--train" in neither.stderr
    broken = tmp_path / "broken.csv"
    broken.write_text("body,kind\nHallo,x\n", encoding="utf-8")
    bad = run_triage(env, "eval", "--train", str(broken), str(test), check=False)
    assert bad.returncode == 2
    assert "text and label" in bad.stderr
    shots = run_triage(env, "eval", "--train", str(train), str(test), "--shots", "x", check=False)
    assert shots.returncode == 2
    share = run_triage(
        env, "eval", "--train", str(train), str(test), "--out-of-scope-share", "1", check=False
    )
    assert share.returncode == 2
    assert "out_of_scope_share" in share.stderr


@pytest.mark.sqlite_only
def test_train_installs_a_versioned_model_per_tenant(
    tmp_path: Path, services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    env = services_env(services)
    train, _ = _split(tmp_path)
    result = run_triage(env, "train", str(train), "--tenant", tenant_a.name)
    assert "put it in service" in result.stdout
    registry = ModelRegistry(services.settings.models_dir)
    version = registry.current_version(tenant_a.name)
    assert version is not None
    assert registry.current_version(tenant_b.name) is None
    model = load_model(registry.tenant_dir(tenant_a.name) / version)
    manifest = json.loads(
        (registry.tenant_dir(tenant_a.name) / version / "manifest.json").read_text()
    )
    assert manifest["format_version"] == 1
    assert manifest["encoder"] == model.encoder
    assert set(manifest["thresholds"]) == set(model.classes)
    assert manifest["training"]["sha256"] and manifest["metrics"]["held_out"]["n"] > 0
    # the tenant's case-type descriptions joined the letters, and count apart from them
    assert manifest["training"]["description_rows"] > 0
    with train.open(encoding="utf-8") as handle:
        assert manifest["training"]["examples"] == sum(1 for _ in csv.reader(handle)) - 1

    # a second version, then a roll back to the first with `triage models use`
    run_triage(env, "train", str(train), "--tenant", tenant_a.name, "--target-precision", "0.9")
    second = registry.current_version(tenant_a.name)
    assert second not in (None, version)
    listed = run_triage(env, "models", "list", "--tenant", tenant_a.name).stdout
    assert version in listed and second in listed
    run_triage(env, "models", "use", version, "--tenant", tenant_a.name)
    assert registry.current_version(tenant_a.name) == version
    bogus = run_triage(env, "models", "use", "v-nope", "--tenant", tenant_a.name, check=False)
    assert bogus.returncode == 2
    assert "no model version" in bogus.stderr

    folder = tmp_path / "letters"
    (folder / "hund").mkdir(parents=True)
    (folder / "hund" / "a.txt").write_text("Ich melde meinen Hund an.", encoding="utf-8")
    (folder / "zauberei").mkdir()
    (folder / "zauberei" / "b.txt").write_text("Bitte einen Zauberstab.", encoding="utf-8")
    unknown = run_triage(env, "train", str(folder), "--tenant", tenant_a.name, check=False)
    assert unknown.returncode == 2
    assert "zauberei" in unknown.stderr
    (folder / "zauberei" / "b.txt").unlink()
    (folder / "zauberei").rmdir()
    (folder / "hund").rename(folder / "hundesteuer")
    partial = run_triage(
        env, "train", str(folder), "--tenant", tenant_a.name, "--no-descriptions", check=False
    )
    assert partial.returncode == 2
    assert "must know every case type" in partial.stderr
    nobody = run_triage(env, "train", str(train), "--tenant", "niemand", check=False)
    assert nobody.returncode == 2
