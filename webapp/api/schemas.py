"""The shapes of `/api/v1`: pydantic models, the one source of the responses and of the OpenAPI schemas.

The views build every JSON answer by validating a read model (a plain dataclass of
`workflows.inbox`) into one of these models and dumping it; `components()` gives the same models
as the OpenAPI `components/schemas`. Field names follow the API, `validation_alias` maps them onto
the read models' attribute names. Descriptions are German: they are the published contract.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Annotated, Any, Literal, Self, get_type_hints

from pydantic import AliasPath, BaseModel, BeforeValidator, ConfigDict, Field, computed_field, create_model
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from workflows.inbox import ChildSummary

REF_TEMPLATE = "#/components/schemas/{model}"


def jsonable(value: Any) -> Any:
    """Process data as plain JSON (dates and other script results become strings)."""
    return json.loads(json.dumps(value, default=str))


JsonObject = Annotated[dict[str, Any], BeforeValidator(jsonable)]
TaskStatus = Literal["ready", "completed", "cancelled"]
InstanceStatus = Literal["running", "completed", "cancelled"]
Links = Annotated[dict[str, str | None], Field(description="Verweise auf zugehörige Ressourcen (relative URLs).")]


def described(text: str, examples: list[Any] | None = None, **config: Any) -> ConfigDict:
    """A model's config with its German description (and examples) for the OpenAPI document."""
    extra: dict[str, Any] = {"description": text, **({"examples": examples} if examples else {})}
    return ConfigDict(json_schema_extra=extra, **config)  # type: ignore[typeddict-item]


class ApiModel(BaseModel):
    """Read from a dataclass's attributes; every field of an answer is required in the published schema."""

    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)

    @classmethod
    def build(cls, source: object, **extra: Any) -> Self:
        """The model from a read model's attributes plus the fields only the web knows (addresses, links)."""
        return cls.model_validate(_Overlay(source, extra))

    def to_json(self) -> dict[str, Any]:
        """The answer as JSON-ready data, in the shape `components()` publishes."""
        return self.model_dump(mode="json", by_alias=True)


class _Overlay:
    """A read model seen with a few more attributes."""

    def __init__(self, source: object, extra: dict[str, Any]) -> None:
        self._source, self._extra = source, extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._source, name)


def from_read_model(name: str, source: type, description: str, *, exclude: tuple[str, ...] = (),
                    **fields: Any) -> type[ApiModel]:
    """The answer's model of a read model (a dataclass of `workflows`): its fields in its order and with its types,
    so a field list is written once. `fields` gives one of them the API's German `Field` (description, pattern),
    or a `(type, Field)` that replaces its type or adds a field only the web knows (a link); `exclude` names the
    read model's fields the API does not publish."""
    hints = get_type_hints(source)
    own: dict[str, Any] = {}
    for field in dataclasses.fields(source):
        if field.name not in exclude:
            given = fields.pop(field.name, Field())
            own[field.name] = given if isinstance(given, tuple) else (hints[field.name], given)
    return create_model(name, __base__=ApiModel, __cls_kwargs__=dict(described(description)), **own, **fields)


def _waiting_names(messages: list[dict[str, Any]]) -> list[str]:
    return [m["name"] for m in messages]


# --------------------------------------------------------------------------- tasks and documents

class Assignee(ApiModel):
    model_config = described("Wer die Aufgabe bearbeitet: die Person `user`, sonst jede Person der Gemeinde "
                             "`gemeinde` (AGS), sonst jede Person mit der Rolle `role`.")

    user: str | None = Field(description="Benutzername, wenn die Aufgabe einer Person zugewiesen ist.")
    gemeinde: str | None = Field(description="AGS der Gemeinde, der die Aufgabe gehört.")
    role: str | None = Field(description="Die Rolle (BPMN-Lane), die man dafür braucht.")


class TaskFields(ApiModel):
    """A task as the read model knows it; `Task` adds the web address (the CLI prints this shape)."""

    model_config = described("Eine Aufgabe im Posteingang.")

    id: int = Field(description="Nummer der Aufgabe.")
    instance_id: int = Field(description="Nummer des Vorgangs.")
    business_key: str = Field(description="Bezeichnung des Vorgangs.")
    title: str
    element_id: str = Field(description="BPMN-Element (Aufgabentyp, Filter `element_id`).")
    element_name: str
    lane: str | None = Field(description="Rolle (BPMN-Lane), die die Aufgabe bearbeitet.")
    form_key: str | None
    gemeinde: str | None = Field(validation_alias="assignee_gemeinde",
                                 description="AGS der Gemeinde, der die Aufgabe gehört.")
    due_at: datetime | None
    overdue: bool
    created_at: datetime
    status: TaskStatus
    completed_by: str | None = Field(description="Benutzername der Person, die die Aufgabe erledigt hat.")
    completed_at: datetime | None
    assignee_user: str | None = Field(default=None, exclude=True)  # read for `assignee`, not shown on its own

    @computed_field  # type: ignore[prop-decorator]
    @property
    def assignee(self) -> Assignee:
        return Assignee(user=self.assignee_user, gemeinde=self.gemeinde, role=self.lane)


class Task(TaskFields):
    href: str


class Document(ApiModel):
    model_config = described("Ein erzeugtes Dokument (Metadaten).")

    id: int
    kind: str
    title: str
    filename: str
    version: int
    size: int
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    created_at: datetime
    created_by: str | None
    gemeinde: str | None = Field(validation_alias="gemeinde_ags",
                                 description="AGS, wenn das Dokument an eine Gemeinde gerichtet ist.")
    href: str = Field(description="Download-Adresse (PDF).")


class TaskDetail(Task):
    model_config = described("Eine Aufgabe mit Formular-Schema und Kontext.")

    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema (2020-12) des Formulars; der Body von "
                                                                "`complete`.")
    initial: JsonObject = Field(description="Vorbelegte Werte.")
    context: JsonObject = Field(description="Prozessdaten der Aufgabe.")
    may_complete: bool
    refusal: str | None = Field(description="Warum Sie die Aufgabe nicht erledigen dürfen.")
    documents: list[Document]
    links: Links


# --------------------------------------------------------------------------- instances and events

class CallingStep(ApiModel):
    model_config = described("Ein Schritt, der in Teilvorgängen läuft (Aufrufaktivität), z. B. die Abfrage der "
                             "Gemeinden: solange er läuft, hat der Vorgang selbst oft keine offene Aufgabe.")

    name: str
    parts: int = Field(description="Zahl der Teilvorgänge, auf die der Schritt beim letzten Schritt des Vorgangs "
                                   "wartete; ihr Stand steht unter `parts`.")


class InstanceFields(ApiModel):
    """A round as the read model knows it; `Instance` adds the web address."""

    model_config = described("Ein Vorgang (eine Förderrunde).")

    id: int
    business_key: str
    process: str = Field(validation_alias="process_key", description="Prozessschlüssel, z. B. `grant_round`.")
    process_name: str
    version: int = Field(description="Version des Prozesses (der Definition), nach der der Vorgang läuft.")
    status: InstanceStatus
    current_steps: list[str] = Field(default_factory=list, validation_alias=AliasPath("summary", "current_steps"))
    waiting_for: Annotated[list[str], BeforeValidator(_waiting_names)] = Field(
        validation_alias="waiting_messages", description="Erwartete Nachrichten.")
    next_timer_at: datetime | None
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    open_tasks: int = Field(default=0, validation_alias=AliasPath("summary", "open_tasks"))
    calling: list[CallingStep] = Field(default_factory=list, validation_alias=AliasPath("summary", "calling"),
                                       description="Schritte, die in Teilvorgängen laufen (für Gemeinden leer).")
    revision: int | None = Field(description="Stand des Vorgangs; steigt mit jedem Schritt. Als `If-Match` bei "
                                             "Schreibzugriffen: 412, wenn der Vorgang inzwischen weitergelaufen "
                                             "ist. Für Gemeinden null (er verriete, wie viele geantwortet haben).")


class ExpectedMessage(ApiModel):
    model_config = described("Eine Nachricht, auf die der Vorgang wartet.")

    name: str = Field(description="Name für `deliverMessage`.")
    element_name: str
    role: str | None = Field(description="Rolle, die sie zustellen darf (und die Administration).")
    schema_: str = Field(alias="schema", description="Adresse des JSON Schemas ihres Inhalts.")
    correlation: list[str] = Field(default_factory=list, description=(
        "Korrelationsschlüssel, die der wartende Schritt prüft: ihre Werte stehen im Inhalt der Nachricht "
        "oder werden als `correlation[NAME]=WERT` in der Adresse mitgegeben."))


class Instance(InstanceFields):
    expected_messages: list[ExpectedMessage] = Field(
        description="Die erwarteten Nachrichten mit Rolle und Schema (`waiting_for` nennt nur die Namen).")
    href: str


InstancePart = from_read_model(
    "InstancePart", ChildSummary,
    "Ein Teilvorgang (Kindinstanz) des Vorgangs: die Abfrage einer Gemeinde, eine Stellenbesetzung.",
    exclude=("acted",), status=(InstanceStatus, Field()),
    open_tasks=Field(description="Titel seiner offenen Aufgaben."),
    due_at=Field(description="Die früheste Frist seiner offenen Aufgaben."),
    href=(str, Field(description="Adresse des Teilvorgangs (`getInstance`).")))


class InstanceDetail(Instance):
    model_config = described("Ein Vorgang mit Daten, aktiven Schritten, Aufgaben und Teilvorgängen.")

    data: JsonObject = Field(description="Die aktuellen Prozessdaten (für Gemeinden leer).")
    active_elements: list[str]
    completed_elements: list[str]
    tasks: list[Task]
    parts: list[InstancePart] = Field(
        description="Seine Teilvorgänge, die Sie sehen dürfen, in Aufrufreihenfolge.")
    part_of: int | None = Field(description="Für einen Teilvorgang: die Nummer der Förderrunde, zu der er gehört.")
    links: Links


class Event(ApiModel):
    model_config = described("Ein Eintrag im Protokoll (append-only, Hash-verkettet).")

    id: int
    kind: str = Field(examples=["task_completed"])
    actor: str | None = Field(description="Benutzername; null bei Timer-Schritten.")
    created_at: datetime
    task_id: int | None
    payload: JsonObject


class StepResult(ApiModel):
    model_config = described("Ergebnis eines Prozessschritts.")

    instance_id: int
    status: InstanceStatus
    new_task_ids: list[int] = Field(description="Dadurch entstandene Aufgaben.")
    links: Links


# --------------------------------------------------------------------------- processes, Landkreise, timers

class Process(ApiModel):
    model_config = described("Eine bereitgestellte Version eines Prozesses.")

    key: str = Field(description="Prozessschlüssel (`process` beim Start).")
    name: str
    version: int
    latest: bool = Field(description="Die neueste Version; nur sie wird gestartet.")
    start_role: str | None = Field(description="Rolle, die eine Runde starten darf.")
    may_start: bool = Field(description="Ob Sie diese Version starten dürfen.")
    deployed_at: datetime


class ProcessList(ApiModel):
    model_config = described("Die bereitgestellten Prozesse, je Schlüssel neueste Version zuerst.")
    items: list[Process]


class Landkreis(ApiModel):
    model_config = described("Ein Landkreis; `key` ist `data.landkreis` beim Start einer Runde.")

    key: str
    name: str


class LandkreisList(ApiModel):
    model_config = described("Die Landkreise.")
    items: list[Landkreis]


class Timer(ApiModel):
    model_config = described("Der nächste Timer eines laufenden Vorgangs.")

    instance_id: int
    business_key: str
    due_at: datetime
    due: bool = Field(description="Fällig: der Zeitpunkt ist erreicht, der Timer wartet auf den Taktgeber.")
    href: str = Field(description="Adresse des Vorgangs.")


class TimerList(ApiModel):
    model_config = described("Die geplanten Timer der Vorgänge, die Sie sehen dürfen, früheste zuerst.")
    items: list[Timer]


class FiredTimers(ApiModel):
    model_config = described("Ergebnis des Auslösens fälliger Timer.")
    fired: int = Field(ge=0, description="Anzahl der Vorgänge, die dadurch weitergelaufen sind.")


# --------------------------------------------------------------------------- pages

class PageLinks(ApiModel):
    self: str | None
    first: str | None
    last: str | None
    prev: str | None
    next: str | None


class Page(ApiModel):
    """What every page of a list has besides its items."""

    total: int = Field(ge=0)
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    pages: int = Field(ge=1)
    links: PageLinks


class TaskPage(Page):
    model_config = described("Eine Seite Aufgaben.")
    items: list[Task]


class InstancePage(Page):
    model_config = described("Eine Seite Vorgänge.")
    items: list[Instance]


class EventPage(Page):
    model_config = described("Eine Seite Protokoll.")
    items: list[Event]


class DocumentList(ApiModel):
    model_config = described("Die Dokumente eines Vorgangs.")
    items: list[Document]


# --------------------------------------------------------------------------- requests

START_EXAMPLE = {"process": "grant_round", "business_key": "Ortenaukreis 2017-2018",
                 "data": {"landkreis": "ortenaukreis"}}


class StartInstance(BaseModel):
    # its JSON Schema is also what the view validates the body against (German messages)
    model_config = described("Prozess, Bezeichnung und Startdaten einer neuen Runde.", [START_EXAMPLE],
                             extra="forbid")

    process: str = Field(title="Prozess", min_length=1, max_length=100, description="Prozessschlüssel.")
    business_key: str = Field(title="Bezeichnung", min_length=1, max_length=200,
                              description="Bezeichnung, z. B. 'Ortenaukreis 2017-2018'.")
    data: dict[str, Any] = Field(default_factory=dict, title="Startdaten", description="Startdaten des Prozesses.")


class CancelInstance(BaseModel):
    model_config = described("Der Grund des Abbruchs (steht im Protokoll).", [{"reason": "Doppelt angelegt."}],
                             extra="forbid")

    reason: str = Field(title="Grund", min_length=1, max_length=2000, description="Warum die Runde endet.")


class FireTimers(BaseModel):
    model_config = described("Wie viele Vorgänge höchstens weiterlaufen sollen.", [{"limit": 100}], extra="forbid")

    limit: int = Field(default=100, title="Höchstens", ge=1, le=1000, description="Höchstzahl der Vorgänge.")


# --------------------------------------------------------------------------- problems

class Sparse(ApiModel):
    """Members with a default appear only when set (and are optional in the published schema)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class ErrorItem(Sparse):
    pointer: str = Field(default="", description="JSON Pointer auf das Feld im Anfrageinhalt ('' = ganzer Inhalt).")
    parameter: str = Field(default="", description="Name des ungültigen Query-Parameters.")
    detail: str = Field(description="Deutsche Meldung.")


class Problem(Sparse):
    model_config = described("Fehler nach RFC 9457 (`application/problem+json`).", extra="forbid")

    type: str = Field(json_schema_extra={"format": "uri-reference"},
                      description="Art des Fehlers (Link in diese Doku).")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="Deutsche Erklärung für die Person, die die Anfrage stellte.")
    instance: str = Field(description="Pfad der Anfrage.")
    errors: list[ErrorItem] = Field(default_factory=list)
    completed_by: str | None = Field(default=None, description="Bei `already-completed`: Benutzername der Person, die "
                                                              "die Aufgabe erledigt hat.")
    completed_at: datetime | None = Field(default=None, description="Bei `already-completed`: wann (ISO 8601).")
    revision: int | None = Field(default=None, description="Bei 412: der aktuelle Stand (`revision`) des Vorgangs.")


class ValidationProblem(Problem):
    model_config = described("Ungültige Eingaben: ein Eintrag je Feld in `errors`.")

    errors: list[ErrorItem]


# --------------------------------------------------------------------------- the OpenAPI components

RESPONSES: tuple[type[BaseModel], ...] = (
    Task, TaskDetail, TaskPage, Instance, InstanceDetail, InstancePage, Event, EventPage, Document, DocumentList,
    StepResult, ProcessList, LandkreisList, TimerList, FiredTimers, Problem, ValidationProblem, ErrorItem,
)
REQUESTS: tuple[type[BaseModel], ...] = (StartInstance, CancelInstance, FireTimers)


class _Generator(GenerateJsonSchema):
    """No titles made up from field names (the English identifiers); explicit titles stay."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


_MORE: list[tuple[tuple[type[BaseModel], ...], tuple[type[BaseModel], ...]]] = []


def register(responses: tuple[type[BaseModel], ...], requests: tuple[type[BaseModel], ...]) -> None:
    """Models of endpoints in other modules of the API (e.g. `webapp.api.collab`), published with these."""
    if (responses, requests) not in _MORE:
        _MORE.append((responses, requests))


def components() -> dict[str, Any]:
    """`components/schemas`: answers in their serialized form, request bodies as the server reads them."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "serialization") for m in RESPONSES]
    models += [(m, "validation") for m in REQUESTS]
    for responses, requests in _MORE:
        models += [(m, "serialization") for m in responses] + [(m, "validation") for m in requests]
    _, schemas = models_json_schema(models, ref_template=REF_TEMPLATE, schema_generator=_Generator)
    return dict(schemas["$defs"])


def request_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A request model's JSON Schema (2020-12) on its own, for validating a body with German messages."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **model.model_json_schema(schema_generator=_Generator)}

