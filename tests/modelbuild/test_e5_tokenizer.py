"""The tokenizer rebuilt from the .bin gives XLM-R's ids, however transformers loads it.

The reference is the intact XLM-R ``tokenizer.json`` (SentencePiece's compiled charsmap);
ours is NFKC plus the exceptions the .bin's map records, so the odd characters matter most.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from triage.modelbuild.e5_folder import default_source
from triage.modelbuild.e5_format import read_e5_file

from .test_e5_embeddings import GERMAN_SENTENCES

ODD_STRINGS = [
    "",
    " ",
    "   ",
    "\t",
    "\n\n",
    "½ Liter Milch, ¼ Stunde, ¾ der Kosten",
    "Antrag № 4711 vom 1.2.2024",
    "Die ﬁnanzielle Unterstützung und der Auﬂauf",
    "Betrag:\u00a0250\u00a0€",
    "Frist\u2009bis\u202f30.\u2009Juni",
    "Spalte1\tSpalte2\tSpalte3",
    "Zeile eins\r\nZeile zwei\nZeile drei\rEnde",
    "Gesamtpreis 1.234,56 € (inkl. 19 % MwSt.)",
    "Straße, Maß, Fuß, Grüße, STRASSE, GROẞE",
    "ÄÖÜ äöü ß ẞ",
    "Ihr Antrag 😀👍🏽 wurde bearbeitet 🏠🐕",
    "Familie 👨‍👩‍👧‍👦 und Flagge 🇩🇪",
    "Здравствуйте, прошу пересчитать жилищное пособие.",
    "Merhaba, İstanbul'dan taşındım; ikametgâh kaydı için başvuruyorum. ığüşöç İĞÜŞÖÇ",
    "مرحبا، أريد تسجيل عنواني الجديد.",
    "שלום, אני רוצה לרשום את הכתובת החדשה",
    "你好，我想办理居住登记。日本語のテキスト、ｶﾀｶﾅ",
    "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ　１２３",
    "tilde ~ and fullwidth ～ wave 〜",
    "Steuer\x00Nummer",
    "Kontroll\x01\x02\x03zeichen\x1b[0m und \x7f Löschen",
    "C1: \x85 \x8f \x9f \xad",
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffBOM",
    "Zeilen\u2028trenner und Absatz\u2029trenner",
    "Ersatzzeichen \ufffd und Metaspace \u2581 direkt",
    "ideographic\u3000space and ogham\u1680space",
    "Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung",
    "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz" * 3,
    "a" * 600,
    "ääääääääääääääääääääääääääääääää",
    "x" + "\u0301" * 5,
    "Cafe\u0301 vs Café, Mu\u0308ller vs Müller",
    "ﬀ ﬂ ﬃ ﬄ ﬅ ﬆ Ǆ ǅ ǆ Ǳ ¹²³ ⁴ ₁₂ ㎡ ㎏ ℃ ℉ ™ ℡ Ⅻ ⅻ",
    "① ② ⑩ ⑴ ⒈ 🄰 ㈱ ㍻",
    "…‥ „Anführung“ ‚einfach‘ »Guillemets« «français» — – ‐ ‑",
    "E-Mail: max.mustermann@beispiel.de, https://www.stadt.de/buergerservice?id=42&x=1",
    "IBAN DE02 1203 0000 0000 2020 51, BIC BYLADEM1001",
    "Tel. +49 (0) 30 / 123 456-78",
    "#Hashtag @Erwähnung $dollar %prozent ^hoch &und *stern",
    "<s> eingebettet </s> und <mask> sowie <unk> und <pad>",
    "<S>kein Sondertoken</S>",
    "  führende und folgende Leerzeichen  ",
    "viele     Leerzeichen     hintereinander",
    "Ende mit Tab\t",
    "ǅemal Ǉubljana ǋarko",
    "Ωmega Ω ohm Å Angström K Kelvin",
    "µ micro μ mu",
    "ſ langes s, ﬅ ligatur",
    "⅓ ⅔ ⅕ ⅛ ⅞ ↉",
    "Vulgärbrüche: 1⁄2 und 3⁄4",
    "\u00a0\u00a0\u00a0",
    "\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u200a",
    "\u0344 \u0308\u0301",
    "Ελληνικά ΐ ΰ ά",
    "हिन्दी पाठ और ग़ज़ल",
    "한국어 텍스트 ᄀᄁ",
    "ไทย ภาษา",
    "\U0001d400\U0001d41a\U0001d7ce mathematical bold",
    "\U0001f1e6\U0001f1ea \U0001f1e9\U0001f1ea",
    "\ue000 private \U000f0000 use \U0010fffd",
]


def _variants(sentence: str) -> list[str]:
    """The same sentence as it arrives from PDFs, scans and mail clients."""
    return [
        sentence,
        sentence.replace(" ", "\u00a0"),
        sentence.replace(" ", "\u2009  \t"),
        unicodedata.normalize("NFD", sentence),
        sentence.upper(),
        f"  {sentence}\r\n",
    ]


def _norm_map_strings() -> list[str]:
    """Every codepoint the .bin's normalisation map touches, 24 per string."""
    keys = sorted(read_e5_file(default_source()).norm_map)
    return ["x" + " ".join(chr(cp) for cp in keys[i : i + 24]) for i in range(0, len(keys), 24)]


STRINGS = ODD_STRINGS + [v for s in GERMAN_SENTENCES for v in _variants(s)]

# Where SentencePiece's compiled charsmap and NFKC really disagree. U+0344 (combining
# dialytika tonos) is mapped per character by SentencePiece, while NFKC composes its
# decomposition with the preceding letter (a + U+0308 -> ä). Only matters after a letter.
KNOWN_DIVERGENT = {0x0344}


@pytest.fixture(scope="module")
def reference(reference_tokenizer_json: Path) -> Tokenizer:
    return Tokenizer.from_file(str(reference_tokenizer_json))


@pytest.fixture(scope="module")
def reference_ids(reference: Tokenizer) -> list[list[int]]:
    return [e.ids for e in reference.encode_batch(STRINGS)]


def test_enough_strings() -> None:
    assert len(STRINGS) >= 300


def test_tokenizer_json_matches_reference(e5_folder: Path, reference: Tokenizer) -> None:
    ours = Tokenizer.from_file(str(e5_folder / "tokenizer.json"))
    strings = STRINGS + _norm_map_strings()
    expected = reference.encode_batch(strings)
    for text, got, want in zip(strings, ours.encode_batch(strings), expected, strict=True):
        assert got.ids == want.ids, (text, got.tokens, want.tokens)


def test_auto_tokenizer_keeps_our_normalizer(
    e5_folder: Path, reference_ids: list[list[int]]
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(e5_folder), local_files_only=True)
    assert tokenizer.is_fast
    got = tokenizer(STRINGS)["input_ids"]
    for text, ids, want in zip(STRINGS, got, reference_ids, strict=True):
        assert ids == want, text


def test_sentence_transformer_tokenizes_like_reference(
    e5_model: SentenceTransformer, reference_ids: list[list[int]]
) -> None:
    got = e5_model.tokenizer(STRINGS)["input_ids"]
    for text, ids, want in zip(STRINGS, got, reference_ids, strict=True):
        assert ids == want, text
    # The path encode() takes: padding, attention mask, truncation to 512.
    short = [(t, w) for t, w in zip(STRINGS, reference_ids, strict=True) if len(w) <= 512]
    features = e5_model.tokenize([t for t, _ in short])
    for (text, want), ids, mask in zip(
        short, features["input_ids"].tolist(), features["attention_mask"].tolist(), strict=True
    ):
        assert [i for i, m in zip(ids, mask, strict=True) if m] == want, text


def test_every_single_character_matches(e5_folder: Path, reference: Tokenizer) -> None:
    """Each BMP and emoji codepoint between two letters, the way it would sit in a word."""
    ours = Tokenizer.from_file(str(e5_folder / "tokenizer.json"))
    codepoints = [cp for cp in range(1, 0x10000) if not 0xD800 <= cp < 0xE000]
    codepoints += list(range(0x1F000, 0x1FB00))
    strings = [f"a{chr(cp)}b" for cp in codepoints]
    diverging = {
        cp
        for cp, got, want in zip(
            codepoints, ours.encode_batch(strings), reference.encode_batch(strings), strict=True
        )
        if got.ids != want.ids
    }
    # U+1F23B is newer than the reference's Unicode tables: NFKC maps it, SentencePiece not.
    assert diverging <= KNOWN_DIVERGENT | {0x1F23B}
