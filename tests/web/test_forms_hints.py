"""Form details from issue 17 without a browser: IBAN (normalised, mod-97, grouped), German bounds,
choices from `oneOf`/`const` and `x-enum-labels`, no totals of ratings, VZÄ decimals, templates' fields."""

from __future__ import annotations

from typing import Any

import pytest

from webapp.web import formdata, presenting
from workflows.engine import forms
from workflows.formatting import NBSP, compact_iban, format_iban, iban_problem
from workflows.inbox.templates import template_fields

IBAN_FORM: dict[str, Any] = {"type": "object", "required": ["iban"], "properties": {
    "iban": {"type": "string", "title": "IBAN", "format": "iban"},
    "betrag": {"type": "number", "title": "Betrag", "x-widget": "money", "maximum": 64000},
    "vza": {"type": "number", "title": "VZÄ", "minimum": 0.25, "maximum": 1, "x-decimals": 2},
    "anzahl": {"type": "integer", "title": "Anzahl", "maximum": 12000}}}


@pytest.mark.parametrize("typed", ["DE89 3704 0044 0532 0130 00", "de89370400440532013000",
                                   " DE89-3704-0044-0532-0130-00 ", "DE89\u00a03704\u00a00044 0532 0130 00"])
def test_an_iban_as_people_write_it_is_accepted_and_stored_compact(typed: str) -> None:
    assert forms.validation_errors(IBAN_FORM, {"iban": typed}) == []
    assert forms.normalized(IBAN_FORM, {"iban": typed}) == {"iban": "DE89370400440532013000"}
    assert format_iban(typed) == "DE89 3704 0044 0532 0130 00"


def test_an_iban_with_a_wrong_check_digit_is_refused_in_german() -> None:
    (error,) = forms.validation_errors(IBAN_FORM, {"iban": "DE89 3704 0044 0532 0130 01"})
    assert error.pointer == "/iban" and error.message == ("IBAN: Die Prüfziffer der IBAN stimmt nicht: "
                                                          "bitte auf Tippfehler prüfen.")
    (short,) = forms.validation_errors(IBAN_FORM, {"iban": "DE89 3704 0044 0532 0130"})
    assert "22 Zeichen" in short.message
    (junk,) = forms.validation_errors(IBAN_FORM, {"iban": "Sparkasse"})
    assert "Ländercode" in junk.message
    assert iban_problem("GB82 WEST 1234 5698 7654 32") is None  # other SEPA countries' IBANs count too
    assert compact_iban("gb82 west 1234 5698 7654 32") == "GB82WEST12345698765432"


def test_limits_are_told_in_german_number_format() -> None:
    errors = {e.pointer: e.message for e in forms.validation_errors(
        IBAN_FORM, {"iban": "DE89370400440532013000", "betrag": 70000, "vza": 0.1, "anzahl": 20000})}
    assert errors == {"/betrag": f"Betrag: Der Wert darf höchstens 64.000,00{NBSP}€ sein.",
                      "/vza": "VZÄ: Der Wert muss mindestens 0,25 sein.",
                      "/anzahl": "Anzahl: Der Wert darf höchstens 12.000 sein."}


def test_the_form_shows_the_iban_grouped_and_vza_with_two_decimals() -> None:
    raw = formdata.to_raw(IBAN_FORM, {"iban": "DE89370400440532013000", "vza": 1})
    assert raw["iban"] == ["DE89 3704 0044 0532 0130 00"] and raw["vza"] == ["1,00"]
    labels = presenting.Labels.from_forms(IBAN_FORM)
    assert labels.value("iban", "DE89370400440532013000") == "DE89 3704 0044 0532 0130 00"
    assert labels.value("vza", 5) == "5,00"


CHOICES: dict[str, Any] = {"type": "object", "properties": {
    "person": {"type": "string", "title": "Ausgewählte Person",
               "oneOf": [{"const": "b-17", "title": "Berta Beispiel"}, {"const": "c-18", "title": "Carl Muster"}]},
    "kategorie": {"type": "string", "title": "Kategorie", "enum": ["a", "b"],
                  "x-enum-labels": ["a) Bachelor", "b) anderer Abschluss"]}}}


def test_choices_from_oneof_const_and_x_enum_labels_are_selects_with_labels() -> None:
    fields = {f.key: f for f in formdata.build_fields(CHOICES, {})}
    assert fields["person"].widget == "select" and fields["kategorie"].widget == "select"
    assert fields["person"].options == [("b-17", "Berta Beispiel"), ("c-18", "Carl Muster")]
    assert fields["kategorie"].options == [("a", "a) Bachelor"), ("b", "b) anderer Abschluss")]
    assert formdata.parse(CHOICES, {"person": ["c-18"]}) == ({"person": "c-18"}, {})
    assert formdata.parse(CHOICES, {"person": ["x"]})[1] == {"person": "Bitte einen der vorgegebenen Werte wählen."}
    (error,) = forms.validation_errors(CHOICES, {"person": "x"})
    assert error.message == "Ausgewählte Person: Bitte einen der vorgegebenen Werte wählen."
    labels = presenting.Labels.from_forms(CHOICES)
    assert labels.value("person", "b-17") == "Berta Beispiel"
    assert labels.value("kategorie", "b") == "b) anderer Abschluss"


RATINGS: dict[str, Any] = {"type": "object", "properties": {"gespraeche": {"type": "array", "items": {
    "type": "object", "properties": {
        "name": {"type": "string", "title": "Name"},
        "bewertung": {"type": "integer", "title": "Bewertung", "description": "1 (sehr gut) bis 5", "x-sum": False},
        "vza": {"type": "number", "title": "VZÄ", "x-decimals": 2}}}}}}


def test_ratings_are_not_summed_and_vza_totals_keep_their_decimals() -> None:
    raw = formdata.to_raw(RATINGS, {"gespraeche": [{"name": "A", "bewertung": 2, "vza": 0.5},
                                                   {"name": "B", "bewertung": 1, "vza": 0.25}]})
    (rows,) = formdata.build_fields(RATINGS, raw)
    assert rows.attrs["totals"] == ["", "", "0,75"]
    assert [c.help for c in rows.children] == ["", "1 (sehr gut) bis 5", ""]  # the hint of each column
    table = presenting.data_tables({"liste": [{"bewertung": 2, "vza": 0.5}, {"bewertung": 1, "vza": 1}]},
                                   presenting.Labels.from_forms({"x-context": {"liste": {
                                       "type": "array", "x-table": True, "items": RATINGS["properties"][
                                           "gespraeche"]["items"]}}}))
    assert table[0].totals == ["", "1,50"] and table[0].rows[1] == ["1", "1,00"]


def test_a_template_hands_on_only_the_listed_editable_fields() -> None:
    schema = {"x-template": ["text", "frist", "nummer", "unbekannt"], "properties": {
        "text": {"type": "string"}, "nummer": {"type": "string", "readOnly": True}, "frist": {"type": "string"},
        "umfang": {"type": "number"}}}
    assert template_fields(schema) == ["text", "frist"]
    assert template_fields({"properties": {"text": {}}}) == []
