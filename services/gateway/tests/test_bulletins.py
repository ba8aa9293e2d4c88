"""Bulletins (通报) and 清零 through the gateway's API, against real ledger, tracking, inspection and
notification servers: a bulletin drafted by the system, edited by the office (suggestions kept, struck or
added; problems to be fixed with deadlines), submitted, approved by the principal leader over the exact
bytes (other bytes refused), published for every role; returned with comments; bad input refused with
field errors and nothing changed; the files and the chart's data; the year's 清零 report and its receipt."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest

from libs.common import vocabulary
from services.gateway.tests.bulletin_scene import PERIOD, PRINCIPAL, Scene, scene_for
from services.gateway.tests.conftest import Portal
from services.gateway.tests.test_chinese_everywhere import _TEST_NAMES, codes_in, visible_text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def scene(portal: Portal) -> Scene:
    return scene_for(portal)


def test_a_bulletin_goes_from_the_systems_draft_to_the_board_of_every_role(scene: Scene) -> None:
    made = scene.call("POST", "/bulletins", "office", json={"kind": "special", "title": "专项督查通报（流程）", **PERIOD})
    assert made.status_code == 201 and made.headers["Location"].endswith(made.get_json()["id"])
    draft = made.get_json()
    assert draft["status"] == "draft" and draft["issue_no"] == 0 and draft["document_no"] == ""
    overdue = [i["item_no"] for i in draft["facts"]["overdue"]]
    assert scene.items[0]["item_no"] in overdue and scene.items[1]["item_no"] not in overdue
    assert draft["facts"]["totals"]["overdue"] == len(draft["facts"]["overdue"])  # the number is its list's length
    criticism = next(m for m in draft["mentions"] if m["kind"] == "criticism" and m["unit_id"] == "fgj")
    assert criticism["state"] == "suggested" and criticism["basis"]
    # A unit does not see a draft, nor find it on the board.
    assert scene.call("GET", f"/bulletins/{draft['id']}", "fgj_staff").status_code == 404
    assert draft["id"] not in {b["id"] for b in scene.ok("GET", "/bulletins", "fgj_staff")["bulletins"]}

    edited = scene.ok("PATCH", f"/bulletins/{draft['id']}", "office", json={
        "title": "关于2026年10月至11月督查事项办理情况的通报", "opening": "现将有关情况通报如下。",
        "mentions": [{"id": criticism["id"], "action": "edit", "text": "对区发展和改革局予以通报批评。"},
                     {"action": "add", "kind": "commendation", "unit_id": "jyj", "text": "对区教育局予以通报表扬。"}],
        "requirements": [{"unit_id": "fgj", "text": "逾期项目调度限期整改", "working_days": 5,
                          "item_id": scene.items[0]["id"]}]})
    assert edited["status"] == "edited" and edited["opening"] == "现将有关情况通报如下。"
    states = {m["id"]: (m["state"], m["text"]) for m in edited["mentions"]}
    assert states[criticism["id"]] == ("edited", "对区发展和改革局予以通报批评。")
    assert ("added", "对区教育局予以通报表扬。") in states.values()
    assert [(r["unit_id"], r["text"], r["working_days"]) for r in edited["requirements"]] == [
        ("fgj", "逾期项目调度限期整改", 5)]
    assert {"fgj", "jyj"} <= set(edited["named_unit_ids"])

    sent = scene.ok("POST", f"/bulletins/{draft['id']}/submission", "office")
    assert sent["status"] == "submitted" and sent["issue_no"] >= 1 and sent["document_no"].startswith("平督通〔2026〕")
    docx = scene.call("GET", f"/bulletins/{draft['id']}/documents/docx", PRINCIPAL)
    pdf = scene.call("GET", f"/bulletins/{draft['id']}/documents/pdf", PRINCIPAL)
    assert docx.status_code == 200 and docx.mimetype == DOCX and "attachment" in docx.headers["Content-Disposition"]
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    # The files the leader reads are the ones submitted: their hashes are the ones the bulletin names.
    assert hashlib.sha256(docx.data).hexdigest() == sent["docx_sha256"]
    assert hashlib.sha256(pdf.data).hexdigest() == sent["pdf_sha256"]

    assert scene.call("POST", f"/bulletins/{draft['id']}/publication", "office").status_code == 409  # not approved
    other = scene.call("POST", f"/bulletins/{draft['id']}/approval", PRINCIPAL, json={
        "docx_sha256": "0" * 64, "pdf_sha256": sent["pdf_sha256"]})
    assert other.status_code == 409 and other.get_json()["errors"]  # approval binds the bytes read
    assert scene.call("POST", f"/bulletins/{draft['id']}/approval", "office", json={
        "docx_sha256": sent["docx_sha256"], "pdf_sha256": sent["pdf_sha256"]}).status_code == 403
    approved = scene.ok("POST", f"/bulletins/{draft['id']}/approval", PRINCIPAL, json={
        "docx_sha256": sent["docx_sha256"], "pdf_sha256": sent["pdf_sha256"], "comment": "同意印发"})
    assert approved["status"] == "approved" and approved["approved_docx_sha256"] == sent["docx_sha256"]
    assert approved["approved_by"]["name"] == f"{PRINCIPAL}姓名"  # the account that approved

    published = scene.ok("POST", f"/bulletins/{draft['id']}/publication", "office")
    assert published["status"] == "published" and published["published_at"]
    [problem] = published["requirements"]
    assert problem["registered_item_id"] and problem["registered_item_no"]
    assert scene.ok("GET", f"/items/{problem['registered_item_id']}", "office")["source"] == "bulletin_rectification"
    assert scene.call("PATCH", f"/bulletins/{draft['id']}", "office", json={"title": "改"}).status_code == 409
    for user in ("fgj_staff", "jyj_staff", "leader_li", "inspector", "assessment"):
        board = scene.ok("GET", "/bulletins?status=published", user)["bulletins"]
        assert draft["id"] in {b["id"] for b in board}, user
    named = scene.ok("GET", "/bulletins?named_unit_id=fgj", "fgj_staff")["bulletins"]
    assert draft["id"] in {b["id"] for b in named}
    assert draft["id"] not in {b["id"] for b in scene.ok("GET", "/bulletins?named_unit_id=shz", "fgj_staff")["bulletins"]}


def test_the_leader_returns_a_bulletin_with_comments_and_the_office_submits_it_again(scene: Scene) -> None:
    sent = scene.submitted("专项督查通报（退回）")
    unhashed = scene.call("POST", f"/bulletins/{sent['id']}/approval", PRINCIPAL, json={"comment": "同意"})
    assert unhashed.status_code == 422 and set(unhashed.get_json()["errors"]) == {"docx_sha256", "pdf_sha256"}
    blank = scene.call("POST", f"/bulletins/{sent['id']}/return", PRINCIPAL, json={"comment": ""})
    assert blank.status_code == 422 and "comment" in blank.get_json()["errors"]
    returned = scene.ok("POST", f"/bulletins/{sent['id']}/return", PRINCIPAL, json={"comment": "请补充整改要求"})
    assert returned["status"] == "returned" and returned["return_comment"] == "请补充整改要求"
    assert [a["act"] for a in returned["acts"]][-2:] == ["submitted", "returned"]
    todo = scene.ok("GET", "/todo?kind=bulletin_to_approve", PRINCIPAL)
    assert sent["id"] not in {e["ref_id"] for e in todo["entries"]}
    again = scene.ok("POST", f"/bulletins/{sent['id']}/submission", "office")
    assert again["status"] == "submitted" and again["issue_no"] == sent["issue_no"]  # the number stays
    todo = scene.ok("GET", "/todo?kind=bulletin_to_approve", PRINCIPAL)
    [entry] = [e for e in todo["entries"] if e["ref_id"] == sent["id"]]
    assert entry["page"] == f"/bulletins/{sent['id']}/approval"
    assert entry["act"] == {"method": "POST", "path": f"/api/v1/bulletins/{sent['id']}/approval"}


def test_bad_input_is_refused_field_by_field_and_changes_nothing(scene: Scene) -> None:
    draft = scene.draft()
    bad = scene.call("PATCH", f"/bulletins/{draft['id']}", "office", json={
        "title": 5, "mentions": [{"id": "x", "action": "burn"}, {"action": "add", "kind": "praise", "text": "好"}],
        "requirements": [{"unit_id": "fgj", "text": "整改", "working_days": "five"}], "colour": "red"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"title", "mentions[0].action", "mentions[1].kind",
                                             "requirements[0].working_days", "colour"}
    assert scene.ok("GET", f"/bulletins/{draft['id']}", "office")["version"] == draft["version"]
    stale = scene.call("PATCH", f"/bulletins/{draft['id']}", "office", json={"title": "新标题"},
                       headers={"If-Match": f'"{draft["version"] + 5}"'})
    assert stale.status_code == 409
    assert scene.call("POST", "/bulletins", "office", json={"kind": "quarterly", "period": "2026Q9"}).status_code == 422
    assert scene.call("POST", "/bulletins", "office", json={"kind": "clearance", "period": "2026"}).status_code == 422
    early = scene.call("POST", "/bulletins", "office", json={"kind": "quarterly", "period": "2026Q4"})
    assert early.status_code == 409 and "period" in early.get_json()["errors"]  # the quarter has not ended
    assert scene.call("GET", "/bulletins?kind=weekly", "office").status_code == 422
    assert scene.call("POST", f"/bulletins/{draft['id']}/approval", PRINCIPAL, json={}).status_code == 404  # a draft
    assert scene.call("GET", f"/bulletins/{draft['id']}/documents/xlsx", "office").status_code == 404
    assert scene.call("GET", "/bulletins/no-such-bulletin", "office").status_code == 404


def test_a_period_is_drafted_once_and_the_chart_is_the_documents_data(scene: Scene) -> None:
    first = scene.call("POST", "/bulletins", "office", json={"kind": "quarterly", "period": "2026Q3"})
    second = scene.call("POST", "/bulletins", "office", json={"kind": "quarterly", "period": "2026Q3"})
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    draft = scene.draft()
    chart = scene.ok("GET", f"/bulletins/{draft['id']}/chart", "office")
    assert chart["title"] == draft["facts"]["chart"]["title"]
    assert [(b["unit_name"], b["label"]) for b in chart["bars"]] == [
        (u["unit_name"], u["on_time_pct"]) for u in draft["facts"]["units"]]
    png = scene.call("GET", f"/bulletins/{draft['id']}/documents/chart", "office")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")


def test_the_clearance_report_is_drafted_once_approved_published_and_filed(scene: Scene) -> None:
    early = scene.call("POST", "/clearances", "office", json={"year": 2026})
    assert early.status_code == 409 and "year" in early.get_json()["errors"]  # before the December date
    as_of = {"year": 2026, "as_of": "2026-12-02T09:00:00+08:00"}
    made = scene.call("POST", "/clearances", "office", json=as_of)
    assert made.status_code == 201 and made.headers["Location"].endswith("/clearances/2026")
    report = made.get_json()
    assert report["kind"] == "clearance" and scene.call("POST", "/clearances", "office", json=as_of).status_code == 200
    c = report["clearance"]
    assert c["total"] == c["closed"] + c["not_closed"] == len(c["not_closed_items"]) + c["closed"]
    assert scene.call("GET", "/clearances/2026", "fgj_staff").status_code == 404  # a draft
    assert scene.call("POST", "/clearances/2026/receipt", "assessment", json={"receipt_no": "考备2026-1"}).status_code == 409
    sent = scene.ok("POST", f"/bulletins/{report['id']}/submission", "office")
    scene.ok("POST", f"/bulletins/{report['id']}/approval", PRINCIPAL, json={
        "docx_sha256": sent["docx_sha256"], "pdf_sha256": sent["pdf_sha256"]})
    scene.ok("POST", f"/bulletins/{report['id']}/publication", "office")
    assert scene.ok("GET", "/clearances/2026", "fgj_staff")["status"] == "published"
    assert scene.call("POST", "/clearances/2026/receipt", "office", json={"receipt_no": "x"}).status_code == 403
    assert scene.call("POST", "/clearances/2026/receipt", "assessment", json={"receipt_no": ""}).status_code == 422
    filed = scene.ok("POST", "/clearances/2026/receipt", "assessment", json={"receipt_no": "考备2026-1", "note": "已备案"})
    assert filed["receipt"]["receipt_no"] == "考备2026-1" and filed["receipt"]["recorded_by"]["name"]
    assert scene.call("GET", "/clearances/1999", "office").status_code == 422
    assert scene.call("GET", "/clearances/2025", "office").status_code == 404


# -- the pages (the browser suite drives them in Chromium: tests/browser/test_bulletins.py)
def _form(client: object, **fields: object) -> dict[str, object]:
    return {"csrf_token": client.csrf, "idempotency_key": str(uuid.uuid4()), **fields}  # type: ignore[attr-defined]


def test_the_office_drafts_edits_and_submits_on_the_pages_and_the_leader_approves_what_the_page_hashes(
        scene: Scene) -> None:
    office = scene.portal.login("office")
    board = office.get("/bulletins").get_data(as_text=True)
    assert "起草通报" in board and "由系统起草" in board and "已印发的通报" in board
    made = office.post("/bulletins/new", data=_form(office, kind="special", title="专项督查通报（页面）",
                                                    period="", scope_unit_id="", **PERIOD))
    assert made.status_code == 302, made.get_data(as_text=True)
    page = office.get(made.headers["Location"]).get_data(as_text=True)
    assert "通报已起草" in page and "专项督查通报（页面）" in page and "各单位办理情况" in page
    assert "区发展和改革局" in page and 'id="bulletin-chart"' in page and "修改草稿" in page
    bulletin_id = made.headers["Location"].split("/")[2].split("?")[0]
    editor = office.get(f"/bulletins/{bulletin_id}/edit").get_data(as_text=True)
    assert "通报批评：区发展和改革局" in editor and "依据：" in editor and "限时整改的问题" in editor
    bulletin = scene.ok("GET", f"/bulletins/{bulletin_id}", "office")
    criticism = next(i for i, m in enumerate(bulletin["mentions"]) if m["kind"] == "criticism")
    bad = office.post(f"/bulletins/{bulletin_id}/edit", data=_form(
        office, title=bulletin["title"], opening=bulletin["draft_opening"], closing=bulletin["draft_closing"],
        expected_version=str(bulletin["version"]), **{f"m-{criticism}-id": bulletin["mentions"][criticism]["id"],
                                                      f"m-{criticism}-action": "strike",
                                                      "r-0-unit_id": "fgj", "r-0-text": "台账补齐", "r-0-working_days": "三天"}))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "应为整数" in text and "台账补齐" in text  # the entry is kept
    assert scene.ok("GET", f"/bulletins/{bulletin_id}", "office")["version"] == bulletin["version"]
    sent = office.post(f"/bulletins/{bulletin_id}/edit", data=_form(
        office, title=bulletin["title"], opening=bulletin["draft_opening"], closing=bulletin["draft_closing"],
        expected_version=str(bulletin["version"]), then="submit", **{
            f"m-{criticism}-id": bulletin["mentions"][criticism]["id"], f"m-{criticism}-action": "strike",
            "r-0-unit_id": "fgj", "r-0-text": "台账补齐", "r-0-working_days": "3"}))
    assert sent.status_code == 302 and "done=submit" in sent.headers["Location"]
    after = scene.ok("GET", f"/bulletins/{bulletin_id}", "office")
    assert after["status"] == "submitted" and after["opening"] == ""  # the system's text, left as it was
    assert [m["state"] for m in after["mentions"]][criticism] == "struck"
    assert [(r["unit_id"], r["text"], r["working_days"]) for r in after["requirements"]] == [("fgj", "台账补齐", 3)]

    leader = scene.portal.login(PRINCIPAL)
    queue = leader.get("/queue").get_data(as_text=True)
    assert "待审批的督查通报" in queue and f"/bulletins/{bulletin_id}/approval" in queue
    approval = leader.get(f"/bulletins/{bulletin_id}/approval").get_data(as_text=True)
    assert after["docx_sha256"] in approval and after["pdf_sha256"] in approval and "批准印发" in approval
    approved = leader.post(f"/bulletins/{bulletin_id}/act/approve", data=_form(
        leader, docx_sha256=after["docx_sha256"], pdf_sha256=after["pdf_sha256"], comment="同意印发"))
    assert approved.status_code == 302
    assert "已批准待印发的通报" in office.get("/desk").get_data(as_text=True)
    assert office.post(f"/bulletins/{bulletin_id}/act/publish", data=_form(office)).status_code == 302

    fgj = scene.portal.login("fgj_staff")
    seen = fgj.get("/bulletins").get_data(as_text=True)
    assert "专项督查通报（页面）" in seen and "点名本单位" in seen and "起草通报" not in seen
    mine = fgj.get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
    assert "本通报点名了本单位" in mine and "台账补齐" in mine and "修改草稿" not in mine
    assert fgj.get(f"/bulletins/{bulletin_id}/edit").status_code == 403
    assert fgj.get(f"/bulletins/{bulletin_id}/approval").status_code == 403


def test_the_leader_returns_from_the_page_and_a_refusal_keeps_what_was_written(scene: Scene) -> None:
    sent = scene.submitted("专项督查通报（页面退回）")
    leader = scene.portal.login(PRINCIPAL)
    blank = leader.post(f"/bulletins/{sent['id']}/act/return", data=_form(leader, comment=""))
    assert blank.status_code == 422 and "退回修改意见" in blank.get_data(as_text=True)
    other = leader.post(f"/bulletins/{sent['id']}/act/approve", data=_form(
        leader, docx_sha256="0" * 64, pdf_sha256=sent["pdf_sha256"], comment="同意"))
    assert other.status_code == 409 and scene.ok("GET", f"/bulletins/{sent['id']}", "office")["status"] == "submitted"
    done = leader.post(f"/bulletins/{sent['id']}/act/return", data=_form(leader, comment="请补充整改期限"))
    assert done.status_code == 302
    page = scene.portal.login("office").get(f"/bulletins/{sent['id']}").get_data(as_text=True)
    assert "主要领导退回修改：请补充整改期限" in page and "修改草稿" in page


def test_the_clearance_page_tells_when_it_opens(scene: Scene) -> None:
    office = scene.portal.login("office")
    page = office.get("/clearance?year=2027").get_data(as_text=True)
    assert "2027年度尚未起草清零报告" in page and "起草2027年度清零报告" in page
    early = office.post("/clearance?year=2027", data=_form(office))
    assert early.status_code == 409 and "2027年度清零报告自12月1日起生成" in early.get_data(as_text=True)
    unit = scene.portal.login("fgj_staff").get("/clearance?year=2027").get_data(as_text=True)
    assert "尚未起草清零报告" in unit and "起草2027" not in unit


BULLETIN_WORDS = re.compile(r"(?<![A-Za-z0-9_.-])(" + "|".join(re.escape(w) for w in sorted({
    *vocabulary.BULLETIN_KINDS, *vocabulary.BULLETIN_STATUSES, *vocabulary.BULLETIN_ACTS, *vocabulary.MENTION_KINDS,
    *vocabulary.MENTION_STATES, *vocabulary.MENTION_ACTIONS, "fgj", "jyj", "dcs", "ld-li", "ld-zhao"},
    key=len, reverse=True)) + r")(?![A-Za-z0-9_-])")


def test_every_bulletin_page_speaks_chinese_with_names(scene: Scene) -> None:
    """The board, a published bulletin, a draft, its editor, the approval page and the 清零 page, as the
    office, the principal leader and a unit read them: no identifier of the vocabulary, no unit or person
    id, no record id - but the SHA-256 of the files, which the approval page shows to be read."""
    published, sent, draft = scene.published("专项通报（中文）"), scene.submitted("专项通报（中文报批）"), scene.draft()
    pages = {"office": ["/bulletins", f"/bulletins/{published['id']}", f"/bulletins/{draft['id']}",
                        f"/bulletins/{draft['id']}/edit", "/clearance", "/desk"],
             PRINCIPAL: ["/bulletins", f"/bulletins/{sent['id']}/approval", "/queue"],
             "fgj_staff": ["/bulletins", f"/bulletins/{published['id']}", "/bulletins?mine=1"]}
    found = {}
    for user, paths in pages.items():
        client = scene.portal.login(user)
        for path in paths:
            reply = client.get(path)
            assert reply.status_code == 200, (user, path, reply.status_code)
            text = _TEST_NAMES.sub("某某", visible_text(reply.get_data(as_text=True)))
            for digest in (sent["docx_sha256"], sent["pdf_sha256"]):
                text = text.replace(digest, "（哈希）")
            text = re.sub(r"(DOCX|PDF) [0-9a-f]{16}…", "（哈希）", text)  # the course's hash prefixes
            codes = sorted({m.group(1) for m in BULLETIN_WORDS.finditer(text)} | set(codes_in(text)))
            if codes:
                found[f"{user} {path}"] = codes
    assert not found, found


def test_the_page_says_the_red_and_yellow_lists_as_the_docx_does(scene: Scene) -> None:
    """Every overdue item is red and listed once, in the overdue table; the page counts them as the DOCX does."""
    draft = scene.draft()
    facts = draft["facts"]
    late = {i["item_id"] for i in facts["overdue"]}
    raised = [i for i in facts["red"] if i["item_id"] not in late]
    page = scene.portal.login("office").get(f"/bulletins/{draft['id']}").get_data(as_text=True)
    assert (f"红灯事项 {len(facts['red'])} 件（其中逾期未办结 {len(facts['red']) - len(raised)} 件，见上表）、"
            f"黄灯事项 {len(facts['yellow'])} 件") in page
    assert late and facts["totals"]["red"] == len(facts["red"])


def test_the_board_pages_the_published_and_keeps_every_draft_above_them(scene: Scene,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Published bulletins come a page at a time; the ones in work are listed apart, so however many have been
    published, a draft or one awaiting the leader is never pushed off the board (one page of 100 mixed both)."""
    from services.gateway.pages import bulletins as board_page

    first, second, draft = scene.published("专项通报（分页一）"), scene.published("专项通报（分页二）"), scene.draft()
    monkeypatch.setattr(board_page, "BOARD_PAGE", 1)
    office = scene.portal.login("office")
    seen, path, pages = [], "/bulletins", 0
    while path and pages < 50:
        page = office.get(path).get_data(as_text=True)
        work, board = page.split('id="h-published"')
        assert ('id="h-work"' in work and draft["title"] in work) == (pages == 0)  # in work: on the first page only
        seen += [t for t in (first["title"], second["title"]) if t in board]
        assert board.count("<tr") <= 2  # the header row and one bulletin
        token = re.search(r'page_token=([^"&]+)', board)
        path, pages = f"/bulletins?page_token={token.group(1)}" if token else "", pages + 1
    assert sorted(seen) == sorted([first["title"], second["title"]]) and pages >= 2
    listed = scene.ok("GET", "/bulletins?status=in_work&page_size=200", "office")["bulletins"]
    assert draft["id"] in {b["id"] for b in listed} and {b["status"] for b in listed} <= set(vocabulary.BULLETIN_STATUSES) - {"published"}
    assert scene.call("GET", "/bulletins?status=nonsense", "office").status_code == 422
