"""Report writers: console summary, atomic JSON and the static HTML page with its plots."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from triage.evaluation import (
    OUT_OF_SCOPE,
    EvaluationRun,
    FewShotPoint,
    FewShotScores,
    ModelFigures,
    model_figures,
    print_run,
    write_html_report,
    write_json,
)

CLASSES = ["bau", "hund", "<script>", "$x$ & [bold]müll[/bold]"]
PNG = b"\x89PNG\r\n\x1a\n"


def _figures(
    name: str, *, seed: int, classes: list[str] = CLASSES, n: int = 200, routed: bool = True
) -> ModelFigures:
    rng = np.random.default_rng(seed)
    labels = rng.choice([*classes, OUT_OF_SCOPE], size=n)
    predicted = np.array(
        [x if x != OUT_OF_SCOPE and rng.random() < 0.75 else rng.choice(classes) for x in labels]
    )
    confidences = rng.uniform(0.3, 1.0, size=n)
    return model_figures(
        name=name,
        labels=labels,
        predicted=predicted,
        confidences=confidences,
        routed=confidences > 0.7 if routed else None,
        classes=classes,
        train_seconds=12.5,
        predictions_per_second=850.0,
    )


def _run(*, peer: bool = True, few_shot: bool = True) -> EvaluationRun:
    model = _figures("linear probe", seed=1)
    other = _figures("kNN <peer>", seed=2, routed=False) if peer else None
    points = []
    if few_shot:
        for shots, f1 in [(1, 0.41), (4, 0.62), (16, 0.78)]:
            points.append(
                FewShotPoint(
                    shots=shots,
                    model=FewShotScores(accuracy=f1 + 0.05, macro_f1=f1),
                    peer=FewShotScores(accuracy=f1, macro_f1=f1 - 0.1) if peer else None,
                )
            )
    return EvaluationRun(
        model=model,
        peer=other,
        few_shot=points,
        settings={"test": Path("data/test.jsonl"), "seed": 7, "encoder": "<e5>"},
    )


def test_write_json_round_trips(tmp_path: Path) -> None:
    run = _run()
    target = tmp_path / "out" / "run.json"
    write_json(run, target)
    assert json.loads(target.read_text(encoding="utf-8")) == run.to_json()
    assert "$x$ & [bold]müll[/bold]" in target.read_text(encoding="utf-8")  # UTF-8, not \u00fc
    write_json(run, target)  # replacing an existing file works too
    assert [p.name for p in target.parent.iterdir()] == ["run.json"]  # no temp file left


def test_write_json_non_finite_settings(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    run = EvaluationRun(model=_figures("m", seed=3), settings={"bad": float("inf")})
    write_json(run, target)  # non-finite values become null rather than invalid JSON
    assert json.loads(target.read_text(encoding="utf-8"))["settings"] == {"bad": None}


def test_write_json_keeps_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "run.json"
    target.write_text("old", encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk gone"):
        write_json(_run(), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_html_report(tmp_path: Path) -> None:
    run = _run()
    page = write_html_report(run, tmp_path / "report")
    assert page == tmp_path / "report" / "index.html"
    for name in ("reliability.png", "coverage.png", "confusion.png", "few_shot.png"):
        assert (page.parent / name).read_bytes().startswith(PNG), name
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert f"{run.model.report.macro_f1:.3f}" in text
    assert run.peer is not None
    assert f"{run.peer.report.macro_f1:.3f}" in text
    assert "&lt;script&gt;" in text
    assert "<script>" not in text
    assert "kNN &lt;peer&gt;" in text
    assert "&lt;e5&gt;" in text
    assert "data/test.jsonl" in text
    for name in ("reliability.png", "coverage.png", "confusion.png", "few_shot.png"):
        assert f'<img src="{name}"' in text
    assert "http://" not in text
    assert "https://" not in text
    assert "out-of-scope recall" in text


def test_html_report_without_peer_or_few_shot(tmp_path: Path) -> None:
    run = _run(peer=False, few_shot=False)
    page = write_html_report(run, tmp_path)
    assert not (tmp_path / "few_shot.png").exists()
    assert (tmp_path / "coverage.png").read_bytes().startswith(PNG)
    assert "few_shot.png" not in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("count", [30, 45])
def test_confusion_with_many_classes(tmp_path: Path, count: int) -> None:
    classes = [f"case type number {i:02d}" for i in range(count)]
    run = EvaluationRun(model=_figures("m", seed=4, classes=classes, n=400))
    write_html_report(run, tmp_path)
    assert (tmp_path / "confusion.png").read_bytes().startswith(PNG)


def test_print_run(tmp_path: Path) -> None:
    run = _run()
    console = Console(record=True, width=120)
    print_run(run, console=console, per_class=True)
    text = console.export_text()
    model, peer = run.model, run.peer
    assert peer is not None
    for figures in (model, peer):
        assert f"{figures.report.accuracy:.3f}" in text
        assert f"{figures.report.macro_f1:.3f}" in text
        assert f"{figures.report.ece:.3f}" in text
        assert f"{figures.coverage_at_target:.3f}" in text
    assert model.at_thresholds is not None and model.at_thresholds.precision is not None
    assert f"{model.at_thresholds.precision:.3f}" in text
    assert model.out_of_scope is not None and model.out_of_scope.recall is not None
    assert f"{model.out_of_scope.recall:.3f}" in text
    assert "kNN <peer>" in text
    assert "coverage @ 95 % precision" in text
    assert "few-shot" in text
    assert "0.780" in text
    assert "$x$ & [bold]müll[/bold]" in text  # names are not read as Rich markup
    assert "<script>" in text


def test_print_run_without_extras() -> None:
    run = _run(peer=False, few_shot=False)
    console = Console(record=True, width=120)
    print_run(run, console=console)
    text = console.export_text()
    assert f"{run.model.report.macro_f1:.3f}" in text
    assert "few-shot" not in text
    assert "per class" not in text
