"""The server-rendered SVG charts: valid, labelled, readable without colour, German numbers."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from markupsafe import Markup

from triage.figures.charts import (
    NO_DATA,
    Series,
    format_number,
    format_percent,
    line_chart,
    nice_axis,
    paired_bars,
)

NS = "{http://www.w3.org/2000/svg}"
START = date(2026, 3, 1)


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)  # so Jinja2 does not escape it
    return ET.fromstring(str(svg))


def find_all(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(NS + tag)
    return [e for e in found if cls is None or cls in (e.get("class") or "").split()]


def texts(root: ET.Element, cls: str) -> list[str]:
    return [e.text or "" for e in find_all(root, "text", cls)]


def daily(values: list[float | None], start: date = START) -> list[tuple[date, float | None]]:
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


def four_series() -> list[Series]:
    return [
        Series("Offen", daily([120, 110, 95, 80])),
        Series("Zugang", daily([30, 35, 28, 31])),
        Series("Mit 3 Aushilfen", daily([120, 100, 70, 40])),
        Series("Erledigt", daily([20, 25, 30, 35])),
    ]


def test_root_is_an_accessible_svg_with_title_and_summary() -> None:
    points = [(date(2026, 3, 1), 120.0), (date(2026, 6, 1), 100.0), (date(2026, 11, 30), 80.0)]
    root = parse(line_chart(title="Rückstand", series=[Series("Offen", points)], y_label="Fälle"))

    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 720 280"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    title, desc = root.find(NS + "title"), root.find(NS + "desc")
    assert title is not None and desc is not None
    assert (title.get("id"), title.text) == (title_id, "Rückstand")
    assert desc.get("id") == desc_id
    assert desc.text == "Offen: 120 am 01.03.2026, 80 am 30.11.2026."
    assert all(float(t.get("font-size") or 0) >= 12 for t in find_all(root, "text"))


def test_ids_differ_between_charts_and_repeat_for_the_same_chart() -> None:
    def chart(title: str) -> Markup:
        return line_chart(title=title, series=four_series(), y_label="Fälle")

    ids = [{e.get("id") for e in parse(chart(t)).iter() if e.get("id")} for t in ("A", "B")]
    assert len(ids[0]) == 2 and not ids[0] & ids[1]
    assert chart("A") == chart("A")
    bars = parse(paired_bars(title="A", groups=[("Eingang", 1, 2)]))
    assert not {e.get("id") for e in bars.iter() if e.get("id")} & ids[0]


def test_each_series_has_its_own_dash_pattern_marker_shape_end_label_and_legend_entry() -> None:
    series = four_series()
    root = parse(line_chart(title="Verlauf", series=series, y_label="Fälle"))
    groups = find_all(root, "g", "series")
    assert [g.get("data-label") for g in groups] == [s.label for s in series]

    dashes = [find_all(g, "path", "series-line")[0].get("stroke-dasharray") for g in groups]
    assert len(set(dashes)) == 4

    def shapes(element: ET.Element) -> set[str]:
        return {
            c
            for e in element.iter()
            for c in (e.get("class") or "").split()
            if c.startswith("marker-")
        }

    marker_shapes = [shapes(g) for g in groups]
    assert all(len(s) == 1 for s in marker_shapes)
    assert len(set.union(*marker_shapes)) == 4

    assert sorted(texts(root, "end-label")) == sorted(s.label for s in series)

    legend = find_all(root, "g", "legend-entry")
    assert [texts(entry, "legend-label") for entry in legend] == [[s.label] for s in series]
    # The legend sample repeats the line's dash pattern and marker shape.
    assert [entry.find(NS + "line").get("stroke-dasharray") for entry in legend] == dashes  # type: ignore[union-attr]
    assert [shapes(entry) for entry in legend] == marker_shapes


def test_a_gap_splits_the_line_instead_of_bridging_it() -> None:
    points = daily([10, 12, None, 14, 15, 16])
    root = parse(line_chart(title="Lücke", series=[Series("Offen", points)], y_label="Fälle"))
    paths = find_all(root, "path", "series-line")
    assert len(paths) == 2
    assert [(p.get("d") or "").count("L") for p in paths] == [1, 2]
    assert len(find_all(root, "circle", "marker")) == 5 + 1  # five values and the legend sample


def test_many_points_get_thinned_markers_but_keep_the_last_one() -> None:
    points = daily([float(i) for i in range(200)])
    root = parse(line_chart(title="Lang", series=[Series("Offen", points)], y_label="Fälle"))
    markers = find_all(find_all(root, "g", "series")[0], "circle")
    assert 10 <= len(markers) <= 25
    last_x = max(float(m.get("cx") or 0) for m in markers)
    end_label = find_all(root, "text", "end-label")[0]
    assert float(end_label.get("x") or 0) == pytest.approx(last_x + 8, abs=0.1)


@pytest.mark.parametrize(
    "series",
    [[], [Series("Offen", [])], [Series("Offen", daily([None, None]))]],
    ids=["no series", "no points", "only gaps"],
)
def test_a_line_chart_without_values_says_so(series: list[Series]) -> None:
    root = parse(line_chart(title="Leer", series=series, y_label="Fälle"))
    assert texts(root, "no-data") == [NO_DATA]
    assert not find_all(root, "path")


def test_a_single_zero_point_renders_a_marker_on_an_axis_up_to_one() -> None:
    root = parse(line_chart(title="Ein Tag", series=[Series("Offen", [(START, 0)])], y_label="x"))
    assert not find_all(root, "path", "series-line")
    assert len(find_all(find_all(root, "g", "series")[0], "circle")) == 1
    assert texts(root, "tick-y")[-1] == "1"
    assert texts(root, "tick-x") == ["01.03."]


def test_labels_and_titles_are_escaped() -> None:
    evil = '<script>&"'
    svg = line_chart(title=evil, series=[Series(evil, daily([1, 2]))], y_label=evil)
    assert "<script>" not in str(svg)
    root = parse(svg)
    assert root.find(NS + "title").text == evil  # type: ignore[union-attr]
    assert texts(root, "end-label") == [evil]
    assert find_all(root, "g", "series")[0].get("data-label") == evil
    bars = paired_bars(title=evil, groups=[(evil, 1, 2)], first_label=evil)
    assert "<script>" not in str(bars)
    assert texts(parse(bars), "group-label") == [evil]


@pytest.mark.parametrize(
    ("value", "text"),
    [(12500, "12.500"), (2.5, "2,5"), (0, "0"), (1234567.25, "1.234.567,25"), (0.2, "0,2")],
)
def test_german_number_format(value: float, text: str) -> None:
    assert format_number(value) == text


def test_german_percent_format() -> None:
    assert format_percent(0.4) == "40 %"
    assert format_percent(0.125) == "12,5 %"


def test_tick_labels_use_german_numbers_and_percent() -> None:
    counts = parse(
        line_chart(title="t", series=[Series("Offen", daily([9000, 12500]))], y_label="x")
    )
    assert texts(counts, "tick-y") == ["0", "2.500", "5.000", "7.500", "10.000", "12.500"]
    shares = parse(
        line_chart(
            title="t", series=[Series("Quote", daily([0.3, 0.4]))], y_label="x", percent=True
        )
    )
    assert texts(shares, "tick-y") == ["0 %", "10 %", "20 %", "30 %", "40 %"]
    assert "40 % am 02.03.2026" in (shares.find(NS + "desc").text or "")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("highest", "axis"),
    [(87, (100, 20)), (0, (1, 0.2)), (1, (1, 0.2)), (101, (125, 25)), (0.4, (0.4, 0.1))],
)
def test_nice_axis_maximum(highest: float, axis: tuple[float, float]) -> None:
    assert nice_axis(highest) == pytest.approx(axis)


def test_nice_axis_always_gives_four_to_six_ticks() -> None:
    for highest in [0.013, 0.7, 3, 5.1, 26, 51, 99, 100, 333, 12500, 987654]:
        maximum, step = nice_axis(highest)
        assert maximum >= highest
        assert 4 <= round(maximum / step) + 1 <= 6
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 2.5, 5)


def test_date_ticks_show_days_for_short_spans_and_months_for_long_ones() -> None:
    def ticks(days: int) -> list[str]:
        series = [Series("Offen", [(START, 1), (START + timedelta(days=days), 2)])]
        return texts(parse(line_chart(title="t", series=series, y_label="x")), "tick-x")

    short = ticks(30)
    assert short[0] == "01.03." and 3 <= len(short) <= 7
    long = ticks(274)
    assert long[0] == "03/2026" and long[-1] in ("11/2026", "10/2026") and 3 <= len(long) <= 6


def test_baseline_marker_draws_a_dashed_rule_with_its_label() -> None:
    root = parse(
        line_chart(
            title="t",
            series=[Series("Offen", daily([5, 6, 7]))],
            y_label="x",
            marker=(START + timedelta(days=1), "Basislinie"),
        )
    )
    rule = find_all(root, "line", "marker-rule")
    assert len(rule) == 1 and rule[0].get("stroke-dasharray")
    assert texts(root, "marker-label") == ["Basislinie"]


def test_negative_values_are_clamped_to_zero() -> None:
    root = parse(line_chart(title="t", series=[Series("Offen", daily([-5, 10]))], y_label="x"))
    assert (root.find(NS + "desc").text or "").startswith("Offen: 0 am 01.03.2026")  # type: ignore[union-attr]


def test_paired_bars_first_solid_second_hatched_with_values() -> None:
    groups = [("Eingang", 120.0, 80.0), ("Prüfung", 40.0, None), ("Bescheid", 12500.0, 9000.0)]
    root = parse(paired_bars(title="Basislinie und heute", groups=groups))

    pattern = find_all(root, "pattern")
    assert len(pattern) == 1 and find_all(pattern[0], "line")
    hatch = f"url(#{pattern[0].get('id')})"
    firsts, seconds = find_all(root, "rect", "bar-first"), find_all(root, "rect", "bar-second")
    assert len(firsts) == 3 and len(seconds) == 2  # Prüfung has no second value
    assert all(bar.get("fill") == hatch and bar.get("stroke") for bar in seconds)
    assert all(not (bar.get("fill") or "").startswith("url(") for bar in firsts)

    assert texts(root, "value") == ["120", "80", "40", "–", "12.500", "9.000"]
    assert texts(root, "group-label") == ["Eingang", "Prüfung", "Bescheid"]
    legend = find_all(root, "g", "legend-entry")
    assert [texts(entry, "legend-label") for entry in legend] == [["Basislinie"], ["Heute"]]
    assert legend[1].find(NS + "rect").get("fill") == hatch  # type: ignore[union-attr]
    assert texts(root, "tick-y")[-1] == "12.500"
    desc = root.find(NS + "desc").text or ""  # type: ignore[union-attr]
    assert "Prüfung 40 und keine Angabe" in desc


def test_paired_bars_in_percent() -> None:
    root = parse(paired_bars(title="Quote", groups=[("Frist", 0.4, 0.55)], percent=True))
    assert texts(root, "value") == ["40 %", "55 %"]
    assert texts(root, "tick-y")[-1] == "60 %"


@pytest.mark.parametrize("groups", [[], [("Eingang", None, None)]], ids=["none", "only gaps"])
def test_paired_bars_without_values_say_so(
    groups: list[tuple[str, float | None, float | None]],
) -> None:
    root = parse(paired_bars(title="Leer", groups=groups))
    assert texts(root, "no-data") == [NO_DATA]
    assert not find_all(root, "rect")
