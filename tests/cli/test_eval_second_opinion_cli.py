"""`triage eval-second-opinion` end to end: the real embedding model and classifier, the
openai backend pointed at the test chat server, whose answers each letter scripts, so every
figure in the JSON can be recomputed from those answers."""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.classify.data import LETTERS, small_taxonomy
from tests.cli.conftest import run_triage
from tests.llm.chat_server import ChatServer, Reply, running_chat_server
from tests.modelbuild.conftest import e5_folder  # noqa: F401
from triage.evaluation.figures import OUT_OF_SCOPE

pytestmark = pytest.mark.slow

# (label, letter, what the scripted LLM does with it)
TEST_LETTERS = [
    ("ummeldung", "Ich ziehe nach Hamburg und melde mich hiermit ab.", "truth"),
    ("ummeldung", "Bitte tragen Sie meine neue Adresse im Melderegister ein.", "top1"),
    ("hundesteuer", "Wir haben seit März einen Dackel und melden ihn an.", "second"),
    ("hundesteuer", "Ist für einen Blindenhund eine Steuerbefreiung möglich?", "abstain"),
    ("sperrmuell", "Ich möchte einen Termin für die Abholung alter Möbel.", "truth"),
    ("sperrmuell", "Die gelbe Tonne in unserer Straße quillt über.", "garbage"),
    ("wohngeld", "Reicht mein Einkommen für einen Lastenzuschuss zum Eigenheim?", "truth"),
    ("wohngeld", "Der Wohngeldbescheid enthält einen Rechenfehler bei der Miete.", "top1"),
    ("kita", "Unsere Tochter braucht ab Herbst einen Platz in der Krippe.", "second"),
    ("kita", "Gibt es eine Tagesmutter in unserem Stadtteil?", "truth"),
    ("bauantrag", "Wir wollen eine Gartenhütte bauen, brauchen wir dafür eine Erlaubnis?", "top1"),
    ("bauantrag", "Bitte senden Sie uns die Unterlagen für eine Bauvoranfrage.", "abstain"),
    ("strassenschaden", "An der Kreuzung Bahnhofstraße fehlt ein Gullydeckel.", "truth"),
    ("strassenschaden", "Die Laterne im Parkweg flackert jede Nacht.", "second"),
    (OUT_OF_SCOPE, "Das Rezept für Apfelkuchen: 200 g Mehl, drei Eier.", "truth"),
    (OUT_OF_SCOPE, "Unser Fußballverein hat am Samstag 3:1 gewonnen.", "top1"),
]
ABSTAINED = "the model abstained"
NAMED_NO_CANDIDATE = "the model named no case type from the candidates"
LIMIT = 12
MAX_CHARS = 30  # every letter is longer, and unique in its first 30 characters


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows((text, label) for label, text in rows)
    return path


def _answer(body: dict[str, Any]) -> Reply:
    """What the scripted LLM answers: found by the letter in the prompt, among the candidate
    keys the system prompt lists (best first)."""
    system, user = (body["messages"][i]["content"] for i in (0, 1))
    keys = re.findall(r"^- ([a-z_]+): ", system, flags=re.MULTILINE)
    label, _, behaviour = next(row for row in TEST_LETTERS if row[1][:MAX_CHARS] in user)
    choice = {
        "truth": label if label in keys else None,
        "top1": keys[0],
        "second": keys[1],
        "abstain": None,
    }
    if behaviour == "garbage":
        return Reply("Das kann ich nicht sagen.")
    return Reply(json.dumps({"case_type": choice[behaviour]}))


def _expected_answer(row: dict[str, Any]) -> str | None:
    line = int(row["reference"].rsplit(":", 1)[1])  # the header is line 1
    _, _, behaviour = TEST_LETTERS[line - 2]
    keys = row["candidates"]
    return {
        "truth": row["label"] if row["label"] in keys else None,
        "top1": keys[0],
        "second": keys[1],
        "abstain": None,
        "garbage": None,
    }[behaviour]


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    with running_chat_server() as server:
        yield server


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    examples = [(c.key, example) for c in small_taxonomy().case_types for example in c.examples]
    train = _write(tmp_path / "train.csv", [*LETTERS, *examples])
    test = _write(tmp_path / "test.csv", [(label, text) for label, text, _ in TEST_LETTERS])
    return train, test


def _env(tmp_path: Path, e5: Path, **llm: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_LLM_")}
    env.update(
        TRIAGE_DATA_DIR=str(tmp_path / "data"),
        TRIAGE_EMBEDDING_MODEL=str(e5),
        COLUMNS="200",
        **llm,
    )
    return env


def _correct(label: str, predicted: str) -> bool:
    return label != OUT_OF_SCOPE and label == predicted


def test_figures_follow_from_the_llm_answers(
    files: tuple[Path, Path],
    tmp_path: Path,
    chat_server: ChatServer,
    e5_folder: Path,  # noqa: F811
) -> None:
    chat_server.responder = _answer
    train, test = files
    out = tmp_path / "second.json"
    env = _env(
        tmp_path,
        e5_folder,
        TRIAGE_LLM_URL=chat_server.url,
        TRIAGE_LLM_MODEL="qwen-test",
        # every row with a confidence below 1 is asked
        TRIAGE_LLM_GREY_ZONE="[0.0, 1.0]",
    )
    result = run_triage(
        env, "eval-second-opinion", str(test), "--train", str(train),
        "--limit", str(LIMIT), "--top-k", "3", "--max-chars", str(MAX_CHARS), "--json", str(out),
    )  # fmt: skip
    assert "second opinion" in result.stdout and "confirm+override" in result.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))
    settings = figures["settings"]
    assert settings["test_rows_sampled"] == LIMIT
    assert (settings["top_k"], settings["limit"], settings["seed"]) == (3, LIMIT, 0)
    assert (settings["grey_zone"], settings["llm_model"]) == ([0.0, 1.0], "openai:qwen-test")
    assert (settings["description_rows"], settings["max_chars"]) == (7, MAX_CHARS)

    rows = figures["rows"]
    assert len(rows) == LIMIT
    lines = [int(row["reference"].rsplit(":", 1)[1]) for row in rows]
    assert lines == sorted(set(lines))  # drawn without replacement, in file order
    asked = [row for row in rows if row["candidates"] is not None]
    assert asked and all(row["grey_zone"] for row in asked)
    assert len(asked) == sum(row["grey_zone"] for row in rows)
    for row in asked:
        assert len(row["candidates"]) == 3 and row["candidates"][0] == row["top1"]
        assert row["answer"] == _expected_answer(row), row
    answered = [row for row in asked if row["answer"] is not None]

    grey = figures["grey_zone_figures"]
    assert (grey["asked"], grey["answered"]) == (len(asked), len(answered))
    assert grey["abstained"] == len(asked) - len(answered)
    llm_right = sum(_correct(row["label"], row["answer"]) for row in answered)
    assert grey["llm_accuracy_answered"] == pytest.approx(llm_right / len(answered))
    agreeing = [row for row in answered if row["answer"] == row["top1"]]
    assert grey["agreement"] == pytest.approx(len(agreeing) / len(answered))
    reasons = [row["not_answered"] for row in asked if row["answer"] is None]
    assert figures["not_answered"] == {r: reasons.count(r) for r in set(reasons)}
    assert set(reasons) <= {ABSTAINED, NAMED_NO_CANDIDATE}

    def accuracy(label_of: Any) -> float:
        return sum(_correct(row["label"], label_of(row)) for row in rows) / len(rows)

    rules = figures["rules"]
    assert rules["classifier"]["accuracy"] == pytest.approx(accuracy(lambda r: r["top1"]))
    assert rules["override"]["accuracy"] == pytest.approx(
        accuracy(lambda r: r["answer"] or r["top1"])
    )
    routed = sum(row["routed"] for row in rows)
    confirmed = routed + sum(not row["routed"] for row in agreeing)
    assert rules["classifier"]["coverage"] == pytest.approx(routed / len(rows))
    assert rules["override"]["coverage"] == pytest.approx(routed / len(rows))
    assert rules["confirm"]["coverage"] == pytest.approx(confirmed / len(rows))
    assert rules["confirm"]["routed_added"] == confirmed - routed
    assert rules["classifier"]["gain"] == "baseline"
    assert figures["primary_metric"] == "gain"

    # one call per asked row (no repair for a second opinion), the server's usage each
    usage = figures["llm_usage"]
    assert usage["calls"] == len(asked) == len(chat_server.requests)
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (11 * len(asked), 7 * len(asked))
    # only the first --max-chars characters of a letter go out
    for prompt in chat_server.user_prompts():
        assert not any(text in prompt for _, text, _ in TEST_LETTERS)


def test_without_an_llm_or_when_it_is_down_the_command_says_so(
    files: tuple[Path, Path],
    tmp_path: Path,
    chat_server: ChatServer,
    e5_folder: Path,  # noqa: F811
) -> None:
    train, test = files
    args = ("eval-second-opinion", str(test), "--train", str(train), "--limit", "3")
    none = run_triage(_env(tmp_path, e5_folder, TRIAGE_LLM_BACKEND="none"), *args, check=False)
    assert none.returncode == 2
    assert "no LLM configured" in none.stderr

    # the chat server answers HTTP 500 to anything unscripted
    down = _env(
        tmp_path,
        e5_folder,
        TRIAGE_LLM_URL=chat_server.url,
        TRIAGE_LLM_MODEL="qwen-test",
        TRIAGE_LLM_GREY_ZONE="[0.0, 1.0]",
    )
    failed = run_triage(down, *args, check=False)
    assert failed.returncode == 1
    assert "the LLM is unavailable" in failed.stderr
