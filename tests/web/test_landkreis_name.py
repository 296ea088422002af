"""The Landkreis is shown by its name, never by its key (`ortenaukreis`), in the form and once it is done."""

from __future__ import annotations

from tests.web import grant_round as gr
from tests.web.conftest import make_app
from workflows import engine, inbox
from workflows.storage.db import Database


def test_opening_a_round_shows_the_landkreis_by_name_and_keeps_its_key(db: Database) -> None:
    gr.deploy(db)
    iid = engine.start_instance(db, "grant_round", gr.BUSINESS_KEY, gr.SB, {"landkreis": "ortenaukreis"}).instance_id
    client = make_app(db).test_client()
    with client.session_transaction() as session:
        session["user"] = gr.SB
    task = gr.one(db, gr.SB, "runde_eroeffnen")
    form = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'value="Ortenaukreis"' in form and "ortenaukreis" not in form
    values = gr.prefill(db, task.id, gr.SB)
    gr.complete(db, task.id, dict(values, landkreis="rastatt"), gr.SB)  # a posted key is not taken
    pages = [client.get(url).get_data(as_text=True) for url in (f"/tasks/{task.id}", f"/instances/{iid}", "/tasks")]
    assert all("ortenaukreis" not in page for page in pages)
    assert "<dt>Landkreis</dt><dd>Ortenaukreis</dd>" in pages[0]

    assert inbox.get_instance(db, iid, gr.SB).data["landkreis"] == "ortenaukreis"
