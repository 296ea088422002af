"""Documents: the list of what the actor may see, and the download."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, render_template, send_file
from werkzeug.wrappers import Response

from webapp.web.helpers import actor, database, login_required, page_arg, page_count
from workflows import inbox
from workflows.records import reading

bp = Blueprint("documents", __name__)
PER_PAGE = 50


@bp.get("/documents")
@login_required
def index() -> str:
    items, total = inbox.list_all_documents(database(), actor().username, page=page_arg(), per_page=PER_PAGE)
    return render_template("documents.html", items=items, total=total, page=page_arg(),
                           pages=page_count(total, PER_PAGE))


@bp.get("/documents/<int:document_id>")
@login_required
def download(document_id: int) -> Response:
    """The file as an attachment (a Gemeinde gets only its own documents; others: 404)."""
    doc = reading.read_document(database(), document_id, actor().username)  # the download is audited
    response = send_file(BytesIO(doc.content), mimetype=doc.media_type or "application/pdf", as_attachment=True,
                         download_name=doc.info.filename or f"dokument-{document_id}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
