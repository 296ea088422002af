"""`Idempotency-Key` on every POST of `/api/v1`: a retry with the same key and body gets the first answer.

The key is claimed (a row without answer) before the view runs, so a second request with that key
while the first still runs gets a 409 instead of doing the step twice. A successful (2xx) answer is
stored and replayed; after an error the claim is dropped, so the client may fix the body and send
it again with the same key. Keys are per user and kept for `KEEP`. The step and the stored answer
are two transactions: if the server stops in between, a retry gets the step's own 409.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from flask import Response, g, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from webapp.api.problems import ApiProblem
from workflows.storage.db import Database
from workflows.storage.models import ApiIdempotencyKey, utcnow

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY = re.compile(r"[\x21-\x7e]{1,200}")  # visible ASCII, as a header can carry it
KEEP = timedelta(hours=24)
ABANDONED = timedelta(minutes=5)  # a claim this old without answer: its request died, the key is free again


def _request_hash() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(status: int, body: str | None, location: str | None) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    if location:
        response.headers["Location"] = location
    response.headers[REPLAYED] = "true"
    return response


def claim(db: Database, username: str) -> Response | None:
    """Before a POST: the first answer to replay, or None to run the view (the key, if any, now claimed)."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY.fullmatch(key):
        detail = "Höchstens 200 sichtbare ASCII-Zeichen, z. B. eine UUID."
        raise ApiProblem(400, f"Ungültiger Header '{HEADER}': {detail}", errors=[{"parameter": HEADER,
                                                                                   "detail": detail}])
    digest, now = _request_hash(), utcnow()
    try:
        with db.write() as session:
            session.execute(delete(ApiIdempotencyKey).where(ApiIdempotencyKey.created_at < now - KEEP))
            session.execute(delete(ApiIdempotencyKey).where(
                ApiIdempotencyKey.username == username, ApiIdempotencyKey.key == key,
                ApiIdempotencyKey.status.is_(None), ApiIdempotencyKey.created_at < now - ABANDONED))
            row = session.scalars(select(ApiIdempotencyKey).where(
                ApiIdempotencyKey.username == username, ApiIdempotencyKey.key == key)).first()
            first = (row.request_hash, row.status, row.response, row.location) if row else None
            if first is None:
                session.add(ApiIdempotencyKey(username=username, key=key, request_hash=digest, created_at=now))
    except IntegrityError as exc:  # the same key arrived twice at once
        raise _running() from exc
    if first is None:
        g.idempotency_claim = (username, key)
        return None
    first_hash, status, body, location = first
    if first_hash != digest:
        raise ApiProblem(422, f"Dieser {HEADER} wurde schon für eine andere Anfrage verwendet; bitte für jede "
                              "neue Anfrage einen neuen Schlüssel senden.", errors=[])
    if status is None:
        raise _running()
    return _replay(status, body, location)


def _running() -> ApiProblem:
    return ApiProblem(409, f"Eine Anfrage mit diesem {HEADER} läuft noch; bitte gleich noch einmal senden.")


def settle(db: Database, response: Response) -> None:
    """After the view: keep a successful answer for retries, or free the key after an error."""
    claimed = g.pop("idempotency_claim", None)
    if claimed is None:
        return
    username, key = claimed
    where = (ApiIdempotencyKey.username == username, ApiIdempotencyKey.key == key)
    with db.write() as session:
        if 200 <= response.status_code < 300:
            session.execute(update(ApiIdempotencyKey).where(*where).values(
                status=response.status_code, response=response.get_data(as_text=True),
                location=response.headers.get("Location")))
        else:
            session.execute(delete(ApiIdempotencyKey).where(*where))
