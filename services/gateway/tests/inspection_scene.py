"""An inspection through the gateway's API, for the tests of its endpoints and pages: accounts for the
inspection roles, an item of 发改局 (fgj) that 李明 (ld-li) is responsible for, plans at each stage, and
findings at each step of their rectification."""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from libs.common import photo_samples
from services.gateway.tests.conftest import Portal

# Beyond conftest.USERS ("inspector" is 马骏, sv-ma, who leads every plan here): the office head who
# approves, and an inspector on no plan.
EXTRA_USERS = {"office_head": ("office_head", "dcs", "sv-zhang"), "inspector_out": ("inspector", "dcs", "sv-sun")}
ROLES = ("office", "office_head", "inspector", "inspector_out", "fgj_staff", "jyj_staff", "leader_li", "leader_zhao",
         "assessment")


def jpeg(width: int = 640, height: int = 480) -> bytes:
    return photo_samples.jpeg(width, height)


@dataclass
class Scene:
    portal: Portal
    item: dict[str, Any]

    def client(self) -> FlaskClient:
        return self.portal.client()

    def call(self, method: str, path: str, user: str, **kw: Any) -> Any:
        headers = {**self.portal.headers(user), **kw.pop("headers", {})}
        return self.portal.client().open(f"/api/v1/inspection{path}", method=method, headers=headers, **kw)

    def ok(self, method: str, path: str, user: str, **kw: Any) -> dict[str, Any]:
        reply = self.call(method, path, user, **kw)
        assert reply.status_code in (200, 201), (method, path, user, reply.status_code, reply.get_json())
        body: dict[str, Any] = reply.get_json()
        return body

    def draft(self, **fields: Any) -> dict[str, Any]:
        return {"title": f"重点工作专项督查{uuid.uuid4().hex[:4]}", "kind": "special", "starts_on": "2026-11-26",
                "ends_on": "2026-12-10", "item_ids": [self.item["id"]],
                "stops": [{"unit_id": "fgj", "place": "发改局办公楼"}, {"unit_id": "jyj", "place": "教育局"}],
                "leader_id": "sv-ma", "members": [{"person_id": "st-qian", "seconded_from_unit_id": "czj"}],
                "training": ["督查纪律", "问题认定标准"], "preparation": "调阅台账"} | fields

    def plan(self, stage: str = "approved") -> dict[str, Any]:
        """A plan the office drafted, at `stage`: draft, approved (by the office head) or under_way."""
        plan = self.ok("POST", "/plans", "office", json=self.draft())
        if stage in ("approved", "under_way"):
            plan = self.ok("POST", f"/plans/{plan['id']}/approval", "office_head", json={"comment": "同意"})
        if stage == "under_way":
            plan = self.ok("POST", f"/plans/{plan['id']}/start", "office")
        return plan

    def finding(self, plan: dict[str, Any], severity: str = "general", photos: int = 0, unit_id: str = "fgj",
                **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"unit_id": unit_id, "item_id": self.item["id"] if unit_id == "fgj" else "",
                                "text": "台账记录与实际进度不符", "category": "falsification", "severity": severity,
                                "place": "三楼档案室", "client_key": uuid.uuid4().hex} | fields
        if photos:
            data["photos"] = [(io.BytesIO(jpeg()), f"IMG_{n}.jpg") for n in range(photos)]
        return self.ok("POST", f"/plans/{plan['id']}/findings", "inspector", data=data, content_type="multipart/form-data")

    def ordered(self, plan: dict[str, Any]) -> dict[str, Any]:
        finding = self.finding(plan)
        return self.ok("POST", f"/findings/{finding['id']}/rectification", "inspector",
                       json={"mode": "ordered", "working_days": 3, "requirement": "补齐台账"})

    def reported(self, plan: dict[str, Any]) -> dict[str, Any]:
        finding = self.ordered(plan)
        return self.ok("POST", f"/findings/{finding['id']}/rectification/report", "fgj_staff",
                       json={"text": "台账已补齐"})


def scene_for(portal: Portal) -> Scene:
    for username, (role, unit, person) in EXTRA_USERS.items():
        if username not in portal.tokens:
            portal.add_user(username, role, unit, person)
    office = portal.headers("office")
    item = portal.client().post("/api/v1/items", headers=office, json={
        "title": "督查事项（实地督查）", "source": "leader_assignment", "category": "general", "lead_unit_id": "fgj",
        "responsible_leader_id": "ld-li"}).get_json()
    assert portal.inspection is not None
    deadline = time.monotonic() + 20
    while not _known(portal, item["id"]):  # inspection learns items from the ledger's events
        assert time.monotonic() < deadline, "inspection never heard of the item"
        time.sleep(0.05)
    return Scene(portal, item)


def _known(portal: Portal, item_id: str) -> bool:
    from services.inspection.orm import KnownItem

    assert portal.inspection is not None
    with portal.inspection.uow.read() as tx:
        return tx.session.get(KnownItem, item_id) is not None
