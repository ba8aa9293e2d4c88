"""The assessment (考核) through the gateway against a real evaluation service: totals and entries over REST
for the assessment office and for a unit (which sees its own, never another unit's), the workbook, the
rule set's versions (a proposal's difference before it is accepted), the replay check, the year's freeze
and the adjustments after it - and the 考核得分 and 考核办 pages in Chinese, with names."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from services.evaluation.tests.conftest import Upstream
from services.gateway.tests.conftest import Portal, started_portal

YEAR = 2026


@dataclass
class Scene:
    portal: Portal
    up: Upstream
    late: dict[str, Any]  # 发改局 (co unit 教育局), closed three working days late
    open: dict[str, Any]  # 发改局 alone, still open when the year is frozen

    def call(self, method: str, path: str, user: str, **kw: Any) -> TestResponse:
        headers = self.portal.headers(user) | kw.pop("headers", {})
        return self.portal.client().open(f"/api/v1{path}", method=method, headers=headers, **kw)

    def ok(self, method: str, path: str, user: str = "assessment", **kw: Any) -> Any:
        reply = self.call(method, path, user, **kw)
        assert reply.status_code in (200, 201), (reply.status_code, reply.get_data(as_text=True))
        return reply.get_json()

    def entries(self, user: str = "assessment", **query: str) -> list[dict[str, Any]]:
        return self.ok("GET", f"/scores/{YEAR}/entries", user, query_string={"page_size": "500", **query})["entries"]

    def totals(self, user: str = "assessment", **query: str) -> dict[str, float]:
        got = self.ok("GET", f"/scores/{YEAR}/totals", user, query_string=query)["totals"]
        return {f"{t['subject']['kind']}:{t['subject']['id']}": t["total"] for t in got}

    def wait_entries(self, item_id: str, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        """Until the service has scored `count` entries of the item (it hears of it from the broker)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.entries(item_id=item_id)
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, f"{len(found)} of {count} entries of {item_id}"
            time.sleep(0.1)


def _register(portal: Portal, title: str, co: list[dict[str, str]]) -> dict[str, Any]:
    reply = portal.client().post("/api/v1/items", headers=portal.headers("office"), json={
        "title": title, "source": "leader_assignment", "category": "general", "lead_unit_id": "fgj",
        "co_units": co, "responsible_leader_id": "ld-li", "responsible_person_id": "st-chen",
        "registered_on": "2026-06-01", "due_date": "2026-06-10", "due_date_reason": "区政府常务会议定"})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    item: dict[str, Any] = reply.get_json()
    return item


@pytest.fixture(scope="module")
def scene(broker, tmp_path_factory) -> Iterator[Scene]:
    with started_portal(broker, tmp_path_factory.mktemp("gateway-assessment"), evaluation=True) as portal:
        up = Upstream(broker.bootstrap)
        late = _register(portal, "推进重点项目开工建设", [{"unit_id": "jyj", "duty": "配合"}])
        still_open = _register(portal, "完善学校周边交通设施", [])
        found = Scene(portal, up, late, still_open)
        found.wait_entries(late["id"], 0)
        # tracking's closure of the first (as its outbox would publish it): 06-10 (Wed) → 06-15 (Mon), 3 days late
        deadline = time.monotonic() + 30
        while found.ok("GET", f"/assessment-years/{YEAR}")["events_archived"] < 2:
            assert time.monotonic() < deadline, "the evaluation service never heard of the items"
            time.sleep(0.1)
        up.closed(late["id"], "2026-06-15")
        found.wait_entries(late["id"], 4)  # the lead and co unit, the responsible person and leader
        yield found


def test_the_assessment_office_reads_totals_and_entries_with_their_reasons(scene: Scene) -> None:
    entries = {(e["subject"]["kind"], e["subject"]["id"]): e for e in scene.entries(item_id=scene.late["id"])}
    lead = entries[("unit", "fgj")]
    assert lead["points"] == -3 and lead["rule"] == "closed_late" and lead["state"] == "counted"
    assert lead["explanation"].startswith(f"{scene.late['item_no']} 超期3个工作日（原完成时限2026-06-10")
    assert lead["subject"]["name"] == "区发展和改革局" and lead["cause"]["type"] == "item.closed"
    assert entries[("unit", "jyj")]["points"] == -1.5
    assert entries[("person", "st-chen")]["subject"]["name"] == "陈静"
    totals = scene.totals(kind="unit")
    assert totals["unit:fgj"] <= -3 and "unit:jyj" in totals and not [k for k in totals if not k.startswith("unit:")]
    year = scene.ok("GET", f"/assessment-years/{YEAR}")
    assert year["status"] == "open" and year["rules_version"] == 1 and year["entries"] >= 4
    for query in ({"subject_kind": "department"}, {"rule": "nope"}, {"page_token": "not-a-token"}):
        reply = scene.call("GET", f"/scores/{YEAR}/entries", "assessment", query_string=query)
        assert reply.status_code == 422 and set(reply.get_json()["errors"]) == set(query)
    assert scene.call("GET", "/scores/1999/totals", "assessment").status_code == 422


def test_a_unit_sees_its_own_scores_and_not_another_units(scene: Scene) -> None:
    mine = scene.totals("fgj_staff")
    assert "unit:fgj" in mine and "unit:jyj" not in mine
    assert scene.entries("fgj_staff", subject_kind="unit", subject_id="jyj") == []
    assert {e["subject"]["id"] for e in scene.entries("jyj_staff", item_id=scene.late["id"])} == {"jyj"}
    refused = scene.call("GET", f"/scores/{YEAR}/export.xlsx", "fgj_staff", query_string={"unit_id": "jyj"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    own = scene.call("GET", f"/scores/{YEAR}/export.xlsx", "fgj_staff", query_string={"unit_id": "fgj"})
    assert own.status_code == 200 and "filename*=UTF-8''" in own.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(own.data), read_only=True)
    cells = " ".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert "区发展和改革局" in cells and "区教育局" not in cells and scene.late["item_no"] in cells
    assert scene.call("GET", f"/scores/{YEAR}/totals", "fgj_staff").status_code == 200


def test_only_the_assessment_office_freezes_decides_and_sets_rules(scene: Scene) -> None:
    for method, path, body in (("POST", f"/assessment-years/{YEAR}/freeze", {"as_of": "2026-06-19"}),
                               ("GET", f"/assessment-years/{YEAR}/adjustments", None),
                               ("POST", f"/scoring-rules/{YEAR}/proposals", {"yaml": "rules: {}"}),
                               ("POST", f"/scoring-rules/{YEAR}/versions/2/accept", None),
                               ("POST", f"/assessment-years/{YEAR}/replay", {})):
        reply = scene.call(method, path, "fgj_staff", json=body)
        assert reply.status_code == 403 and reply.mimetype == "application/problem+json", (path, reply.status_code)
    assert scene.call("POST", f"/assessment-years/{YEAR}/freeze", "office", json={}).status_code == 403
    assert scene.ok("GET", f"/assessment-years/{YEAR}")["status"] == "open"


def test_a_rule_version_shows_its_difference_and_counts_once_accepted(scene: Scene) -> None:
    in_force = scene.ok("GET", f"/scoring-rules/{YEAR}")
    assert in_force["version"] == 1 and {r["code"] for r in in_force["rules"]} >= {"closed_late", "closed_on_time"}
    before = scene.totals()
    text = in_force["yaml"].replace("closed_late:          {points: -1,", "closed_late:          {points: -2,")
    assert text != in_force["yaml"]
    bad = scene.call("POST", f"/scoring-rules/{YEAR}/proposals", "assessment",
                     json={"yaml": "rules: {closed_late: {points: x}}"})
    assert bad.status_code == 422
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = scene.call("POST", f"/scoring-rules/{YEAR}/proposals", "assessment", json={"yaml": text}, headers=key)
    again = scene.call("POST", f"/scoring-rules/{YEAR}/proposals", "assessment", json={"yaml": text}, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    proposal = first.get_json()
    version = proposal["rules"]["version"]
    assert again.get_json()["rules"]["version"] == version and proposal["rules"]["status"] == "proposed"
    assert first.headers["Location"].endswith(f"/api/v1/scoring-rules/{YEAR}?version={version}")
    diff = {f"{d['subject']['kind']}:{d['subject']['id']}": (d["before"], d["after"]) for d in proposal["diff"]}
    assert diff["unit:fgj"] == (before["unit:fgj"], before["unit:fgj"] - 3)
    assert scene.totals() == before  # nothing changes until it is accepted
    assert [v["status"] for v in scene.ok("GET", f"/scoring-rules/{YEAR}/versions")["versions"]][-1] == "proposed"
    accepted = scene.ok("POST", f"/scoring-rules/{YEAR}/versions/{version}/accept")
    assert accepted["status"] == "accepted" and accepted["version"] == version
    assert scene.totals()["unit:fgj"] == before["unit:fgj"] - 3
    assert scene.ok("GET", f"/scoring-rules/{YEAR}", query_string={"version": "1"})["version"] == 1


def test_the_replay_check_is_identical_with_the_exports_digest(scene: Scene) -> None:
    replay = scene.ok("POST", f"/assessment-years/{YEAR}/replay", json={})
    assert replay["identical"] and not replay["diff"] and len(replay["export_sha256"]) == 64
    again = scene.ok("POST", f"/assessment-years/{YEAR}/replay", json={"rebuild": True})
    assert again["identical"] and again["export_sha256"] == replay["export_sha256"]


def test_the_pages_speak_chinese_with_names(scene: Scene) -> None:
    unit = scene.portal.login("fgj_staff")
    page = unit.get(f"/scores?year={YEAR}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("2026年度考核得分", "考核中", "责任单位", "责任人", "责任领导", "区发展和改革局", "导出考核得分表"):
        assert words in html, words
    assert "区教育局" not in html and 'id="nav-scores"' in html and 'id="nav-assessment"' not in html
    page = unit.get(f"/scores/{YEAR}/unit/fgj")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("说明", "分值", "评分规则", "依据事件", "超期办结", "责任领导签字销号", "督办跟踪", "评分规则第",
                  scene.late["item_no"], f'/items/{scene.late["id"]}'):
        assert words in html, words
    assert unit.get(f"/scores/{YEAR}/unit/jyj").status_code == 404
    assert unit.get("/assessment").status_code == 403
    download = unit.get(f"/scores/{YEAR}/export.xlsx?unit_id=fgj")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    office = scene.portal.login("assessment")
    page = office.get(f"/assessment?year={YEAR}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("考核办", "年度状态", "考核中", "考核截止日期", "调整事项", "评分规则", "超期办结", "提出新版评分规则",
                  "重放核对", 'id="nav-assessment"'):
        assert words in html, words
    people = office.get(f"/scores?year={YEAR}&kind=person").get_data(as_text=True)
    assert "陈静" in people and "st-chen" not in people.replace("/person/st-chen", "")
    leaders = office.get(f"/scores?year={YEAR}&kind=leader").get_data(as_text=True)
    assert "李明" in leaders


def test_the_office_proposes_and_replays_on_its_page(scene: Scene) -> None:
    office = scene.portal.login("assessment")
    rules = scene.ok("GET", f"/scoring-rules/{YEAR}")
    text = rules["yaml"].replace("closed_late:          {points: -2,", "closed_late:          {points: -1,")
    page = office.get(f"/assessment?year={YEAR}")
    assert page.status_code == 200
    shown = office.post(f"/assessment/{YEAR}/rules", data={"csrf_token": office.csrf, "yaml": text})  # type: ignore[attr-defined]
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "待采用" in html and "调整前 → 调整后" in html and "区发展和改革局" in html
    refused = office.post(f"/assessment/{YEAR}/rules", data={"csrf_token": office.csrf, "yaml": " "})  # type: ignore[attr-defined]
    assert refused.status_code == 422 and "请填写评分规则" in refused.get_data(as_text=True)
    replayed = office.post(f"/assessment/{YEAR}/replay", data={"csrf_token": office.csrf})  # type: ignore[attr-defined]
    assert replayed.status_code == 200 and "一致" in replayed.get_data(as_text=True)


def test_a_frozen_year_sends_a_late_closure_to_the_adjustments_the_office_decides(scene: Scene) -> None:
    office = scene.portal.login("assessment")
    frozen = office.post(f"/assessment/{YEAR}/freeze", data={"csrf_token": office.csrf,  # type: ignore[attr-defined]
                                                              "as_of": "2026-06-19"})
    assert frozen.status_code == 302
    year = scene.ok("GET", f"/assessment-years/{YEAR}")
    assert year["status"] == "frozen" and year["as_of"] == "2026-06-19"
    open_late = {e["subject"]["id"]: e for e in scene.entries(item_id=scene.open["id"])}
    assert open_late["fgj"]["rule"] == "open_late" and "考核时（2026-06-19）仍未办结" in open_late["fgj"]["explanation"]
    again = scene.call("POST", f"/assessment-years/{YEAR}/freeze", "assessment", json={"as_of": "2026-06-30"})
    assert again.status_code == 409
    before = scene.totals()
    scene.up.closed(scene.open["id"], "2026-06-22")
    deadline = time.monotonic() + 30
    while not (pending := scene.ok("GET", f"/assessment-years/{YEAR}/adjustments",
                                   query_string={"status": "pending"})["adjustments"]):
        assert time.monotonic() < deadline, "no adjustment after the frozen year's late closure"
        time.sleep(0.1)
    assert scene.totals() == before
    lead = next(a for a in pending if a["entry"]["subject"]["id"] == "fgj")
    missing = scene.call("POST", f"/adjustments/{lead['id']}/decision", "assessment", json={"accept": True})
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    decided = scene.ok("POST", f"/adjustments/{lead['id']}/decision", json={"accept": True, "reason": "考核办研究同意计入"})
    assert decided["status"] == "accepted" and decided["reason"] == "考核办研究同意计入"
    assert scene.totals()["unit:fgj"] == pytest.approx(before["unit:fgj"] + lead["entry"]["points"])
    others = [a for a in pending if a["id"] != lead["id"]]
    if others:
        rejected = office.post(f"/assessment/adjustments/{others[0]['id']}", data={
            "csrf_token": office.csrf, "year": str(YEAR), "accept": "false", "reason": "已在年度考核中扣分"})  # type: ignore[attr-defined]
        assert rejected.status_code == 302
    html = office.get(f"/assessment?year={YEAR}").get_data(as_text=True)
    assert "已确认（冻结）" in html and "已计入" in html and "考核办研究同意计入" in html
    assert "确认2026年度考核结果" not in html  # no second freeze form
