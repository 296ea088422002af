"""Who may do what. Checked in the engine, so every caller (web, API, CLI) gets the same answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from workflows.engine import children
from workflows.engine.access import Actor as ActorLike
from workflows.errors import Forbidden, NotFound
from workflows.formatting import TIMEZONE, format_day_of
from workflows.identity import data_classes
from workflows.identity.data_classes import DataClass
from workflows.storage.models import (
    Comment,
    Deputy,
    Document,
    Event,
    Gemeinde,
    ProcessInstance,
    Role,
    SearchEntry,
    TaskClaim,
    TaskRow,
    User,
)

ADMIN_ROLE = "Administration"


@dataclass(frozen=True)
class Principal:
    """Someone the actor stands in for today (a Vertretung): their name, roles and Gemeinde."""

    username: str
    display_name: str
    roles: frozenset[str]
    gemeinde_ags: str | None


@dataclass(frozen=True)
class Actor:
    """A user as the engine sees them: roles and Gemeinde, loaded once per unit of work.

    `principals` are the people whose deputy (Vertretung) the user is today: the user sees and may do
    their tasks as they would (`visible_tasks_clause`, `check_may_complete`), four-eyes still by the
    user's own name.
    """

    username: str
    display_name: str
    roles: frozenset[str]
    gemeinde_ags: str | None
    principals: tuple[Principal, ...] = ()

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


#: roles a Vertretung does not pass on: a committee member's vote is personal (who stands in for a member
#: is the Gemeindeordnung's business, not an account setting)
NOT_DEPUTISED = frozenset({"Verwaltungsausschuss", "Vorsitz", "Schriftführung"})


def today() -> date:
    """The calendar day in the Landratsamt's time zone (a Vertretung's period is in days)."""
    return datetime.now(TIMEZONE).date()


def _deputy_active_on(day: date) -> ColumnElement[bool]:
    """A Vertretung holds on `day` (its first and last day included)."""
    return and_(Deputy.starts_on <= day, Deputy.ends_on >= day)


def load_actor(session: Session, username: str) -> Actor:
    """The user and the people they stand in for today, in one query: every step and page starts here."""
    day = today()
    deputised = select(Deputy.principal).where(Deputy.deputy == username, _deputy_active_on(day))
    rows = session.execute(
        select(User, User.username.in_(deputised))
        .where(or_(User.username == username, and_(User.username.in_(deputised), User.active.is_(True))))
        .options(joinedload(User.roles), joinedload(User.gemeinde)).order_by(User.username)
    ).unique().all()
    user = next((u for u, _ in rows if u.username == username), None)
    if user is None or not user.active:
        raise Forbidden(f"Unbekannter oder gesperrter Benutzer '{username}'.")
    return Actor(user.username, user.display_name, user.role_keys, user.gemeinde.ags if user.gemeinde else None,
                 tuple(Principal(p.username, p.display_name, p.role_keys - NOT_DEPUTISED,
                                 p.gemeinde.ags if p.gemeinde else None) for p, principal in rows if principal))


def _own_tasks_clause(person: Actor | Principal) -> ColumnElement[bool]:
    return and_(
        TaskRow.lane.in_(sorted(person.roles)),
        or_(TaskRow.assignee_gemeinde.is_(None), TaskRow.assignee_gemeinde == (person.gemeinde_ags or "")),
        or_(TaskRow.assignee_user.is_(None), TaskRow.assignee_user == person.username),
    )


def visible_tasks_clause(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the task rows this actor may see (lane role, own Gemeinde, own assignment), and
    those of the people they stand in for today."""
    own = _own_tasks_clause(actor)
    principals = getattr(actor, "principals", ())
    return or_(own, *(_own_tasks_clause(p) for p in principals)) if principals else own


def _sees_as(person: Actor | Principal, row: TaskRow) -> bool:
    return (
        row.lane in person.roles
        and (row.assignee_gemeinde is None or row.assignee_gemeinde == person.gemeinde_ags)
        and (row.assignee_user is None or row.assignee_user == person.username)
    )


def may_see_task(actor: Actor, row: TaskRow) -> bool:
    """The same rule as `visible_tasks_clause`, for one row already loaded."""
    return _sees_as(actor, row) or any(_sees_as(p, row) for p in getattr(actor, "principals", ()))


def deputised_for(actor: Actor, row: TaskRow) -> Principal | None:
    """The person the actor sees this task for (Vertretung), or None if it is the actor's own."""
    if _sees_as(actor, row):
        return None
    return next((p for p in getattr(actor, "principals", ()) if _sees_as(p, row)), None)


def _lane_refusal(person: ActorLike | Principal, row: TaskRow) -> str | None:
    if row.lane not in person.roles:
        return f"Diese Aufgabe gehört zur Rolle '{row.lane}', die Sie nicht haben."
    if row.assignee_gemeinde is not None and row.assignee_gemeinde != person.gemeinde_ags:
        return "Diese Aufgabe gehört zu einer anderen Gemeinde."
    if row.assignee_user is not None and row.assignee_user != person.username:
        return "Diese Aufgabe ist einer anderen Person zugewiesen."
    return None


def check_may_complete(session: Session, actor: ActorLike, row: TaskRow, *, ignore_claim: bool = False) -> None:
    """Raise `Forbidden` with the reason unless the actor may complete this task.

    The actor's own roles, or those of a person they stand in for today (Vertretung); a task someone
    took over ("Übernehmen") only by them or their deputy; four-eyes by the actor's own name.
    """
    refusal = _lane_refusal(actor, row)
    if refusal is not None and any(_lane_refusal(p, row) is None for p in getattr(actor, "principals", ())):
        refusal = None
    if refusal is not None:
        raise Forbidden(refusal)
    if not ignore_claim:
        check_claim(session, actor, row)
    if row.four_eyes_of:
        preparer = session.scalars(
            select(TaskRow.completed_by).where(
                TaskRow.instance_id == row.instance_id, TaskRow.element_id == row.four_eyes_of,
                TaskRow.status == "completed",
            ).order_by(TaskRow.completed_at.desc(), TaskRow.id.desc()).limit(1)
        ).first()
        if preparer == actor.username:
            raise Forbidden("Vier-Augen-Prinzip: Sie haben den vorherigen Schritt selbst bearbeitet; "
                            "diese Freigabe muss eine andere Person erteilen.")


def check_claim(session: Session, actor: ActorLike, row: TaskRow) -> None:
    """A task someone took over is completed by them (or their deputy) until they give it back."""
    claim = session.get(TaskClaim, row.id)
    if claim is None or claim.username == actor.username:
        return
    if claim.username in {p.username for p in getattr(actor, "principals", ())}:
        return
    name = session.scalars(select(User.display_name).where(User.username == claim.username)).first() \
        or claim.username
    when = format_day_of(claim.claimed_at)
    raise Forbidden(f"{name} hat diese Aufgabe am {when} übernommen und bearbeitet sie. Abschließen kann sie nur "
                    f"{name} – oder jede berechtigte Person, nachdem {name} sie zurückgegeben hat "
                    f"(oder die {TEAM_LEAD_ROLE} sie neu zuweist).")


# --------------------------------------------------------------------------- Übernehmen, Vertretung

#: the team lead: may hand an open task of the lanes below to another person who may complete it
TEAM_LEAD_ROLE = "Dezernatsleitung"
#: the lanes a team lead assigns; never the Gemeinden, the committee or the Personalrat (independent bodies)
TEAM_LANES = frozenset({"Sachbearbeitung", "Dezernatsleitung", "Personalamt"})


def may_claim(session: Session, actor: Actor, row: TaskRow) -> str | None:
    """None if the actor may take over this open task, else the German reason why not.

    Only a task for a group (a role or a Gemeinde, not one person) that the actor could complete.
    """
    if row.status != "ready":
        return "Diese Aufgabe ist nicht mehr offen."
    if row.assignee_user is not None:
        return "Diese Aufgabe ist ohnehin einer Person zugewiesen."
    try:
        check_may_complete(session, actor, row, ignore_claim=True)
    except Forbidden as exc:
        return exc.message
    return None


def may_release(actor: Actor, claim: TaskClaim) -> bool:
    """The claimant, their deputy, or the team lead gives a task back."""
    return (claim.username == actor.username or claim.username in {p.username for p in actor.principals}
            or TEAM_LEAD_ROLE in actor.roles)


def may_assign(actor: Actor, row: TaskRow) -> bool:
    """The team lead (`TEAM_LEAD_ROLE`) assigns the open group tasks of `TEAM_LANES`."""
    return (TEAM_LEAD_ROLE in actor.roles and row.status == "ready" and row.lane in TEAM_LANES
            and row.assignee_user is None)


def check_may_name_deputy(principal: Actor, deputy: Actor) -> None:
    """A Vertretung stays within its side: a Gemeinde's user names one of the same Gemeinde; staff name staff.

    Nobody names themselves; an administrator's account has no tasks to hand on.
    """
    if deputy.username == principal.username:
        raise Forbidden("Sie können sich nicht selbst als Vertretung eintragen.")
    if is_gemeinde_only(principal) != is_gemeinde_only(deputy) or \
            (is_gemeinde_only(principal) and principal.gemeinde_ags != deputy.gemeinde_ags):
        raise Forbidden("Eine Vertretung muss zur selben Stelle gehören: bei einer Gemeinde jemand derselben "
                        "Gemeinde, in der Verwaltung jemand der Verwaltung.")


def has_role(actor: ActorLike, role: str | None) -> bool:
    """An administrator may do everything; `None` (no lane) asks for no particular role."""
    return actor.is_admin or role is None or role in actor.roles


def check_may_administer(actor: ActorLike, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"{what} ist der Rolle '{ADMIN_ROLE}' vorbehalten.")


def check_has_role(actor: ActorLike, role: str | None, what: str) -> None:
    if has_role(actor, role):
        return
    raise Forbidden(f"{what} ist der Rolle '{role}' vorbehalten.")


def is_gemeinde_only(actor: Actor) -> bool:
    """A Gemeinde user sees only its own part of a round (its tasks, its letters, its events)."""
    return actor.roles <= {"Gemeinde"}


# --------------------------------------------------------------------------- rounds

def _gemeinde_instances(actor: Actor) -> Select[int]:
    """The instances that ever gave the actor's Gemeinde a task (`ix_task_gemeinde_instance`)."""
    return select(TaskRow.instance_id).where(TaskRow.assignee_gemeinde == actor.gemeinde_ags)


def _gemeinde_rounds(actor: Actor) -> Select[int]:
    """The rounds of those instances (a root is its own round): one entry each of `ix_process_instance_round`
    (id, root_id), never the row, whose `root_id` SQLite keeps behind the state (overflow pages)."""
    part = aliased(ProcessInstance)
    return select(func.coalesce(part.root_id, part.id)).where(part.id.in_(_gemeinde_instances(actor)))


def visible_instances_clause(actor: Actor) -> Any:
    """SQL condition: the instances this actor may see. Staff: all. A Gemeinde: the instances that ever
    gave it a task (its own child instances) and the rounds those belong to.

    A semi-join on the Gemeinde's own task rows (a few thousand at most), evaluated once.
    """
    if not is_gemeinde_only(actor):
        return True
    return ProcessInstance.id.in_(_gemeinde_instances(actor).union(_gemeinde_rounds(actor)))


def visible_rounds_clause(actor: Actor) -> Any:
    """`visible_instances_clause` for rounds (roots) only, as the round list shows them: for a Gemeinde one
    set of round ids, so that the list walks its sort index and its count stays cheap."""
    if not is_gemeinde_only(actor):
        return True
    return ProcessInstance.id.in_(_gemeinde_rounds(actor))


def visible_instance(session: Session, instance_id: int, actor: Actor) -> ProcessInstance:
    """The round if the actor may see it (`visible_instances_clause`), else `NotFound`: one indexed query."""
    inst = session.scalars(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, visible_instances_clause(actor))).first()
    if inst is None:
        raise NotFound(f"Vorgang {instance_id} nicht gefunden.")
    return inst


def may_see_whole_round(actor: Actor) -> bool:
    """The round's data, all of its tasks and its current steps; a Gemeinde sees only its own part."""
    return not is_gemeinde_only(actor)


def may_see_task_of_round(actor: Actor, row: TaskRow) -> bool:
    """Which of a round's tasks are listed on its page (a Gemeinde: its own)."""
    return may_see_whole_round(actor) or row.assignee_gemeinde == actor.gemeinde_ags


def may_start(actor: Actor, start_lane: str | None) -> bool:
    return has_role(actor, start_lane)


def may_cancel(actor: Actor, start_lane: str | None, status: str) -> bool:
    """Whoever may start the process may cancel a running round of it (a Gemeinde never)."""
    return status == "running" and may_see_whole_round(actor) and has_role(actor, start_lane)


def may_record_message(actor: Actor, lane: str | None) -> bool:
    """A message the round waits for is recorded by its lane's role (a Gemeinde never)."""
    return may_see_whole_round(actor) and has_role(actor, lane)


# --------------------------------------------------------------------------- documents and history

def may_see_document(actor: Actor, gemeinde_ags: str | None, cls: DataClass | None = None) -> bool:
    """A Gemeinde sees only what is addressed to it; staff see every document except those of a data
    class they may not see (`cls`, the class of the document's kind)."""
    if not is_gemeinde_only(actor):
        return cls is None or may_see_data_class(actor, cls)
    return gemeinde_ags is not None and gemeinde_ags == actor.gemeinde_ags


def documents_clause(actor: Actor, classes: dict[str, DataClass]) -> list[Any]:
    """SQL filters: the same rule as `may_see_document`, for the documents list across rounds
    (`classes`: document kind -> its data class)."""
    if is_gemeinde_only(actor):
        return [Document.gemeinde_ags == (actor.gemeinde_ags or "")]
    hidden = sorted(kind for kind, cls in classes.items() if not may_see_data_class(actor, cls))
    return [Document.kind.not_in(hidden)] if hidden else []


def may_see_attachment(actor: Actor, *, gemeinde_ags: str | None, data_class_key: str | None) -> bool:
    """An uploaded file: as a document (a Gemeinde only its own), and only within its data class if it has one."""
    if data_class_key is not None and not may_see_data_class(actor, data_classes.data_class(data_class_key)):
        return False
    return may_see_document(actor, gemeinde_ags)


#: who may delete any attachment they see, besides its uploader
ATTACHMENT_DELETERS = frozenset({"Sachbearbeitung", ADMIN_ROLE})


def attachment_delete_refusal(actor: Actor, uploaded_by: str | None) -> str | None:
    """Deleting an attachment one sees: its uploader, or the Sachbearbeitung or Administration. None if allowed."""
    if actor.username == uploaded_by or actor.roles & ATTACHMENT_DELETERS:
        return None
    return "Löschen darf nur, wer den Anhang hochgeladen hat, oder die Sachbearbeitung bzw. Administration."


def check_may_attach(actor: Actor, row: TaskRow | None, data_class_key: str | None) -> None:
    """Upload to a round: staff; to a task: whoever may see the task (a Gemeinde its own); a file of a data
    class (an application: `bewerberdaten`) only whoever may see that class."""
    if row is None and not may_see_whole_round(actor):
        raise Forbidden("Anhänge zum Vorgang darf nur die Verwaltung hochladen; eine Gemeinde lädt sie zu "
                        "ihrer eigenen Aufgabe hoch.")
    if row is not None and not (may_see_task(actor, row) or may_see_whole_round(actor)):
        raise NotFound(f"Aufgabe {row.id} nicht gefunden.")
    if data_class_key is not None:
        cls = data_classes.data_class(data_class_key)
        if not may_see_data_class(actor, cls):
            raise Forbidden(f"Diese Datei gehört zu „{cls.title}“; hochladen darf sie nur "
                            f"{' oder '.join(sorted(cls.roles)) or 'niemand'}.")


def round_tasks_clause(actor: Actor) -> Any:
    """SQL condition, the rule of `may_see_task_of_round` for lists across rounds (overdue tasks, overview)."""
    if may_see_whole_round(actor):
        return True
    return TaskRow.assignee_gemeinde == (actor.gemeinde_ags or "")


def event_clause(instance_id: int, actor: Actor) -> list[Any]:
    """An instance's events; a Gemeinde sees only those of its own tasks (never another's answers)."""
    family = children.family_ids(instance_id)  # a round's events include those of its child instances
    filters: list[Any] = [Event.instance_id.in_(family)]
    if is_gemeinde_only(actor):
        filters.append(Event.task_id.in_(select(TaskRow.id).where(
            TaskRow.instance_id.in_(family), TaskRow.assignee_gemeinde == actor.gemeinde_ags)))
    return filters


# --------------------------------------------------------------------------- data classes and votes

def may_see_data_class(actor: ActorLike, cls: DataClass, *, own_gemeinde: bool = False) -> bool:
    """The roles written down for each class in `data_classes` (an administrator is not among them);
    `own_gemeinde`: in a Gemeinde's own task its users see the contact data it gave itself."""
    if own_gemeinde and cls is data_classes.GEMEINDE_KONTAKT:
        return True
    return data_classes.may_see(actor, cls)


def is_own_submission(actor: Actor, row: TaskRow) -> bool:
    """What a person submitted (or is to submit) in a task assigned to them is theirs to see again."""
    return actor.username in (row.assignee_user, row.completed_by)


def is_own_gemeinde_task(actor: Actor, row: TaskRow) -> bool:
    """A task assigned to the actor's own Gemeinde (what it submitted there is its own data)."""
    return row.assignee_gemeinde is not None and row.assignee_gemeinde == actor.gemeinde_ags


def may_see_votes_by_name(actor: Actor) -> bool:
    """Individual votes (who voted how) only to the chair and the minute-taker."""
    return may_see_data_class(actor, data_classes.EINZELSTIMMEN)


def may_see_tally(actor: Actor, *, closed: bool) -> bool:
    """The counts: to the chair while the vote runs; once the result is determined, to all who see the round."""
    return may_see_votes_by_name(actor) or (closed and may_see_whole_round(actor))


def audience(session: Session, *, role: str | None = None, gemeinde_ags: str | None = None,
             username: str | None = None) -> list[User]:
    """The active users a task or message is for: the same rule as `may_see_task`.

    A Gemeinde's task or message reaches that Gemeinde's users only; a role's, its holders'.
    """
    query = select(User).where(User.active.is_(True))
    if role is not None:
        query = query.where(User.roles.any(Role.key == role))
    if gemeinde_ags is not None:
        query = query.where(User.gemeinde.has(Gemeinde.ags == gemeinde_ags))
    if username is not None:
        query = query.where(User.username == username)
    if role is None and gemeinde_ags is None and username is None:
        return []
    return list(session.scalars(query.order_by(User.username)))


def task_audience(session: Session, row: TaskRow) -> list[User]:
    return audience(session, role=row.lane, gemeinde_ags=row.assignee_gemeinde, username=row.assignee_user)


def task_deputies(session: Session, row: TaskRow, people: list[User]) -> list[tuple[User, list[str]]]:
    """The active deputies of the day of `people` (a task's audience) who see the task in Vertretung, each
    with the names of those they stand in for; not for roles a Vertretung does not pass on (a vote)."""
    if row.lane in NOT_DEPUTISED or not people:
        return []
    names = {u.username: u.display_name for u in people}
    found: dict[str, tuple[User, list[str]]] = {}
    for user, principal in session.execute(
            select(User, Deputy.principal).join(Deputy, Deputy.deputy == User.username)
            .where(Deputy.principal.in_(sorted(names)), _deputy_active_on(today()), User.active.is_(True))
            .order_by(User.username, Deputy.principal)):
        if user.username not in names:
            found.setdefault(user.username, (user, []))[1].append(names[principal])
    return list(found.values())


def acting_as(actor: Actor, row: TaskRow) -> Actor:
    """Who the actor is on this task's page: on a task they see in Vertretung, with its principal's roles
    added (they do the principal's work, so they see what the principal would); otherwise themselves."""
    principal = deputised_for(actor, row)
    if principal is None:
        return actor
    return Actor(actor.username, actor.display_name, actor.roles | principal.roles, actor.gemeinde_ags,
                 actor.principals)


# --------------------------------------------------------------------------- comments and search

def _class_visible(actor: Actor, key: str | None) -> bool:
    return key is None or may_see_data_class(actor, data_classes.data_class(key))


def may_see_comment(actor: Actor, comment: Comment) -> bool:
    """Staff read the comments of a round and of its tasks; a Gemeinde only those on its own tasks.

    A comment on a task whose form holds a data class (e.g. applicants' data) is read only by those
    who may see that class, like the task's data itself.
    """
    if not _class_visible(actor, comment.data_class):
        return False
    if is_gemeinde_only(actor):
        return comment.gemeinde_ags is not None and comment.gemeinde_ags == actor.gemeinde_ags
    return True


def comments_clause(actor: Actor) -> list[Any]:
    """SQL filters: the same rule as `may_see_comment`."""
    visible = sorted(k for k, c in data_classes.CLASSES.items() if may_see_data_class(actor, c))
    filters: list[Any] = [or_(Comment.data_class.is_(None), Comment.data_class.in_(visible))]
    if is_gemeinde_only(actor):
        filters.append(Comment.gemeinde_ags == (actor.gemeinde_ags or ""))
    return filters


def may_find_task_comments(actor: Actor, row: TaskRow, data_class_key: str | None) -> bool:
    """A task's comments are found (read and written) by whoever finds the task: its own people (its page),
    or on the round's page (a Gemeinde: its own) if they may see its data class. Else 404, as for the task."""
    return may_see_task(actor, row) or (may_see_task_of_round(actor, row) and _class_visible(actor, data_class_key))


def comment_refusal(actor: Actor, row: TaskRow | None) -> str | None:
    """Who may write a comment: on a round, whoever sees the whole round; on a task, whoever finds its
    comments (`may_find_task_comments`, checked before). None if allowed."""
    if row is None and not may_see_whole_round(actor):
        return "Kommentare zum ganzen Vorgang schreibt die Verwaltung; Sie können Ihre eigenen Aufgaben kommentieren."
    return None


def entry_scopes(kind: str, *, lane: str | None = None, gemeinde_ags: str | None = None,
                 assignee_user: str | None = None, data_class: str | None = None) -> list[str]:
    """The audiences a search entry is indexed for (its words are written once per scope), so that a search
    reads only the index ranges of the actor's own scopes (`search_scopes`); `search_entries_clause` then
    applies the exact rule. A round's name: "round"; a task: its person, else its Gemeinde, else its lane;
    data and comments: a data class's own scope, else "staff" (and the Gemeinde they belong to)."""
    if kind == "round":
        return ["round"]
    if kind == "task":
        if assignee_user:
            return [f"u:{assignee_user}"]
        return [f"g:{gemeinde_ags}"] if gemeinde_ags else [f"lane:{lane}"]
    if data_class is not None:  # a Gemeinde's own contact data is its own (`may_see_data_class`)
        own = data_class == data_classes.GEMEINDE_KONTAKT.key and gemeinde_ags
        return [f"class:{data_class}", f"g:{gemeinde_ags}"] if own else [f"class:{data_class}"]
    return ["staff", f"g:{gemeinde_ags}"] if gemeinde_ags else ["staff"]


def search_scopes(actor: Actor) -> list[str]:
    """The scopes of `entry_scopes` whose entries the actor may find (and those of whom they stand in for)."""
    scopes = {"round", f"u:{actor.username}"}
    if is_gemeinde_only(actor):
        scopes.add(f"g:{actor.gemeinde_ags}")
    else:
        scopes.add("staff")
        scopes |= {f"class:{k}" for k, c in data_classes.CLASSES.items() if may_see_data_class(actor, c)}
    for person in (actor, *getattr(actor, "principals", ())):
        scopes |= {f"lane:{role}" for role in person.roles} | {f"u:{person.username}"}
        if person.gemeinde_ags:
            scopes.add(f"g:{person.gemeinde_ags}")
    return sorted(scopes)


def search_entries_clause(actor: Actor) -> list[Any]:
    """SQL filters on `SearchEntry`: only what the actor could see where it comes from.

    A task's entry while the task is open and in the actor's inbox (`visible_tasks_clause`); an entry of
    a data class only for its roles; a Gemeinde only entries of its own tasks and the names of its rounds.
    """
    visible = sorted(k for k, c in data_classes.CLASSES.items() if may_see_data_class(actor, c))
    open_task = select(TaskRow.id).where(TaskRow.id == SearchEntry.task_id, TaskRow.status == "ready",
                                         visible_tasks_clause(actor)).exists()
    own_contact = and_(SearchEntry.data_class == data_classes.GEMEINDE_KONTAKT.key,
                       SearchEntry.gemeinde_ags == (actor.gemeinde_ags or ""))
    filters: list[Any] = [
        or_(SearchEntry.data_class.is_(None), SearchEntry.data_class.in_(visible), own_contact),
        or_(SearchEntry.kind != "task", open_task),
    ]
    if is_gemeinde_only(actor):
        rounds = select(ProcessInstance.id).where(visible_instances_clause(actor))
        filters.append(or_(SearchEntry.gemeinde_ags == (actor.gemeinde_ags or ""),
                           and_(SearchEntry.kind == "round", SearchEntry.round_id.in_(rounds))))
    return filters
