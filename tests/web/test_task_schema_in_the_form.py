"""The web form renders the task's served schema, rules from the round's data included."""

from __future__ import annotations

import re

import pytest

from tests.web import grant_round as gr
from tests.web.conftest import make_app
from tests.web.test_real_process_forms import client_for
from workflows import inbox
from workflows.storage.db import Database


@pytest.mark.timeout(600)
def test_the_selection_offers_only_those_interviewed(sqlite_db: Database) -> None:
    gr.drive(sqlite_db, "auswahl")
    app = make_app(sqlite_db)
    task = sorted(gr.ready(sqlite_db, gr.PA, "auswahl_treffen"), key=lambda t: t.id)[0]
    schema = inbox.get_task(sqlite_db, task.id, gr.PA).schema
    names = schema["properties"]["name"]["enum"]
    assert names, schema["properties"]["name"]
    page = client_for(app, gr.PA).get(f"/tasks/{task.id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="name"[^>]*>(.*?)</select>', page, re.S)
    assert select, page[page.find("<form"):][:3000]
    offered = re.findall(r'<option[^>]*value="([^"]+)"', select.group(1))
    assert offered == names
