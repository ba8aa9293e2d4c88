"""Every page and document a person reads over one item's whole life speaks Chinese, with names, not ids.

The item goes register → notice → sign → report with attachment → extension → reply with attachment →
completion report → closure → dossier through the pages' own forms (Flask's test client, real ledger and
tracking gRPC servers), as the office, both units and the leader. After each step every page each of
them would open is rendered and its visible text scanned, as are the DOCX documents (python-docx), the
three XLSX exports (openpyxl) and every member of the dossier ZIP: the test fails on any identifier of
the vocabulary (a status, source, category, role, unit role, event type, report period, unit id, person
id) or an event/record id showing where a person reads.
"""

from __future__ import annotations

import io
import re
import time
import uuid
import zipfile
from collections.abc import Mapping
from html.parser import HTMLParser

import docx
import openpyxl
from flask.testing import FlaskClient

from libs.common import permissions, vocabulary
from services.gateway.tests.conftest import Portal

UNIT_IDS = ("fgj", "jyj", "zjj", "dcs")
PERSON_IDS = ("ld-li", "ld-zhao", "st-chen", "sv-wang", "st-liu1", "st-liu2")
IDENTIFIERS = sorted({
    *vocabulary.STATUSES, *vocabulary.FORMER_STATUSES, *vocabulary.SOURCES, *vocabulary.CATEGORIES,
    *permissions.ROLE_LABELS, *vocabulary.UNIT_ROLES, *vocabulary.EVENT_LABELS, *vocabulary.PERIODS,
    *vocabulary.EXTENSION_STATUSES, *vocabulary.EXPECTED_STATUSES, *vocabulary.REPORT_KINDS,
    *vocabulary.URGE_METHODS, *UNIT_IDS, *PERSON_IDS, "returned",
}, key=len, reverse=True)
_WORD = re.compile(r"(?<![A-Za-z0-9_.-])(" + "|".join(re.escape(w) for w in IDENTIFIERS) + r")(?![A-Za-z0-9_-])")
# A uuid, or the 8-hex prefix of one ("事件 b5062dc1"): any run of 8+ hex digits mixing letters and digits.
_HEX_ID = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{8,}(?![0-9A-Za-z])")
# conftest.make_portal names each test account "<username>姓名": a person's name, not an identifier.
_TEST_NAMES = re.compile(r"[a-z_]+姓名")


_SHOWS_VALUE = ("text", "search", "date", "email", "tel", "number", "url", "submit", "button")


class _Text(HTMLParser):
    """The text a person sees: text nodes outside script/style, plus what form controls show."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        if tag == "input" and values.get("type", "text") in _SHOWS_VALUE and values.get("value"):
            self.parts.append(values["value"] or "")
        for shown in ("placeholder", "title", "aria-label", "alt"):
            if values.get(shown):
                self.parts.append(values[shown] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def codes_in(text: str) -> list[str]:
    return sorted({m.group(1) for m in _WORD.finditer(text)} | {m.group(0) for m in _HEX_ID.finditer(text)})


class Seen:
    """Everything read so far: where each identifier showed, collected so one run names every place."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.checked: list[str] = []

    def check(self, where: str, text: str) -> None:
        self.checked.append(where)
        text = _TEST_NAMES.sub("某某", text)  # the test accounts' display names ("office姓名") are names
        codes = codes_in(text)
        if codes:
            lines = [line for line in text.splitlines() if codes_in(line)][:6]
            self.found[where] = [", ".join(codes), *lines]

    def page(self, client: FlaskClient, path: str, status: int = 200, **kw: object) -> str:
        reply = client.get(path, **kw)
        assert reply.status_code == status, (path, reply.status_code, reply.get_data(as_text=True)[:500])
        html = reply.get_data(as_text=True)
        self.check(f"{path} ({status})", visible_text(html))
        return html

    def docx(self, where: str, data: bytes) -> str:
        document = docx.Document(io.BytesIO(data))
        texts = [p.text for p in document.paragraphs]
        texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        for section in document.sections:
            texts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
        text = "\n".join(texts)
        self.check(where, text)
        return text

    def xlsx(self, where: str, data: bytes) -> None:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = [book.sheetnames and "\n".join(book.sheetnames)]
        for sheet in book.worksheets:
            cells += [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        self.check(where, "\n".join(str(c) for c in cells))


def _post(client: FlaskClient, path: str, data: dict[str, object]) -> None:
    reply = client.post(path, data={"csrf_token": client.csrf, **data},  # type: ignore[attr-defined]
                        content_type="multipart/form-data")
    assert reply.status_code == 302, (path, reply.status_code, visible_text(reply.get_data(as_text=True))[:800])


def _act(client: FlaskClient, item_id: str, action: str, data: dict[str, object] | None = None) -> None:
    _post(client, f"/items/{item_id}/tracking/{action}", data or {})


def _wait(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _pages(seen: Seen, clients: dict[str, FlaskClient], item_id: str, step: str) -> None:
    """What each person opens at this step: the item, the ledger, lights, their own work lists."""
    for who, client in clients.items():
        seen.page(client, f"/items/{item_id}")
        seen.page(client, "/ledger")
        seen.page(client, "/lights")
        if who == "office":
            seen.page(client, "/desk")
        if who == "leader_li":
            seen.page(client, "/queue")
    seen.checked.append(f"-- {step}")


def _file(name: str, body: bytes) -> tuple[io.BytesIO, str]:
    return io.BytesIO(body), name


def test_a_full_lifecycle_shows_no_identifier_where_a_person_reads(portal: Portal) -> None:
    seen = Seen()
    office, fgj, jyj, leader = (portal.login(u) for u in ("office", "fgj_staff", "jyj_staff", "leader_li"))
    clients = {"office": office, "fgj_staff": fgj, "jyj_staff": jyj, "leader_li": leader}
    seen.page(portal.client(), "/login")
    seen.page(office, "/items/new")
    seen.page(office, "/ledger/import")
    seen.page(office, f"/items/{uuid.uuid4()}", status=404)
    # The source left unchosen: the form says so in words, not by listing identifiers.
    refused = office.post("/items/new", data={"csrf_token": office.csrf, "title": "来源未选", "source": "",  # type: ignore[attr-defined]
                                              "category": "general", "lead_unit_id": "fgj"})
    assert refused.status_code == 422
    seen.check("/items/new (422, no source)", visible_text(refused.get_data(as_text=True)))

    title = f"全程中文{uuid.uuid4().hex[:6]}"
    reply = office.post("/items/new", data={
        "csrf_token": office.csrf, "title": title, "source": "leader_instruction", "category": "general",  # type: ignore[attr-defined]
        "lead_unit_id": "fgj", "co_unit_ids": ["jyj"], "responsible_leader_id": "ld-li",
        "responsible_person_id": "st-chen", "supervisor_id": "sv-wang", "content": "全区推进"})
    assert reply.status_code == 302, visible_text(reply.get_data(as_text=True))
    item_id = reply.headers["Location"].split("/items/")[1].split("?")[0]
    api = portal.client()
    _wait(lambda: api.get(f"/api/v1/items/{item_id}/tracking", headers=portal.headers("office")).status_code == 200,
          "tracking never heard of the item")
    # The office corrects the source and category: the history shows both by their labels.
    patched = api.patch(f"/api/v1/items/{item_id}", json={"source": "other", "category": "complex"},
                        headers={**portal.headers("office"), "If-Match": '"1"'})
    assert patched.status_code == 200, patched.get_json()
    _pages(seen, clients, item_id, "registered")
    # A draft inspection plan takes the item; once the item is closed, the plan's form must still hold it.
    from services.gateway.tests.inspection_scene import Scene, _known

    _wait(lambda: _known(portal, item_id), "inspection never heard of the item")
    plan = Scene(portal, {"id": item_id}).ok("POST", "/plans", "office", json=Scene(portal, {"id": item_id}).draft())

    _act(office, item_id, "notice", {"contact_name": "王芳", "contact_phone": "0972-1234567",
                                     "requirements": "按时报送进展情况"})
    seen.docx("督办通知.docx", office.get(f"/items/{item_id}/documents/notice").data)
    _act(fgj, item_id, "acknowledge")
    _pages(seen, clients, item_id, "notified, lead signed")

    _act(fgj, item_id, "report", {"text": "已召开专题会", "attachments": [_file("会议纪要.txt", "专题会纪要".encode())]})
    _act(fgj, item_id, "extension", {"reason": "需协调省级部门", "new_due_date": "2026-12-18", "progress": "过半"})
    _pages(seen, clients, item_id, "reported, extension asked")
    extension_id = api.get(f"/api/v1/items/{item_id}/tracking",
                           headers=portal.headers("office")).get_json()["extensions"][0]["id"]
    _act(leader, item_id, "decision", {"extension_id": extension_id, "approve": "true", "comment": "同意"})
    _act(fgj, item_id, "reply", {"result": "已全部完成", "attachments": [_file("验收报告.txt", "验收合格".encode())]})
    _pages(seen, clients, item_id, "extended, replied")

    # jyj never signed for the notice: closing it anyway is a choice the office confirms.
    _act(office, item_id, "completion", {"report_kind": "comprehensive", "result_summary": "已全部完成",
                                         "confirm_unsigned": "true"})
    seen.docx("督查事项办结报告单.docx（待签）", office.get(f"/items/{item_id}/documents/completion_report").data)
    _pages(seen, clients, item_id, "completion filled")
    _act(leader, item_id, "signature", {"approve": "true", "opinion": "同意销号"})
    _wait(lambda: api.get(f"/api/v1/items/{item_id}", headers=portal.headers("office")).get_json()["status"]
          == "archived", "the ledger never heard of the closure")
    _pages(seen, clients, item_id, "closed and archived")
    form = office.get(f"/inspection/plans/{plan['id']}/edit").get_data(as_text=True)
    assert f'value="{item_id}" checked' in form and "已销号" in form, "saving the plan's form would drop the item"
    seen.docx("督查事项办结报告单.docx", office.get(f"/items/{item_id}/documents/completion_report").data)

    for form in ("ledger_710", "unit_ledger", "full"):
        export = office.get("/ledger/export", query_string={"form": form})
        assert export.status_code == 200
        seen.xlsx(f"{form}.xlsx", export.data)

    dossier = zipfile.ZipFile(io.BytesIO(office.get(f"/items/{item_id}/documents/dossier").data))
    seen.check("档案（文件名）", "\n".join(dossier.namelist()))
    for name in dossier.namelist():
        data = dossier.read(name)
        if name.endswith(".docx"):
            seen.docx(f"档案/{name}", data)
        elif name.endswith(".txt"):
            seen.check(f"档案/{name}", data.decode())
    # The record (事项记录.json), manifest.json and SHA256SUMS are machine-readable: keys and ids on purpose.

    assert len(seen.checked) > 60
    assert not seen.found, "identifiers where a person reads:\n" + "\n".join(
        f"{where}: {' | '.join(lines)}" for where, lines in seen.found.items())


# Inspection's words beside the ledger's and tracking's: what a plan, a visit, a finding and its
# rectification are, and the people and unit the inspection tests add (services/inspection/tests/conftest.py).
INSPECTION_IDENTIFIERS = sorted({
    *IDENTIFIERS, *vocabulary.FINDING_CATEGORIES, *vocabulary.FINDING_SEVERITIES, *vocabulary.PLAN_STATUSES,
    *vocabulary.RECTIFICATION_MODES, *vocabulary.RECTIFICATION_STATUSES, *vocabulary.CHECK_VERDICTS,
    "passed", "failed", "member", "responsible_leader", "czj", "sv-ma", "sv-zhang", "st-qian", "sv-sun",
}, key=len, reverse=True)
_INSPECTION_WORD = re.compile(r"(?<![A-Za-z0-9_.-])(" + "|".join(re.escape(w) for w in INSPECTION_IDENTIFIERS)
                              + r")(?![A-Za-z0-9_-])")


class InspectionSeen(Seen):
    def check(self, where: str, text: str) -> None:
        self.checked.append(where)
        text = _TEST_NAMES.sub("某某", text)
        codes = sorted({m.group(1) for m in _INSPECTION_WORD.finditer(text)} | {m.group(0) for m in _HEX_ID.finditer(text)})
        if codes:
            lines = [line for line in text.splitlines() if any(c in line for c in codes)][:6]
            self.found[where] = [", ".join(codes), *lines]


def _jpeg() -> bytes:
    from libs.common import photo_samples

    return photo_samples.jpeg(640, 480)


def _form_post(client: FlaskClient, path: str, data: Mapping[str, object]) -> str:
    reply = client.post(path, data={"csrf_token": client.csrf, **data},  # type: ignore[attr-defined]
                        content_type="multipart/form-data")
    assert reply.status_code == 302, (path, reply.status_code, visible_text(reply.get_data(as_text=True))[:800])
    return reply.headers["Location"]


def test_an_inspection_through_its_pages_shows_no_identifier_where_a_person_reads(portal: Portal) -> None:
    """Plan → approval → change → training → visit → major finding with photos → escalation read → order →
    report → failed 回头看 → report → passed 回头看 → ledger item, each through the pages' own forms, as the
    office, its head, the inspector, the unit and the leader; every page each would open is scanned."""
    from services.gateway.tests.inspection_scene import scene_for

    scene = scene_for(portal)
    item_id = scene.item["id"]
    seen = InspectionSeen()
    users = ("office", "office_head", "inspector", "fgj_staff", "leader_li")
    clients = {u: portal.login(u) for u in users}
    office, head, inspector, fgj, leader = (clients[u] for u in users)

    def pages(step: str, plan_id: str, finding_id: str = "", escalation_id: str = "") -> None:
        for who, client in clients.items():
            seen.page(client, "/inspection/findings")
            if who in ("office", "office_head", "inspector"):
                seen.page(client, "/inspection/plans")
                seen.page(client, f"/inspection/plans/{plan_id}")
            if finding_id:
                seen.page(client, f"/inspection/findings/{finding_id}")
            if who in ("office_head", "leader_li"):
                seen.page(client, "/queue")
                seen.page(client, "/inspection/escalations")
                if escalation_id:
                    seen.page(client, f"/inspection/escalations/{escalation_id}")
            if who == "fgj_staff":
                seen.page(client, "/todo")
        seen.checked.append(f"-- {step}")

    seen.page(office, "/inspection/plans/new")
    refused = office.post("/inspection/plans/new", data={"csrf_token": office.csrf, "title": "", "kind": "special"})  # type: ignore[attr-defined]
    assert refused.status_code == 422
    seen.check("/inspection/plans/new (422)", visible_text(refused.get_data(as_text=True)))
    form = {"title": "重点工作推进情况专项督查", "kind": "special", "starts_on": "2026-11-26", "ends_on": "2026-12-10",
            "item_ids": [item_id], "stop_unit_id": ["fgj", "jyj", ""], "stop_place": ["发改局办公楼", "", ""],
            "stop_scheduled_on": ["2026-11-27", "", ""], "leader_id": "sv-ma", "member_person_id": ["st-qian", ""],
            "member_seconded_from_unit_id": ["czj", ""], "lead_unit_id": ["fgj", ""], "lead_item_id": ["", ""],
            "lead_text": ["群众反映项目进度滞后", ""], "lead_source": ["12345热线", ""], "training": "督查纪律\n问题认定标准",
            "preparation": "调阅台账和前期汇报"}
    plan_id = _form_post(office, "/inspection/plans/new", form).split("/inspection/plans/")[1].split("?")[0]
    pages("drafted", plan_id)
    # The to-do pages lead to the inspection pages where the act is done.
    assert f'href="/inspection/plans/{plan_id}"' in head.get("/queue").get_data(as_text=True)
    _form_post(head, f"/inspection/plans/{plan_id}/act/approval", {"comment": "同意"})
    seen.page(office, f"/inspection/plans/{plan_id}/edit")
    no_reason = office.post(f"/inspection/plans/{plan_id}/edit", data={"csrf_token": office.csrf, **form,  # type: ignore[attr-defined]
                                                                      "ends_on": "2026-12-15"})
    assert no_reason.status_code == 422
    seen.check("edit without a reason (422)", visible_text(no_reason.get_data(as_text=True)))
    _form_post(office, f"/inspection/plans/{plan_id}/edit", {**form, "ends_on": "2026-12-15", "reason": "延长一周"})
    _form_post(inspector, f"/inspection/plans/{plan_id}/act/training", {})
    seen.page(inspector, f"/inspection/plans/{plan_id}/visits/new?unit_id=fgj")
    _form_post(inspector, f"/inspection/plans/{plan_id}/visits/new?unit_id=fgj", {
        "unit_id": "fgj", "ledger_kept": "true", "ledger_current": "false", "ledger_note": "10月以来未更新",
        f"process_{item_id}": "verified", f"result_{item_id}": "discrepancy", f"note_{item_id}": "进度与报告不符",
        "summary": "台账更新不及时"})
    pages("approved, changed, visited", plan_id)

    seen.page(inspector, f"/inspection/plans/{plan_id}/findings/new?unit_id=fgj")
    location = _form_post(inspector, f"/inspection/plans/{plan_id}/findings/new", {
        "unit_id": "fgj", "item_id": item_id, "text": "项目资金未按计划拨付", "category": "slow_progress",
        "severity": "major", "place": "财务室", "latitude": "36.5012", "longitude": "102.1093", "accuracy": "15",
        "device_time": "2026-11-26T09:40:00+08:00", "client_key": uuid.uuid4().hex,
        "photos": [_file("IMG_1.jpg", _jpeg()), _file("IMG_2.jpg", _jpeg())]})
    finding_id = location.split("/inspection/findings/")[1].split("?")[0]
    finding = portal.client().get(f"/api/v1/inspection/findings/{finding_id}", headers=portal.headers("office")).get_json()
    escalation_id = finding["escalation_id"]
    pages("major finding recorded", plan_id, finding_id, escalation_id)
    assert f'action="/inspection/escalations/{escalation_id}/acknowledgement"' in leader.get("/queue").get_data(as_text=True)
    _form_post(leader, f"/inspection/escalations/{escalation_id}/acknowledgement", {})
    _form_post(head, f"/inspection/escalations/{escalation_id}/acknowledgement", {})
    refused = inspector.post(f"/inspection/findings/{finding_id}/act/order", data={
        "csrf_token": inspector.csrf, "mode": "ordered", "due_date": "2026-11-28", "requirement": "拨付到位"})  # type: ignore[attr-defined]
    assert refused.status_code == 422 and "2026-11-30" in refused.get_data(as_text=True)  # the next working day offered
    seen.check("order on a Saturday (422)", visible_text(refused.get_data(as_text=True)))
    _form_post(inspector, f"/inspection/findings/{finding_id}/act/order",
               {"mode": "ordered", "working_days": "3", "requirement": "拨付到位并报送凭证"})
    pages("escalation read, ordered", plan_id, finding_id, escalation_id)
    assert f'href="/inspection/findings/{finding_id}"' in fgj.get("/todo").get_data(as_text=True)
    _form_post(fgj, f"/inspection/findings/{finding_id}/act/report",
               {"text": "资金已拨付", "photos": [_file("凭证.jpg", _jpeg())]})
    _form_post(inspector, f"/inspection/findings/{finding_id}/act/verification",
               {"passed": "false", "text": "仅拨付一半", "working_days": "2"})
    pages("reported, 回头看 failed", plan_id, finding_id, escalation_id)
    _form_post(fgj, f"/inspection/findings/{finding_id}/act/report", {"text": "余款已拨付"})
    _form_post(inspector, f"/inspection/findings/{finding_id}/act/verification",
               {"passed": "true", "text": "已全部拨付", "working_days": "", "due_date": "",  # the form's empty fields
                "photos": [_file("核实.jpg", _jpeg())]})
    _form_post(office, f"/inspection/findings/{finding_id}/act/ledger_item", {"category": "general", "title": ""})
    _form_post(office, f"/inspection/plans/{plan_id}/act/finish", {})
    pages("rectified, registered, finished", plan_id, finding_id, escalation_id)
    done = portal.client().get(f"/api/v1/inspection/findings/{finding_id}", headers=portal.headers("office")).get_json()
    assert done["rectification"]["status"] == "rectified" and done["rectification"]["relapses"] == 1
    assert done["registered_item_no"]

    assert len(seen.checked) > 60
    assert not seen.found, "identifiers where a person reads:\n" + "\n".join(
        f"{where}: {' | '.join(lines)}" for where, lines in seen.found.items())
