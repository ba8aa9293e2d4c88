"""Department scoping: a unit sees only items it leads or co-handles; another unit's item is a 404."""

from __future__ import annotations

import io
import uuid

from openpyxl import load_workbook

from services.gateway.tests.conftest import Portal


def register(portal: Portal, **fields) -> dict:
    body = {"title": f"范围{uuid.uuid4().hex[:6]}", "source": "other", "category": "general"} | fields
    reply = portal.client().post("/api/v1/items", headers=portal.headers("office"), json=body)
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()


def titles(portal: Portal, user: str, **params) -> set[str]:
    reply = portal.client().get("/api/v1/items", headers=portal.headers(user), query_string={"page_size": 500, **params})
    assert reply.status_code == 200
    return {i["title"] for i in reply.get_json()["items"]}


def test_unit_b_cannot_see_unit_a_item_anywhere(portal: Portal) -> None:
    a_item = register(portal, lead_unit_id="fgj")
    assert a_item["title"] in titles(portal, "fgj_staff")
    assert a_item["title"] not in titles(portal, "jyj_staff")
    assert titles(portal, "jyj_staff", unit_id="fgj") == set()  # asking for another unit gives nothing
    jyj = portal.client()
    fake = str(uuid.uuid4())
    for real, suffix in ((a_item["id"], ""), (a_item["id"], "/history")):
        hidden = jyj.get(f"/api/v1/items/{real}{suffix}", headers=portal.headers("jyj_staff"))
        missing = jyj.get(f"/api/v1/items/{fake}{suffix}", headers=portal.headers("jyj_staff"))
        assert hidden.status_code == missing.status_code == 404
        # Indistinguishable from a missing item: the same body but for the id the caller sent.
        assert hidden.get_data(as_text=True).replace(real, fake) == missing.get_data(as_text=True)
    assert jyj.get(f"/api/v1/items/{a_item['item_no']}", headers=portal.headers("jyj_staff")).status_code == 404
    export = jyj.get("/api/v1/ledger/export", headers=portal.headers("jyj_staff"), query_string={"form": "full"})
    wb = load_workbook(io.BytesIO(export.data), read_only=True)
    cells = {c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row}
    assert a_item["title"] not in cells


def test_co_unit_sees_the_item(portal: Portal) -> None:
    item = register(portal, lead_unit_id="fgj", co_units=[{"unit_id": "jyj", "duty": "配合"}])
    assert item["title"] in titles(portal, "jyj_staff")
    reply = portal.client().get(f"/api/v1/items/{item['id']}", headers=portal.headers("jyj_staff"))
    assert reply.status_code == 200


def test_leader_sees_only_own_items(portal: Portal) -> None:
    mine = register(portal, lead_unit_id="zjj", responsible_leader_id="ld-li")
    other = register(portal, lead_unit_id="zjj", responsible_leader_id="ld-zhao")
    li = titles(portal, "leader_li")
    assert mine["title"] in li and other["title"] not in li
    assert titles(portal, "leader_li", responsible_leader_id="ld-zhao") >= set()  # param ignored, not widened
    assert portal.client().get(f"/api/v1/items/{other['id']}", headers=portal.headers("leader_li")).status_code == 404


def test_office_sees_everything(portal: Portal) -> None:
    item = register(portal, lead_unit_id="zjj")
    for user in ("office", "admin", "inspector", "assessment"):
        assert item["title"] in titles(portal, user)


def test_scoped_total_equals_scoped_list(portal: Portal) -> None:
    register(portal, lead_unit_id="jyj")
    reply = portal.client().get("/api/v1/items", headers=portal.headers("jyj_staff"),
                                query_string={"include_total": "true", "page_size": 500})
    body = reply.get_json()
    assert body["total_size"] == len(body["items"])
