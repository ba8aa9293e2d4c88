"""Each role lands on its own work (我的待办, 待我签批, the desk), and the navigation's counts, the pages and
GET /api/v1/todo say the same; against real ledger and tracking servers."""

from __future__ import annotations

import re
import time

import pytest

from services.gateway.tests.conftest import USERS, Portal

HOMES = {"office": "/desk", "fgj_staff": "/todo", "jyj_staff": "/todo", "leader_li": "/queue", "leader_zhao": "/queue",
         "inspector": "/ledger", "assessment": "/ledger", "admin": "/ledger"}
WITH_TODO = {"fgj_staff", "jyj_staff", "leader_li", "leader_zhao"}


def badge(html: str, link_id: str) -> int:
    found = re.search(rf'id="{link_id}">[^<]*<span class="badge">(\d+)</span>', html)
    assert found, f"no count on #{link_id}"
    return int(found.group(1))


@pytest.fixture(scope="module")
def item(portal: Portal) -> dict:
    """Led by 发改局 (fgj) with 教育局 (jyj) as co unit, 李明 responsible; its notice issued, and 发改局 has
    asked for more time."""
    office = portal.headers("office")
    created = portal.client().post("/api/v1/items", headers=office, json={
        "title": "待办视图事项", "source": "other", "category": "general", "lead_unit_id": "fgj",
        "co_units": [{"unit_id": "jyj", "duty": "配合"}], "responsible_leader_id": "ld-li"}).get_json()
    deadline = time.monotonic() + 20
    while portal.client().get(f"/api/v1/items/{created['id']}/tracking", headers=office).status_code != 200:
        assert time.monotonic() < deadline, "tracking never heard of the item"
        time.sleep(0.05)
    assert portal.client().post(f"/api/v1/items/{created['id']}/notice", headers=office,
                                json={"contact_name": "王芳"}).status_code == 200
    asked = portal.client().post(f"/api/v1/items/{created['id']}/extensions", headers=portal.headers("fgj_staff"),
                                 json={"reason": "需要协调", "new_due_date": "2026-12-30"})
    assert asked.status_code == 200, asked.get_json()
    return created


@pytest.mark.parametrize("user", sorted(USERS))
def test_each_role_lands_on_its_own_work(portal: Portal, user: str) -> None:
    client = portal.app.test_client()
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    reply = client.post("/login", data={"username": user, "password": "correct-horse-1", "csrf_token": csrf})
    assert reply.status_code == 302 and reply.headers["Location"] == HOMES[user]
    assert client.get("/").headers["Location"] == HOMES[user]
    assert client.get(HOMES[user]).status_code == 200


@pytest.mark.parametrize("user", sorted(USERS))
def test_a_role_with_no_to_do_gets_none(portal: Portal, user: str) -> None:
    reply = portal.client().get("/api/v1/todo", headers=portal.headers(user))
    assert reply.status_code == (200 if user in WITH_TODO else 403)
    page = portal.login(user).get("/todo")
    assert page.status_code == (200 if user in WITH_TODO else 403)


def test_units_see_what_to_sign_report_and_reply_each_with_where_to_do_it(portal: Portal, item: dict) -> None:
    fgj = portal.client().get("/api/v1/todo", headers=portal.headers("fgj_staff")).get_json()
    mine = [e for e in fgj["entries"] if e["item_id"] == item["id"]]
    assert {e["kind"] for e in mine} == {"notice_to_sign", "report_due", "reply_due", "extension_pending"}
    for entry in mine:
        assert entry["title"] == "待办视图事项" and entry["item_no"] == item["item_no"]
        assert entry["page"] == f"/items/{item['id']}#tracking" and entry["kind_label"]
    sign = next(e for e in mine if e["kind"] == "notice_to_sign")
    assert sign["unit_name"] == "区发展和改革局" and sign["due_on"] and sign["due_at"]
    assert sign["act"] == {"method": "POST", "path": f"/api/v1/items/{item['id']}/acknowledgements"}
    waiting = next(e for e in mine if e["kind"] == "extension_pending")
    assert waiting["act"] is None and waiting["asked_by"]["name"] == "fgj_staff姓名"
    assert fgj["total"] == len(fgj["entries"]) == sum(fgj["counts"].values())
    assert set(fgj["counts"]) == {"notice_to_sign", "report_late", "report_due", "reply_due", "extension_pending",
                                  "rectification_due", "feedback_to_answer"}  # inspection's kinds of a unit's work too

    jyj = portal.client().get("/api/v1/todo", headers=portal.headers("jyj_staff")).get_json()
    assert [e["kind"] for e in jyj["entries"] if e["item_id"] == item["id"]] == ["notice_to_sign"]  # a co unit signs
    only = portal.client().get("/api/v1/todo?kind=reply_due", headers=portal.headers("fgj_staff")).get_json()
    assert {e["kind"] for e in only["entries"]} == {"reply_due"} and set(only["counts"]) == {"reply_due"}
    theirs = portal.client().get("/api/v1/todo?kind=closure_to_sign", headers=portal.headers("fgj_staff")).get_json()
    assert theirs["entries"] == [] and theirs["counts"] == {}  # another role's kind: nothing for a unit
    bad = portal.client().get("/api/v1/todo?kind=rectification", headers=portal.headers("fgj_staff"))
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]


def test_the_leader_sees_who_asked_when_and_how_long_it_has_waited(portal: Portal, item: dict) -> None:
    queue = portal.client().get("/api/v1/todo", headers=portal.headers("leader_li")).get_json()
    [asked] = [e for e in queue["entries"] if e["item_id"] == item["id"]]
    assert asked["kind"] == "extension_to_sign" and asked["unit_name"] == "区发展和改革局"
    assert (asked["asked_by"]["name"], asked["asked_by"]["unit_name"]) == ("fgj_staff姓名", "区发展和改革局")
    assert asked["since"] and asked["waited_working_days"] == 0
    assert asked["page"] == f"/queue#todo-{asked['ref_id']}"
    assert asked["act"]["path"] == f"/api/v1/items/{item['id']}/extensions/{asked['ref_id']}/decision"
    assert [e for e in portal.client().get("/api/v1/todo", headers=portal.headers("leader_zhao")).get_json()["entries"]
            if e["item_id"] == item["id"]] == []

    page = portal.login("leader_li").get("/queue").get_data(as_text=True)
    card = page[page.index(f'id="todo-{asked["ref_id"]}"'):]
    card = card[:card.index("</article>")]
    assert "区发展和改革局 fgj_staff姓名" in card and "提交（今天）" in card and "需要协调" in card


@pytest.mark.parametrize(("user", "path", "link", "entry"), [
    ("fgj_staff", "/todo", "nav-todo", '<li class="todo-entry">'),
    ("jyj_staff", "/todo", "nav-todo", '<li class="todo-entry">'),
    ("leader_li", "/queue", "nav-queue", '<article class="card" id="todo-'),
])
def test_the_count_in_the_navigation_is_the_list_it_opens(portal: Portal, item: dict, user: str, path: str,
                                                           link: str, entry: str) -> None:
    client = portal.login(user)
    page = client.get(path).get_data(as_text=True)
    listed = page.count(entry)
    assert listed > 0
    assert badge(page, link) == listed
    assert badge(client.get("/ledger").get_data(as_text=True), link) == listed  # on every page
    assert portal.client().get("/api/v1/todo", headers=portal.headers(user)).get_json()["total"] == listed
