"""Idempotency through the gateway: the API's Idempotency-Key header and the pages' hidden per-form key
reach the services, scoped to the caller; replays, refusals and conflicts come back as HTTP."""

from __future__ import annotations

import re
import threading
import time
import uuid

from sqlalchemy import text

from services.gateway.openapi import spec
from services.gateway.tests.conftest import Portal


def body(title: str) -> dict[str, str]:
    return {"title": title, "source": "other", "category": "general", "lead_unit_id": "fgj"}


def post_item(portal: Portal, user: str, key: str, title: str):
    return portal.client().post("/api/v1/items", headers={**portal.headers(user), "Idempotency-Key": key},
                                json=body(title))


def count_titled(portal: Portal, title: str) -> int:
    page = portal.client().get("/api/v1/items", headers=portal.headers("admin"),
                               query_string={"q": title, "include_total": "true"})
    return page.get_json()["total_size"]


def form_key(page: str, action: str) -> str:
    """The hidden key of the form posting to `action` on a rendered page."""
    form = next(f for f in page.split("<form")[1:] if action in f.split(">", 1)[0])
    return re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]


def ledger_key_rows(portal: Portal, key: str, **values: object) -> None:
    """Set columns of a key's row in the ledger's database (to stage a call still in flight)."""
    sets = ", ".join(f"{name} = :{name}" for name in values)
    with portal.ledger.app.uow.engine.begin() as conn:
        conn.execute(text(f"UPDATE idempotency_keys SET {sets} WHERE key = :key"), {**values, "key": key})


def test_the_same_key_twice_registers_one_item(portal: Portal) -> None:
    key, title = str(uuid.uuid4()), f"幂等接口{uuid.uuid4().hex[:6]}"
    first, again = post_item(portal, "office", key, title), post_item(portal, "office", key, title)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_titled(portal, title) == 1


def test_the_same_key_with_another_body_is_a_422_problem(portal: Portal) -> None:
    key, title = str(uuid.uuid4()), f"幂等改体{uuid.uuid4().hex[:6]}"
    post_item(portal, "office", key, title)
    other = post_item(portal, "office", key, title + "改")
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert "idempotency_key" in other.get_json()["errors"]
    assert count_titled(portal, title) == 1  # the second title was never registered


def test_admin_reusing_offices_key_gets_their_own_item(portal: Portal) -> None:
    key, title = str(uuid.uuid4()), f"幂等跨用户{uuid.uuid4().hex[:6]}"
    office, admin = post_item(portal, "office", key, title), post_item(portal, "admin", key, title)
    assert (office.status_code, admin.status_code) == (201, 201)
    assert office.get_json()["id"] != admin.get_json()["id"]
    assert count_titled(portal, title) == 2


def test_a_duplicate_in_flight_is_a_409_with_retry_after(portal: Portal) -> None:
    key, title = str(uuid.uuid4()), f"幂等处理中{uuid.uuid4().hex[:6]}"
    post_item(portal, "office", key, title)
    ledger_key_rows(portal, key, state="in_flight")  # as if the first call were still running
    busy = post_item(portal, "office", key, title)
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert "idempotency_key" in busy.get_json()["errors"]


def test_bad_keys_are_field_errors(portal: Portal) -> None:
    too_long = post_item(portal, "office", "k" * 129, "幂等长键")
    assert too_long.status_code == 422 and "idempotency_key" in too_long.get_json()["errors"]
    odd = portal.client().post("/api/v1/items", json=body("幂等怪键"),
                               headers={**portal.headers("office"), "Idempotency-Key": "k\u00e9y"})
    assert odd.status_code == 422 and "idempotency_key" in odd.get_json()["errors"]


def test_tracking_writes_pass_the_key_on(portal: Portal) -> None:
    item = post_item(portal, "office", str(uuid.uuid4()), f"幂等催办{uuid.uuid4().hex[:6]}").get_json()["id"]
    wait_for_tracking(portal, item)
    key = str(uuid.uuid4())
    for _ in range(2):
        reply = portal.client().post(f"/api/v1/items/{item}/urges", json={"unit_id": "fgj", "method": "phone",
                                                                           "text": "请签收"},
                                     headers={**portal.headers("office"), "Idempotency-Key": key})
        assert reply.status_code == 200
    assert len(reply.get_json()["office_urges"]) == 1 and reply.headers["Idempotent-Replayed"] == "true"


def wait_for_tracking(portal: Portal, item_id: str) -> None:
    deadline = time.monotonic() + 20
    while portal.client().get(f"/api/v1/items/{item_id}/tracking", headers=portal.headers("office")).status_code != 200:
        assert time.monotonic() < deadline, "tracking never heard of the item"
        time.sleep(0.05)


def test_a_register_form_sent_twice_registers_once(portal: Portal) -> None:
    browser, title = portal.login("office"), f"幂等表单{uuid.uuid4().hex[:6]}"
    key = form_key(browser.get("/items/new").get_data(as_text=True), "novalidate")
    fields = {"csrf_token": browser.csrf, "idempotency_key": key, **body(title)}  # type: ignore[attr-defined]
    first, second = browser.post("/items/new", data=fields), browser.post("/items/new", data=fields)
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    assert count_titled(portal, title) == 1
    fresh = form_key(browser.get("/items/new").get_data(as_text=True), "novalidate")
    assert fresh != key  # every rendering of the form has its own key


def test_a_double_clicked_urge_form_records_one_urge_even_while_the_first_runs(portal: Portal) -> None:
    item = post_item(portal, "office", str(uuid.uuid4()), f"幂等页面催办{uuid.uuid4().hex[:6]}").get_json()["id"]
    wait_for_tracking(portal, item)
    browser = portal.login("office")
    page = browser.get(f"/items/{item}").get_data(as_text=True)
    key = form_key(page, "/tracking/urge")
    assert key != form_key(page, "/tracking/notice")  # one key per form
    fields = {"csrf_token": browser.csrf, "idempotency_key": key,  # type: ignore[attr-defined]
              "unit_id": "fgj", "method": "phone", "text": "请今日内签收"}
    assert browser.post(f"/items/{item}/tracking/urge", data=fields).status_code == 302
    # The second click arrives while the first is (made to look) still running: the page waits for it.
    assert portal.tracking is not None
    tracking_engine = portal.tracking.parts.engine
    with tracking_engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET state = 'in_flight' WHERE key = :key"), {"key": key})

    def first_finishes() -> None:
        time.sleep(0.3)
        with tracking_engine.begin() as conn:
            conn.execute(text("UPDATE idempotency_keys SET state = 'done' WHERE key = :key"), {"key": key})

    finisher = threading.Thread(target=first_finishes)
    finisher.start()
    again = browser.post(f"/items/{item}/tracking/urge", data=fields, follow_redirects=True)
    finisher.join()
    assert again.status_code == 200 and "已记录催办" in again.get_data(as_text=True)
    urges = portal.client().get(f"/api/v1/items/{item}/tracking", headers=portal.headers("office")).get_json()
    assert len(urges["office_urges"]) == 1


def test_openapi_documents_the_key_on_every_write_through_a_service(portal: Portal) -> None:
    local = {"/api/v1/auth/token", "/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/tracking/sweeps",
             "/api/v1/devices", "/api/v1/bulletin-jobs"}  # gateway-local or a job
    writes = [(path, op) for path, ops in spec()["paths"].items() if path not in local
              for method, op in ops.items() if method in ("post", "patch")]
    assert len(writes) >= 12
    for path, op in writes:
        assert "Idempotency-Key" in [p["name"] for p in op.get("parameters", [])], path
        assert {"409", "422"} <= set(op["responses"]), path
