"""SQLAlchemy 2.0 typed models. Alembic migrations live in `workflows/migrations/`.

The `task` table is the inbox: it is kept up to date incrementally on every step, so listing
tasks never deserializes an instance. `event` is the append-only, hash-chained audit log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite (which stores them naive) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


user_role = Table(
    "user_role",
    Base.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Landkreis(Base):
    """A county running the programme; everything that differs between counties is data here."""

    __tablename__ = "landkreis"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    behoerde: Mapped[str] = mapped_column(String(200), default="")
    amt: Mapped[str] = mapped_column(String(200), default="")
    strasse: Mapped[str] = mapped_column(String(200), default="")
    plz: Mapped[str] = mapped_column(String(10), default="")
    ort: Mapped[str] = mapped_column(String(100), default="")
    telefon: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    internet: Mapped[str] = mapped_column(String(200), default="")
    muster: Mapped[bool] = mapped_column(Boolean, default=False)  # demo data: documents say "Muster"
    #: what the letters name besides the letterhead: `kontakte` {fachamt, personalamt, schriftfuehrung:
    #: {name, funktion, telefon, email}}, `angebot` (the employer's offer, list of str), `bewerbung`
    #: {portal, email, anschrift} (demo: `workflows/foerderung/data/stammdaten_ortenaukreis.json`)
    stammdaten: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")

    def as_document_data(self) -> dict[str, Any]:
        """The letterhead data the document templates expect."""
        return {"key": self.key, "name": self.name, "behoerde": self.behoerde, "amt": self.amt,
                "anschrift": {"strasse": self.strasse, "plz": self.plz, "ort": self.ort},
                "telefon": self.telefon, "email": self.email, "internet": self.internet,
                **(self.stammdaten or {})}
    gemeinden: Mapped[list[Gemeinde]] = relationship(back_populates="landkreis", order_by="Gemeinde.name")


class Regionalteam(Base):
    """A regional team of a Landkreis's Integrationsmanager; the shares of VZÄ go to teams."""

    __tablename__ = "regionalteam"
    __table_args__ = (UniqueConstraint("landkreis_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    landkreis_id: Mapped[int] = mapped_column(ForeignKey("landkreis.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class Gemeinde(Base):
    __tablename__ = "gemeinde"
    id: Mapped[int] = mapped_column(primary_key=True)
    ags: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    typ: Mapped[str] = mapped_column(String(64), default="Gemeinde")
    einwohner: Mapped[int | None]
    einwohner_jahr: Mapped[int | None]
    landkreis_id: Mapped[int] = mapped_column(ForeignKey("landkreis.id"))
    regionalteam_id: Mapped[int | None] = mapped_column(ForeignKey("regionalteam.id"))
    landkreis: Mapped[Landkreis] = relationship(back_populates="gemeinden")
    regionalteam: Mapped[Regionalteam | None] = relationship()


class Role(Base):
    """A role is what a BPMN lane is named after (`Sachbearbeitung`, `Gemeinde`, ...)."""

    __tablename__ = "role"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    gemeinde_id: Mapped[int | None] = mapped_column(ForeignKey("gemeinde.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    gemeinde: Mapped[Gemeinde | None] = relationship()
    roles: Mapped[list[Role]] = relationship(secondary=user_role, order_by="Role.key")

    @property
    def role_keys(self) -> frozenset[str]:
        return frozenset(r.key for r in self.roles)


class ProcessDefinition(Base):
    """One version of a deployable process: its sources, forms and the parsed spec, stored once."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"), Index("ix_definition_key_hash", "key", "content_hash"))
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    # the diagrams and the serialized spec are large (~100-200 KB each) and a step needs neither (the
    # parsed spec is cached per version, `engine.spiff.definition_specs`): loaded only when read
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)
    message_schemas: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str | None] = mapped_column(String(100))


class ProcessInstance(Base):
    """A running or finished process. A call activity's called process runs as a child instance:
    `parent_id`/`parent_task_id` name the caller and its waiting task (`call_slot` the call, where the
    calls of a multi-instance activity share one task), `root_id` the round (None for a root),
    `process_key` the called process within the root's definition version."""

    __tablename__ = "process_instance"
    __table_args__ = (
        UniqueConstraint("parent_id", "parent_task_id", "call_slot", name="uq_process_instance_parent_call"),
        Index("ix_process_instance_roots_created", "parent_id", "created_at", "id"),  # the round list (roots) sorted
        Index("ix_process_instance_round", "id", "root_id"),  # an instance's round without reading its row
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    state: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    waiting_messages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    parent_task_id: Mapped[str | None] = mapped_column(String(36))
    call_slot: Mapped[str | None] = mapped_column(String(200))
    call_element: Mapped[str | None] = mapped_column(String(200))
    process_key: Mapped[str | None] = mapped_column(String(100))
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a finished child's, until the parent takes them
    returned_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]  # when the Löschkonzept erased its applicants' data (`workflows.retention`)
    definition: Mapped[ProcessDefinition] = relationship()


class InstanceMigration(Base):
    """A round (or one of its parts) moved to another definition version, with what it takes to move it back.

    `state_before` and `definition_before` restore the round as it was; that is allowed only while
    the round's `version` is still `version_after` (nothing happened in it since the move).
    """

    __tablename__ = "instance_migration"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    batch: Mapped[str] = mapped_column(String(36), index=True)  # one move: a round and its parts together
    definition_before: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    definition_after: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    state_before: Mapped[str] = mapped_column(Text)
    version_after: Mapped[int]
    moved_back: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class TaskRow(Base):
    """One ready, completed or cancelled human task: the inbox index."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_status_lane_gemeinde", "status", "lane", "assignee_gemeinde"),  # a Gemeinde's inbox
        Index("ix_task_instance_status", "instance_id", "status"),
        Index("ix_task_status_gemeinde", "status", "assignee_gemeinde"),
        Index("ix_task_gemeinde_instance", "assignee_gemeinde", "instance_id"),  # the rounds a Gemeinde sees
        Index("ix_task_status_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    spiff_task_id: Mapped[str] = mapped_column(String(36), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    element_name: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(64))
    form_key: Mapped[str | None] = mapped_column(String(100))
    assignee_gemeinde: Mapped[str | None] = mapped_column(String(8))
    assignee_user: Mapped[str | None] = mapped_column(String(100))
    four_eyes_of: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="ready")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    instance: Mapped[ProcessInstance] = relationship()


class Event(Base):
    """Audit log row. `hash` = HMAC over the previous row's hash, this row's fields and `payload_hash`
    (the SHA-256 of `payload`; None for rows written before it, whose MAC covers the payload itself)."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (Index("ix_document_instance_kind", "instance_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    gemeinde_ags: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class Attachment(Base):
    """A file uploaded to a round or one of its tasks (a Bescheid letter, a signed scan, an application).

    Kept with the round like the generated `Document`s; `data_class` (e.g. `bewerberdaten`) narrows who
    sees it, `gemeinde_ags` makes it a Gemeinde's own (uploaded to its task). The type was checked by content.
    """

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_instance", "instance_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    data_class: Mapped[str | None] = mapped_column(String(64))
    gemeinde_ags: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class Notification(Base):
    """Outgoing message to a role, a Gemeinde or a user; written in the step's transaction."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    recipient_role: Mapped[str | None] = mapped_column(String(64), index=True)
    recipient_gemeinde: Mapped[str | None] = mapped_column(String(8), index=True)
    recipient_user: Mapped[str | None] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship()


class ApiIdempotencyKey(Base):
    """A POST under /api/v1 sent with an `Idempotency-Key`: its first answer, replayed for a retry."""

    __tablename__ = "api_idempotency_key"
    __table_args__ = (UniqueConstraint("username", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and body of the first request
    status: Mapped[int | None]  # None while the first request is still running
    response: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LoginThrottle(Base):
    """Failed logins per username (known or not), to slow down guessing."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]


class Job(Base):
    """One unit of work after a commit (an outbox row): a document, a mail, a timer retried.

    Written in the transaction that causes it, run by `grantflow worker`. `status` is `pending`,
    `running` (claimed: `locked_by`/`locked_at`; a lease that runs out makes it claimable again),
    `done`, `stoerung` (failed `attempts` times: Administration retries or skips it) or `skipped`.
    `unique_key` makes enqueueing idempotent (one mail per person and event).
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_run_after", "status", "run_after"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unique_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                                    index=True)
    task_ref: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300), default="")
    skippable: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    finished_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class MailSetting(Base):
    """A person's choice about e-mail; deadline mails are sent regardless."""

    __tablename__ = "mail_setting"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    mails_enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class OutboxMail(Base):
    """A mail as composed (and sent, or only kept when SMTP is off): what Administration sees."""

    __tablename__ = "outbox_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(Integer, index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="kept")  # kept (SMTP off) or sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskClaim(Base):
    """A person works on an open task ("Übernehmen"): colleagues see it; only they complete it until
    they give it back. `assigned_by` names the team lead who handed it to them, if one did."""

    __tablename__ = "task_claim"
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[str | None] = mapped_column(String(100))


class Deputy(Base):
    """A Vertretung: `deputy` acts for `principal` from `starts_on` to `ends_on` (both days included)."""

    __tablename__ = "deputy"
    __table_args__ = (Index("ix_deputy_deputy_period", "deputy", "starts_on", "ends_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(100), index=True)
    deputy: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """A comment on a round or on one of its tasks. `gemeinde_ags` and `data_class` are the task's at the
    time of writing: they decide, with the round's visibility, who reads it (`authz.may_see_comment`)."""

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_round_created", "round_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    gemeinde_ags: Mapped[str | None] = mapped_column(String(8))
    data_class: Mapped[str | None] = mapped_column(String(50))
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchEntry(Base):
    """One searchable text of a round: its name, a task's title, an Aktenzeichen, a person's name, a comment.

    The same need-to-know as the thing it comes from (`authz.search_entries_clause`): `task_id` (a task
    entry is found only while the task is in one's inbox), `gemeinde_ags` (a Gemeinde finds only what
    belongs to it), `data_class`. Its words are in `search_word`.
    """

    __tablename__ = "search_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # round, task, aktenzeichen, person, comment
    text: Mapped[str] = mapped_column(String(500))
    gemeinde_ags: Mapped[str | None] = mapped_column(String(8))
    data_class: Mapped[str | None] = mapped_column(String(50))


#: byte order on PostgreSQL, so that a prefix is a range of the index whatever the database's locale
SEARCH_WORD = String(60).with_variant(String(60, collation="C"), "postgresql")


class SearchWord(Base):
    """A word of a search entry, folded (`workflows.collab.search.fold`), once per audience (`scope`, see
    `authz.entry_scopes`): a search reads the index range of each of its words within the actor's scopes."""

    __tablename__ = "search_word"
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    word: Mapped[str] = mapped_column(SEARCH_WORD, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("search_entry.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)
