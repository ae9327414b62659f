"""The taxonomy schema and the packaged default taxonomy."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import triage.taxonomy
from triage.taxonomy import (
    CaseType,
    Taxonomy,
    TaxonomyError,
    default_taxonomy_path,
    load_default_taxonomy,
)

# The subject areas the default taxonomy must cover (see the taxonomy's header).
REQUIRED_KEYS = {
    "meldewesen",
    "ausweis_pass",
    "wohngeld",
    "hundesteuer",
    "gewerbe",
    "bauantrag",
    "kita",
    "elterngeld",
    "grundsicherung",
    "fuehrerschein",
    "bewohnerparken",
    "widerspruch",
    "beschwerde",
    "abfall",
    "grundsteuer",
    "sonstiges",
}
GERMAN_CHARS = re.compile(r"[äöüÄÖÜß]")


def _case_type(key: str, queue: str = "poststelle") -> dict[str, Any]:
    return {
        "key": key,
        "name": f"Sachgebiet {key}",
        "description": f"Schreiben zum Sachgebiet {key}.",
        "queue": queue,
        "sla_days": 14,
        "examples": ["Ich habe eine Frage."],
    }


def _valid() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "Test",
        "case_types": [_case_type("wohngeld", "soziales"), _case_type("sonstiges")],
    }


def _load(raw: Any) -> Taxonomy:
    return Taxonomy.from_yaml(yaml.safe_dump(raw, allow_unicode=True), source="test.yaml")


# --- the packaged default ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def default() -> Taxonomy:
    return load_default_taxonomy()


def test_default_path_is_the_packaged_yaml() -> None:
    path = default_taxonomy_path()
    assert path.name == "default.yaml"
    assert path.is_file()
    assert path.parent == Path(triage.taxonomy.__file__).parent


def test_default_taxonomy_loads_with_all_required_case_types(default: Taxonomy) -> None:
    assert default == Taxonomy.load(default_taxonomy_path())
    assert len(default.case_types) >= 15
    assert REQUIRED_KEYS - set(default.keys) == set()
    assert default.get("sonstiges").queue == "poststelle"
    assert default.get("widerspruch").queue == "rechtsstelle"


def test_default_queues_are_shared_and_few(default: Taxonomy) -> None:
    assert 8 <= len(default.queues) <= 11
    assert default.get("meldewesen").queue == default.get("ausweis_pass").queue
    assert len(default.queues) < len(default.case_types)


def test_default_case_types_are_complete(default: Taxonomy) -> None:
    problems = []
    for case_type in default.case_types:
        if not 3 <= len(case_type.examples) <= 5:
            problems.append(f"{case_type.key}: {len(case_type.examples)} examples")
        if len(set(case_type.examples)) != len(case_type.examples):
            problems.append(f"{case_type.key}: repeated example")
        # Descriptions feed zero-shot similarity: content-rich, but not an essay.
        if not 120 <= len(case_type.description) <= 600:
            problems.append(f"{case_type.key}: description of {len(case_type.description)} chars")
        if not 1 <= case_type.sla_days <= 60:
            problems.append(f"{case_type.key}: sla_days {case_type.sla_days}")
    assert problems == []


def test_default_texts_are_german(default: Taxonomy) -> None:
    # Descriptions and examples are embedded next to German letters: written in German,
    # with real umlauts (no "ae"/"ue" spellings).
    all_text = " ".join(
        [c.description for c in default.case_types]
        + [e for c in default.case_types for e in c.examples]
    )
    assert len(GERMAN_CHARS.findall(all_text)) > 50
    assert " der " in all_text and " und " in all_text


def test_default_round_trips_through_yaml(default: Taxonomy) -> None:
    assert Taxonomy.from_yaml(default.to_yaml()) == default


# --- the schema --------------------------------------------------------------------------------


def test_valid_minimal_taxonomy_loads() -> None:
    taxonomy = _load(_valid())
    assert taxonomy.keys == ["wohngeld", "sonstiges"]
    assert taxonomy.queues == ["poststelle", "soziales"]
    assert isinstance(taxonomy.get("wohngeld"), CaseType)
    with pytest.raises(KeyError):
        taxonomy.get("hundesteuer")


def test_duplicate_key_is_named() -> None:
    raw = _valid()
    raw["case_types"].append(_case_type("wohngeld"))
    with pytest.raises(TaxonomyError, match=r"test\.yaml: .*'wohngeld' appears twice"):
        _load(raw)


def test_missing_queue_names_the_field() -> None:
    raw = _valid()
    del raw["case_types"][1]["queue"]
    with pytest.raises(TaxonomyError, match=r"case_types\.1\.queue: Field required"):
        _load(raw)


@pytest.mark.parametrize("key", ["Wohngeld", "wohn-geld", "1abc", "x", "wohngeld ", "hündin"])
def test_bad_key_pattern_names_the_field(key: str) -> None:
    raw = _valid()
    raw["case_types"][0]["key"] = key
    with pytest.raises(TaxonomyError, match=r"case_types\.0\.key: String should match pattern"):
        _load(raw)


def test_bad_queue_pattern_names_the_field() -> None:
    raw = _valid()
    raw["case_types"][0]["queue"] = "Soziales Amt"
    with pytest.raises(TaxonomyError, match=r"case_types\.0\.queue: String should match pattern"):
        _load(raw)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sla_days", 0, r"case_types\.0\.sla_days: Input should be greater than or equal to 1"),
        ("sla_days", "bald", r"case_types\.0\.sla_days: Input should be a valid integer"),
        ("examples", ["ok?"], r"case_types\.0\.examples\.0: String should have at least 5"),
        ("description", "kurz", r"case_types\.0\.description: String should have at least 10"),
        ("owner", "Frau X", r"case_types\.0\.owner: Extra inputs are not permitted"),
    ],
)
def test_bad_field_values_name_the_field(field: str, value: object, message: str) -> None:
    raw = _valid()
    raw["case_types"][0][field] = value
    with pytest.raises(TaxonomyError, match=message):
        _load(raw)


def test_too_few_case_types() -> None:
    raw = _valid()
    raw["case_types"] = raw["case_types"][:1]
    with pytest.raises(TaxonomyError, match=r"case_types: List should have at least 2 items"):
        _load(raw)


def test_missing_name_of_taxonomy() -> None:
    raw = copy.deepcopy(_valid())
    del raw["name"]
    with pytest.raises(TaxonomyError, match=r"test\.yaml: name: Field required"):
        _load(raw)


def test_non_yaml_is_reported() -> None:
    with pytest.raises(TaxonomyError, match=r"test\.yaml: not valid YAML"):
        Taxonomy.from_yaml("case_types: [unclosed\n  - key: x", source="test.yaml")


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain words"])
def test_yaml_that_is_not_a_mapping_is_reported(text: str) -> None:
    with pytest.raises(TaxonomyError, match=r"test\.yaml: file: Input should be a valid dict"):
        Taxonomy.from_yaml(text, source="test.yaml")


def test_load_reports_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(TaxonomyError, match=r"cannot read taxonomy file .*nope\.yaml"):
        Taxonomy.load(path)


def test_load_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(yaml.safe_dump(_valid()).replace("Test", "Gebühr").encode("latin-1"))
    with pytest.raises(TaxonomyError, match=r"latin1\.yaml: not UTF-8 text"):
        Taxonomy.load(path)


def test_load_names_the_file_in_schema_errors(tmp_path: Path) -> None:
    raw = _valid()
    del raw["case_types"][0]["sla_days"]
    path = tmp_path / "tenant.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"tenant\.yaml: case_types\.0\.sla_days: Field"):
        Taxonomy.load(path)
