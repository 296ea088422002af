"""Form strings <-> typed JSON per schema (webapp/formdata.py)."""

from __future__ import annotations

from typing import Any

from webapp.web import formdata
from workflows.errors import FieldError

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Name"},
        "text": {"type": "string", "title": "Text", "x-widget": "textarea"},
        "anzahl": {"type": "integer", "title": "Anzahl"},
        "anteil": {"type": "number", "title": "Anteil"},
        "betrag": {"type": "number", "title": "Betrag", "x-widget": "money"},
        "datum": {"type": "string", "format": "date", "title": "Datum"},
        "wahl": {"type": "string", "enum": ["a", "b"], "x-enumLabels": ["Alpha", "Beta"]},
        "stimme": {"type": "string", "enum": ["ja", "nein"], "x-widget": "radio"},
        "stufe": {"type": "integer", "enum": [1, 2]},
        "ok": {"type": "boolean", "title": "Bestätigt"},
        "kanaele": {"type": "array", "items": {"type": "string", "enum": ["internet", "presse"]}},
        "posten": {"type": "array", "title": "Posten", "items": {"type": "object", "properties": {
            "bezeichnung": {"type": "string", "title": "Bezeichnung"},
            "summe": {"type": "number", "title": "Summe", "x-widget": "money"}}}},
        "adresse": {"type": "object", "properties": {"ort": {"type": "string", "title": "Ort"}}},
    },
    "required": ["name"],
}


def test_widgets_follow_the_conventions() -> None:
    widgets = {f.key: f.widget for f in formdata.build_fields(SCHEMA, {})}
    assert widgets == {"name": "text", "text": "textarea", "anzahl": "integer", "anteil": "number",
                       "betrag": "money", "datum": "date", "wahl": "select", "stimme": "radio", "stufe": "select",
                       "ok": "checkbox", "kanaele": "multi", "posten": "rows", "adresse": "group"}


def test_parse_converts_german_input_to_typed_json() -> None:
    raw = {"name": [" Lahr "], "text": ["Zeile 1\nZeile 2"], "anzahl": ["1.200"], "anteil": ["0,75"],
           "betrag": ["64.000,00"], "datum": ["24.11.2026"], "wahl": ["b"], "stimme": ["ja"], "stufe": ["2"],
           "ok": ["1"], "kanaele": ["internet", "presse"], "posten.__rows": ["3"],
           "posten.0.bezeichnung": ["Miete"], "posten.0.summe": ["1.234,5"],
           "posten.1.bezeichnung": [""], "posten.1.summe": [""],
           "posten.2.bezeichnung": ["Reise"], "posten.2.summe": ["12"], "adresse.ort": ["Kehl"]}
    data, errors = formdata.parse(SCHEMA, raw)
    assert errors == {}
    assert data == {"name": "Lahr", "text": "Zeile 1\nZeile 2", "anzahl": 1200, "anteil": 0.75, "betrag": 64000.0,
                    "datum": "2026-11-24", "wahl": "b", "stimme": "ja", "stufe": 2, "ok": True,
                    "kanaele": ["internet", "presse"],
                    "posten": [{"bezeichnung": "Miete", "summe": 1234.5}, {"bezeichnung": "Reise", "summe": 12.0}],
                    "adresse": {"ort": "Kehl"}}


def test_empty_inputs_are_left_out_and_unchecked_box_is_false() -> None:
    data, errors = formdata.parse(SCHEMA, {"name": [""], "anzahl": [""], "posten.__rows": ["2"]})
    assert errors == {}
    assert data == {"ok": False, "kanaele": [], "posten": []}


def test_conversion_errors_are_german_and_by_path() -> None:
    raw = {"anzahl": ["1,5"], "anteil": ["viel"], "betrag": ["12,345"], "datum": ["31.02.2026"], "wahl": ["x"],
           "posten.0.summe": ["abc"]}
    _, errors = formdata.parse(SCHEMA, raw)
    assert errors == {
        "anzahl": "Bitte eine ganze Zahl eingeben.",
        "anteil": "Bitte eine Zahl eingeben.",
        "betrag": "Bitte höchstens zwei Nachkommastellen (Cent) angeben.",
        "datum": "Bitte ein Datum angeben (TT.MM.JJJJ).",
        "wahl": "Bitte einen der vorgegebenen Werte wählen.",
        "posten.0.summe": "Bitte einen Betrag wie 64.000,00 eingeben.",
    }


def test_to_raw_shows_typed_values_the_german_way() -> None:
    raw = formdata.to_raw(SCHEMA, {"betrag": 64000, "anteil": 0.75, "datum": "2026-11-24", "ok": True,
                                   "posten": [{"bezeichnung": "A", "summe": 5}], "adresse": {"ort": "Kehl"}})
    assert raw["betrag"] == ["64.000,00"] and raw["anteil"] == ["0,75"] and raw["datum"] == ["2026-11-24"]
    assert raw["ok"] == ["1"] and raw["posten.__rows"] == ["1"] and raw["posten.0.summe"] == ["5,00"]
    assert raw["adresse.ort"] == ["Kehl"]
    data, errors = formdata.parse(SCHEMA, {**raw, "name": ["x"]})
    assert not errors and data["betrag"] == 64000.0 and data["posten"] == [{"bezeichnung": "A", "summe": 5.0}]


def test_row_actions_add_and_remove_without_javascript() -> None:
    raw = {"posten.__rows": ["2"], "posten.0.bezeichnung": ["A"], "posten.1.bezeichnung": ["B"]}
    added = formdata.row_action(raw, "add:posten")
    assert added is not None and formdata.row_count(added, "posten") == 3
    removed = formdata.row_action(raw, "remove:posten:0")
    assert removed == {"posten.__rows": ["1"], "posten.0.bezeichnung": ["B"]}
    assert formdata.row_action(raw, "") is None
    fields = {f.key: f for f in formdata.build_fields(SCHEMA, added)}
    assert len(fields["posten"].rows) == 3 and fields["posten"].rows[1][0].value == "B"
    assert [c.label for c in fields["posten"].children] == ["Bezeichnung", "Summe"]


def test_engine_errors_land_beside_their_fields() -> None:
    errors = formdata.errors_by_path([FieldError("/posten/1/summe", "Summe: Bitte ausfüllen."),
                                      FieldError("/name", "Name: Bitte ausfüllen."), FieldError("", "Formular")])
    fields = {f.key: f for f in formdata.build_fields(SCHEMA, {"posten.__rows": ["2"]}, errors)}
    assert fields["name"].error == "Bitte ausfüllen."  # the label is already beside it
    assert fields["posten"].rows[1][1].error == "Bitte ausfüllen."
    assert errors[""] == "Formular"


def test_compact_drops_empty_rows_so_indices_match() -> None:
    raw = {"posten.__rows": ["3"], "posten.0.bezeichnung": [""], "posten.1.bezeichnung": ["B"]}
    assert formdata.compact(SCHEMA, raw) == {"posten.__rows": ["1"], "posten.0.bezeichnung": ["B"]}
