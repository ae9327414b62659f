"""The link decisions on hand-made candidates: which rule wins, windows, and the cases
that must stay unlinked."""

from __future__ import annotations

import datetime as dt
import uuid

from triage.config import Settings
from triage.links.finder import LinkBasis, LinkCandidate, LinkKind, LinkSubject, find_link
from triage.links.service import reference_values, sender_identity
from triage.links.similarity import SenderIdentity, new_words, overlap, shingles, words

RULES = Settings(_env_file=None).link_rules
NOW = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
LETTER = (
    "Sehr geehrte Damen und Herren, hiermit beantrage ich die Weiterbewilligung meines "
    "Wohngeldes ab dem 01.04. Meine Miete und mein Einkommen sind unverändert geblieben. "
    "Die Bescheinigung des Arbeitgebers liegt bei. Mit freundlichen Grüßen Petra Klein"
)
REPLY = (
    "Sehr geehrte Damen und Herren, ich habe auf meinen Antrag noch keine Antwort "
    "erhalten und bitte um eine Eingangsbestätigung sowie um Auskunft, welche Unterlagen "
    "noch fehlen, damit die Zahlung im April nicht ausbleibt. Mit freundlichen Grüßen "
    "Petra Klein. Ursprüngliche Nachricht: " + LETTER
)
KLEIN = SenderIdentity.of("Petra Klein", [])


def _subject(
    text: str,
    *,
    days_ago: float = 0,
    sender: SenderIdentity = KLEIN,
    references: frozenset[str] = frozenset(),
) -> LinkSubject:
    text_words = words(text)
    return LinkSubject(
        id=uuid.uuid4(),
        received_at=NOW - dt.timedelta(days=days_ago),
        shingles=shingles(text_words),
        sender=sender,
        references=references,
        words=text_words,
    )


def _candidate(
    subject: LinkSubject, similarity: float | None, *, duplicate_of: uuid.UUID | None = None
) -> LinkCandidate:
    return LinkCandidate(subject, similarity, "soziales", duplicate_of)


def test_an_e_mail_copy_is_a_duplicate_of_the_letter() -> None:
    letter = _subject(LETTER, days_ago=2)
    mail = _subject("Betreff: Wohngeld\nVon: Petra Klein <pk@example.org>\n\n" + LETTER)
    link = find_link(mail, [_candidate(letter, 0.99)], RULES)
    assert link is not None
    assert (link.kind, link.basis, link.target_id) == (
        LinkKind.DUPLICATE,
        LinkBasis.TEXT,
        letter.id,
    )
    assert link.overlap == 1.0


def test_a_copy_of_a_copy_points_at_the_original() -> None:
    original_id = uuid.uuid4()
    first_copy = _subject(LETTER, days_ago=1)
    link = find_link(
        _subject(LETTER), [_candidate(first_copy, 0.99, duplicate_of=original_id)], RULES
    )
    assert link is not None and link.target_id == original_id


def test_a_reply_quoting_the_whole_letter_is_a_follow_up_not_a_duplicate() -> None:
    letter = _subject(LETTER, days_ago=10)
    reply = _subject(REPLY)
    assert new_words(reply.words, letter.shingles) > RULES.duplicate_new_words
    link = find_link(reply, [_candidate(letter, 0.97)], RULES)
    assert link is not None
    assert (link.kind, link.basis) == (LinkKind.FOLLOW_UP, LinkBasis.SENDER)


def test_similar_letters_of_different_senders_stay_apart() -> None:
    letter = _subject(LETTER, days_ago=3)
    other = _subject(REPLY, sender=SenderIdentity.of("Karl Jung", []))
    assert find_link(other, [_candidate(letter, 0.97)], RULES) is None


def test_a_quoted_reference_links_to_the_latest_letter_of_the_matter() -> None:
    reference = frozenset({"WG2024018734"})
    first = _subject("Antrag", days_ago=40, references=reference)
    second = _subject("Nachtrag", days_ago=20, references=reference)
    new = _subject("Widerspruch", sender=SenderIdentity.of(None, []), references=reference)
    link = find_link(new, [_candidate(first, None), _candidate(second, None)], RULES)
    assert link is not None
    assert (link.basis, link.target_id, link.reference) == (
        LinkBasis.REFERENCE,
        second.id,
        "WG2024018734",
    )


def test_links_look_back_only_within_their_windows() -> None:
    reference = frozenset({"WG2024018734"})
    too_old = _subject(LETTER, days_ago=RULES.window_days + 1, references=reference)
    new = _subject(LETTER, references=reference)
    assert find_link(new, [_candidate(too_old, 0.99)], RULES) is None
    # A later document is never the earlier one of a link.
    later = _subject(LETTER, days_ago=-1, references=reference)
    assert find_link(new, [_candidate(later, 0.99)], RULES) is None


def test_reference_numbers_are_normalised_and_short_ones_ignored() -> None:
    assert reference_values([("aktenzeichen", "WG-2024/018 734"), ("kundennummer", "12")]) == {
        "WG2024018734": "aktenzeichen"
    }


def test_the_sender_is_known_by_name_or_by_e_mail_address() -> None:
    by_form = sender_identity({"sender": {"name": {"value": "Petra  Klein"}}, "emails": []}, None)
    by_mail = sender_identity(None, {"from": "P. Klein <Petra.Klein@Example.org>"})
    in_text = sender_identity({"emails": [{"value": "petra.klein@example.org"}]}, None)
    assert by_form.matches(KLEIN)
    assert by_mail.matches(in_text) and not by_mail.matches(KLEIN)


def test_word_overlap_is_measured_against_the_longer_text() -> None:
    short, long = shingles(words(LETTER)), shingles(words(REPLY))
    assert overlap(short, short) == 1.0
    assert 0.3 < overlap(short, long) < 0.8
    assert overlap(frozenset(), long) == 0.0
