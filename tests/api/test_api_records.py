"""The records endpoints of /api/v1: attachments, exports, overview, overdue, answers checked against OpenAPI."""

from __future__ import annotations

from flask import Flask

from tests.api.conftest import TokenFactory
from tests.api.contract import assert_conforms
from tests.records.files import image_bytes
from tests.web.conftest import answer_all
from workflows.storage.db import Database


def test_the_api_uploads_lists_exports_and_answers_as_documented(app: Flask, auth: TokenFactory,
                                                                 api_db: Database, round_id: int) -> None:
    client = app.test_client()
    sb = auth("sachbearbeitung")
    url = f"/api/v1/instances/{round_id}/attachments"
    refused = client.post(f"{url}?kind=bescheid&filename=x.pdf", data=b"%PDF-1.4 kaputt",
                          headers={**sb, "Content-Type": "application/pdf"})
    assert refused.status_code == 422 and "unvollständig" in refused.get_json()["detail"]
    assert_conforms(refused, "POST", url)
    wrong = client.post(f"{url}?kind=bescheid", data=b"x", headers={**sb, "Content-Type": "text/plain"})
    assert wrong.status_code == 415
    made = client.post(f"{url}?kind=bescheid&filename=bescheid.png", data=image_bytes("PNG"),
                       headers={**sb, "Content-Type": "image/png"})
    assert made.status_code == 201, made.get_json()
    assert_conforms(made, "POST", url)
    listed = client.get(url, headers=sb)
    assert_conforms(listed, "GET", url)
    assert [a["filename"] for a in listed.get_json()["items"]] == ["bescheid.png"]
    file = client.get(made.headers["Location"], headers=sb)
    assert file.data == image_bytes("PNG") and file.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(made.headers["Location"], headers=auth("offenburg")).status_code == 404
    answer_all(api_db)
    exports_url = f"/api/v1/instances/{round_id}/exports"
    found = client.get(exports_url, headers=sb)
    assert_conforms(found, "GET", exports_url)
    csv_url = next(t["csv"] for t in found.get_json()["items"] if t["key"] == "rueckmeldungen")
    answered = client.get(csv_url, headers=sb)
    assert answered.mimetype == "text/csv" and answered.data.startswith(b"\xef\xbb\xbf")
    overview_url = f"/api/v1/instances/{round_id}/overview"
    overview = client.get(overview_url, headers=sb)
    assert_conforms(overview, "GET", overview_url)
    assert overview.get_json()["charts"][0]["total"] == 51
    assert client.get(overview_url, headers=auth("offenburg")).status_code == 403
    overdue = client.get("/api/v1/overdue", headers=auth("offenburg"))
    assert_conforms(overdue, "GET", "/api/v1/overdue")
    assert overdue.get_json() == {"total": 0, "items": []}
