"""考核年度 through the gateway: the REST API takes and returns `assessment_year`, the register form and the
item page's 修改考核年度 form set it, and a frozen year's refusal reads as a field error (409)."""

from __future__ import annotations

from services.gateway.tests.conftest import Portal
from services.ledger.tests.test_assessment_year import apply_event, frozen_event

ITEM = {"source": "other", "category": "general", "lead_unit_id": "fgj"}
REFUSED_INTO_2024 = "2024年度考核已确认（冻结），不能再改动考核年度"


def test_the_api_takes_and_returns_the_assessment_year(portal: Portal) -> None:
    client, office = portal.client(), portal.headers("office")
    plain = client.post("/api/v1/items", headers=office, json={"title": "接口默认考核年度", **ITEM}).get_json()
    assert plain["assessment_year"] == 2026  # the registration year (today, 2026-11-26)
    given = client.post("/api/v1/items", headers=office, json={
        "title": "接口指定考核年度", "registered_on": "2026-11-20", "assessment_year": 2027, **ITEM})
    assert given.status_code == 201 and given.get_json()["assessment_year"] == 2027
    item_id = given.get_json()["id"]
    assert client.get(f"/api/v1/items/{item_id}", headers=office).get_json()["assessment_year"] == 2027
    listed = client.get("/api/v1/items", headers=office, query_string={"q": "接口指定考核年度"}).get_json()["items"]
    assert [i["assessment_year"] for i in listed] == [2027]

    changed = client.patch(f"/api/v1/items/{item_id}", headers=office,
                           json={"assessment_year": 2028, "reason": "跨年办理"})
    assert changed.status_code == 200 and changed.get_json()["assessment_year"] == 2028
    history = client.get(f"/api/v1/items/{item_id}/history", headers=office).get_json()["changes"]
    assert [(c["field"], c["old_value"], c["new_value"], c["reason"]) for c in history[1:]] == [
        ("assessment_year", "2027", "2028", "跨年办理")]
    same = client.patch(f"/api/v1/items/{item_id}", headers=office, json={"assessment_year": 2028.0})
    assert same.status_code == 200 and same.get_json()["assessment_year"] == 2028  # JSON's 2028.0 is the integer
    for bad, why in ((1999, "考核年度应为2000至2100之间的年份"), ("2029", "应为整数"), (None, "应为整数"),
                     (2028.5, "应为整数")):
        reply = client.patch(f"/api/v1/items/{item_id}", headers=office, json={"assessment_year": bad})
        assert reply.status_code == 422 and reply.get_json()["errors"] == {"assessment_year": why}, bad

    apply_event(portal.ledger, frozen_event(2024))
    into = client.patch(f"/api/v1/items/{item_id}", headers=office, json={"assessment_year": 2024})
    assert into.status_code == 409 and into.get_json()["errors"] == {"assessment_year": REFUSED_INTO_2024}
    registered = client.post("/api/v1/items", headers=office, json={"title": "接口登记到冻结年度",
                                                                     "assessment_year": 2024, **ITEM})
    assert registered.status_code == 409 and "assessment_year" in registered.get_json()["errors"]

    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    for name in ("Item", "RegisterItem", "ItemPatch"):
        assert schemas[name]["properties"]["assessment_year"]["type"] == "integer", name


def test_the_register_form_and_the_item_page_set_and_show_the_assessment_year(portal: Portal) -> None:
    browser = portal.login("office")
    form = browser.get("/items/new").get_data(as_text=True)
    assert "考核年度</label>" in form and "留空则按立项日期所在年度计入考核" in form and 'name="assessment_year"' in form and 'placeholder="2026"' in form
    sent = {"csrf_token": browser.csrf, "source": "other", "category": "general", "lead_unit_id": "fgj"}  # type: ignore[attr-defined]
    plain = browser.post("/items/new", data={**sent, "title": "页面默认考核年度", "assessment_year": ""})
    assert plain.status_code == 302
    assert "2026年度" in browser.get(plain.headers["Location"]).get_data(as_text=True)
    given = browser.post("/items/new", data={**sent, "title": "页面指定考核年度", "assessment_year": "2027"})
    assert given.status_code == 302
    page = browser.get(given.headers["Location"]).get_data(as_text=True)
    assert 'id="item-assessment-year">2027年度' in page and "修改考核年度" in page
    item_id = given.headers["Location"].split("/items/")[1].split("?")[0]

    edit = browser.get(f"/items/{item_id}/assessment-year").get_data(as_text=True)
    assert "修改考核年度" in edit and 'value="2027"' in edit
    moved = browser.post(f"/items/{item_id}/assessment-year", data={
        "csrf_token": browser.csrf, "assessment_year": "2026", "reason": "年内办结", "expected_version": "1"})  # type: ignore[attr-defined]
    assert moved.status_code == 302
    page = browser.get(moved.headers["Location"]).get_data(as_text=True)
    assert "考核年度已修改" in page and 'id="item-assessment-year">2026年度' in page and "年内办结" in page

    apply_event(portal.ledger, frozen_event(2024))  # (again, if the API test froze it first: kept once)
    refused = browser.post(f"/items/{item_id}/assessment-year", data={
        "csrf_token": browser.csrf, "assessment_year": "2024"})  # type: ignore[attr-defined]
    assert refused.status_code == 409 and REFUSED_INTO_2024 in refused.get_data(as_text=True)
    frozen = browser.post("/items/new", data={**sent, "title": "页面登记到冻结年度", "assessment_year": "2024"})
    text = frozen.get_data(as_text=True)
    assert frozen.status_code == 409 and "2024年度考核已确认（冻结）" in text and 'aria-invalid="true"' in text
    # A unit's staff may read the item but not move it.
    assert portal.login("fgj_staff").get(f"/items/{item_id}/assessment-year").status_code == 403
