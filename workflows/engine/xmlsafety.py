"""Parse uploaded XML without DTDs, entities or network access.

lxml's default parser resolves internal entities (a "billion laughs" file expands in memory)
and can load external ones. BPMN and DMN never need a DOCTYPE, so any file that declares one
is refused before anything else reads it.
"""

from __future__ import annotations

from lxml import etree

from workflows.errors import DefinitionProblem

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
)


class UnsafeXml(Exception):
    def __init__(self, problem: DefinitionProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def parse_xml(content: bytes, filename: str) -> etree._ElementTree:
    """Parse and return the tree, or raise `UnsafeXml` naming the file and line."""
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise UnsafeXml(DefinitionProblem(filename, "DOCTYPE- und ENTITY-Deklarationen sind nicht erlaubt."))
    try:
        tree = etree.ElementTree(etree.fromstring(content, _PARSER))
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        raise UnsafeXml(DefinitionProblem(filename, f"Kein wohlgeformtes XML: {exc.msg}", line=line)) from None
    if tree.docinfo.doctype:
        raise UnsafeXml(DefinitionProblem(filename, "DOCTYPE-Deklarationen sind nicht erlaubt."))
    return tree
