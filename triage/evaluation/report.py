"""Writing an ``EvaluationRun`` out: a console summary, a JSON file and a static HTML page.

The HTML page is self-contained (inline CSS, PNGs next to it, no external assets) so it can
be mailed around or opened from a file share without a network. Plots use matplotlib's
object API (``Figure``) rather than pyplot, so no global figure state leaks between runs or
into a server process.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from triage.evaluation.figures import EvaluationRun, FewShotScores, ModelFigures

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DASH = "–"
MANY_CLASSES = 30
ANNOTATE_CLASSES = 12

Row = tuple[str, Callable[[ModelFigures], str]]


def _num(value: float | None, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def _headline_rows(run: EvaluationRun) -> list[Row]:
    """The headline figures, shared by the console table and the HTML page so both say
    the same thing."""
    target = round(run.model.target_precision * 100)
    rows: list[Row] = [
        ("accuracy", lambda m: _num(m.report.accuracy)),
        ("macro-F1", lambda m: _num(m.report.macro_f1)),
        ("ECE", lambda m: _num(m.report.ece)),
        (f"coverage @ {target} % precision", lambda m: _num(m.coverage_at_target)),
        (
            "precision at own thresholds",
            lambda m: _num(None if m.at_thresholds is None else m.at_thresholds.precision),
        ),
        (
            "coverage at own thresholds",
            lambda m: _num(None if m.at_thresholds is None else m.at_thresholds.coverage),
        ),
    ]
    if any(m.out_of_scope is not None for m in _models(run)):
        rows.append(
            (
                "out-of-scope recall",
                lambda m: _num(None if m.out_of_scope is None else m.out_of_scope.recall),
            )
        )
    rows += [
        ("test rows", lambda m: str(m.n_test)),
        ("train s", lambda m: _num(m.train_seconds, 1)),
        ("predictions/s", lambda m: _num(m.predictions_per_second, 1)),
    ]
    return rows


def _models(run: EvaluationRun) -> list[ModelFigures]:
    return [run.model] if run.peer is None else [run.model, run.peer]


def _few_shot_cells(scores: FewShotScores | None) -> list[str]:
    if scores is None:
        return [DASH, DASH]
    return [_num(scores.macro_f1), _num(scores.accuracy)]


def print_run(run: EvaluationRun, *, console: Console, per_class: bool = False) -> None:
    """Headline figures for model and peer, then few-shot and (on request) per-class
    tables. Names go in as ``Text`` so Rich never reads them as markup."""
    models = _models(run)
    table = Table(title="evaluation")
    table.add_column("figure")
    for m in models:
        table.add_column(Text(m.name), justify="right")
    for label, cell in _headline_rows(run):
        table.add_row(label, *(cell(m) for m in models))
    console.print(table)

    if run.few_shot:
        peer = run.peer.name if run.peer is not None else "peer"
        shots = Table(title="few-shot")
        shots.add_column("shots", justify="right")
        for name in (run.model.name, peer):
            shots.add_column(Text(f"{name} macro-F1"), justify="right")
            shots.add_column(Text(f"{name} accuracy"), justify="right")
        for point in run.few_shot:
            shots.add_row(
                str(point.shots), *_few_shot_cells(point.model), *_few_shot_cells(point.peer)
            )
        console.print(shots)

    if per_class:
        classes = Table(title=Text(f"per class: {run.model.name}"))
        for column in ("class", "precision", "recall", "F1", "support"):
            classes.add_column(column, justify="left" if column == "class" else "right")
        for key, c in run.model.report.per_class.items():
            classes.add_row(
                Text(key), _num(c.precision), _num(c.recall), _num(c.f1), str(c.support)
            )
        console.print(classes)


def write_json(run: EvaluationRun, path: Path | str) -> None:
    """Write ``run.to_json()`` atomically: a reader (or a crash) never sees half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(run.to_json(), indent=2, ensure_ascii=False) + "\n"
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- plots --------------------------------------------------------------------------------


def _tex(text: str) -> str:
    """Matplotlib reads text between dollar signs as maths; class names are literal."""
    return text.replace("$", r"\$")


def _figure(width: float, height: float) -> Figure:
    """An Agg-backed figure outside pyplot; matplotlib is imported here, not at module load,
    because every CLI command imports this package and only ``triage eval`` draws."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(figure: Figure, path: Path) -> None:
    # A class name in a script the default font lacks should cost a box, not the report.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        figure.savefig(path, format="png", dpi=110)


def _plot_reliability(models: Sequence[ModelFigures], path: Path) -> None:
    figure = _figure(5 * len(models), 4.5)
    axes = figure.subplots(1, len(models), squeeze=False)[0]
    for ax, m in zip(axes, models, strict=True):
        filled = [b for b in m.reliability if b.count]
        ax.bar(
            [(b.lower + b.upper) / 2 for b in filled],
            [b.accuracy or 0.0 for b in filled],
            width=[(b.upper - b.lower) * 0.9 for b in filled],
            alpha=0.7,
            label="accuracy",
        )
        ax.plot(
            [b.mean_confidence or 0.0 for b in filled],
            [b.accuracy or 0.0 for b in filled],
            "o",
            color="black",
            markersize=4,
            label="mean confidence",
        )
        for b in filled:
            ax.annotate(
                str(b.count),
                ((b.lower + b.upper) / 2, b.accuracy or 0.0),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
        ax.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="confidence", ylabel="accuracy")
        ax.set_title(_tex(f"{m.name} (ECE {m.report.ece:.3f})"))
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside lower center", ncols=3, fontsize=8)
    _save(figure, path)


def _plot_coverage(models: Sequence[ModelFigures], path: Path) -> None:
    figure = _figure(6, 4.5)
    ax = figure.subplots()
    target = models[0].target_precision
    for m in models:
        (line,) = ax.plot(m.curve.coverage, m.curve.precision, label=_tex(m.name))
        at = m.at_thresholds
        if at is not None and at.in_scope_precision is not None:
            ax.plot(
                [at.in_scope_coverage],
                [at.in_scope_precision],
                "*",
                markersize=12,
                color=line.get_color(),
                label=_tex(f"{m.name}: own thresholds"),
            )
    ax.axhline(target, linestyle="--", color="grey", label=f"{target:.0%} precision")
    ax.set(xlim=(0, 1), xlabel="coverage (in-scope rows)", ylabel="precision")
    ax.legend(loc="lower left", fontsize=8)
    _save(figure, path)


def _plot_confusion(m: ModelFigures, path: Path) -> None:
    classes = m.report.classes
    size = min(12.0, max(4.0, 0.35 * len(classes) + 3))
    figure = _figure(size, size)
    ax = figure.subplots()
    if not classes:
        ax.text(0.5, 0.5, "no in-scope rows", ha="center", va="center")
        ax.set_axis_off()
        _save(figure, path)
        return
    matrix = np.asarray(m.report.confusion)
    image = ax.imshow(matrix, cmap="Blues", interpolation="nearest")
    figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set(xlabel="predicted", ylabel="true")
    ax.set_title(_tex(f"{m.name}: confusion"))
    if len(classes) > MANY_CLASSES:
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ticks = list(range(len(classes)))
        names = [_tex(c) for c in classes]
        ax.set_xticks(ticks, names, rotation=90, fontsize=7)
        ax.set_yticks(ticks, names, fontsize=7)
    if len(classes) <= ANNOTATE_CLASSES:
        middle = matrix.max() / 2 if matrix.size else 0
        for (i, j), count in np.ndenumerate(matrix):
            colour = "white" if count > middle else "black"
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    _save(figure, path)


def _plot_few_shot(run: EvaluationRun, path: Path) -> None:
    figure = _figure(6, 4.5)
    ax = figure.subplots()
    points = sorted(run.few_shot, key=lambda p: p.shots)
    ax.plot(
        [p.shots for p in points],
        [p.model.macro_f1 for p in points],
        "o-",
        label=_tex(run.model.name),
    )
    peers = [p for p in points if p.peer is not None]
    if peers:
        ax.plot(
            [p.shots for p in peers],
            [p.peer.macro_f1 for p in peers if p.peer is not None],
            "s--",
            label=_tex(run.peer.name if run.peer is not None else "peer"),
        )
    ax.set_xticks(sorted({p.shots for p in points}))
    ax.set(xlabel="labelled examples per class", ylabel="macro-F1", ylim=(0, 1.02))
    ax.legend(loc="lower right", fontsize=8)
    _save(figure, path)


# --- HTML ---------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
h1, h2 { font-weight: 600; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #888; }
img { max-width: 100%; display: block; margin: 0.5rem 0 1.5rem; }
code { font-size: 0.9em; }
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cells(tag: str, values: Sequence[str]) -> str:
        return "".join(f"<{tag}>{html.escape(v)}</{tag}>" for v in values)

    body = "\n".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    head = f"<thead><tr>{cells('th', header)}</tr></thead>"
    return f"<table>{head}\n<tbody>\n{body}\n</tbody></table>"


def _per_class_rows(run: EvaluationRun) -> Iterator[list[str]]:
    peer = run.peer.report.per_class if run.peer is not None else None
    for key, c in run.model.report.per_class.items():
        row = [key, _num(c.precision), _num(c.recall), _num(c.f1), str(c.support)]
        if peer is not None:
            row.append(_num(peer[key].f1) if key in peer else DASH)
        yield row


def _setting(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _page(run: EvaluationRun, images: Sequence[tuple[str, str]]) -> str:
    models = _models(run)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(f'Evaluation: {run.model.name}')}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{html.escape(f'Evaluation: {run.model.name}')}</h1>",
        "<h2>Headline figures</h2>",
        _table(
            ["figure", *(m.name for m in models)],
            [[label, *(cell(m) for m in models)] for label, cell in _headline_rows(run)],
        ),
    ]
    for file, caption in images:
        parts.append(f"<h2>{html.escape(caption)}</h2>")
        parts.append(f'<img src="{html.escape(file)}" alt="{html.escape(caption)}">')
    header = ["class", "precision", "recall", "F1", "support"]
    if run.peer is not None:
        header.append(f"{run.peer.name} F1")
    parts += [
        f"<h2>{html.escape(f'Per class: {run.model.name}')}</h2>",
        _table(header, list(_per_class_rows(run))),
    ]
    if run.few_shot:
        peer = run.peer.name if run.peer is not None else "peer"
        parts += [
            "<h2>Few-shot</h2>",
            _table(
                [
                    "shots",
                    f"{run.model.name} macro-F1",
                    f"{run.model.name} accuracy",
                    f"{peer} macro-F1",
                    f"{peer} accuracy",
                ],
                [
                    [str(p.shots), *_few_shot_cells(p.model), *_few_shot_cells(p.peer)]
                    for p in run.few_shot
                ],
            ),
        ]
    if run.settings:
        parts += [
            "<h2>Settings</h2>",
            _table(["setting", "value"], [[str(k), _setting(v)] for k, v in run.settings.items()]),
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_html_report(run: EvaluationRun, directory: Path | str) -> Path:
    """Write the PNG plots and ``index.html`` into ``directory`` (created if missing) and
    return the page's path."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    models = _models(run)
    _plot_reliability(models, folder / "reliability.png")
    _plot_coverage(models, folder / "coverage.png")
    _plot_confusion(run.model, folder / "confusion.png")
    images = [
        ("reliability.png", "Reliability"),
        ("coverage.png", "Coverage and precision"),
        ("confusion.png", f"Confusion matrix: {run.model.name}"),
    ]
    if run.few_shot:
        _plot_few_shot(run, folder / "few_shot.png")
        images.append(("few_shot.png", "Few-shot macro-F1"))
    page = folder / "index.html"
    page.write_text(_page(run, images), encoding="utf-8")
    return page
