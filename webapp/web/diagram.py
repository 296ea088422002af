"""Server-side SVG of a BPMN diagram, with the active and completed steps highlighted.

Reads the BPMN diagram interchange (BPMNShape bounds, BPMNEdge waypoints, BPMNLabel bounds)
of a stored source. The XML comes from the database, so it is parsed with the hardened parser
of `workflows.engine.xmlsafety` (no DTDs, entities or network). A file without diagram interchange
gets a simple automatic layout (steps in columns along the sequence flows, lanes as rows), so
every process can be shown. All text is escaped; the result is safe to inline in a page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from workflows.engine.xmlsafety import UnsafeXml, parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}

TASKS = {"task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
         "businessRuleTask", "callActivity", "subProcess", "transaction"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = TASKS | EVENTS | GATEWAYS
CHAR_WIDTH = 6.4
LINE_HEIGHT = 14


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass
class Shape:
    id: str
    kind: str
    name: str
    box: Box
    label: Box | None = None
    horizontal: bool = True
    expanded: bool = True
    events: list[str] = field(default_factory=list)
    loop: str | None = None
    interrupting: bool = True
    collapsed_pool: bool = False


@dataclass
class Edge:
    id: str
    kind: str
    name: str
    points: list[tuple[float, float]]
    source: str | None
    target: str | None
    label: Box | None = None
    default: bool = False


@dataclass
class Diagram:
    """One drawable plane: its shapes and edges, and where it came from."""

    title: str
    shapes: list[Shape]
    edges: list[Edge]
    laid_out: bool = False
    processes: tuple[str, ...] = ()  # the ids of the processes it draws


# --------------------------------------------------------------------------- reading

def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _float(node: etree._Element, attr: str) -> float:
    try:
        value = float(node.get(attr, "0"))
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def _bounds(node: etree._Element | None) -> Box | None:
    if node is None:
        return None
    b = node.find("dc:Bounds", NS)
    if b is None:
        return None
    return Box(_float(b, "x"), _float(b, "y"), _float(b, "width"), _float(b, "height"))


def _semantics(root: etree._Element) -> dict[str, etree._Element]:
    return {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")
            and etree.QName(el).namespace == BPMN}


def _shape_from(element: etree._Element | None, element_id: str, box: Box) -> Shape:
    kind = _local(element.tag) if element is not None else "task"
    name = (element.get("name") or "") if element is not None else ""
    shape = Shape(element_id, kind, name, box)
    if element is None:
        return shape
    shape.events = [_local(c.tag).removesuffix("EventDefinition") for c in element
                    if _local(c.tag).endswith("EventDefinition")]
    loop = element.find("bpmn:multiInstanceLoopCharacteristics", NS)
    if loop is not None:
        shape.loop = "sequential" if loop.get("isSequential") == "true" else "parallel"
    elif element.find("bpmn:standardLoopCharacteristics", NS) is not None:
        shape.loop = "loop"
    shape.interrupting = element.get("cancelActivity", "true") != "false" and \
        element.get("isInterrupting", "true") != "false"
    if kind == "participant":
        shape.collapsed_pool = element.get("processRef") is None
    return shape


def _drawn_processes(owner: etree._Element | None) -> tuple[str, ...]:
    """The ids of the processes a plane draws: its process, or the processes of its collaboration's pools."""
    if owner is None:
        return ()
    if _local(owner.tag) == "process":
        return (owner.get("id") or "",)
    return tuple(p.get("processRef") or "" for p in owner.iterfind("bpmn:participant", NS) if p.get("processRef"))


def read_diagrams(xml: str | bytes, filename: str = "diagram.bpmn") -> list[Diagram]:
    """Every BPMNPlane of a file (or an automatic layout per process when it has none)."""
    content = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        tree = parse_xml(content, filename)
    except UnsafeXml:
        return []
    root = tree.getroot()
    elements = _semantics(root)
    diagrams = []
    for plane in root.iterfind(".//bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS):
        shapes, edges = [], []
        for node in plane.iterfind("bpmndi:BPMNShape", NS):
            ref, box = node.get("bpmnElement", ""), _bounds(node)
            if box is None:
                continue
            shape = _shape_from(elements.get(ref), ref, box)
            shape.label = _bounds(node.find("bpmndi:BPMNLabel", NS))
            shape.horizontal = node.get("isHorizontal", "true") != "false"
            shape.expanded = node.get("isExpanded", "true") != "false"
            shapes.append(shape)
        for node in plane.iterfind("bpmndi:BPMNEdge", NS):
            ref = node.get("bpmnElement", "")
            element = elements.get(ref)
            points = [(_float(p, "x"), _float(p, "y")) for p in node.iterfind("di:waypoint", NS)]
            if len(points) < 2:
                continue
            kind = _local(element.tag) if element is not None else "sequenceFlow"
            source = element.get("sourceRef") if element is not None else None
            default = False
            if source and source in elements:
                default = elements[source].get("default") == ref
            edges.append(Edge(ref, kind, (element.get("name") or "") if element is not None else "", points,
                              source, element.get("targetRef") if element is not None else None,
                              _bounds(node.find("bpmndi:BPMNLabel", NS)), default))
        if shapes:
            owner = elements.get(plane.get("bpmnElement", ""))
            title = (owner.get("name") or "") if owner is not None else ""
            if not title and owner is not None and _local(owner.tag) == "collaboration":
                title = ", ".join(p.get("name") or "" for p in owner.iterfind("bpmn:participant", NS)
                                  if p.get("processRef") and p.get("name"))
            diagrams.append(Diagram(title, shapes, edges, processes=_drawn_processes(owner)))
    if not diagrams:
        for process in root.iterfind("bpmn:process", NS):
            diagrams.append(auto_layout(process))
    return diagrams


# --------------------------------------------------------------------------- automatic layout

def auto_layout(process: etree._Element) -> Diagram:
    """Columns along the sequence flows (longest path from the start), one row band per lane."""
    nodes = [el for el in process if _local(el.tag) in FLOW_NODES and _local(el.tag) != "boundaryEvent"]
    boundaries = [el for el in process if _local(el.tag) == "boundaryEvent"]
    flows = [el for el in process if _local(el.tag) == "sequenceFlow"]
    ids = {n.get("id") for n in nodes}
    host_of = {b.get("id"): b.get("attachedToRef") for b in boundaries}
    succ: dict[str, list[str]] = {i: [] for i in ids}
    for f in flows:
        s, t = host_of.get(f.get("sourceRef"), f.get("sourceRef")), f.get("targetRef")
        if s in succ and t in ids:
            succ[s].append(t)
    # drop back edges (depth-first), then longest-path ranks
    order: list[str] = []
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    starts = [n.get("id") for n in nodes if _local(n.tag) == "startEvent"] + sorted(ids)

    def visit(node: str) -> None:
        stack = [(node, iter(succ[node]))]
        state[node] = 1
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[current] = 2
                order.append(current)
                stack.pop()
            elif state.get(child) == 1:
                back.add((current, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(succ[child])))

    for s in starts:
        if s not in state:
            visit(s)
    rank = {i: 0 for i in ids}
    for node in reversed(order):
        for child in succ[node]:
            if (node, child) not in back:
                rank[child] = max(rank[child], rank[node] + 1)
    lanes = [(lane.get("name") or "", [r.text for r in lane.iterfind("bpmn:flowNodeRef", NS)])
             for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)]
    lane_of = {ref: i for i, (_, refs) in enumerate(lanes) for ref in refs}
    if not lanes:
        lanes = [("", [])]
    slots: dict[tuple[int, int], int] = {}
    position: dict[str, tuple[int, int, int]] = {}
    for n in sorted(nodes, key=lambda e: (rank[e.get("id")], e.get("id"))):
        key = (lane_of.get(n.get("id"), 0), rank[n.get("id")])
        position[n.get("id")] = (*key, slots.get(key, 0))
        slots[key] = slots.get(key, 0) + 1
    band = 30.0
    col_w, row_h = 150.0, 120.0
    lane_rows = [max([slot + 1 for (lane, _r, slot) in position.values() if lane == i] or [1])
                 for i in range(len(lanes))]
    lane_y = [sum(lane_rows[:i]) * row_h for i in range(len(lanes))]
    width = band + (max(rank.values() or [0]) + 1) * col_w + 20
    shapes: list[Shape] = []
    centers: dict[str, tuple[float, float]] = {}
    boxes: dict[str, Box] = {}
    for el in nodes:
        lane, r, slot = position[el.get("id")]
        kind = _local(el.tag)
        w, h = (100, 80) if kind in TASKS else (36, 36) if kind in EVENTS else (50, 50)
        cx = band + 30 + r * col_w + 50
        cy = lane_y[lane] + slot * row_h + row_h / 2
        box = Box(cx - w / 2, cy - h / 2, w, h)
        boxes[el.get("id")], centers[el.get("id")] = box, (cx, cy)
        shape = _shape_from(el, el.get("id"), box)
        if kind not in TASKS:
            shape.label = Box(cx - 50, box.y + h + 4, 100, 28)
        shapes.append(shape)
    for el in boundaries:
        host = boxes.get(el.get("attachedToRef"))
        if host is None:
            continue
        box = Box(host.x + host.w - 28, host.y + host.h - 18, 36, 36)
        boxes[el.get("id")], centers[el.get("id")] = box, (box.x + 18, box.y + 18)
        shape = _shape_from(el, el.get("id"), box)
        shape.label = Box(box.x + 20, box.y + 36, 100, 28)
        shapes.append(shape)
    lane_shapes = [Shape(f"lane_{i}", "lane", name, Box(0, lane_y[i], width, lane_rows[i] * row_h))
                   for i, (name, _) in enumerate(lanes) if name]
    edges = []
    for f in flows:
        s, t = f.get("sourceRef"), f.get("targetRef")
        if s not in boxes or t not in boxes:
            continue
        sb, tb = boxes[s], boxes[t]
        sx, sy = sb.x + sb.w, sb.y + sb.h / 2
        tx, ty = tb.x, tb.y + tb.h / 2
        if s in host_of:  # boundary event: leave downwards
            sx, sy = sb.x + sb.w / 2, sb.y + sb.h
            points = [(sx, sy), (sx, ty), (tx, ty)] if tx > sx else [(sx, sy), (sx, sy + 20), (tx, sy + 20)]
        elif tx > sx:
            mx = (sx + tx) / 2
            points = [(sx, sy), (mx, sy), (mx, ty), (tx, ty)] if abs(sy - ty) > 1 else [(sx, sy), (tx, ty)]
        else:  # back edge: below both
            low = max(sb.y + sb.h, tb.y + tb.h) + 18
            points = [(sb.x + sb.w / 2, sb.y + sb.h), (sb.x + sb.w / 2, low), (tb.x + tb.w / 2, low),
                      (tb.x + tb.w / 2, tb.y + tb.h)]
        source_el = next((n for n in nodes if n.get("id") == s), None)
        edges.append(Edge(f.get("id"), "sequenceFlow", f.get("name") or "", points, s, t,
                          default=source_el is not None and source_el.get("default") == f.get("id")))
    return Diagram(process.get("name") or process.get("id") or "", lane_shapes + shapes, edges, laid_out=True,
                   processes=(process.get("id") or "",))


# --------------------------------------------------------------------------- drawing

def _wrap(text: str, width: float, max_lines: int = 4) -> list[str]:
    per_line = max(4, int(width / CHAR_WIDTH))
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > per_line:  # break very long words
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:per_line - 1] + "-")
            word = word[per_line - 1:]
        candidate = f"{current} {word}".strip()
        if len(candidate) <= per_line:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[:max_lines - 1], lines[max_lines - 1][: per_line - 1] + "…"]
    return lines


def _text(lines: list[str], cx: float, cy: float, cls: str = "bpmn-label") -> str:
    if not lines:
        return ""
    top = cy - (len(lines) - 1) * LINE_HEIGHT / 2
    spans = "".join(f'<tspan x="{cx:.1f}" y="{top + i * LINE_HEIGHT:.1f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text class="{cls}" text-anchor="middle" dominant-baseline="central">{spans}</text>'


def _event_icon(kind: str, cx: float, cy: float, r: float) -> str:
    if kind == "timer":
        hand = r * 0.45
        return (f'<circle class="bpmn-icon" cx="{cx}" cy="{cy}" r="{r * 0.62:.1f}"/>'
                f'<path class="bpmn-icon" d="M{cx},{cy} L{cx},{cy - hand:.1f} '
                f'M{cx},{cy} L{cx + hand * 0.8:.1f},{cy}"/>')
    if kind == "message":
        w, h = r * 1.0, r * 0.7
        return (f'<rect class="bpmn-icon" x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}"/>'
                f'<path class="bpmn-icon" d="M{cx - w / 2:.1f},{cy - h / 2:.1f} L{cx},{cy + h * 0.1:.1f} '
                f'L{cx + w / 2:.1f},{cy - h / 2:.1f}"/>')
    if kind in ("error", "escalation", "signal", "conditional", "terminate", "cancel", "compensate", "link"):
        if kind == "terminate":
            return f'<circle class="bpmn-icon-fill" cx="{cx}" cy="{cy}" r="{r * 0.6:.1f}"/>'
        return (f'<path class="bpmn-icon" d="M{cx},{cy - r * 0.55:.1f} L{cx + r * 0.5:.1f},{cy + r * 0.4:.1f} '
                f'L{cx - r * 0.5:.1f},{cy + r * 0.4:.1f} Z"/>')
    return ""


def _task_icon(kind: str, x: float, y: float) -> str:
    if kind == "userTask":
        return (f'<circle class="bpmn-icon" cx="{x + 12}" cy="{y + 10}" r="4"/>'
                f'<path class="bpmn-icon" d="M{x + 5},{y + 22} Q{x + 12},{y + 12} {x + 19},{y + 22} Z"/>')
    if kind == "serviceTask":
        return (f'<circle class="bpmn-icon" cx="{x + 12}" cy="{y + 14}" r="6" stroke-dasharray="3 2"/>'
                f'<circle class="bpmn-icon" cx="{x + 12}" cy="{y + 14}" r="2"/>')
    if kind == "scriptTask":
        return (f'<path class="bpmn-icon" d="M{x + 6},{y + 6} h12 v16 h-12 Z M{x + 9},{y + 11} h6 '
                f'M{x + 9},{y + 15} h6 M{x + 9},{y + 19} h6"/>')
    if kind == "businessRuleTask":
        return (f'<path class="bpmn-icon" d="M{x + 5},{y + 7} h16 v12 h-16 Z M{x + 5},{y + 11} h16 '
                f'M{x + 10},{y + 7} v12"/>')
    if kind in ("sendTask", "receiveTask"):
        return _event_icon("message", x + 13, y + 13, 10)
    if kind == "manualTask":
        return f'<path class="bpmn-icon" d="M{x + 6},{y + 18} h12 M{x + 6},{y + 14} h10 M{x + 6},{y + 10} h8"/>'
    return ""


def _loop_marker(shape: Shape) -> str:
    b = shape.box
    cx, by = b.x + b.w / 2, b.y + b.h - 6
    if shape.loop == "parallel":
        return "".join(f'<path class="bpmn-icon" d="M{cx + dx},{by - 12} v10"/>' for dx in (-5, 0, 5))
    if shape.loop == "sequential":
        return "".join(f'<path class="bpmn-icon" d="M{cx - 6},{by - 2 - dy} h12"/>' for dy in (0, 5, 10))
    if shape.loop == "loop":
        return f'<path class="bpmn-icon" d="M{cx - 4},{by - 2} a5,5 0 1,1 8,0"/>'
    return ""


def _status(element_id: str, active: set[str], done: set[str]) -> tuple[str, str]:
    if element_id in active:
        return " is-active", "aktueller Schritt"
    if element_id in done:
        return " is-done", "erledigt"
    return "", ""


def _shape_svg(shape: Shape, active: set[str], done: set[str]) -> str:
    b = shape.box
    cls, status = _status(shape.id, active, done)
    title = escape(shape.name or shape.kind) + (f" ({status})" if status else "")
    parts = [f'<g class="bpmn-el bpmn-{shape.kind}{cls}" data-element-id={quoteattr(shape.id)}>'
             f"<title>{title}</title>"]
    cx, cy = b.x + b.w / 2, b.y + b.h / 2
    if shape.kind in ("participant", "lane"):
        parts.append(f'<rect class="bpmn-pool" x="{b.x}" y="{b.y}" width="{b.w}" height="{b.h}"/>')
        if shape.collapsed_pool:
            parts.append(_text(_wrap(shape.name, b.w - 20, 2), cx, cy, "bpmn-pool-label"))
        elif shape.horizontal:
            parts.append(f'<path class="bpmn-pool-band" d="M{b.x + 30},{b.y} v{b.h}"/>')
            small = len(shape.name) * CHAR_WIDTH > b.h - 10
            lines = _wrap(shape.name, (b.h - 10) * (1.3 if small else 1), 2)
            cls = "bpmn-pool-label" + (" bpmn-label-tiny" if small else "")
            parts.append(f'<g transform="rotate(-90 {b.x + 15} {cy})">'
                         f"{_text(lines, b.x + 15, cy, cls)}</g>")
        else:
            parts.append(_text(_wrap(shape.name, b.w - 10, 2), cx, b.y + 15, "bpmn-pool-label"))
    elif shape.kind in TASKS:
        extra = " bpmn-call" if shape.kind == "callActivity" else ""
        parts.append(f'<rect class="bpmn-task{extra}" x="{b.x}" y="{b.y}" width="{b.w}" height="{b.h}" rx="10"/>')
        parts.append(_task_icon(shape.kind, b.x, b.y))
        if shape.kind in ("subProcess", "callActivity") and not shape.expanded:
            parts.append(f'<rect class="bpmn-icon" x="{cx - 6}" y="{b.y + b.h - 16}" width="12" height="12"/>'
                         f'<path class="bpmn-icon" d="M{cx - 3},{b.y + b.h - 10} h6 M{cx},{b.y + b.h - 13} v6"/>')
        parts.append(_loop_marker(shape))
        if shape.kind == "subProcess" and shape.expanded and b.h > 120:
            parts.append(_text(_wrap(shape.name, b.w - 20, 1), cx, b.y + 14))
        else:
            parts.append(_text(_wrap(shape.name, b.w - 12, 4), cx, cy))
    elif shape.kind in EVENTS:
        r = min(b.w, b.h) / 2
        dash = ' stroke-dasharray="4 3"' if not shape.interrupting else ""
        kind_cls = {"startEvent": "start", "endEvent": "end"}.get(shape.kind, "intermediate")
        parts.append(f'<circle class="bpmn-event bpmn-event-{kind_cls}" cx="{cx}" cy="{cy}" r="{r}"{dash}/>')
        if kind_cls == "intermediate":
            parts.append(f'<circle class="bpmn-event-inner" cx="{cx}" cy="{cy}" r="{r - 3}"{dash}/>')
        for event in shape.events[:1]:
            parts.append(_event_icon(event, cx, cy, r))
    elif shape.kind in GATEWAYS:
        parts.append(f'<path class="bpmn-gateway" d="M{cx},{b.y} L{b.x + b.w},{cy} L{cx},{b.y + b.h} L{b.x},{cy} Z"/>')
        s = b.w * 0.2
        if shape.kind == "exclusiveGateway":
            parts.append(f'<path class="bpmn-icon bpmn-icon-bold" d="M{cx - s},{cy - s} L{cx + s},{cy + s} '
                         f'M{cx + s},{cy - s} L{cx - s},{cy + s}"/>')
        elif shape.kind == "parallelGateway":
            parts.append(f'<path class="bpmn-icon bpmn-icon-bold" d="M{cx},{cy - s * 1.3} v{s * 2.6} '
                         f'M{cx - s * 1.3},{cy} h{s * 2.6}"/>')
        elif shape.kind == "inclusiveGateway":
            parts.append(f'<circle class="bpmn-icon bpmn-icon-bold" cx="{cx}" cy="{cy}" r="{s * 1.2:.1f}"/>')
        elif shape.kind == "eventBasedGateway":
            parts.append(f'<circle class="bpmn-icon" cx="{cx}" cy="{cy}" r="{s * 1.4:.1f}"/>'
                         f'<circle class="bpmn-icon" cx="{cx}" cy="{cy}" r="{s * 1.1:.1f}"/>')
    elif shape.kind == "textAnnotation":
        parts.append(f'<path class="bpmn-annotation" d="M{b.x + 10},{b.y} H{b.x} V{b.y + b.h} H{b.x + 10}"/>')
        parts.append(f'<text class="bpmn-label" x="{b.x + 5}" y="{b.y + 14}">{escape(shape.name)}</text>')
    elif shape.kind in ("dataObjectReference", "dataStoreReference", "dataObject"):
        parts.append(f'<path class="bpmn-data" d="M{b.x},{b.y} h{b.w - 10} l10,10 V{b.y + b.h} H{b.x} Z"/>')
    else:
        parts.append(f'<rect class="bpmn-task" x="{b.x}" y="{b.y}" width="{b.w}" height="{b.h}"/>')
    if shape.kind not in TASKS and shape.kind not in ("participant", "lane", "textAnnotation") and shape.name:
        label = shape.label or Box(cx - 50, b.y + b.h + 4, 100, 28)
        parts.append(_text(_wrap(shape.name, max(label.w, 90), 3), label.x + label.w / 2,
                           label.y + max(label.h, LINE_HEIGHT) / 2, "bpmn-label bpmn-label-small"))
    parts.append("</g>")
    return "".join(parts)


def _edge_svg(edge: Edge, active: set[str], done: set[str]) -> str:
    d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in edge.points)
    passed = edge.source in done and (edge.target in done or edge.target in active)
    cls = f"bpmn-flow bpmn-{edge.kind}" + (" is-done" if passed else "")
    markers = ""
    if edge.kind == "sequenceFlow":
        markers = ' marker-end="url(#bpmn-arrow)"'
    elif edge.kind == "messageFlow":
        markers = ' marker-start="url(#bpmn-msg-start)" marker-end="url(#bpmn-msg-end)"'
    parts = [f'<g class="{cls}"><path d="{d}"{markers}/>']
    if edge.default and len(edge.points) >= 2:
        (x1, y1), (x2, y2) = edge.points[0], edge.points[1]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        mx, my = x1 + ux * 10, y1 + uy * 10
        parts.append(f'<path class="bpmn-default" d="M{mx - uy * 5 - ux * 3:.1f},{my + ux * 5 - uy * 3:.1f} '
                     f'L{mx + uy * 5 + ux * 3:.1f},{my - ux * 5 + uy * 3:.1f}"/>')
    if edge.name:
        if edge.label:
            lx, ly = edge.label.x + edge.label.w / 2, edge.label.y + max(edge.label.h, LINE_HEIGHT) / 2
        else:
            segments = list(zip(edge.points, edge.points[1:], strict=False))
            (x1, y1), (x2, y2) = max(segments, key=lambda s: math.hypot(s[1][0] - s[0][0], s[1][1] - s[0][1]))
            lx, ly = (x1 + x2) / 2, (y1 + y2) / 2 - 10
        parts.append(_text(_wrap(edge.name, 90, 2), lx, ly, "bpmn-label bpmn-label-small"))
    parts.append("</g>")
    return "".join(parts)


DEFS = (
    '<defs>'
    '<marker id="bpmn-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" '
    'markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
    '<path d="M0,0 L10,5 L0,10 Z" class="bpmn-marker"/></marker>'
    '<marker id="bpmn-msg-end" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" '
    'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 Z" class="bpmn-marker-open"/></marker>'
    '<marker id="bpmn-msg-start" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="9" markerHeight="9" '
    'markerUnits="userSpaceOnUse">'
    '<circle cx="5" cy="5" r="4" class="bpmn-marker-open"/></marker>'
    '</defs>'
)


def render_svg(diagram: Diagram, active: Iterable[str] = (), done: Iterable[str] = (),
               label: str = "Prozessdiagramm", lane_heads: bool = False) -> str:
    """The diagram as an inline `<svg>` element (all text escaped); with `lane_heads`, a wide diagram with
    lanes comes in a `div` with a copy of its pool and lane names that stays at the left while it scrolls."""
    active_set, done_set = set(active), set(done)
    xs: list[float] = []
    ys: list[float] = []
    for s in diagram.shapes:
        xs += [s.box.x, s.box.x + s.box.w]
        ys += [s.box.y, s.box.y + s.box.h]
        if s.label:
            xs += [s.label.x, s.label.x + s.label.w]
            ys += [s.label.y, s.label.y + s.label.h + LINE_HEIGHT]
    for e in diagram.edges:
        xs += [p[0] for p in e.points]
        ys += [p[1] for p in e.points]
    if not xs:
        xs, ys = [0.0, 100.0], [0.0, 100.0]
    pad = 16
    x0, y0 = min(xs) - pad, min(ys) - pad
    width, height = max(xs) - x0 + pad, max(ys) - y0 + pad
    order = {"participant": 0, "lane": 1}
    shapes = sorted(diagram.shapes, key=lambda s: (order.get(s.kind, 2 if s.kind != "boundaryEvent" else 4)))
    body = ([_shape_svg(s, active_set, done_set) for s in shapes if order.get(s.kind, 2) < 2]
            + [_edge_svg(e, active_set, done_set) for e in diagram.edges]
            + [_shape_svg(s, active_set, done_set) for s in shapes if order.get(s.kind, 2) >= 2])
    size = "bpmn-wide" if width > 1600 else "bpmn-fit"
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram {size}" role="img" '
           f'aria-label={quoteattr(label)} viewBox="{x0:.0f} {y0:.0f} {width:.0f} {height:.0f}" '
           f'width="{width:.0f}" height="{height:.0f}" preserveAspectRatio="xMinYMin meet">'
           f"<title>{escape(label)}</title>{DEFS}{''.join(body)}</svg>")
    heads = [sh for sh in shapes if sh.kind in ("participant", "lane") and sh.horizontal and not sh.collapsed_pool]
    if not lane_heads or size != "bpmn-wide" or not heads:
        return svg
    # the pool and lane names stay in view while a wide diagram scrolls sideways: a copy of the header
    # bands, stuck to the left edge of the scroll box (decorative: the diagram itself carries the names)
    head_w = max(sh.box.x + 30 for sh in heads) - x0 + 1
    strip = (f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram bpmn-lane-heads" aria-hidden="true" '
             f'viewBox="{x0:.0f} {y0:.0f} {head_w:.0f} {height:.0f}" width="{head_w:.0f}" height="{height:.0f}" '
             f'preserveAspectRatio="xMinYMin meet">{"".join(_shape_svg(sh, set(), set()) for sh in heads)}</svg>')
    return f'<div class="diagram-stack">{svg}{strip}</div>'


STANDALONE_STYLE = """
.bpmn-diagram{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:12px}
.bpmn-pool{fill:#fff;stroke:#5b6770;stroke-width:1.2}.bpmn-pool-band{stroke:#5b6770}
.bpmn-pool-label{font-weight:600;fill:#1f2a33}
.bpmn-task,.bpmn-gateway,.bpmn-event,.bpmn-data{fill:#fff;stroke:#1f2a33;stroke-width:1.5}
.bpmn-call{stroke-width:3.5}.bpmn-event-end{stroke-width:3.5}.bpmn-event-inner{fill:none;stroke:#1f2a33}
.bpmn-icon{fill:none;stroke:#1f2a33;stroke-width:1.3}.bpmn-icon-bold{stroke-width:3}
.bpmn-icon-fill{fill:#1f2a33}.bpmn-label{fill:#1f2a33}.bpmn-label-small{font-size:11px}
.bpmn-flow path{fill:none;stroke:#1f2a33;stroke-width:1.3}.bpmn-messageFlow path{stroke-dasharray:6 4}
.bpmn-association path{stroke-dasharray:2 3}.bpmn-marker{fill:#1f2a33}.bpmn-marker-open{fill:#fff;stroke:#1f2a33}
.bpmn-annotation{fill:none;stroke:#5b6770}
.is-done .bpmn-task,.is-done .bpmn-event,.is-done .bpmn-gateway{fill:#e3f1e6;stroke:#1e6b34}
.bpmn-flow.is-done path{stroke:#1e6b34;stroke-width:2}
.is-active .bpmn-task,.is-active .bpmn-event,.is-active .bpmn-gateway{fill:#fff1cc;stroke:#9a4a00;stroke-width:4}
"""


def render_sources(sources: dict[str, str], active: Iterable[str] = (), done: Iterable[str] = (),
                   lane_heads: bool = False, own: str | None = None) -> list[tuple[str, str]]:
    """(title, svg) for every diagram of every BPMN source (DMN files are skipped), those of the process `own`
    (the round's) first, then the others (the processes it calls) by file name; `lane_heads` see `render_svg`."""
    diagrams = [(diagram.title or name, diagram) for name, xml in sorted(sources.items()) if name.endswith(".bpmn")
                for diagram in read_diagrams(xml, name)]
    diagrams.sort(key=lambda found: own not in found[1].processes)
    return [(title, render_svg(diagram, active, done, f"Prozessdiagramm: {title}", lane_heads))
            for title, diagram in diagrams]
