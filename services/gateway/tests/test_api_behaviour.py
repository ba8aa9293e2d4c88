"""API behaviour: problem+json field errors, idempotent registration, versions, history, import/export."""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

from openpyxl import Workbook, load_workbook

from services.gateway.tests.conftest import Portal


def office(portal: Portal) -> dict[str, str]:
    return portal.headers("office")


def test_register_errors_name_every_field(portal: Portal) -> None:
    reply = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": "", "source": "rumour", "category": "urgent", "lead_unit_id": "nowhere", "oops": 1})
    assert reply.status_code == 422 and reply.mimetype == "application/problem+json"
    errors = reply.get_json()["errors"]
    assert {"oops"} <= set(errors)  # unknown fields are refused by the gateway before anything is sent
    reply = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": "", "source": "rumour", "category": "urgent", "lead_unit_id": "nowhere"})
    assert set(reply.get_json()["errors"]) == {"title", "source", "category", "lead_unit_id"}


def test_body_must_be_a_json_object(portal: Portal) -> None:
    for data, ctype in (("not json", "application/json"), ("[1, 2]", "application/json"), ("a=b", "text/plain")):
        reply = portal.client().post("/api/v1/items", headers=office(portal), data=data, content_type=ctype)
        assert reply.status_code == 422 and reply.get_json()["errors"] == {"body": "请求体必须是 JSON 对象"}


def test_wrong_types_are_field_errors(portal: Portal) -> None:
    reply = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": 5, "key_tracking": "maybe", "co_units": "fgj", "source": "other", "category": "general",
        "lead_unit_id": "fgj"})
    assert reply.status_code == 422
    assert set(reply.get_json()["errors"]) == {"title", "key_tracking", "co_units"}


def test_idempotency_key_replays_instead_of_registering_twice(portal: Portal) -> None:
    key = str(uuid.uuid4())
    body = {"title": "幂等立项", "source": "other", "category": "general", "lead_unit_id": "fgj"}
    first = portal.client().post("/api/v1/items", headers={**office(portal), "Idempotency-Key": key}, json=body)
    again = portal.client().post("/api/v1/items", headers={**office(portal), "Idempotency-Key": key}, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["item_no"] == again.get_json()["item_no"]
    assert first.headers["Location"].endswith(first.get_json()["id"])


def test_patch_with_if_match_and_history(portal: Portal) -> None:
    item = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": "版本测试", "source": "other", "category": "general", "lead_unit_id": "fgj"}).get_json()
    got = portal.client().get(f"/api/v1/items/{item['id']}", headers=office(portal))
    assert got.headers["ETag"] == '"1"'
    ok = portal.client().patch(f"/api/v1/items/{item['id']}", headers={**office(portal), "If-Match": '"1"'},
                               json={"supervision_status": "已实地督查"})
    assert ok.status_code == 200 and ok.get_json()["version"] == 2
    stale = portal.client().patch(f"/api/v1/items/{item['id']}", headers={**office(portal), "If-Match": '"1"'},
                                  json={"remarks": "迟到的修改"})
    assert stale.status_code == 409 and "expected_version" in stale.get_json()["errors"]
    no_reason = portal.client().patch(f"/api/v1/items/{item['id']}", headers=office(portal),
                                      json={"due_date": "2026-12-31"})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    history = portal.client().get(f"/api/v1/items/{item['id']}/history", headers=office(portal)).get_json()
    change = history["changes"][-1]
    assert change["field"] == "supervision_status" and change["actor"]["name"] == "office姓名"
    assert change["actor"]["role"] == "office"


def test_list_paging_and_bad_parameters(portal: Portal) -> None:
    tag = uuid.uuid4().hex[:6]
    for i in range(5):
        portal.client().post("/api/v1/items", headers=office(portal), json={
            "title": f"分页{tag}{i}", "source": "other", "category": "general", "lead_unit_id": "fgj"})
    seen, token = [], ""
    while True:
        page = portal.client().get("/api/v1/items", headers=office(portal),
                                   query_string={"q": f"分页{tag}", "page_size": 2, "page_token": token}).get_json()
        seen += [i["title"] for i in page["items"]]
        token = page["next_page_token"]
        if not token:
            break
    assert sorted(seen) == [f"分页{tag}{i}" for i in range(5)]
    bad = portal.client().get("/api/v1/items", headers=office(portal),
                              query_string={"page_size": "lots", "key_tracking": "perhaps", "due_from": "26/11/2026",
                                            "light": "blue"})
    assert bad.status_code == 422 and {"page_size", "key_tracking"} <= set(bad.get_json()["errors"])
    bad = portal.client().get("/api/v1/items", headers=office(portal), query_string={"light": "blue"})
    assert bad.status_code == 422 and "light" in bad.get_json()["errors"]


def test_export_and_import_through_the_api(portal: Portal) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["事项名称", "事项来源", "牵头单位", "立项时间"])
    title = f"接口导入{uuid.uuid4().hex[:6]}"
    ws.append([title, "其他重要事项", "区教育局", "2026-11-20"])
    ws.append(["", "其他重要事项", "火星局", "2026-11-20"])
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    accepted = portal.client().post("/api/v1/ledger/import", headers=office(portal), content_type="multipart/form-data",
                                    data={"file": (io.BytesIO(data), "in.xlsx"), "mode": "good_rows"})
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    report = poll_import(portal, accepted.headers["Location"])
    assert report["state"] == "finished" and report["outcome"] == "imported"
    assert report["created"] == 1 and report["committed"] and {e["row"] for e in report["errors"]} == {3}
    export = portal.client().get("/api/v1/ledger/export", headers=office(portal),
                                 query_string={"form": "ledger_710", "unit_id": "jyj"})
    assert export.status_code == 200 and "filename*=UTF-8''710" in export.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(export.data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert any(title in r for r in rows)
    missing = portal.client().post("/api/v1/ledger/import", headers=office(portal), content_type="multipart/form-data",
                                   data={"mode": "good_rows"})
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    old_flag = portal.client().post("/api/v1/ledger/import", headers=office(portal), content_type="multipart/form-data",
                                    data={"file": (io.BytesIO(data), "in.xlsx"), "dry_run": "true"})
    assert old_flag.status_code == 422 and "mode=validate" in old_flag.get_json()["errors"]["dry_run"]
    bad_form = portal.client().get("/api/v1/ledger/export", headers=office(portal), query_string={"form": "poster"})
    assert bad_form.status_code == 422 and "form" in bad_form.get_json()["errors"]


def poll_import(portal: Portal, url: str, until: str = "ended", timeout: float = 60.0) -> dict:
    """GET the job's status URL as the page does, until it ended (or reached the phase `until`)."""
    deadline = time.monotonic() + timeout
    while True:
        reply = portal.client().get(url, headers=office(portal))
        assert reply.status_code == 200, reply.get_data(as_text=True)
        job = reply.get_json()
        if job["state"] in ("finished", "failed") if until == "ended" else job["phase"] == until:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_the_import_answers_202_at_once_and_the_gateway_never_waits_for_it(portal: Portal, monkeypatch) -> None:
    """The issue's 500 after 31 s: the request now only queues the file. With the ledger's writing held,
    the POST has answered 202 with the status URL, the status shows the job writing, and only once let
    go does it finish; a retry with the same key names the same job."""
    from services.ledger.tests.test_import_jobs import Gate, sheet

    gate = Gate(monkeypatch)
    title = f"后台导入{uuid.uuid4().hex[:6]}"
    data = sheet([title, title + "二"])
    headers = {**office(portal), "Idempotency-Key": str(uuid.uuid4())}

    def post() -> Any:
        return portal.client().post("/api/v1/ledger/import", headers=headers, content_type="multipart/form-data",
                                    data={"file": (io.BytesIO(data), "大台账.xlsx")})

    started = time.monotonic()
    accepted = post()
    assert accepted.status_code == 202 and time.monotonic() - started < 5
    job = accepted.get_json()
    assert accepted.headers["Location"] == f"/api/v1/ledger/imports/{job['id']}" and job["state"] == "queued"
    assert gate.reached.wait(30)
    writing = poll_import(portal, accepted.headers["Location"], until="writing")
    assert writing["state"] == "running" and writing["phase_total"] == 2 and writing["created"] == 0
    again = post()
    assert again.status_code == 202 and again.get_json()["id"] == job["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = portal.client().get("/api/v1/ledger/imports", headers=office(portal)).get_json()["jobs"]
    assert listed[0]["id"] == job["id"] and listed[0]["state"] == "running"
    gate.opened.set()
    done = poll_import(portal, accepted.headers["Location"])
    assert (done["outcome"], done["created"], len(done["item_nos"])) == ("imported", 2, 2)
    missing = portal.client().get(f"/api/v1/ledger/imports/{uuid.uuid4()}", headers=office(portal))
    assert missing.status_code == 404


def test_ledger_down_is_503_problem(portal: Portal, tmp_path) -> None:
    from libs.common.broker import free_port
    from services.gateway.tests.conftest import make_portal

    class Dead:
        port = free_port()

    dead = make_portal(Dead, f"sqlite:///{tmp_path}/gw.db")  # type: ignore[arg-type]
    dead.app.extensions["ledger"].timeout = 1
    reply = dead.client().get("/api/v1/items", headers=dead.headers("office"))
    assert reply.status_code == 503 and reply.mimetype == "application/problem+json"
    assert "ledger" in reply.get_json()["detail"]
    dead.app.extensions["ledger"].close()


def test_control_characters_and_lone_surrogates_are_field_errors(portal: Portal) -> None:
    """A title with \\x07 used to register and then break every notice of the item (503); a lone
    surrogate in JSON was a 500. Both are refused at the field, and nothing is registered."""
    title = f"控制字符{uuid.uuid4().hex[:6]}"
    bell = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": title + "\x07", "source": "other", "category": "general", "lead_unit_id": "fgj"})
    assert bell.status_code == 422 and set(bell.get_json()["errors"]) == {"title"}
    raw = '{"title": "' + title + '\\ud800", "source": "other", "category": "general", "lead_unit_id": "fgj"}'
    surrogate = portal.client().post("/api/v1/items", headers=office(portal), data=raw.encode(),
                                     content_type="application/json")
    assert surrogate.status_code == 422 and set(surrogate.get_json()["errors"]) == {"title"}
    listed = portal.client().get(f"/api/v1/items?q={title}", headers=office(portal)).get_json()
    assert listed["items"] == []


def test_json_values_have_their_json_types(portal: Portal) -> None:
    """What the OpenAPI document says of each field holds for JSON: null is no text, "true" no boolean,
    "5" no number (a form's or query string's text still reads as before)."""
    reply = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": "类型", "source": "other", "category": "general", "lead_unit_id": "fgj", "remarks": None,
        "key_tracking": "true", "co_units": None})
    assert reply.status_code == 422
    assert set(reply.get_json()["errors"]) == {"remarks", "key_tracking", "co_units"}
    item = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": "类型", "source": "other", "category": "general", "lead_unit_id": "fgj"}).get_json()
    stale = portal.client().patch(f"/api/v1/items/{item['id']}", headers=office(portal),
                                  json={"remarks": "x", "expected_version": "1"})
    assert stale.status_code == 422 and set(stale.get_json()["errors"]) == {"expected_version"}
    listed = portal.client().get("/api/v1/items?key_tracking=true&page_size=5", headers=office(portal))
    assert listed.status_code == 200


def test_dates_outside_1900_to_2999_and_odd_if_match_are_field_errors_not_failures(portal: Portal) -> None:
    far = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": "远期", "source": "other", "category": "general", "lead_unit_id": "fgj",
        "registered_on": "9999-12-31"})
    assert far.status_code == 422 and set(far.get_json()["errors"]) == {"registered_on"}
    item = portal.client().post("/api/v1/items", headers=office(portal), json={
        "title": "版本头", "source": "other", "category": "general", "lead_unit_id": "fgj"}).get_json()
    for header in ("²", "99999999999999"):  # "²".isdigit() holds; int() refuses it / past int32
        reply = portal.client().patch(f"/api/v1/items/{item['id']}", headers={**office(portal), "If-Match": header},
                                      json={"remarks": "x"})
        assert reply.status_code == 200, reply.get_data(as_text=True)
    long_title = portal.client().patch(f"/api/v1/items/{item['id']}", headers=office(portal), json={"title": "长" * 201})
    assert long_title.status_code == 422 and set(long_title.get_json()["errors"]) == {"title"}


def test_user_fields_are_held_to_their_columns(portal: Portal) -> None:
    admin = portal.headers("admin")
    reply = portal.client().post("/api/v1/users", headers=admin, json={
        "username": "long-names", "display_name": "名" * 51, "password": "x" * 12, "role": "inspector",
        "unit_id": "u" * 41})
    assert reply.status_code == 422 and set(reply.get_json()["errors"]) == {"display_name", "unit_id"}
    assert portal.client().patch(f"/api/v1/users/{2**40}", headers=admin, json={"active": False}).status_code == 404


def test_dates_are_checked_a_future_registration_and_a_deadline_on_a_day_off(portal: Portal) -> None:
    """Today is 2026-11-26 (the ledger's clock). The API's problem document names the field, and for a
    deadline on a day off carries the next working day in `suggestions`; the page shows the same."""
    base = {"title": "日期检查", "source": "other", "category": "general", "lead_unit_id": "fgj"}
    future = portal.client().post("/api/v1/items", headers=office(portal), json=base | {"registered_on": "2026-11-27"})
    assert future.status_code == 422 and future.mimetype == "application/problem+json"
    assert future.get_json()["errors"] == {"registered_on": "立项时间不能晚于今天（2026-11-26）"}
    assert "suggestions" not in future.get_json()
    saturday = portal.client().post("/api/v1/items", headers=office(portal), json=base | {
        "due_date": "2026-12-05", "due_date_reason": "领导要求"})
    body = saturday.get_json()
    assert saturday.status_code == 422 and body["suggestions"] == {"due_date": "2026-12-07"}
    assert body["errors"]["due_date"] == "2026-12-05是星期六，不是工作日；下一个工作日是2026-12-07"
    taken = portal.client().post("/api/v1/items", headers=office(portal), json=base | {
        "due_date": body["suggestions"]["due_date"], "due_date_reason": "领导要求"})
    assert taken.status_code == 201 and taken.get_json()["due_date"] == "2026-12-07"
    moved = portal.client().patch(f"/api/v1/items/{taken.get_json()['id']}", headers=office(portal),
                                  json={"due_date": "2027-01-01", "reason": "延后"})
    assert moved.status_code == 422 and moved.get_json()["suggestions"] == {"due_date": "2027-01-04"}
    assert "元旦" in moved.get_json()["errors"]["due_date"]

    browser = portal.login("office")
    page = browser.post("/items/new", data={"csrf_token": browser.csrf, **base,  # type: ignore[attr-defined]
                                            "registered_on": "2026-11-26", "due_date": "2026-12-05",
                                            "due_date_reason": "领导要求"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="err-due_date"' in html and "下一个工作日是2026-12-07" in html
    assert 'data-fill="due_date" data-value="2026-12-07"' in html and "suggest.js" in html
