"""The server-side BPMN renderer (webapp/diagram.py)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from webapp.web import diagram

ROOT = Path(__file__).resolve().parents[2]
VOTE = Path(__file__).resolve().parent / "fixtures" / "vote" / "bpmn" / "vote_round.bpmn"
MINI = ROOT / "tests" / "fixtures" / "mini" / "bpmn" / "mini_round.bpmn"


def _svg(text: str) -> etree._Element:
    return etree.fromstring(text.encode())


def test_diagram_interchange_is_drawn_with_states() -> None:
    (diag,) = diagram.read_diagrams(VOTE.read_text())
    assert not diag.laid_out
    kinds = {s.id: s.kind for s in diag.shapes}
    assert kinds["pool_lra"] == "participant" and kinds["lane_va"] == "lane" and kinds["vote"] == "userTask"
    vote = next(s for s in diag.shapes if s.id == "vote")
    assert (vote.box.x, vote.box.y, vote.box.w, vote.box.h) == (430, 215, 100, 80) and vote.loop == "parallel"
    assert [e.points for e in diag.edges if e.id == "f1"] == [[(218.0, 125.0), (270.0, 125.0)]]
    svg = _svg(diagram.render_svg(diag, active=["vote"], done=["start", "load"]))
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert svg.xpath("//s:g[@data-element-id='vote']/@class", namespaces=ns)[0].endswith("is-active")
    assert "is-done" in svg.xpath("//s:g[@data-element-id='load']/@class", namespaces=ns)[0]
    assert "aktueller Schritt" in svg.xpath("string(//s:g[@data-element-id='vote']/s:title)", namespaces=ns)
    assert svg.get("role") == "img" and svg.get("viewBox")


def test_file_without_diagram_interchange_gets_an_automatic_layout() -> None:
    (diag,) = diagram.read_diagrams(MINI.read_text())
    assert diag.laid_out
    boxes = {s.id: s.box for s in diag.shapes}
    assert boxes["start"].x < boxes["load"].x < boxes["answer"].x < boxes["count"].x  # along the flow
    assert {"lane_0", "lane_1", "lane_2"} <= set(boxes)
    assert "deadline" in boxes  # boundary event on its host
    _svg(diagram.render_svg(diag))  # well-formed


def test_real_process_diagrams_render_the_rounds_own_first() -> None:
    sources = {f"bpmn/{p.name}": p.read_text() for p in (ROOT / "bpmn").glob("*.bpmn")}
    rendered = diagram.render_sources(sources, active=["runde_eroeffnen"], own="grant_round")
    assert len(rendered) == 4
    for _, svg in rendered:
        _svg(svg)
    own = "Landkreis – Integrationsmanagement (Pakt für Integration)"
    titles = [title for title, _ in rendered]
    assert titles[0] == own  # then the called processes, by file name
    assert titles[1:] == [t for t, _ in diagram.render_sources(sources) if t != own]
    (first, *_) = diagram.render_sources(sources, own="stellenbesetzung")
    assert first[0] == "Landkreis – Besetzung einer Stelle Integrationsmanagement"


def test_names_are_escaped_and_unsafe_xml_is_refused() -> None:
    xml = MINI.read_text().replace('name="Zählen"', 'name="&lt;script&gt;alert(1)&lt;/script&gt;"')
    (diag,) = diagram.read_diagrams(xml)
    svg = diagram.render_svg(diag)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><bpmn:definitions xmlns:bpmn="' \
           + diagram.BPMN + '"/>'
    assert diagram.read_diagrams(evil) == []
    assert diagram.read_diagrams("not xml") == []
