"""Tables of process data: German values, numeric columns right-aligned and summed, technical keys hidden.

Labels, tables and formats come from the forms' hints (docs/bpmn-conventions.md, "Presentation hints"):
`REAL` reads them from the real process's forms; the generic cases build their own small schemas.
"""

from __future__ import annotations

import json
from pathlib import Path

from webapp.web.presenting import Labels, data_tables, summarize

FORMS = Path(__file__).resolve().parents[2] / "forms"
REAL = Labels.from_forms(*(json.loads(p.read_text()) for p in sorted(FORMS.rglob("*.schema.json"))))


def test_answers_table_sums_numbers_and_hides_team_keys() -> None:
    data = {"rueckmeldungen": [
        {"name": "Kehl", "ags": "08317057", "anzahl_gefluechtete": 120, "team": "kinzigtal", "entscheidung": "x"},
        {"name": "Lahr", "ags": "08317065", "anzahl_gefluechtete": 80, "team": "lahr_umland", "entscheidung": "y"},
        {"name": "Rust", "ags": "08317114", "anzahl_gefluechtete": None, "team": None, "entscheidung": "z"},
    ]}
    (table,) = data_tables(data, REAL)
    keys = [key for key, _ in table.columns]
    assert "team" not in keys and keys[:2] == ["name", "ags"]
    column = keys.index("anzahl_gefluechtete")
    assert table.numeric == {column}  # the AGS is text, not a number to add up
    assert table.totals is not None and table.totals[column] == "200"
    assert table.totals[keys.index("name")] == ""


def test_values_the_process_sets_read_in_german() -> None:
    assert REAL.value("entscheidung", "keine_rueckmeldung") == "keine Rückmeldung"


def test_the_web_layer_names_no_programme() -> None:
    """Labels, money fields, cards and tables come from the forms' hints, never from code naming the programme."""
    web = Path(__file__).resolve().parents[2] / "webapp" / "web"
    for module in ("presenting.py", "formdata.py"):
        text = (web / module).read_text().lower()
        named = [w for w in ("grant_round", "rueckmeld", "planungsrahmen", "stimmen", "besetzung", "stelle_nr",
                             "team_name", "landkreis", "_money_key") if w in text]
        assert not named, (module, named)


GENERIC = {"type": "object", "properties": {
    "antwort": {"type": "string", "title": "Antwort", "enum": ["a", "b"], "x-enumLabels": ["Alpha", "Beta"]},
    "zuschuss": {"type": "number", "title": "Zuschuss", "x-widget": "money"}},
    "x-context": {
        "kreis": {"type": "string", "x-hidden": True},
        "ort": {"type": "object", "title": "Ort", "x-card": {"about": "den Ort"}, "x-assigneeGemeinde": "ags",
                "properties": {"name": {"title": "Ortsname"}, "ags": {"title": "AGS"},
                               "flaeche": {"title": "Fläche", "x-decimals": 2}}},
        "posten": {"type": "array", "title": "Posten", "x-table": True, "items": {"type": "object", "properties": {
            "kosten": {"title": "Kosten", "x-format": "money"}, "antwort": {"title": "Antwort",
                                                                            "x-valueLabels": {"keine": "ohne Antwort"}},
            "anzahl": {"title": "Anzahl"}}}}}}


def test_money_only_where_a_schema_says_so() -> None:
    labels = Labels.from_forms(GENERIC)
    assert labels.value("zuschuss", 64000) == "64.000,00\u00a0€"
    assert labels.value("betrag", 64000) == "64.000"  # a name that sounds like money is not money without a hint
    assert labels.value("summe", 12) == "12"


def test_hidden_variables_and_cards_from_the_hints() -> None:
    labels = Labels.from_forms(GENERIC)
    data = {"kreis": "ortenaukreis", "ort": {"ags": "0815", "name": "Kehl", "flaeche": 75, "geheim": "x"}, "jahr": 2017}
    summary = summarize(data, labels)
    assert [f[0] for f in summary.facts] == ["Jahr"]  # the hidden key and the card are not key figures
    (card,) = summary.cards
    assert card.title == "Ort" and card.about == "den Ort"
    assert card.facts == [("Ortsname", "Kehl"), ("AGS", "0815"), ("Fläche", "75,00")]  # declared fields, in order
    assert summarize(data, labels, gemeinde_view=True, gemeinde_only_ags="0815").cards == [card]
    assert summarize(data, labels, gemeinde_view=True, gemeinde_only_ags="4711").cards == []  # another Gemeinde's


def test_table_columns_come_from_the_items_schema() -> None:
    labels = Labels.from_forms(GENERIC)
    assert labels.table_keys() == {"posten"}
    data = {"posten": [{"anzahl": 2, "kosten": 10.5, "antwort": "a", "intern": "x"},
                       {"anzahl": 3, "kosten": 1, "antwort": "keine"}]}
    (table,) = data_tables(data, labels)
    assert table.title == "Posten" and table.columns == [("kosten", "Kosten"), ("antwort", "Antwort"),
                                                         ("anzahl", "Anzahl")]
    assert table.rows == [["10,50\u00a0€", "Alpha", "2"], ["1,00\u00a0€", "ohne Antwort", "3"]]
    assert table.totals == ["11,50\u00a0€", "", "5"]
    assert data_tables(data, Labels()) == []  # without a hint no table


def test_every_audit_event_the_code_records_has_a_german_label() -> None:
    """The history shows an event by its label: a kind without one would show its identifier."""
    import re
    from pathlib import Path

    from webapp.web.presenting import event_label
    from workflows import audit
    from workflows.foerderung import masterdata

    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("workflows/**/*.py"), *root.glob("webapp/**/*.py")]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files)
    kinds = set(re.findall(r"""audit\.record\(\s*session,\s*["']([a-z_]+)["']""", source))
    kinds |= {audit.RETENTION_EVENT, masterdata.IMPORTED}
    assert len(kinds) > 20  # the pattern still finds the calls
    assert sorted(k for k in kinds if event_label(k) == k) == []
    assert event_label(masterdata.IMPORTED) == "Landkreis-Stammdaten eingelesen"
