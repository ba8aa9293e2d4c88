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
