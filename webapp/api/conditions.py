"""HTTP conditions of `/api/v1`: `Accept` (406), `ETag`/`If-None-Match` on GET (304), `If-Match` on writes (412)."""

from __future__ import annotations

from flask import Response, request

from webapp.api.problems import ApiProblem

# the media type each endpoint answers with; everything else is JSON
MEDIA_TYPES = {"api.get_document": "application/pdf", "api.docs": "text/html"}


def check_acceptable() -> None:
    """A client that accepts none of what the endpoint can answer gets 406 (no header: anything goes)."""
    if (not request.headers.get("Accept", "").strip() or request.endpoint in (None, "api.unknown")
            or request.method == "OPTIONS"):  # an OPTIONS answer has no body to negotiate
        return
    offered = MEDIA_TYPES.get(request.endpoint, "application/json")
    if request.accept_mimetypes.best_match([offered]) is None:
        raise ApiProblem(406, f"Diese Adresse antwortet nur mit {offered}; der Header 'Accept' schließt das aus.")


def conditional(response: Response) -> Response:
    """A GET's answer carries an ETag; `If-None-Match` with it answers 304 without a body."""
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        if not response.get_etag()[0]:
            response.add_etag()
        response.make_conditional(request)
    return response


def check_if_match(revision: int | None) -> None:
    """`If-Match` on a write names the round's `revision` the client saw; a newer one means 412."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    if "*" in tags:
        return
    if revision is None:
        raise ApiProblem(412, "Für Sie zeigt der Vorgang keinen Stand (`revision`); bitte ohne If-Match senden.")
    if str(revision) not in tags:
        raise ApiProblem(412, f"Der Vorgang ist inzwischen weitergelaufen (Stand {revision}); bitte neu laden und "
                              "erneut entscheiden.", revision=revision)
