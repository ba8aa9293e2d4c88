"""One status on the pages and in the API: the item page shows one (tracking's, with its label), the
ledger's list, its status filter and the item API show the same word once the event has arrived, and the
filter refuses a word outside the vocabulary."""

from __future__ import annotations

import re
import time
import uuid

from libs.common import vocabulary
from services.gateway.tests.conftest import Portal


def _wait(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _page_statuses(html: str) -> list[str]:
    return re.findall(r"<dt>状态</dt><dd[^>]*>([^<]*)</dd>", html)


def test_item_page_list_and_api_show_one_status(portal: Portal) -> None:
    office, client = portal.headers("office"), portal.client()
    title = f"一个状态{uuid.uuid4().hex[:6]}"
    item_id = client.post("/api/v1/items", headers=office, json={
        "title": title, "source": "other", "category": "general", "lead_unit_id": "fgj",
        "responsible_leader_id": "ld-li"}).get_json()["id"]
    _wait(lambda: client.get(f"/api/v1/items/{item_id}/tracking", headers=office).status_code == 200,
          "tracking never heard of the item")
    browser = portal.login("office")
    assert _page_statuses(browser.get(f"/items/{item_id}").get_data(as_text=True)) == ["待交办"]

    assert client.post(f"/api/v1/items/{item_id}/notice", headers=office, json={"contact_name": "王芳"}).status_code == 200
    assert client.post(f"/api/v1/items/{item_id}/acknowledgements", headers=portal.headers("fgj_staff")).status_code == 200
    assert client.get(f"/api/v1/items/{item_id}/tracking", headers=office).get_json()["status"] == "in_progress"
    assert _page_statuses(browser.get(f"/items/{item_id}").get_data(as_text=True)) == ["办理中"]
    # The ledger's copy follows by event (the last unit signing has no other event).
    _wait(lambda: client.get(f"/api/v1/items/{item_id}", headers=office).get_json()["status"] == "in_progress",
          "the ledger's status never followed tracking's")
    listed = client.get("/api/v1/items", headers=office, query_string={"status": "in_progress", "q": title}).get_json()
    assert [i["id"] for i in listed["items"]] == [item_id]
    ledger = browser.get("/ledger", query_string={"q": title, "status": "in_progress"}).get_data(as_text=True)
    assert title in ledger and ">办理中</td>" in ledger  # the status cell (class nowrap)
    options = re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]+)</option>',
                         ledger.split('id="f-status"')[1].split("</select>")[0])
    assert options == list(vocabulary.STATUSES.items())  # the filter offers the seven words, labelled

    history = browser.get(f"/items/{item_id}").get_data(as_text=True).split("修改记录")[1]
    assert "<td>状态</td><td>待交办</td>" in history and "已交办" in history  # labels, not identifiers

    bad = client.get("/api/v1/items", headers=office, query_string={"status": "registered"})
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]
