"""The engine's port for authorization: who the actor is and whether they may act.

The engine checks every operation itself, but it knows no users table and no role names. It
asks the installed policy, which `workflows.identity.authz` provides (installed by
`workflows.wiring`), so every rule stays in one place and the engine stays generic.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from workflows.storage.models import TaskRow


class Actor(Protocol):
    """A person as the engine sees them: loaded once per unit of work."""

    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def gemeinde_ags(self) -> str | None: ...
    @property
    def is_admin(self) -> bool: ...


class AccessPolicy(Protocol):
    """The questions the engine asks before it changes anything."""

    def load_actor(self, session: Session, username: str) -> Actor: ...
    def has_role(self, actor: Actor, role: str | None) -> bool: ...
    def check_has_role(self, actor: Actor, role: str | None, what: str) -> None: ...
    def check_may_complete(self, session: Session, actor: Actor, row: TaskRow) -> None: ...
    def check_may_administer(self, actor: Actor, what: str) -> None: ...


_installed: list[AccessPolicy] = []


def install(policy: AccessPolicy) -> None:
    _installed[:] = [policy]


def policy() -> AccessPolicy:
    if not _installed:
        raise RuntimeError("Keine Berechtigungsregeln installiert: workflows.wiring.install() fehlt.")
    return _installed[0]
