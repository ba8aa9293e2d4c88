"""Inspection through the gateway's API, against real ledger and inspection servers: the course of a
plan, findings as a tablet sends them (multipart with photos, its position and a key of its own), the
rectification with 回头看, and bad input refused with the service's Chinese field errors, nothing stored."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from services.gateway.tests.conftest import Portal
from services.gateway.tests.inspection_scene import Scene, jpeg, scene_for


@pytest.fixture(scope="module")
def scene(portal: Portal) -> Scene:
    return scene_for(portal)


def test_a_plan_goes_from_draft_to_done_and_a_change_after_approval_needs_a_reason(scene: Scene) -> None:
    created = scene.call("POST", "/plans", "office", json=scene.draft())
    assert created.status_code == 201 and created.headers["Location"].endswith(created.get_json()["id"])
    plan = created.get_json()
    assert plan["status"] == "draft" and [m["person"]["name"] for m in plan["members"]] == ["马骏", "钱多"]
    assert [s["unit_name"] for s in plan["stops"]] == ["区发展和改革局", "区教育局"]
    approved = scene.ok("POST", f"/plans/{plan['id']}/approval", "office_head", json={"comment": "同意"})
    assert approved["status"] == "approved" and approved["plan_no"].startswith("督查方案〔2026〕")
    change = scene.draft(title=plan["title"], ends_on="2026-12-15")
    refused = scene.call("PATCH", f"/plans/{plan['id']}", "office", json=change)
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"reason": "方案批准后修改，须说明理由"}
    stale = scene.call("PATCH", f"/plans/{plan['id']}", "office", json=change | {"reason": "延长"},
                       headers={"If-Match": '"1"'})
    assert stale.status_code == 409 and "version" in stale.get_json()["errors"]
    changed = scene.ok("PATCH", f"/plans/{plan['id']}", "office", json=change | {"reason": "延长一周"})
    assert changed["changes"][-1]["reason"] == "延长一周" and "结束日期" in changed["changes"][-1]["summary"]
    trained = scene.ok("POST", f"/plans/{plan['id']}/training-confirmation", "inspector")
    assert trained["members"][0]["training_confirmed_at"]
    assert scene.ok("POST", f"/plans/{plan['id']}/start", "office")["status"] == "under_way"
    assert scene.ok("POST", f"/plans/{plan['id']}/finish", "office")["status"] == "done"
    again = scene.call("POST", f"/plans/{plan['id']}/finish", "office")
    assert again.status_code == 409 and again.get_json()["errors"]["status"]


def test_a_finding_from_a_tablet_is_recorded_once_with_its_photos_and_position(scene: Scene) -> None:
    plan = scene.plan()
    key = uuid.uuid4().hex

    def send() -> object:
        return scene.call("POST", f"/plans/{plan['id']}/findings", "inspector", content_type="multipart/form-data",
                          data={"unit_id": "fgj", "item_id": scene.item["id"], "text": "台账与实际不符",
                                "category": "falsification", "severity": "general", "place": "档案室",
                                "latitude": "36.5012", "longitude": "102.1093", "accuracy": "12.5",
                                "device_time": "2026-11-26T09:30:00+08:00", "client_key": key,
                                "photos": [(io.BytesIO(jpeg()), "IMG_1.jpg"), (io.BytesIO(jpeg(800, 600)), "IMG_2.jpg")]})

    first, second = send(), send()  # a double tap
    assert first.status_code == 201 and second.status_code == 200  # type: ignore[attr-defined]
    finding = first.get_json()  # type: ignore[attr-defined]
    assert second.get_json()["id"] == finding["id"]  # type: ignore[attr-defined]
    assert finding["position"] == {"latitude": 36.5012, "longitude": 102.1093, "accuracy_m": 12.5, "datum": "WGS-84"}
    assert finding["device_time"] == "2026-11-26T01:30:00Z" and len(finding["photos"]) == 2
    listed = scene.ok("GET", f"/findings?plan_id={plan['id']}", "office")
    assert listed["total_size"] == 1
    photo = scene.call("GET", f"/photos/{finding['photos'][1]['id']}", "fgj_staff")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Content-Disposition"].startswith("inline")
    assert Image.open(io.BytesIO(photo.data)).size == (800, 600)
    thumb = scene.call("GET", f"/photos/{finding['photos'][1]['id']}/thumbnail", "leader_li")
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    # Without a fix the tablet sends no position: recorded all the same.
    bare = scene.finding(plan, latitude="", longitude="", accuracy="")
    assert not bare.get("position")


@pytest.mark.parametrize(("photo", "field", "words"), [
    (b"MZ\x90\x00" + b"\x00" * 2000, "photos", "格式"),  # a renamed executable
    (jpeg()[:300], "photos", "照片"),  # cut off: corrupt
])
def test_a_bad_photo_refuses_the_finding_with_a_chinese_field_error_and_stores_nothing(
        scene: Scene, photo: bytes, field: str, words: str) -> None:
    plan = scene.plan()
    reply = scene.call("POST", f"/plans/{plan['id']}/findings", "inspector", content_type="multipart/form-data",
                       data={"unit_id": "fgj", "text": "问题", "category": "other", "severity": "general",
                             "photos": [(io.BytesIO(jpeg()), "ok.jpg"), (io.BytesIO(photo), "evil.jpg")]})
    assert reply.status_code == 422 and reply.mimetype == "application/problem+json"
    errors = reply.get_json()["errors"]
    assert any(k.startswith(field) for k in errors) and words in "".join(errors.values()), errors
    assert scene.ok("GET", f"/findings?plan_id={plan['id']}", "office")["total_size"] == 0


def test_missing_and_malformed_fields_are_named_in_chinese(scene: Scene) -> None:
    plan = scene.plan()
    reply = scene.call("POST", f"/plans/{plan['id']}/findings", "inspector", content_type="multipart/form-data",
                       data={"unit_id": "fgj", "text": "", "category": "", "severity": "general", "latitude": "北纬",
                             "device_time": "昨天"})
    assert reply.status_code == 422
    errors = reply.get_json()["errors"]
    assert set(errors) == {"latitude", "device_time"} and errors["latitude"] == "应为数字"  # the gateway's own
    reply = scene.call("POST", f"/plans/{plan['id']}/findings", "inspector", content_type="multipart/form-data",
                       data={"unit_id": "fgj", "text": "", "category": "", "severity": "general"})
    assert reply.status_code == 422 and reply.get_json()["errors"]["text"] == "请描述发现的问题"
    assert "category" in reply.get_json()["errors"]
    as_json = scene.call("POST", f"/plans/{plan['id']}/findings", "inspector", json={"text": "x"})
    assert as_json.status_code == 422 and "body" in as_json.get_json()["errors"]
    assert scene.ok("GET", f"/findings?plan_id={plan['id']}", "office")["total_size"] == 0


def test_a_deadline_on_a_day_off_is_refused_with_the_next_working_day(scene: Scene) -> None:
    finding = scene.finding(scene.plan())
    reply = scene.call("POST", f"/findings/{finding['id']}/rectification", "inspector",
                       json={"mode": "ordered", "due_date": "2026-11-28", "requirement": "补齐台账"})  # a Saturday
    assert reply.status_code == 422
    body = reply.get_json()
    assert "due_date" in body["errors"] and body["suggestions"] == {"due_date": "2026-11-30"}
    assert not scene.ok("GET", f"/findings/{finding['id']}", "office").get("rectification")


def test_rectification_is_rectified_only_after_a_passed_re_inspection(scene: Scene) -> None:
    plan = scene.plan()
    finding = scene.ordered(plan)
    assert finding["rectification"]["status"] == "ordered"
    assert finding["rectification"]["rounds"][0]["due_date"] == "2026-12-01"
    reported = scene.ok("POST", f"/findings/{finding['id']}/rectification/report", "fgj_staff",
                        data={"text": "台账已补齐", "photos": [(io.BytesIO(jpeg()), "fix.jpg")]},
                        content_type="multipart/form-data")
    assert reported["rectification"]["status"] == "reported"
    assert len(reported["rectification"]["rounds"][0]["report"]["photos"]) == 1
    failed = scene.ok("POST", f"/findings/{finding['id']}/rectification/verification", "inspector",
                      json={"passed": False, "text": "仍缺10月台账", "working_days": 2})
    assert failed["rectification"]["relapses"] == 1 and failed["rectification"]["status"] == "ordered"
    scene.ok("POST", f"/findings/{finding['id']}/rectification/report", "fgj_staff", json={"text": "10月台账已补"})
    passed = scene.ok("POST", f"/findings/{finding['id']}/rectification/verification", "inspector",
                      data={"passed": "true", "text": "已核实", "photos": [(io.BytesIO(jpeg()), "ok.jpg")]},
                      content_type="multipart/form-data")
    assert passed["rectification"]["status"] == "rectified"
    assert [r["verdict"] for r in passed["rectification"]["rounds"]] == ["failed", "passed"]
    todo = scene.ok("GET", "/findings?rectification_status=rectified", "fgj_staff")
    assert finding["id"] in {f["id"] for f in todo["findings"]}


def test_a_major_finding_is_escalated_and_read_by_its_leader_and_the_office_head(scene: Scene) -> None:
    plan = scene.plan()
    finding = scene.finding(plan, severity="major", text="项目资金被挪用")
    escalation = scene.ok("GET", f"/escalations/{finding['escalation_id']}", "leader_li")
    assert [(r["person"]["name"], r["why"]) for r in escalation["recipients"]] == [
        ("李明", "responsible_leader"), ("office_head姓名", "office_head")]
    todo = scene.portal.client().get("/api/v1/todo", headers=scene.portal.headers("leader_li")).get_json()
    [entry] = [e for e in todo["entries"] if e["ref_id"] == escalation["id"]]
    assert entry["page"] == f"/inspection/escalations/{escalation['id']}"
    assert entry["act"]["path"] == f"/api/v1/inspection/escalations/{escalation['id']}/acknowledgement"
    read = scene.ok("POST", entry["act"]["path"].removeprefix("/api/v1/inspection"), "leader_li")
    assert read["recipients"][0]["acknowledged_at"] and not read["acknowledged"]
    assert scene.ok("POST", f"/escalations/{escalation['id']}/acknowledgement", "office_head")["acknowledged"]
    raised = scene.call("POST", f"/plans/{plan['id']}/escalations", "inspector",
                        json={"unit_id": "jyj", "text": "校舍存在安全隐患"})
    assert raised.status_code == 201 and raised.get_json()["unit_name"] == "区教育局"


def test_the_office_registers_a_finding_as_a_ledger_item_once(scene: Scene) -> None:
    finding = scene.finding(scene.plan())
    made = scene.ok("POST", f"/findings/{finding['id']}/ledger-item", "office", json={"responsible_leader_id": "ld-li"})
    again = scene.ok("POST", f"/findings/{finding['id']}/ledger-item", "office", json={})
    assert made["registered_item_no"] and again["registered_item_id"] == made["registered_item_id"]


def test_the_office_heads_to_do_names_plans_to_approve_with_their_page(scene: Scene) -> None:
    plan = scene.plan("draft")
    todo = scene.portal.client().get("/api/v1/todo?kind=plan_to_approve",
                                     headers=scene.portal.headers("office_head")).get_json()
    [entry] = [e for e in todo["entries"] if e["ref_id"] == plan["id"]]
    assert entry["page"] == f"/inspection/plans/{plan['id']}"
    assert entry["act"] == {"method": "POST", "path": f"/api/v1/inspection/plans/{plan['id']}/approval"}


def test_an_idempotency_key_creates_one_plan_and_a_double_tapped_finding_form_records_one(scene: Scene) -> None:
    key = str(uuid.uuid4())
    body = scene.draft()
    first = scene.call("POST", "/plans", "office", json=body, headers={"Idempotency-Key": key})
    again = scene.call("POST", "/plans", "office", json=body, headers={"Idempotency-Key": key})
    assert (first.status_code, again.status_code) == (201, 200) and again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["id"] == again.get_json()["id"]
    plan = scene.ok("POST", f"/plans/{first.get_json()['id']}/approval", "office_head")
    browser = scene.portal.login("inspector")
    page = browser.get(f"/inspection/plans/{plan['id']}/findings/new?unit_id=fgj").get_data(as_text=True)
    client_key = page.split('name="client_key" id="client_key" value="')[1].split('"')[0]
    assert client_key and 'capture="environment"' in page and 'accept="image/*"' in page

    def tap() -> str:
        reply = browser.post(f"/inspection/plans/{plan['id']}/findings/new", content_type="multipart/form-data",
                             data={"csrf_token": browser.csrf, "unit_id": "fgj", "text": "两次点击",  # type: ignore[attr-defined]
                                   "category": "other", "severity": "general", "client_key": client_key,
                                   "photos": [(io.BytesIO(jpeg()), "IMG.jpg")]})
        assert reply.status_code == 302, reply.get_data(as_text=True)[-500:]
        return reply.headers["Location"]

    first_at, second_at = tap(), tap()
    assert first_at.split("?")[0] == second_at.split("?")[0] and second_at.endswith("done=duplicate")
    assert scene.ok("GET", f"/findings?plan_id={plan['id']}", "office")["total_size"] == 1


def _multipart(fields: dict[str, str], photos: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart body made here, in memory: the test client would spool a large one to a temporary file
    it never closes (a ResourceWarning)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    values: MultiDict[str, object] = MultiDict(fields)
    for name, data in photos:
        values.add("photos", FileStorage(io.BytesIO(data), filename=name, content_type="image/jpeg"))
    boundary, body = encode_multipart(values)
    return body, f"multipart/form-data; boundary={boundary}"


def test_photos_may_make_a_body_larger_than_an_import_but_not_larger_than_their_limit(scene: Scene) -> None:
    from libs.common import photo_samples

    plan = scene.plan()
    settings = scene.portal.app.extensions["settings"]
    big = photo_samples.jpeg(4000, 3000, quality=100)  # a 12-megapixel phone photo, about 7 MB
    assert 2 * len(big) > settings.upload_max_bytes + 1024 * 1024  # more than any other body may be
    fields = {"unit_id": "fgj", "text": "大照片", "category": "other", "severity": "general"}
    body, content_type = _multipart(fields, [("A.jpg", big), ("B.jpg", big)])
    taken = scene.call("POST", f"/plans/{plan['id']}/findings", "inspector", data=body, content_type=content_type)
    assert taken.status_code == 201, taken.get_json()
    body, content_type = _multipart(fields, [("huge.jpg", b"\0" * (settings.photo_upload_max_bytes + 2 * 1024 * 1024))])
    too_big = scene.call("POST", f"/plans/{plan['id']}/findings", "inspector", data=body, content_type=content_type)
    assert too_big.status_code == 413 and too_big.mimetype == "application/problem+json"
    assert "大小限制" in too_big.get_json()["detail"]
    assert scene.call("POST", "/plans", "office", data=b"x" * (settings.upload_max_bytes + 2 * 1024 * 1024),
                      content_type="application/json").status_code == 413  # elsewhere the limit stays


def test_a_finding_fixed_on_the_spot_needs_its_evidence_and_is_rectified_at_once(scene: Scene) -> None:
    finding = scene.finding(scene.plan())
    bare = scene.call("POST", f"/findings/{finding['id']}/rectification", "inspector", json={"mode": "on_spot"})
    assert bare.status_code == 422 and bare.get_json()["errors"] == {"on_spot": "当场整改须附整改情况说明或照片"}
    fixed = scene.ok("POST", f"/findings/{finding['id']}/rectification", "inspector", content_type="multipart/form-data",
                     data={"mode": "on_spot", "evidence": "当场补登台账", "photos": [(io.BytesIO(jpeg()), "补登.jpg")]})
    assert fixed["rectification"]["status"] == "rectified" and fixed["rectification"]["on_spot"]["text"] == "当场补登台账"
    assert len(fixed["rectification"]["on_spot"]["photos"]) == 1
    again = scene.call("POST", f"/findings/{finding['id']}/rectification", "inspector", json={"mode": "on_spot",
                                                                                           "evidence": "再次"})
    assert again.status_code == 409 and again.get_json()["errors"] == {"mode": "该问题已下达整改要求"}
