"""The item page after an action, and the files of an item.

Read-your-writes: while tracking's events are held back (its relay paused, so the ledger's copy of
tracking's columns stays where it was), every page the forms redirect to already shows what the action
did - from tracking's own answer. Attachments of reports and of the reply are listed on the page and in
the API with name, size, who and when, and download for whoever may see the item; a unit or leader who
may not see it gets 404, as for the item itself.
"""

from __future__ import annotations

import base64
import io
import re
import time
import uuid

from flask.testing import FlaskClient

from services.gateway.tests.conftest import Portal


def _wait(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _register(portal: Portal, **fields: object) -> str:
    client = portal.client()
    item_id = client.post("/api/v1/items", headers=portal.headers("office"), json={
        "title": f"即时{uuid.uuid4().hex[:6]}", "source": "other", "category": "general", "lead_unit_id": "fgj",
        "responsible_leader_id": "ld-li", **fields}).get_json()["id"]
    _wait(lambda: client.get(f"/api/v1/items/{item_id}/tracking", headers=portal.headers("office")).status_code == 200,
          "tracking never heard of the item")
    return item_id


def _act(client: FlaskClient, item_id: str, action: str, **data: object) -> str:
    """Send an item page form and return the page it redirects to, as the browser would show it."""
    reply = client.post(f"/items/{item_id}/tracking/{action}", data={"csrf_token": client.csrf, **data},  # type: ignore[attr-defined]
                        content_type="multipart/form-data")
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    return client.get(reply.headers["Location"]).get_data(as_text=True)


def _dd(html: str, dd_id: str) -> str:
    found = re.search(rf'<dd id="{dd_id}">(.*?)</dd>', html, re.S)
    assert found, dd_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_page_after_each_action_shows_what_it_did_before_the_ledger_hears(portal: Portal) -> None:
    item_id = _register(portal)
    office, fgj, leader = portal.login("office"), portal.login("fgj_staff"), portal.login("leader_li")
    assert portal.tracking is not None
    with portal.tracking.uow.bulk():  # tracking's events wait: the ledger's copy stays as registered
        page = _act(office, item_id, "notice", contact_name="王芳")
        assert _dd(page, "item-status") == "已交办" and _dd(page, "item-assigned-on") == "2026-11-26"
        page = _act(fgj, item_id, "acknowledge")
        assert _dd(page, "item-status") == "办理中"
        _act(fgj, item_id, "extension", reason="需协调省级部门", new_due_date="2026-12-18")
        extension_id = re.search(r'name="extension_id" value="([^"]+)"', leader.get(f"/items/{item_id}").get_data(
            as_text=True)).group(1)  # type: ignore[union-attr]
        page = _act(leader, item_id, "decision", extension_id=extension_id, approve="true", comment="同意")
        assert _dd(page, "item-due-date").startswith("2026年12月18日")
        assert _dd(page, "item-extension") == "需协调省级部门 / leader_li姓名 2026-11-26"
        page = _act(fgj, item_id, "reply", result="已全部完成")
        assert _dd(page, "item-status") == "已回复" and _dd(page, "item-result") == "已全部完成"
        page = _act(office, item_id, "completion", report_kind="special")
        assert _dd(page, "item-status") == "待销号"
        page = _act(leader, item_id, "signature", approve="true", opinion="同意销号")
        assert _dd(page, "item-status") == "已归档" and _dd(page, "item-closure") == "leader_li姓名 2026-11-26"
        assert 'class="light light-none">已办结<' in page.split('<p class="explain">')[1].split("</p>")[0]
        # The ledger had heard none of it (its copy is fed by the events still held).
        ledger_copy = portal.client().get(f"/api/v1/items/{item_id}", headers=portal.headers("office")).get_json()
        assert ledger_copy["status"] == "awaiting_notice" and ledger_copy["assigned_on"] == ""
    _wait(lambda: portal.client().get(f"/api/v1/items/{item_id}", headers=portal.headers("office")).get_json()["status"]
          == "archived", "the ledger never caught up")


def test_attachments_are_listed_and_download_only_for_those_who_see_the_item(portal: Portal) -> None:
    item_id = _register(portal)
    client, office = portal.client(), portal.headers("office")
    assert client.post(f"/api/v1/items/{item_id}/notice", headers=office, json={"contact_name": "王芳"}).status_code == 200
    fgj_page = portal.login("fgj_staff")
    _act(fgj_page, item_id, "report", text="已召开专题会", attachments=[(io.BytesIO("纪要正文".encode()), "会议纪要.txt")])
    replied = client.post(f"/api/v1/items/{item_id}/reply", headers=portal.headers("fgj_staff"), json={
        "result": "已完成", "attachments": [{"filename": "验收报告.pdf", "content_type": "application/pdf",
                                             "data": base64.b64encode(b"%PDF-1.4 ok").decode()}]})
    assert replied.status_code == 200, replied.get_json()

    tracking = client.get(f"/api/v1/items/{item_id}/tracking", headers=office).get_json()
    report_file = tracking["reports"][0]["attachments"][0]
    reply_file = tracking["reply"]["attachments"][0]
    assert (report_file["filename"], report_file["size"], report_file["uploaded_by"]["name"]) == \
        ("会议纪要.txt", "12", "fgj_staff姓名")  # int64: a JSON string (proto3)
    assert report_file["uploaded_at"] == tracking["reports"][0]["filed_at"] and report_file.get("data", "") == ""
    assert (reply_file["filename"], reply_file["size"], reply_file["uploaded_by"]["name"]) == ("验收报告.pdf", "11", "fgj_staff姓名")
    listed = client.get("/api/v1/tracking", headers=portal.headers("fgj_staff")).get_json()["assignments"]
    assert any(a["item_id"] == item_id for a in listed)

    page = portal.login("inspector").get(f"/items/{item_id}").get_data(as_text=True)
    table = page.split('id="attachments"')[1].split("</table>")[0]
    assert "会议纪要.txt" in table and "12 字节" in table and "进展汇报（区发展和改革局）" in table
    assert "验收报告.pdf" in table and "书面回复" in table and "fgj_staff姓名" in table and "2026-11-26" in table

    api_path = f"/api/v1/items/{item_id}/documents/attachment"
    page_path = f"/items/{item_id}/documents/attachment"
    for who in ("office", "inspector", "fgj_staff", "leader_li", "assessment"):
        got = client.get(api_path, headers=portal.headers(who), query_string={"attachment_id": report_file["id"]})
        assert got.status_code == 200 and got.data == "纪要正文".encode(), who
        assert "filename*=UTF-8''%E4%BC%9A" in got.headers["Content-Disposition"]
    for who in ("jyj_staff", "leader_zhao"):  # not their item: answered as a missing one
        got = client.get(api_path, headers=portal.headers(who), query_string={"attachment_id": report_file["id"]})
        assert got.status_code == 404, who
        assert portal.login(who).get(page_path, query_string={"attachment_id": report_file["id"]}).status_code == 404
    assert fgj_page.get(page_path, query_string={"attachment_id": reply_file["id"]}).data == b"%PDF-1.4 ok"
    other = _register(portal)  # an attachment id is found only under its own item
    got = client.get(f"/api/v1/items/{other}/documents/attachment", headers=office,
                     query_string={"attachment_id": report_file["id"]})
    assert got.status_code == 404
