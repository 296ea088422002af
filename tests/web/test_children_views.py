"""The round page lists its parts (child instances) with status, open step, due date and who acted; a
part links back to its round; a Gemeinde sees only its own part, on the page and through the API."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import FIXTURES, deploy_dir
from tests.engine.helpers import gemeinde_user
from tests.engine.test_children import answer, children_of, start
from tests.web.conftest import make_app
from workflows.identity import tokens
from workflows.storage.db import Database
from workflows.storage.models import TaskRow


def _client(db: Database, username: str) -> FlaskClient:
    client = make_app(db).test_client()
    with client.session_transaction() as session:
        session["user"] = username
    return client


def test_the_round_page_lists_its_parts_and_a_part_links_back(db: Database) -> None:
    deploy_dir(db, FIXTURES / "children")
    round_id = start(db)
    first, second, third = children_of(db, round_id)
    answer(db, first)
    page = _client(db, "sachbearbeitung").get(f"/instances/{round_id}").get_data(as_text=True)
    table = page[page.index('data-testid="children"'):page.index("</table>", page.index('data-testid="children"'))]
    assert "2 laufen, 1 beendet" in page
    for kid in (first, second, third):
        assert f'href="/instances/{kid.id}"' in table and kid.business_key in table
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    assert "abgeschlossen" in rows[0] and "läuft" in rows[1] and "Rückmeldung" in rows[1]
    part = _client(db, "sachbearbeitung").get(f"/instances/{second.id}").get_data(as_text=True)
    assert f'href="/instances/{round_id}"' in part and 'data-testid="round-link"' in part

    gemeinde = gemeinde_user(db, str(_ags(db, second.id)))
    own = _client(db, gemeinde).get(f"/instances/{round_id}").get_data(as_text=True)
    assert f'href="/instances/{second.id}"' in own
    assert f'href="/instances/{third.id}"' not in own and f'href="/instances/{first.id}"' not in own
    assert _client(db, gemeinde).get(f"/instances/{third.id}").status_code == 404
    _, token = tokens.create_token(db, gemeinde, "test")
    api = make_app(db).test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get(f"/api/v1/instances/{second.id}", headers=bearer).status_code == 200
    for other in (first, third):
        assert api.get(f"/api/v1/instances/{other.id}", headers=bearer).status_code == 404
        assert api.get(f"/api/v1/instances/{other.id}/events", headers=bearer).status_code == 404


def _ags(db: Database, instance_id: int) -> str | None:
    with db.read() as session:
        return session.scalars(select(TaskRow.assignee_gemeinde).where(TaskRow.instance_id == instance_id)).first()


def test_a_gemeinde_finishing_its_part_is_not_told_the_round_ended(db: Database) -> None:
    deploy_dir(db, FIXTURES / "children")
    round_id = start(db)
    part = children_of(db, round_id)[0]
    with db.read() as session:
        row = session.scalars(select(TaskRow).where(TaskRow.instance_id == part.id)).one()
    client = _client(db, gemeinde_user(db, str(row.assignee_gemeinde)))
    done = client.post(f"/tasks/{row.id}", data={"entscheidung": "uebertragen", "anzahl": "5"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Ihr Teil des Vorgangs ist damit abgeschlossen." in done
    assert "Der Vorgang ist damit abgeschlossen." not in done


def test_a_round_waiting_for_its_parts_says_so_in_its_list_row_its_page_and_the_api(db: Database) -> None:
    """While the Abfragen run the round has no task of its own: it shows the step that runs in parts
    instead of nothing, and the API lists the parts; a Gemeinde sees neither the step nor the others."""
    deploy_dir(db, FIXTURES / "children")
    round_id = start(db)
    first, second, third = children_of(db, round_id)
    staff = _client(db, "sachbearbeitung")
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", staff.get("/instances").get_data(as_text=True), re.S)
               if f'href="/instances/{round_id}"' in r)
    assert "Abfrage in 3 Teilvorgängen" in row and "–" not in row
    page = staff.get(f"/instances/{round_id}").get_data(as_text=True)
    assert 'Abfrage <a href="#children-heading">in 3 Teilvorgängen</a>' in page

    _, token = tokens.create_token(db, "sachbearbeitung", "test")
    api = make_app(db).test_client()
    body = api.get(f"/api/v1/instances/{round_id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["current_steps"] == [] and body["calling"] == [{"name": "Abfrage", "parts": 3}]
    assert [p["id"] for p in body["parts"]] == [first.id, second.id, third.id] and body["part_of"] is None
    assert body["parts"][0]["href"] == f"/api/v1/instances/{first.id}" and body["parts"][0]["status"] == "running"
    assert "acted" not in body["parts"][0]
    part = api.get(body["parts"][1]["href"], headers={"Authorization": f"Bearer {token}"}).get_json()
    assert part["part_of"] == round_id and part["parts"] == []

    gemeinde = gemeinde_user(db, str(_ags(db, second.id)))
    _, own_token = tokens.create_token(db, gemeinde, "test")
    own = api.get(f"/api/v1/instances/{round_id}", headers={"Authorization": f"Bearer {own_token}"}).get_json()
    assert own["calling"] == [] and [p["id"] for p in own["parts"]] == [second.id]
