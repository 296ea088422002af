"""The text search over the inbox and the rounds: names of rounds, open tasks, Aktenzeichen, people, comments.

The index is two tables (`SearchEntry`, `SearchWord`), kept up to date in the step's own transaction
by `on_step_saved` (an engine step observer, registered by `workflows.wiring`) and by the comment
service. Every query word is a prefix of a word of one entry ("keh" finds "Kehl"); a prefix is a
range of the `search_word` primary key on SQLite and PostgreSQL alike (words are folded to a–z, 0–9
and the column sorts bytewise), so a search costs a few index ranges, not a scan of every round.
What an actor finds is filtered by `authz.search_entries_clause`: never more than they could open.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, intersect, select
from sqlalchemy.orm import Session

from workflows import audit
from workflows.engine.taskindex import IndexChange
from workflows.identity import authz
from workflows.inbox.classified import Classification, form_classification
from workflows.storage.db import Database
from workflows.storage.models import Event, Gemeinde, ProcessInstance, SearchEntry, SearchWord, TaskRow

#: keys of submitted data and messages whose values are indexed, and as what
INDEXED_KEYS = {"aktenzeichen": "aktenzeichen", "name": "person", "vorname": "person", "nachname": "person",
                "ansprechperson": "person"}
KIND_LABELS = {"round": "Vorgang", "task": "Aufgabe", "aktenzeichen": "Aktenzeichen", "person": "Person",
               "comment": "Kommentar"}
MAX_WORD, MAX_TERMS, MIN_TERM, MAX_QUERY = 60, 6, 2, 200
PAGE, MAX_PAGES = 200, 25  #: candidates checked against the exact rule at a time, and at most
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> list[str]:
    """The words of a text as the index holds them: lower case, umlauts as ae/oe/ue, accents dropped."""
    lowered = text.lower().translate(_FOLD)
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    return [w[:MAX_WORD] for w in _WORD.findall(ascii_text)]


def add_entry(session: Session, *, round_id: int, instance_id: int, kind: str, text: str, words_from: str = "",
              task_id: int | None = None, comment_id: int | None = None, gemeinde_ags: str | None = None,
              data_class: str | None = None, lane: str | None = None, assignee_user: str | None = None) -> None:
    """Queue one entry and its words (`text`, plus `words_from` for what it is also found by), once per scope;
    `write_entries` writes the queued ones with one flush."""
    words = set(fold(f"{text} {words_from}"))
    if not words:
        return
    entry = SearchEntry(round_id=round_id, instance_id=instance_id, kind=kind, text=text[:500], task_id=task_id,
                        comment_id=comment_id, gemeinde_ags=gemeinde_ags, data_class=data_class)
    session.add(entry)
    scopes = authz.entry_scopes(kind, lane=lane, gemeinde_ags=gemeinde_ags, assignee_user=assignee_user,
                                data_class=data_class)
    session.info.setdefault("search_queued", []).append((entry, sorted(words), scopes))


def write_entries(session: Session) -> None:
    """The queued entries get their ids in one flush, then their words."""
    queued: list[tuple[SearchEntry, list[str], list[str]]] = session.info.pop("search_queued", [])
    if not queued:
        return
    session.flush()
    session.add_all(SearchWord(scope=scope, word=w, entry_id=entry.id)
                    for entry, words, scopes in queued for scope in scopes for w in words)


# --------------------------------------------------------------------------- keeping the index

def _values(data: Any, field: str | None = None) -> Iterator[tuple[str, str, str]]:
    """(field, kind, text) of the indexed keys anywhere in submitted data (rows of a table included); `field`
    is the top-level key it was found under (whose data class it has)."""
    if isinstance(data, Mapping):
        gemeinde = "ags" in data  # a Gemeinde's record: its "name" is no person (tasks are found by it anyway)
        for key, value in data.items():
            kind = None if gemeinde and key == "name" else INDEXED_KEYS.get(str(key))
            if kind and isinstance(value, str) and value.strip():
                yield field or str(key), kind, value.strip()
            elif isinstance(value, Mapping | list):
                yield from _values(value, field or str(key))
    elif isinstance(data, list):
        for item in data:
            yield from _values(item, field)


_GEMEINDE_NAMES: dict[str, str] = {}  #: per process: a Gemeinde's name (a rename reaches new tasks after a restart)


def _gemeinde_name(session: Session, ags: str | None) -> str:
    if not ags:
        return ""
    if ags not in _GEMEINDE_NAMES:
        _GEMEINDE_NAMES[ags] = session.scalars(select(Gemeinde.name).where(Gemeinde.ags == ags)).first() or ""
    return _GEMEINDE_NAMES[ags]


def _add_task_entry(session: Session, round_id: int, business_key: str, row: TaskRow) -> None:
    """An open task, found by its title, its element's name, the round and its Gemeinde's name."""
    add_entry(session, round_id=round_id, instance_id=row.instance_id, kind="task", text=row.title,
              words_from=f"{row.element_name} {business_key} {_gemeinde_name(session, row.assignee_gemeinde)}",
              task_id=row.id, gemeinde_ags=row.assignee_gemeinde, lane=row.lane, assignee_user=row.assignee_user)


def on_step_saved(session: Session, instance: ProcessInstance, change: IndexChange, actor: str | None) -> None:
    """Index what a step brought: a new round's name, the tasks that became ready, and the Aktenzeichen and
    names in what was submitted or delivered (read from the step's pending audit events)."""
    round_id = instance.root_id or instance.id
    business_key = instance.business_key
    if instance.root_id is None and session.scalars(select(SearchEntry.id).where(
            SearchEntry.instance_id == instance.id, SearchEntry.kind == "round").limit(1)).first() is None:
        add_entry(session, round_id=round_id, instance_id=instance.id, kind="round", text=business_key)
    for row in change.created:
        _add_task_entry(session, round_id, business_key, row)
    _drop_task_entries(session, [r.id for r in change.cancelled])
    done: set[int] = session.info.setdefault("search_indexed_events", set())
    for event in audit.pending(session):
        if event.instance_id != instance.id or id(event) in done:
            continue
        done.add(id(event))
        _index_event(session, instance, round_id, event.kind, event.payload, event.task_id)
    write_entries(session)


def _index_event(session: Session, instance: ProcessInstance, round_id: int, kind: str,
                 payload: Mapping[str, Any], task_id: int | None) -> None:
    gemeinde, classification, data = None, Classification(), None
    if kind == "task_completed" and task_id is not None:
        _drop_task_entries(session, [task_id])  # no longer in anyone's inbox
        row = session.get(TaskRow, task_id)
        if row is None:
            return
        schema = instance.definition.forms.get(row.form_key or "", {})
        gemeinde, classification, data = row.assignee_gemeinde, form_classification(schema), payload.get("data")
    elif kind == "message_received":
        schema = instance.definition.message_schemas.get(str(payload.get("message")), {})
        if isinstance(schema, Mapping):
            classification = form_classification(schema)
        data = payload.get("payload")
    elif kind == "instance_started":
        data = payload.get("data")
    seen: set[tuple[str, str, str | None]] = set()
    for field, value_kind, text in _values(data):  # a value has its form's class, else its field's
        cls = classification.whole or classification.fields.get(field)
        data_class = cls.key if cls else None
        if (value_kind, text, data_class) in seen:
            continue
        seen.add((value_kind, text, data_class))
        add_entry(session, round_id=round_id, instance_id=instance.id, kind=value_kind, text=text,
                  words_from=instance.business_key if value_kind == "aktenzeichen" else "",
                  task_id=task_id, gemeinde_ags=gemeinde, data_class=data_class)


def _drop_task_entries(session: Session, task_ids: list[int]) -> None:
    """A done or withdrawn task's inbox entry goes, with its words."""
    if not task_ids:
        return
    entries = select(SearchEntry.id).where(SearchEntry.task_id.in_(task_ids), SearchEntry.kind == "task")
    session.execute(delete(SearchWord).where(SearchWord.entry_id.in_(entries)))
    session.execute(delete(SearchEntry).where(SearchEntry.task_id.in_(task_ids), SearchEntry.kind == "task"))


@dataclass(frozen=True)
class ReindexResult:
    rounds: int
    tasks: int


_REINDEXED_EVENTS = ("instance_started", "task_completed", "message_received")


def reindex(db: Database) -> ReindexResult:
    """Build the index of every round again from its rows and its audit history (`grantflow search reindex`).

    For rounds started before the index existed (migration 0012), or whose entries were lost. Each round
    in its own transaction: its entries are dropped (not its comments, which `workflows.collab.comments`
    indexes when they are written) and written again, as the steps would have; running it twice changes
    nothing. Returns how many rounds and open tasks were indexed."""
    with db.read() as session:
        round_ids = list(session.scalars(select(ProcessInstance.id).where(ProcessInstance.root_id.is_(None))
                                         .order_by(ProcessInstance.id)))
    tasks = 0
    for round_id in round_ids:
        with db.write() as session:
            tasks += _reindex_round(session, round_id)
    return ReindexResult(len(round_ids), tasks)


def _reindex_round(session: Session, round_id: int) -> int:
    stale = select(SearchEntry.id).where(SearchEntry.round_id == round_id, SearchEntry.kind != "comment")
    session.execute(delete(SearchWord).where(SearchWord.entry_id.in_(stale)))
    session.execute(delete(SearchEntry).where(SearchEntry.round_id == round_id, SearchEntry.kind != "comment"))
    parts = {i.id: i for i in session.scalars(select(ProcessInstance).where(
        (ProcessInstance.id == round_id) | (ProcessInstance.root_id == round_id)))}
    root = parts[round_id]
    add_entry(session, round_id=round_id, instance_id=round_id, kind="round", text=root.business_key)
    for event in session.scalars(select(Event).where(Event.instance_id.in_(parts), Event.kind.in_(_REINDEXED_EVENTS))
                                 .order_by(Event.id)):
        _index_event(session, parts[int(event.instance_id or round_id)], round_id, event.kind, event.payload,
                     event.task_id)
    open_tasks = session.scalars(select(TaskRow).where(TaskRow.instance_id.in_(parts), TaskRow.status == "ready")
                                 .order_by(TaskRow.id)).all()
    for row in open_tasks:
        _add_task_entry(session, round_id, root.business_key, row)
    write_entries(session)
    return len(open_tasks)


# --------------------------------------------------------------------------- searching

@dataclass
class Hit:
    kind: str
    kind_label: str
    text: str
    round_id: int
    business_key: str
    task_id: int | None
    comment_id: int | None


@dataclass
class SearchResult:
    query: str
    terms: list[str]
    hits: list[Hit]
    message: str | None


def terms_of(query: str) -> list[str]:
    """The query's words, longest first (the narrowest range first), at most `MAX_TERMS`."""
    words = sorted(set(fold(query[:MAX_QUERY])), key=len, reverse=True)
    return [w for w in words if len(w) >= MIN_TERM][:MAX_TERMS]


def _prefix(term: str, scopes: list[str]) -> Any:
    """The entries with a word starting with `term`, in the actor's scopes: one index range per scope."""
    upper = term[:-1] + chr(ord(term[-1]) + 1)
    return select(SearchWord.entry_id).where(SearchWord.scope.in_(scopes), SearchWord.word >= term,
                                             SearchWord.word < upper)


def search(db: Database, actor_name: str, query: str, *, limit: int = 50) -> SearchResult:
    """Entries whose words start with every word of the query, that the actor may see; newest first.

    The candidates come from the word index within the actor's scopes, newest first; the exact rule
    (`authz.search_entries_clause`) is applied to a page of them at a time, so a word found in 10,000
    rounds reads 10,000 index entries but only the rows it shows."""
    query = (query or "").strip()
    terms = terms_of(query)
    if not terms:
        message = "Bitte mindestens zwei Buchstaben oder Ziffern eingeben." if query else None
        return SearchResult(query, [], [], message)
    limit = min(max(1, limit), 200)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        scopes = authz.search_scopes(actor)
        parts = [_prefix(t, scopes) for t in terms]
        candidates: Any = intersect(*parts) if len(parts) > 1 else parts[0].distinct()
        found = candidates.subquery()
        visible = authz.search_entries_clause(actor)
        rows: list[Any] = []
        for page in range(MAX_PAGES):  # newest first, from the word index alone; the exact rule a page at a time
            ids = list(session.scalars(select(found.c.entry_id).order_by(found.c.entry_id.desc())
                                       .offset(page * PAGE).limit(PAGE)))
            if ids:
                rows += session.execute(
                    select(SearchEntry, ProcessInstance.business_key)
                    .join(ProcessInstance, ProcessInstance.id == SearchEntry.round_id)
                    .where(SearchEntry.id.in_(ids), *visible).order_by(SearchEntry.id.desc())).all()
            if len(ids) < PAGE or len(rows) >= limit:
                break
        hits = [Hit(e.kind, KIND_LABELS.get(e.kind, e.kind), e.text, e.round_id, key, e.task_id, e.comment_id)
                for e, key in rows[:limit]]
    return SearchResult(query, terms, hits, None if hits else "Keine Treffer, die Sie sehen dürfen.")

