"""A small municipal taxonomy (7 case types) and 21 short labelled citizen letters."""

from __future__ import annotations

from triage.taxonomy import CaseType, Taxonomy

_CASE_TYPES = [
    (
        "ummeldung",
        "Ummeldung des Wohnsitzes",
        "Anmeldung, Ummeldung oder Abmeldung einer Wohnung beim Bürgerbüro, Meldebescheinigung.",
        ["Ich bin umgezogen und möchte meine neue Adresse anmelden."],
    ),
    (
        "hundesteuer",
        "Hundesteuer",
        "An- und Abmeldung von Hunden, Hundesteuerbescheide, Steuermarken und Befreiungen.",
        ["Ich habe einen Hund aus dem Tierheim und möchte ihn zur Hundesteuer anmelden."],
    ),
    (
        "sperrmuell",
        "Sperrmüll und Abfall",
        "Abholung von Sperrmüll, nicht geleerte Mülltonnen, illegal abgelegter Müll.",
        ["Bitte holen Sie unseren Sperrmüll ab: ein Sofa und einen Schrank."],
    ),
    (
        "wohngeld",
        "Wohngeld",
        "Anträge auf Wohngeld oder Lastenzuschuss, Weiterbewilligung, Wohngeldbescheide.",
        ["Ich beantrage Wohngeld, weil meine Miete zu hoch für mein Einkommen ist."],
    ),
    (
        "kita",
        "Kita-Platz und Kinderbetreuung",
        "Anmeldung und Vergabe von Kita- und Krippenplätzen, Elternbeiträge, Tagespflege.",
        ["Wir suchen ab August einen Krippenplatz für unsere Tochter."],
    ),
    (
        "bauantrag",
        "Bauantrag und Baugenehmigung",
        "Bauanträge, Baugenehmigungen, Bauvoranfragen, Carports, Anbauten und Abstandsflächen.",
        ["Wir möchten an unser Haus einen Wintergarten anbauen und brauchen eine Genehmigung."],
    ),
    (
        "strassenschaden",
        "Straßenschäden und Beleuchtung",
        "Schlaglöcher, beschädigte Gehwege, defekte Straßenlaternen und Ampeln melden.",
        ["In der Hauptstraße ist ein tiefes Schlagloch, bitte reparieren Sie es."],
    ),
]

LETTERS: list[tuple[str, str]] = [
    ("ummeldung", "Zum 1. Juli ziehe ich in die Schillerstraße 7a und bitte um Ummeldung."),
    ("ummeldung", "Bitte stellen Sie mir eine Meldebescheinigung für meinen Arbeitgeber aus."),
    ("ummeldung", "Mein Sohn zieht ins Ausland und möchte sich abmelden."),
    ("hundesteuer", "Die Hundesteuer für meinen Labrador wurde falsch berechnet."),
    ("hundesteuer", "Unser Hund ist verstorben, bitte beenden Sie die Hundesteuer."),
    ("hundesteuer", "Ich habe die Hundesteuermarke verloren und brauche eine neue."),
    ("sperrmuell", "Der Sperrmüll wurde am vereinbarten Termin nicht abgeholt."),
    ("sperrmuell", "Unsere Biotonne wurde seit drei Wochen nicht geleert."),
    ("sperrmuell", "Vor dem Spielplatz liegt seit Tagen illegal abgeladener Müll."),
    ("wohngeld", "Mein Einkommen hat sich geändert, bitte berechnen Sie das Wohngeld neu."),
    ("wohngeld", "Ich stelle hiermit den Weiterbewilligungsantrag für mein Wohngeld."),
    ("wohngeld", "Seit Januar bekomme ich kein Wohngeld mehr, warum?"),
    ("kita", "Für unseren Sohn (2 Jahre) suchen wir dringend einen Kita-Platz."),
    ("kita", "Der Elternbeitrag für die Kita ist zu hoch berechnet worden."),
    ("kita", "Wir haben noch keine Zusage für einen Betreuungsplatz erhalten."),
    ("bauantrag", "Wir möchten einen Carport an der Grundstücksgrenze errichten."),
    ("bauantrag", "Wie ist der Stand unseres Bauantrags für das Einfamilienhaus?"),
    ("bauantrag", "Der Nachbar baut ohne Genehmigung eine Garage direkt an unsere Grenze."),
    ("strassenschaden", "Die Straßenlaterne vor Hausnummer 12 ist seit Wochen defekt."),
    ("strassenschaden", "Auf dem Gehweg in der Lindenallee sind Platten hochgedrückt."),
    ("strassenschaden", "Die Fußgängerampel an der Schule zeigt dauerhaft Rot."),
]


def small_taxonomy() -> Taxonomy:
    return Taxonomy(
        name="Testgemeinde",
        case_types=[
            CaseType(
                key=key,
                name=name,
                description=description,
                queue=f"team-{key}",
                sla_days=14,
                examples=examples,
            )
            for key, name, description, examples in _CASE_TYPES
        ],
    )
