"""Comments on a round and on its tasks, with `@username` mentions that notify the person mentioned.

Who reads a comment is `authz.may_see_comment`: staff read a round's comments and those of its tasks;
a Gemeinde only those on its own tasks (the comment keeps the task's Gemeinde); a comment on a task
whose form holds a data class only those who may see that class. A mention of someone who could not
read the comment is refused, so nobody is told of what they may not see. Each comment is an audit
event of its round or task (so it is in the round's history, redacted like the task's data) and a
search entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import audit
from workflows.collab.notify import notify_user
from workflows.collab.search import add_entry, write_entries
from workflows.engine import children
from workflows.errors import FieldError, Forbidden, NotFound, ValidationFailed
from workflows.identity import authz, data_classes
from workflows.inbox.classified import form_class
from workflows.storage.db import Database
from workflows.storage.models import Comment, Gemeinde, ProcessInstance, TaskRow, User

MAX_TEXT = 4000
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9_.-]{0,99})")


@dataclass
class CommentInfo:
    id: int
    instance_id: int
    round_id: int
    task_id: int | None
    task_title: str | None
    author: str
    author_name: str
    created_at: datetime
    text: str
    mentions: list[str]


def _text_errors(text: str) -> list[FieldError]:
    if not text:
        return [FieldError("/text", "Kommentar: Bitte einen Text eingeben.")]
    if len(text) > MAX_TEXT:
        return [FieldError("/text", f"Kommentar: Höchstens {MAX_TEXT:,} Zeichen.".replace(",", "."))]
    if "\x00" in text:
        return [FieldError("/text", "Kommentar: Der Text enthält unzulässige Zeichen.")]
    return []


def _target(session: Session, actor: authz.Actor, instance_id: int | None,
            task_id: int | None) -> tuple[ProcessInstance, TaskRow | None, str | None]:
    """The round (or its part) and task commented on, and the task's data class; 404 for what one may not see
    (a task's comments as the task: `authz.may_find_task_comments`)."""
    if task_id is not None:
        row = session.get(TaskRow, task_id)
        if row is None:
            raise NotFound(f"Aufgabe {task_id} nicht gefunden.")
        instance = authz.visible_instance(session, row.instance_id, actor)
        cls = form_class(instance.definition.forms.get(row.form_key or "", {}))
        if not authz.may_find_task_comments(actor, row, cls.key if cls else None):
            raise NotFound(f"Aufgabe {task_id} nicht gefunden.")
        return instance, row, cls.key if cls else None
    assert instance_id is not None
    return authz.visible_instance(session, instance_id, actor), None, None


def _mentioned(session: Session, text: str, comment: Comment, round_id: int) -> list[User]:
    users, errors = [], []
    for name in dict.fromkeys(MENTION.findall(text)):
        user = session.scalars(select(User).where(User.username == name, User.active.is_(True))).first()
        if user is None:
            errors.append(FieldError("/text", f"Kommentar: @{name} – diesen Benutzer gibt es nicht."))
            continue
        person = authz.load_actor(session, user.username)
        try:
            authz.visible_instance(session, round_id, person)
            readable = authz.may_see_comment(person, comment)
        except NotFound:
            readable = False
        if not readable:
            errors.append(FieldError("/text", f"Kommentar: @{name} ({user.display_name}) darf diesen Kommentar "
                                              "nicht lesen; bitte ohne diese Erwähnung schreiben."))
            continue
        users.append(user)
    if errors:
        raise ValidationFailed(errors)
    return users


def add_comment(db: Database, actor_name: str, text: str, *, instance_id: int | None = None,
                task_id: int | None = None) -> CommentInfo:
    """A comment on the round `instance_id`, or on the task `task_id`; mentions are notified."""
    text = (text or "").strip()
    if errors := _text_errors(text):
        raise ValidationFailed(errors)
    with db.write() as session:
        actor = authz.load_actor(session, actor_name)
        instance, row, data_class = _target(session, actor, instance_id, task_id)
        refusal = authz.comment_refusal(actor, row)
        if refusal:
            raise Forbidden(refusal)
        round_id = children.round_id(instance)
        comment = Comment(round_id=round_id, instance_id=instance.id, task_id=row.id if row else None,
                          gemeinde_ags=row.assignee_gemeinde if row else None, data_class=data_class,
                          author=actor.username, text=text, mentions=[])
        mentioned = _mentioned(session, text, comment, round_id)
        comment.mentions = [u.username for u in mentioned]
        session.add(comment)
        session.flush()
        audit.record(session, "comment_added", actor.username, instance.id,
                     {"comment_id": comment.id, "title": row.title if row else None,
                      "mentions": comment.mentions, "data": {"text": text}}, task_id=comment.task_id)
        add_entry(session, round_id=round_id, instance_id=instance.id, kind="comment", text=text,
                  words_from=actor.display_name, comment_id=comment.id, gemeinde_ags=comment.gemeinde_ags,
                  data_class=data_class)
        write_entries(session)
        where = f" zur Aufgabe „{row.title}“" if row else ""
        round_row = session.get(ProcessInstance, round_id)
        assert round_row is not None
        for user in mentioned:
            notify_user(session, f"comment:{comment.id}", user.username, round_row,
                        f"Erwähnung im Vorgang {round_row.business_key}",
                        f"{actor.display_name} hat Sie in einem Kommentar{where} erwähnt:\n\n„{text}“", actor.username)
        return _info(comment, {actor.username: actor.display_name}, {row.id: row.title} if row else {})


def _info(c: Comment, names: dict[str, str], titles: dict[int, str]) -> CommentInfo:
    return CommentInfo(c.id, c.instance_id, c.round_id, c.task_id, titles.get(c.task_id or 0), c.author,
                       names.get(c.author, c.author), c.created_at, c.text, list(c.mentions or []))


def list_comments(db: Database, actor_name: str, *, instance_id: int | None = None,
                  task_id: int | None = None) -> list[CommentInfo]:
    """A round's comments (its own and its tasks'), or one task's, that the actor may read; oldest first."""
    with db.read() as session:
        return read_comments(session, authz.load_actor(session, actor_name), instance_id=instance_id,
                             task_id=task_id)


def read_comments(session: Session, actor: authz.Actor, *, instance_id: int | None = None,
                  task_id: int | None = None) -> list[CommentInfo]:
    instance, row, _ = _target(session, actor, instance_id, task_id)
    where = [Comment.task_id == row.id] if row else [Comment.round_id == children.round_id(instance)]
    rows = list(session.scalars(select(Comment).where(*where, *authz.comments_clause(actor))
                                .order_by(Comment.created_at, Comment.id)))
    names = dict(session.execute(select(User.username, User.display_name)
                                 .where(User.username.in_(sorted({c.author for c in rows})))).all())
    task_ids = sorted({c.task_id for c in rows if c.task_id})
    titles = dict(session.execute(select(TaskRow.id, TaskRow.title).where(TaskRow.id.in_(task_ids))).all()) \
        if task_ids else {}
    return [_info(c, names, titles) for c in rows]


@dataclass
class CommentPolicy:
    allowed: bool
    audience: str


def comment_policy(db: Database, actor_name: str, *, instance_id: int | None = None,
                   task_id: int | None = None) -> CommentPolicy:
    """Whether the actor may comment here, and who will read it (said beside the form)."""
    with db.read() as session:
        return read_policy(session, authz.load_actor(session, actor_name), instance_id=instance_id,
                           task_id=task_id)


def read_policy(session: Session, actor: authz.Actor, *, instance_id: int | None = None,
                task_id: int | None = None) -> CommentPolicy:
    _, row, data_class = _target(session, actor, instance_id, task_id)
    allowed = authz.comment_refusal(actor, row) is None
    if data_class is not None:
        audience = f"Sichtbar nur für: {', '.join(sorted(data_classes.data_class(data_class).roles))}."
    elif row is not None and row.assignee_gemeinde:
        name = session.scalars(select(Gemeinde.name).where(Gemeinde.ags == row.assignee_gemeinde)).first()
        audience = f"Sichtbar für die Verwaltung und die Gemeinde {name or row.assignee_gemeinde}."
    else:
        audience = "Sichtbar für die Verwaltung, nicht für die Gemeinden."
    return CommentPolicy(allowed, audience)
