"""Inspection through the gateway, every endpoint × every role (BOLA): the office and its head, an inspector
on the plan and one on no plan, the staff of the finding's unit and of another, the item's leader and
another leader, the assessment office. A plan, finding, photo or escalation out of a person's reach is
answered exactly like a missing one (404, the same body): a refusal says nothing about what exists.
Units see only their own findings and orders; leaders their items' findings and the escalations addressed
to them; inspectors only the plans they are on."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from services.gateway.tests.conftest import Portal
from services.gateway.tests.inspection_scene import ROLES, Scene, jpeg, scene_for

# office, office_head, inspector (on the plan), inspector_out, fgj_staff (the finding's unit), jyj_staff,
# leader_li (the item's leader), leader_zhao, assessment
ALL_OK = dict.fromkeys(ROLES, 200)
SEES_PLAN = {"office": 200, "office_head": 200, "inspector": 200, "assessment": 200}
SEES_FINDING = SEES_PLAN | {"fgj_staff": 200, "leader_li": 200}
PLANS = {"office": 200, "office_head": 200}  # 403 for the others: their role may not
INSPECTS = {"office": 201, "office_head": 201, "inspector": 201, "inspector_out": 404}


@dataclass
class Shared:
    """What the read-only and repeatable calls act on: an approved plan with a major finding at fgj (its
    photo, its escalation to 李明 and the office head) and a draft."""

    plan: dict[str, Any]
    draft: dict[str, Any]
    finding: dict[str, Any]
    escalation_id: str


@pytest.fixture(scope="module")
def scene(portal: Portal) -> Scene:
    return scene_for(portal)


@pytest.fixture(scope="module")
def shared(scene: Scene) -> Shared:
    plan = scene.plan()
    finding = scene.finding(plan, severity="major", photos=1)
    return Shared(plan, scene.plan("draft"), finding, finding["escalation_id"])


Setup = Callable[[Scene, Shared], str]  # -> the request's path (after /api/v1/inspection)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    setup: Setup
    expected: dict[str, int]  # role -> status; a role not listed: 403 for a write, 404 for a read
    body: dict[str, Any] | None = None
    multipart: bool = False


def _fresh_finding(stage: str) -> Setup:
    def setup(scene: Scene, shared: Shared) -> str:
        plan = shared.plan
        finding = {"new": scene.finding, "ordered": scene.ordered, "reported": scene.reported}[stage](plan)
        return f"/findings/{finding['id']}"

    return setup


CASES = [
    # reads
    Case("list plans", "GET", lambda s, sh: "/plans", ALL_OK),
    Case("get plan", "GET", lambda s, sh: f"/plans/{sh.plan['id']}", SEES_PLAN),
    Case("list findings", "GET", lambda s, sh: f"/findings?plan_id={sh.plan['id']}", ALL_OK),
    Case("get finding", "GET", lambda s, sh: f"/findings/{sh.finding['id']}", SEES_FINDING),
    Case("get photo", "GET", lambda s, sh: f"/photos/{sh.finding['photos'][0]['id']}", SEES_FINDING),
    Case("get thumbnail", "GET", lambda s, sh: f"/photos/{sh.finding['photos'][0]['id']}/thumbnail", SEES_FINDING),
    Case("list escalations", "GET", lambda s, sh: "/escalations", ALL_OK),
    # the tablet's day: the plan's team and the office only (a role that may not inspect: 403)
    Case("day's bundle", "GET", lambda s, sh: f"/plans/{sh.plan['id']}/bundle",
         {"office": 200, "office_head": 200, "inspector": 200, "inspector_out": 404, "fgj_staff": 403,
          "jyj_staff": 403, "leader_li": 403, "leader_zhao": 403, "assessment": 403}),
    Case("get escalation", "GET", lambda s, sh: f"/escalations/{sh.escalation_id}",
         {"office": 200, "office_head": 200, "assessment": 200, "leader_li": 200}),
    # plans: the office drafts and runs them, its head approves, members confirm their training
    Case("create plan", "POST", lambda s, sh: "/plans", {"office": 201, "office_head": 201}, body={}),
    Case("update plan", "PATCH", lambda s, sh: f"/plans/{sh.draft['id']}", PLANS, body={}),
    Case("approve plan", "POST", lambda s, sh: f"/plans/{s.plan('draft')['id']}/approval", {"office_head": 200}),
    Case("start plan", "POST", lambda s, sh: f"/plans/{s.plan('approved')['id']}/start", PLANS),
    Case("finish plan", "POST", lambda s, sh: f"/plans/{s.plan('under_way')['id']}/finish", PLANS),
    Case("confirm training", "POST", lambda s, sh: f"/plans/{sh.plan['id']}/training-confirmation",
         {"office": 403, "office_head": 403, "assessment": 403, "inspector": 200, "inspector_out": 404,
          "fgj_staff": 404, "jyj_staff": 404, "leader_li": 404, "leader_zhao": 404}),
    # on site: the plan's team (the office may record for it)
    Case("record visit", "POST", lambda s, sh: f"/plans/{sh.plan['id']}/visits", INSPECTS,
         body={"unit_id": "fgj", "ledger_kept": True, "ledger_current": True,
               "checks": [{"item_id": "ITEM", "process": "verified", "result": "discrepancy", "note": "进度滞后"}]}),
    Case("record finding", "POST", lambda s, sh: f"/plans/{sh.plan['id']}/findings", INSPECTS,
         body={"unit_id": "fgj", "text": "问题", "category": "other", "severity": "general"}, multipart=True),
    Case("raise escalation", "POST", lambda s, sh: f"/plans/{sh.plan['id']}/escalations", INSPECTS,
         body={"unit_id": "fgj", "text": "特殊情况"}),
    # rectification: ordered and re-inspected by the team, reported by the finding's unit
    Case("order rectification", "POST", lambda s, sh: _fresh_finding("new")(s, sh) + "/rectification",
         {"office": 200, "office_head": 200, "inspector": 200, "inspector_out": 404},
         body={"mode": "ordered", "working_days": 3, "requirement": "整改"}),
    Case("report rectification", "POST", lambda s, sh: _fresh_finding("ordered")(s, sh) + "/rectification/report",
         {"office": 200, "office_head": 200, "fgj_staff": 200, "jyj_staff": 404},
         body={"text": "已整改"}, multipart=True),
    Case("verify rectification", "POST", lambda s, sh: _fresh_finding("reported")(s, sh) + "/rectification/verification",
         {"office": 200, "office_head": 200, "inspector": 200, "inspector_out": 404},
         body={"passed": "true", "text": "已核实"}, multipart=True),
    Case("register as ledger item", "POST", lambda s, sh: f"/findings/{sh.finding['id']}/ledger-item", PLANS,
         body={"responsible_leader_id": "ld-li"}),
    # escalations: read (阅知) by those addressed
    Case("acknowledge escalation", "POST", lambda s, sh: f"/escalations/{sh.escalation_id}/acknowledgement",
         {"office_head": 200, "leader_li": 200, "leader_zhao": 404}),
]
NOT_FOUND: dict[str, Any] = {}


def _request(scene: Scene, case: Case, role: str, path: str) -> Any:
    body = dict(case.body or {})
    if case.name == "create plan" or case.name == "update plan":
        body = scene.draft()
    if case.name == "record visit":
        body["checks"] = [{**c, "item_id": scene.item["id"]} for c in body["checks"]]
    if case.name == "record finding":
        body |= {"client_key": uuid.uuid4().hex, "photos": [(io.BytesIO(jpeg()), "IMG.jpg")]}
    if case.method == "GET":
        return scene.call("GET", path, role)
    if case.multipart:
        return scene.call(case.method, path, role, data=body, content_type="multipart/form-data")
    return scene.call(case.method, path, role, json=body)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_endpoint_answers_each_role_by_its_scope(scene: Scene, shared: Shared, case: Case) -> None:
    wrong = {}
    for role in ROLES:
        path = case.setup(scene, shared)
        reply = _request(scene, case, role, path)
        text = reply.get_data(as_text=not path.startswith("/photos/") or reply.status_code != 200)  # ends a stream
        expected = case.expected.get(role, 404 if case.method == "GET" else 403)
        if reply.status_code != expected:
            wrong[role] = (reply.status_code, expected, str(text)[:200])
        elif expected == 404:
            body = reply.get_json()
            assert reply.mimetype == "application/problem+json" and body["status"] == 404
            # The same answer a missing one gets: nothing of the object (no id, no name, no title).
            other = str(uuid.uuid4())
            missing = scene.call(case.method, _missing(path, other), role, json=case.body or {}) \
                if case.method != "GET" else scene.call("GET", _missing(path, other), role)
            assert missing.status_code == 404
            assert missing.get_data(as_text=True).replace(other, "ID") == str(text).replace(path.split("/")[2], "ID")
            for secret in (shared.plan["title"], shared.finding["text"], "区发展和改革局"):  # the id is the one sent
                assert secret not in str(text)
    assert not wrong, f"{case.name}: role -> (got, expected, body): {wrong}"


def _missing(path: str, other: str) -> str:
    """The same path with its object's id replaced by one that names nothing."""
    parts = path.split("/")
    parts[2] = other
    return "/".join(parts)


def test_lists_hold_only_what_each_role_may_see(scene: Scene, shared: Shared) -> None:
    at_jyj = scene.finding(shared.plan, unit_id="jyj")

    def plans(role: str) -> set[str]:
        return {p["id"] for p in scene.ok("GET", "/plans?page_size=200", role)["plans"]}

    def findings(role: str) -> set[str]:
        return {f["id"] for f in scene.ok("GET", f"/findings?plan_id={shared.plan['id']}&page_size=200", role)["findings"]}

    def escalations(role: str) -> set[str]:
        return {e["id"] for e in scene.ok("GET", "/escalations", role)["escalations"]}

    for role in ("office", "office_head", "inspector", "assessment"):
        assert shared.plan["id"] in plans(role), role
    for role in ("inspector_out", "fgj_staff", "jyj_staff", "leader_li", "leader_zhao"):
        assert plans(role) == set(), role
    both = {shared.finding["id"], at_jyj["id"]}
    for role in ("office", "office_head", "inspector", "assessment"):
        assert both <= findings(role), role
    assert shared.finding["id"] in findings("fgj_staff") and at_jyj["id"] not in findings("fgj_staff")
    assert findings("jyj_staff") == {at_jyj["id"]}
    assert shared.finding["id"] in findings("leader_li") and at_jyj["id"] not in findings("leader_li")
    assert findings("leader_zhao") == set() and findings("inspector_out") == set()
    # A unit asking for another unit's findings by filter gets none of them.
    assert scene.ok("GET", "/findings?unit_id=fgj", "jyj_staff")["findings"] == []
    for role in ("office", "office_head", "leader_li", "assessment"):
        assert shared.escalation_id in escalations(role), role
    for role in ("inspector_out", "fgj_staff", "jyj_staff", "leader_zhao"):
        assert shared.escalation_id not in escalations(role), role
    # The team sees its plan's escalations by the plan; someone not on it is told nothing more.
    assert shared.escalation_id in {e["id"] for e in scene.ok(
        "GET", f"/escalations?plan_id={shared.plan['id']}", "inspector")["escalations"]}
    assert scene.call("GET", f"/escalations?plan_id={shared.plan['id']}", "inspector_out").status_code in (403, 404)
    # The report's page: the team reaches it from the plan, someone not on it does not.
    page = f"/inspection/escalations/{shared.escalation_id}?plan_id={shared.plan['id']}"
    assert scene.portal.login("inspector").get(page).status_code == 200
    assert scene.portal.login("inspector_out").get(page).status_code == 404
    assert scene.portal.login("inspector").get(page.split("?")[0]).status_code == 404  # not addressed to him


def test_without_a_token_nothing_is_answered_but_401(scene: Scene, shared: Shared) -> None:
    for case in CASES:
        path = case.setup(scene, shared) if case.method == "GET" else "/plans"
        reply = scene.portal.client().open(f"/api/v1/inspection{path}", method=case.method if case.method == "GET" else "POST")
        assert reply.status_code == 401, case.name


def test_the_days_bundle_holds_the_plan_its_units_ledger_rows_leads_checklist_and_findings(scene: Scene,
                                                                                        shared: Shared) -> None:
    day = scene.ok("GET", f"/plans/{shared.plan['id']}/bundle", "inspector")
    assert day["plan"]["id"] == shared.plan["id"] and day["checklist"] == ["督查纪律", "问题认定标准"]
    fgj = next(u for u in day["units"] if u["unit_id"] == "fgj")
    assert fgj["unit_name"] == "区发展和改革局" and fgj["place"] == "发改局办公楼"
    row = next(r for r in fgj["items"] if r["id"] == scene.item["id"])
    assert row["item_no"] == scene.item["item_no"] and row["status_label"] and "due_date" in row
    assert shared.finding["id"] in {f["id"] for f in day["findings"]}
    assert day["vocabulary"]["categories"]["falsification"] == "弄虚作假"
    assert day["photo_limits"]["max_photos"] == 9 and 0 < day["photo_limits"]["max_bytes"] <= 30 * 1024 * 1024 // 9


def _bind(scene: Scene, username: str, name: str = "督查一组平板") -> tuple[dict[str, Any], dict[str, str]]:
    client = scene.portal.login(username)
    reply = client.post("/api/v1/devices", json={"name": name}, headers={"X-CSRF-Token": client.csrf})  # type: ignore[attr-defined]
    assert reply.status_code == 201, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body, {"Authorization": f"Bearer {body['token']}"}


def test_a_tablet_bound_from_the_web_session_syncs_with_its_device_token_until_the_office_revokes_it(
        scene: Scene, shared: Shared) -> None:
    device, headers = _bind(scene, "inspector")
    assert device["token"].startswith("dbd_") and device["name"] == "督查一组平板"
    client = scene.client()
    # Only a web session binds a tablet: an API token or another device token cannot mint one.
    assert client.post("/api/v1/devices", json={"name": "x"}, headers=scene.portal.headers("inspector")).status_code == 403
    assert client.post("/api/v1/devices", json={"name": "x"}, headers=headers).status_code == 403
    # The token reaches the field endpoints, nothing else.
    bundle = client.get(f"/api/v1/inspection/plans/{shared.plan['id']}/bundle", headers={**headers, "X-Duban-Unsynced": "3"})
    assert bundle.status_code == 200
    assert client.get("/api/v1/items", headers=headers).status_code == 403
    finding = client.post(f"/api/v1/inspection/plans/{shared.plan['id']}/findings", headers=headers,
                          content_type="multipart/form-data",
                          data={"unit_id": "fgj", "text": "离线记录的问题", "category": "other", "severity": "general",
                                "client_key": uuid.uuid4().hex, "photos": [(io.BytesIO(jpeg()), "IMG.jpg")]})
    assert finding.status_code == 201, finding.get_json()
    # Listed with its last sync and what it said was waiting; the office sees every tablet, an inspector theirs.
    mine = scene.portal.login("inspector").get("/api/v1/devices").get_json()["devices"]
    listed = next(d for d in mine if d["id"] == device["id"])
    assert listed["last_sync_at"] and listed["pending"] == 3 and listed["revoked_at"] is None and "token" not in listed
    other, _ = _bind(scene, "office", "督查室平板")
    assert other["id"] not in {d["id"] for d in mine}
    assert {device["id"], other["id"]} <= {d["id"] for d in client.get("/api/v1/devices", headers=scene.portal.headers(
        "office")).get_json()["devices"]}
    # Someone else's tablet is not theirs to revoke; the office revokes it in one call.
    assert client.delete(f"/api/v1/devices/{other['id']}", headers=scene.portal.headers("inspector")).status_code == 404
    assert client.delete(f"/api/v1/devices/{device['id']}", headers=scene.portal.headers("office")).status_code == 204
    refused = client.post(f"/api/v1/inspection/plans/{shared.plan['id']}/visits", headers=headers,
                          json={"unit_id": "fgj", "client_key": uuid.uuid4().hex})
    assert refused.status_code == 401 and refused.get_json()["reason"] == "device_revoked"
    assert "撤销" in refused.get_json()["detail"] and "未同步的记录仍保存在本平板上" in refused.get_json()["detail"]
    # The office's page lists it as revoked, with who did it.
    page = scene.portal.login("office").get("/inspection/devices").get_data(as_text=True)
    assert "督查一组平板" in page and "已撤销（office姓名" in page


def test_a_retried_visit_from_a_tablet_is_recorded_once(scene: Scene, shared: Shared) -> None:
    _, headers = _bind(scene, "inspector", "督查二组平板")
    body = {"unit_id": "jyj", "ledger_kept": True, "ledger_current": False, "summary": "台账未及时更新",
            "client_key": uuid.uuid4().hex, "visited_at": "2026-11-26T09:30:00+08:00"}
    path = f"/api/v1/inspection/plans/{shared.plan['id']}/visits"
    first, again = (scene.client().post(path, headers=headers, json=body) for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    changed = scene.client().post(path, headers=headers, json=body | {"summary": "另一份小结"})
    assert changed.status_code == 422 and "client_key" in changed.get_json()["errors"]


def test_a_password_change_revokes_the_accounts_tablets_too(scene: Scene, shared: Shared) -> None:
    scene.portal.add_user("inspector_moved", "inspector", "dcs", "sv-sun")
    _, headers = _bind(scene, "inspector_moved", "调岗人员平板")
    client = scene.client()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    me = client.get("/api/v1/me", headers=scene.portal.headers("inspector_moved")).get_json()
    changed = client.patch(f"/api/v1/users/{me['id']}", headers=scene.portal.headers("admin"),
                           json={"password": "another-horse-2"})
    assert changed.status_code == 200, changed.get_json()
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["reason"] == "device_revoked"
    assert "账号变更" in refused.get_json()["detail"]
