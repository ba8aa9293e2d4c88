"""What the bulletin tests act on: the portal's accounts plus the principal leader (主要领导, 赵强), items the
notification service has learned from the ledger's events (one of them long overdue at 发改局, so the
system suggests criticising it), and bulletins taken to each step of the workflow through the API."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from services.gateway.tests.conftest import Portal

PRINCIPAL = "quzhang"  # 赵强, 区长: the principal leader who approves bulletins
PERIOD = {"starts_on": "2026-10-01", "ends_on": "2026-11-25"}  # a special bulletin's days, before START


@dataclass
class Scene:
    portal: Portal
    items: list[dict[str, Any]] = field(default_factory=list)

    def call(self, method: str, path: str, user: str, **kw: Any) -> TestResponse:
        headers = self.portal.headers(user) | kw.pop("headers", {})
        client: FlaskClient = self.portal.client()
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    def ok(self, method: str, path: str, user: str, **kw: Any) -> dict[str, Any]:
        reply = self.call(method, path, user, **kw)
        assert reply.status_code in (200, 201), (reply.status_code, reply.get_data(as_text=True))
        body: dict[str, Any] = reply.get_json()
        return body

    def register(self, title: str, unit: str, registered_on: str, leader: str = "ld-li") -> dict[str, Any]:
        item = self.ok("POST", "/items", "office", json={
            "title": title, "source": "leader_assignment", "category": "general", "lead_unit_id": unit,
            "responsible_leader_id": leader, "registered_on": registered_on})
        self.items.append(item)
        return item

    def wait_known(self) -> None:
        """Until notification's projection holds every registered item (it learns them from the broker)."""
        assert self.portal.notification is not None
        engine = self.portal.notification.parts.engine
        wanted = {i["id"] for i in self.items}
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as conn:
                known = {row[0] for row in conn.execute(text("SELECT item_id FROM known_items"))}
            if wanted <= known:
                return
            assert time.monotonic() < deadline, f"notification never learned {wanted - known}"
            time.sleep(0.05)

    def draft(self, title: str = "") -> dict[str, Any]:
        """A special bulletin over PERIOD, drafted by the office."""
        return self.ok("POST", "/bulletins", "office", json={
            "kind": "special", "title": title or f"专项督查通报{uuid.uuid4().hex[:4]}", **PERIOD})

    def submitted(self, title: str = "") -> dict[str, Any]:
        made = self.draft(title)
        return self.ok("POST", f"/bulletins/{made['id']}/submission", "office")

    def approved(self, title: str = "") -> dict[str, Any]:
        sent = self.submitted(title)
        return self.ok("POST", f"/bulletins/{sent['id']}/approval", PRINCIPAL, json={
            "docx_sha256": sent["docx_sha256"], "pdf_sha256": sent["pdf_sha256"], "comment": "同意印发"})

    def published(self, title: str = "") -> dict[str, Any]:
        done = self.approved(title)
        return self.ok("POST", f"/bulletins/{done['id']}/publication", "office")


def scene_for(portal: Portal) -> Scene:
    if PRINCIPAL not in portal.tokens:
        portal.add_user(PRINCIPAL, "principal_leader", "dcs", "ld-zhao")
    scene = Scene(portal)
    scene.register("通报测试：逾期未办的项目调度", "fgj", "2026-10-09")
    scene.register("通报测试：按期推进的学位保障", "jyj", "2026-11-20")
    scene.wait_known()
    return scene
