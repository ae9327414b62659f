"""Follow-up and duplicate detection on letters written for this project.

    .venv/bin/python bench/links_benchmark.py [--ocr-error-rate 0.03] [--seed 7]

Embeds the 32 annotated letters, their 10 written follow-ups
(`bench/data/follow_up_letters.jsonl`: 5 quote the earlier letter's reference number, 5
only come from the same sender about the same matter) and two copies of every letter as a
second channel would bring it: an e-mail (header lines, then the letter) and a scan (OCR
slips in a share of the words, line breaks lost). Then it asks the product's finder
(`triage.links.finder.find_link`, default rules from the settings) for each:

- duplicate recall: each copy must be found as a duplicate of its letter;
- follow-up recall: each follow-up must be linked to its letter (not as a duplicate),
  also when it is a reply that quotes the whole earlier letter;
- false links: each letter checked against the 31 others (different senders) and against a
  letter of the *same* sender about *another* matter (another letter's body under its
  sender block) must stay unlinked.

It also prints the cosine and word-triple overlap distributions the thresholds were
chosen from. CPU, about a minute with the default embedding model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import statistics
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from triage.config import Settings
from triage.embedding import Embedder
from triage.fields.annotated import load_annotated_letters
from triage.fields.extract import extract_fields
from triage.links.finder import LinkCandidate, LinkKind, LinkRules, LinkSubject, find_link
from triage.links.service import reference_values, sender_identity
from triage.links.similarity import new_words, overlap, shingles, words

DATA = Path(__file__).resolve().parent / "data"
RECEIVED = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Letter:
    key: str
    text: str
    received_at: dt.datetime
    metadata: dict[str, str]


def as_email(letter: Letter) -> Letter:
    sender = extract_fields(letter.text).sender.name
    name = sender.value if sender else "Bürger"
    address = re.sub(r"[^a-z]+", ".", name.casefold()).strip(".") + "@example.net"
    header = (
        f"Betreff: Mein Schreiben\nVon: {name} <{address}>\nAn: post@stadt.example\n"
        f"Datum: {letter.received_at:%d.%m.%Y}\n\n"
    )
    return Letter(
        f"{letter.key}-email",
        header + letter.text,
        letter.received_at + dt.timedelta(hours=3),
        {"from": f"{name} <{address}>"},
    )


def as_scan(letter: Letter, *, error_rate: float, rng: random.Random) -> Letter:
    """OCR-like copy: some words get a slipped character, line breaks inside paragraphs
    become spaces."""
    confusions = {"e": "c", "n": "m", "i": "l", "o": "0", "a": "o", "u": "v", "r": "n"}
    words = []
    for word in re.split(r"(\s+)", letter.text):
        if word.strip() and rng.random() < error_rate:
            positions = [i for i, ch in enumerate(word) if ch in confusions]
            if positions:
                i = rng.choice(positions)
                word = word[:i] + confusions[word[i]] + word[i + 1 :]
        words.append(word)
    text = re.sub(r"(?<!\n)\n(?!\n)", " ", "".join(words))
    return Letter(f"{letter.key}-scan", text, letter.received_at + dt.timedelta(days=1), {})


def subject_of(letter: Letter, ident: uuid.UUID) -> LinkSubject:
    fields = extract_fields(letter.text, reference_date=letter.received_at.date())
    text_words = words(letter.text)
    return LinkSubject(
        id=ident,
        received_at=letter.received_at,
        shingles=shingles(text_words),
        words=text_words,
        sender=sender_identity(fields.model_dump(mode="json"), letter.metadata),
        references=frozenset(reference_values((r.kind.value, r.value) for r in fields.references)),
    )


def _spread(values: list[float]) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    return (
        f"min {ordered[0]:.3f}  median {statistics.median(ordered):.3f}  "
        f"max {ordered[-1]:.3f}  (n={len(ordered)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ocr-error-rate", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rules: LinkRules = Settings().link_rules

    originals = [
        Letter(letter.id, letter.text, RECEIVED, {})
        for letter in load_annotated_letters(DATA / "annotated_letters.jsonl")
    ]
    by_key = {letter.key: letter for letter in originals}
    follow_ups = []
    for line in (DATA / "follow_up_letters.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        follow_ups.append(
            (
                Letter(row["id"], row["text"], RECEIVED + dt.timedelta(days=14), {}),
                row["follows"],
                row["basis"],
            )
        )
    copies = [as_email(o) for o in originals] + [
        as_scan(o, error_rate=args.ocr_error_rate, rng=rng) for o in originals
    ]
    # Same sender, other matter: letter i's sender block over letter i+1's body.
    other_matter = []
    for i, first in enumerate(originals):
        body_of = originals[(i + 1) % len(originals)].text
        head = first.text.split("\n\n", 1)[0]
        body = body_of.split("\n\n", 1)[-1]
        other_matter.append(
            (
                Letter(
                    f"{first.key}-other", head + "\n\n" + body, RECEIVED + dt.timedelta(days=20), {}
                ),
                first.key,
            )
        )

    everything = originals + copies + [f for f, _, _ in follow_ups] + [o for o, _ in other_matter]
    embedder = Embedder(model=Settings().embedding_model)
    vectors = embedder.encode_documents([letter.text for letter in everything])
    vector = {letter.key: vectors[i] for i, letter in enumerate(everything)}
    ids = {letter.key: uuid.uuid4() for letter in everything}
    subjects = {letter.key: subject_of(letter, ids[letter.key]) for letter in everything}

    def candidates(new: Letter, pool: list[Letter]) -> list[LinkCandidate]:
        return [
            LinkCandidate(
                subject=subjects[c.key],
                similarity=float(np.dot(vector[new.key], vector[c.key])),
                queue="q",
            )
            for c in pool
            if c.key != new.key
        ]

    def check(new: Letter, pool: list[Letter]) -> tuple[LinkKind | None, uuid.UUID | None]:
        link = find_link(subjects[new.key], candidates(new, pool), rules)
        return (link.kind, link.target_id) if link else (None, None)

    dup_hits = 0
    dup_cos: list[float] = []
    dup_cont: list[float] = []
    dup_new: list[float] = []
    for copy in copies:
        source = by_key[copy.key.split("-")[0]]
        dup_cos.append(float(np.dot(vector[copy.key], vector[source.key])))
        dup_cont.append(overlap(subjects[copy.key].shingles, subjects[source.key].shingles))
        dup_new.append(new_words(subjects[copy.key].words, subjects[source.key].shingles))
        kind, target = check(copy, originals)
        dup_hits += kind is LinkKind.DUPLICATE and target == ids[source.key]
    fu_hits = {"reference": 0, "sender": 0}
    fu_cos: list[float] = []
    missed = []
    for letter, follows, basis in follow_ups:
        fu_cos.append(float(np.dot(vector[letter.key], vector[follows])))
        kind, target = check(letter, originals)
        ok = kind is LinkKind.FOLLOW_UP and target == ids[follows]
        fu_hits[basis] += ok
        if not ok:
            missed.append(f"{letter.key} ({basis}) → {kind}")
    # A reply that quotes the whole earlier letter under the new one: a follow-up still.
    quoted_hits = 0
    reply_new: list[float] = []
    for letter, follows, _ in follow_ups:
        reply = Letter(
            f"{letter.key}-quoted",
            letter.text + "\n\n-----Ursprüngliche Nachricht-----\n" + by_key[follows].text,
            letter.received_at,
            {},
        )
        reply_vector = embedder.encode_documents([reply.text])[0]
        vector[reply.key] = reply_vector
        ids[reply.key] = uuid.uuid4()
        subjects[reply.key] = subject_of(reply, ids[reply.key])
        kind, target = check(reply, originals)
        reply_new.append(new_words(subjects[reply.key].words, subjects[follows].shingles))
        quoted_hits += kind is LinkKind.FOLLOW_UP and target == ids[follows]
    # Unrelated: each original against the others received earlier (a second arrival).
    unrelated_cos: list[float] = []
    unrelated_cont: list[float] = []
    false_links = 0
    for i, letter in enumerate(originals):
        later = Letter(letter.key, letter.text, RECEIVED + dt.timedelta(days=1), letter.metadata)
        others = [o for j, o in enumerate(originals) if j != i]
        for other in others:
            unrelated_cos.append(float(np.dot(vector[letter.key], vector[other.key])))
            unrelated_cont.append(
                overlap(subjects[letter.key].shingles, subjects[other.key].shingles)
            )
        link = find_link(
            replace(subjects[letter.key], received_at=later.received_at),
            candidates(letter, others),
            rules,
        )
        false_links += link is not None
    other_cos: list[float] = []
    other_false = 0
    for letter, first_key in other_matter:
        other_cos.append(float(np.dot(vector[letter.key], vector[first_key])))
        kind, _ = check(letter, [by_key[first_key]])
        other_false += kind is not None

    print(f"rules: {rules.model_dump()}")
    print(f"OCR word error rate of the scans: {args.ocr_error_rate:.0%} (seed {args.seed})")
    print()
    print(f"duplicates found: {dup_hits}/{len(copies)} (e-mail and scan copies)")
    print(f"  cosine to the original:      {_spread(dup_cos)}")
    print(f"  overlap with the original:  {_spread(dup_cont)}")
    print(
        f"follow-ups linked: reference {fu_hits['reference']}/5, same sender {fu_hits['sender']}/5"
    )
    print(f"  cosine to the earlier letter: {_spread(fu_cos)}")
    for line in missed:
        print(f"  missed: {line}")
    print(f"  words the copy adds to the original: {_spread(dup_new)}")
    print(f"replies quoting the whole earlier letter linked as follow-ups: {quoted_hits}/10")
    print(f"  words the reply adds to the earlier letter: {_spread(reply_new)}")
    print(f"false links among the 32 letters: {false_links}/{len(originals)}")
    print(f"  cosine between different letters:      {_spread(unrelated_cos)}")
    print(f"  overlap between different letters: {_spread(unrelated_cont)}")
    print(f"false links, same sender about another matter: {other_false}/{len(other_matter)}")
    print(f"  cosine: {_spread(other_cos)}")


if __name__ == "__main__":
    main()
