"""Connects the generic engine to what it must not import: the authorization rules, the service
tasks of identity, notifications and documents, and the programme (its rule functions and
document kinds).

Every entry point calls `install()` once before it uses the engine: the web app factory, the
CLI, the tests and the benchmark. Calling it again changes nothing. Importing a service module
registers its service tasks with the engine.
"""

from __future__ import annotations

from workflows import mail
from workflows.collab import search
from workflows.documents import kinds
from workflows.documents import service as _document_service  # noqa: F401
from workflows.engine import access, forms, hooks, scripting, stoerungen
from workflows.foerderung import masterdata
from workflows.foerderung import records as programme_records
from workflows.foerderung import services as _programme_services  # noqa: F401
from workflows.foerderung.document_kinds import DOCUMENT_KINDS, TEMPLATES_DIR
from workflows.foerderung.notifications import SIGN_ELEMENTS
from workflows.foerderung.rules import RULE_FUNCTIONS
from workflows.identity import authz
from workflows.identity import services as _identity_services  # noqa: F401
from workflows.mail import sender as _mail_sender  # noqa: F401
from workflows.mail.queue import MAIL
from workflows.notifications import service as _notification_service  # noqa: F401
from workflows.records import exports, overview


def install() -> None:
    access.install(authz)
    scripting.register_functions(RULE_FUNCTIONS)
    forms.register_enum_source("landkreise", masterdata.landkreis_choices)
    for kind in DOCUMENT_KINDS.values():
        kinds.register(kind, TEMPLATES_DIR)
    hooks.observe(mail.on_step_saved)
    hooks.observe(search.on_step_saved)
    mail.configure(SIGN_ELEMENTS)
    stoerungen.skippable_kind(MAIL)
    exports.register_tables("grant_round", programme_records.tables)
    overview.register_figures("grant_round", programme_records.figures)
