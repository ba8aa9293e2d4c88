"""A quarter's bulletin through the gRPC API on a real server and database (SQLite and PostgreSQL): drafted
from the items the ledger registered and what tracking and inspection said of them, its numbers equal to
its lists, its DOCX and PDF, the workflow (approval over the exact bytes, returns, publication) and the
source-7 items registered once, linked both ways."""

from __future__ import annotations

import datetime as dt
import io
import re

import grpc
from docx import Document
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select

from duban.ledger.v1 import ledger_pb2
from duban.notification.v1 import notification_pb2 as pb
from libs.common import printing
from libs.common.clock import OFFICE_TZ
from libs.common.outbox import outbox
from libs.common.storage import sha256
from libs.common.testing import code_of
from services.notification.tests.conftest import ASSESS, FGJ, LEADER_LI, OFFICE, PRINCIPAL, SYSTEM_ACTOR, Duo

D = dt.date


def _quarter(duo: Duo) -> dict[str, ledger_pb2.Item]:
    """Five general items of 2026Q3 at two units, one complex one and one of Q4 (out of scope)."""
    items = {name: duo.register(title=f"第三季度事项{name}", registered_on="2026-07-06", lead_unit_id=unit)
             for name, unit in (("a", "fgj"), ("b", "fgj"), ("c", "fgj"), ("d", "jyj"), ("e", "jyj"))}
    items["complex"] = duo.register(title="复杂事项", category="complex", registered_on="2026-07-06")
    items["q4"] = duo.register(title="第四季度事项", registered_on="2026-10-12")
    due = {k: D.fromisoformat(v.due_date) for k, v in items.items()}
    duo.upstream.closed(items["a"].id, due["a"] - dt.timedelta(days=1))  # within the time
    duo.upstream.extended(items["b"].id, due["b"], due["b"] + dt.timedelta(days=14))
    duo.upstream.closed(items["b"].id, due["b"] + dt.timedelta(days=10))  # late by the first deadline, not the extended
    duo.upstream.closed(items["c"].id, due["c"] + dt.timedelta(days=3))  # late
    duo.upstream.finding(f"f-{items['d'].id[:8]}", items["d"], "overdue", D(2026, 8, 20), D(2026, 8, 10))
    duo.wait(lambda: all(duo.known(items[k].id).closed_on is not None for k in "abc"))  # type: ignore[union-attr]
    duo.wait(lambda: duo.finding_known(f"f-{items['d'].id[:8]}", "overdue"))
    return items


def _generate(duo: Duo, **fields: object) -> pb.BulletinResponse:
    body = dict(kind="quarterly", period="2026Q3", actor=OFFICE) | fields
    return duo.notification.GenerateBulletin(pb.GenerateBulletinRequest(**body), timeout=60)  # type: ignore[arg-type]


def test_a_quarter_bulletin_from_draft_to_publication(duo: Duo) -> None:
    items = _quarter(duo)
    first = _generate(duo)
    b = first.bulletin
    assert not first.existing and b.status == "draft" and b.issue_no == 0 and b.title == "关于2026年第三季度一般督查事项办理情况的通报"
    t, f = b.facts.totals, b.facts
    mine = {items[k].id for k in "abcde"}
    assert {ln.item_id for ln in f.in_scope} >= mine and not {items["complex"].id, items["q4"].id} & {ln.item_id for ln in f.in_scope}
    lines = {ln.item_id: ln for ln in f.in_scope if ln.item_id in mine}
    assert lines[items["a"].id].within_time and lines[items["b"].id].within_time and lines[items["b"].id].extended
    assert not lines[items["c"].id].within_time and lines[items["c"].id].closed_on
    assert {items["d"].id, items["e"].id} <= {ln.item_id for ln in f.overdue}
    # every number equals the list it comes from
    assert t.in_scope == len(f.in_scope) and t.overdue == len(f.overdue) and t.red == len(f.red)
    assert t.yellow == len(f.yellow) and t.closed == sum(1 for ln in f.in_scope if ln.closed_on)
    assert t.closed_within_time == sum(1 for ln in f.in_scope if ln.within_time)
    assert t.extended == sum(1 for ln in f.in_scope if ln.extended)
    assert sum(u.in_scope for u in f.units) == t.in_scope and [bar.unit_id for bar in f.chart.bars] == [u.unit_id for u in f.units]
    jyj = next(u for u in f.units if u.unit_id == "jyj")
    assert jyj.lagging and set(jyj.lagging_item_nos) >= {items["d"].item_no, items["e"].item_no}
    assert any(p.finding_id.startswith("f-") and p.rectification_status == "overdue" for p in f.problems)
    criticism = next(m for m in b.mentions if m.kind == "criticism" and m.unit_id == "jyj")
    assert "区教育局" in criticism.text and items["d"].item_no in criticism.text
    assert b.draft_opening and f"共{t.in_scope}件" in b.draft_opening

    again = _generate(duo)
    assert again.existing and again.bulletin.id == b.id  # one draft per period
    ran = duo.notification.RunBulletinJobs(pb.RunBulletinJobsRequest(actor=SYSTEM_ACTOR), timeout=120)
    assert "quarterly:2026Q3" not in ran.periods

    # unit staff see no draft; publishing without approval is refused; approving needs the principal leader
    assert code_of(lambda: duo.notification.GetBulletin(pb.GetBulletinRequest(bulletin_id=b.id, actor=FGJ), timeout=10)) \
        == grpc.StatusCode.NOT_FOUND
    assert code_of(lambda: duo.notification.PublishBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE),
                                                            timeout=10)) == grpc.StatusCode.FAILED_PRECONDITION

    edited = duo.notification.EditBulletin(pb.EditBulletinRequest(
        bulletin_id=b.id, expected_version=b.version, mentions=[pb.MentionEdit(id=criticism.id, action="keep")],
        replace_requirements=True, requirements=[
            pb.Requirement(unit_id="jyj", text="逾期事项限期办结", working_days=5, item_id=items["d"].id),
            pb.Requirement(unit_id="fgj", text="台账补记", due_date="2026-12-18")], actor=OFFICE), timeout=30).bulletin
    assert edited.status == "edited" and [r.id for r in edited.requirements] == ["r1", "r2"]
    assert edited.requirements[0].responsible_leader_id == "ld-li"  # from the item it arose from
    bad = code_of(lambda: duo.notification.EditBulletin(pb.EditBulletinRequest(
        bulletin_id=b.id, replace_requirements=True, requirements=[pb.Requirement(unit_id="nowhere", text="x")],
        actor=OFFICE), timeout=10))
    assert bad == grpc.StatusCode.INVALID_ARGUMENT
    assert duo.notification.GetBulletin(pb.GetBulletinRequest(bulletin_id=b.id, actor=OFFICE), timeout=10).bulletin.version \
        == edited.version  # the refused edit changed nothing

    submitted = duo.notification.SubmitBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE), timeout=180).bulletin
    assert submitted.status == "submitted" and submitted.issue_no >= 1
    assert re.fullmatch(r"平督通〔2026〕\d+号", submitted.document_no)
    docx, pdf = duo.document(b.id, "docx", PRINCIPAL), duo.document(b.id, "pdf", PRINCIPAL)
    assert (sha256(docx), sha256(pdf)) == (submitted.docx_sha256, submitted.pdf_sha256)
    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert f"2026年第{submitted.issue_no}期" in text and submitted.document_no in text
    assert f"纳入本期通报的督查事项共{t.in_scope}件" in text and "区教育局" in text and "予以通报批评" in text
    # the PDF's text is the DOCX's: every paragraph, with the page numbers ("— 2 —") of page breaks aside
    flat = re.sub(r"—\d+—", "", re.sub(r"\s+", "", "".join(p.text for p in printing.pages(pdf))))
    for paragraph in Document(io.BytesIO(docx)).paragraphs:
        assert re.sub(r"\s+", "", paragraph.text) in flat, paragraph.text

    # the principal leader returns it; the office edits and submits again: the numbers stay
    assert code_of(lambda: duo.notification.ReturnBulletin(pb.ReturnBulletinRequest(
        bulletin_id=b.id, comment="", actor=PRINCIPAL), timeout=10)) == grpc.StatusCode.INVALID_ARGUMENT
    returned = duo.notification.ReturnBulletin(pb.ReturnBulletinRequest(
        bulletin_id=b.id, comment="请补充整改要求", actor=PRINCIPAL), timeout=10).bulletin
    assert returned.status == "returned" and returned.return_comment == "请补充整改要求"
    duo.notification.EditBulletin(pb.EditBulletinRequest(bulletin_id=b.id, closing="请各单位抓好整改。", actor=OFFICE),
                                  timeout=30)
    again_submitted = duo.notification.SubmitBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE),
                                                      timeout=180).bulletin
    assert (again_submitted.issue_no, again_submitted.document_no) == (submitted.issue_no, submitted.document_no)
    assert again_submitted.docx_sha256 != submitted.docx_sha256

    # approval binds the bytes: the old files' hashes are refused, a leader who is not the principal one too
    assert code_of(lambda: duo.notification.ApproveBulletin(pb.ApproveBulletinRequest(
        bulletin_id=b.id, docx_sha256=submitted.docx_sha256, pdf_sha256=submitted.pdf_sha256, actor=PRINCIPAL),
        timeout=10)) == grpc.StatusCode.FAILED_PRECONDITION
    assert code_of(lambda: duo.notification.ApproveBulletin(pb.ApproveBulletinRequest(
        bulletin_id=b.id, docx_sha256=again_submitted.docx_sha256, pdf_sha256=again_submitted.pdf_sha256,
        actor=LEADER_LI), timeout=10)) == grpc.StatusCode.PERMISSION_DENIED
    docx = duo.document(b.id, "docx", PRINCIPAL)
    pdf = duo.document(b.id, "pdf", PRINCIPAL)
    approved = duo.notification.ApproveBulletin(pb.ApproveBulletinRequest(
        bulletin_id=b.id, docx_sha256=sha256(docx), pdf_sha256=sha256(pdf), comment="同意印发", actor=PRINCIPAL),
        timeout=10).bulletin
    assert approved.status == "approved" and approved.approved_docx_sha256 == sha256(docx)

    published = duo.notification.PublishBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE), timeout=60).bulletin
    assert published.status == "published" and all(r.registered_item_id for r in published.requirements)
    retried = duo.notification.PublishBulletin(pb.BulletinActRequest(bulletin_id=b.id, actor=OFFICE), timeout=60).bulletin
    assert [r.registered_item_id for r in retried.requirements] == [r.registered_item_id for r in published.requirements]
    for r in published.requirements:
        item = duo.ledger.GetItem(ledger_pb2.GetItemRequest(id=r.registered_item_id), timeout=10).item
        assert item.source == "bulletin_rectification" and item.origin_bulletin_id == b.id
        assert item.units[0].unit_id == r.unit_id and item.due_date
    made = duo.ledger.ListItems(ledger_pb2.ListItemsRequest(
        filter=ledger_pb2.ItemFilter(source="bulletin_rectification"), page_size=100), timeout=10).items
    assert sum(1 for i in made if i.origin_bulletin_id == b.id) == len(published.requirements) == 2
    # published is immutable; everyone reads it; the event went through the outbox
    assert code_of(lambda: duo.notification.EditBulletin(pb.EditBulletinRequest(
        bulletin_id=b.id, title="改", actor=OFFICE), timeout=10)) == grpc.StatusCode.FAILED_PRECONDITION
    seen = duo.notification.GetBulletin(pb.GetBulletinRequest(bulletin_id=b.id, actor=FGJ), timeout=10).bulletin
    assert seen.status == "published"
    board = duo.notification.ListBulletins(pb.ListBulletinsRequest(named_unit_id="jyj", actor=FGJ), timeout=10)
    assert b.id in [x.id for x in board.bulletins] and not board.bulletins[0].facts.in_scope  # lists are brief
    with duo.app.uow.read() as tx:
        types = list(tx.session.scalars(select(outbox.c.headers).where(outbox.c.key == b.id)))
    assert sum('"bulletin.published"' in h for h in types) == 1

    # a correction is a new special bulletin referencing the published one
    fix = _generate(duo, kind="special", period="", title="关于更正第三季度通报的通报", corrects_bulletin_id=b.id).bulletin
    assert fix.corrects_bulletin_id == b.id and fix.period.starts_on == "2026-07-01"
    published = duo.notification.GetBulletin(pb.GetBulletinRequest(bulletin_id=b.id, actor=OFFICE), timeout=10).bulletin
    assert fix.corrects_document_no == published.document_no != "" and fix.issuing_office == "区委区政府督查室"
    assert duo.notification.GetBulletin(pb.GetBulletinRequest(bulletin_id=b.id, actor=OFFICE), timeout=10).bulletin \
        .corrected_by_bulletin_id == fix.id


def test_bad_requests_are_refused_with_their_fields(duo: Duo) -> None:
    for body in (dict(kind="quarterly", period="2026Q5"), dict(kind="weekly", period="2026W1"),
                 dict(kind="quarterly", period="2026Q4"),  # not ended on 2026-11-26
                 dict(kind="special", period="", starts_on="2026-08-01", ends_on="2026-08-31")):  # no title
        code = code_of(lambda body=body: _generate(duo, **body))  # type: ignore[misc]
        assert code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION), body
    assert code_of(lambda: _generate(duo, actor=FGJ)) == grpc.StatusCode.PERMISSION_DENIED
    assert code_of(lambda: duo.notification.GenerateClearance(pb.GenerateClearanceRequest(year=2026, actor=OFFICE),
                                                              timeout=30)) == grpc.StatusCode.FAILED_PRECONDITION


def test_the_year_end_clearance_report_and_its_receipt(duo: Duo) -> None:
    duo.register(title="年度事项", registered_on="2026-03-02")
    as_of = dt.datetime(2026, 12, 5, 9, 0, tzinfo=OFFICE_TZ)
    made = duo.notification.GenerateClearance(pb.GenerateClearanceRequest(
        year=2026, as_of=_ts(as_of), actor=OFFICE), timeout=60).bulletin
    c = made.clearance
    assert made.kind == "clearance" and c.total == c.closed + c.not_closed == sum(u.in_scope for u in c.units)
    assert c.not_closed == len(c.not_closed_items) and not c.cleared
    assert duo.notification.GenerateClearance(pb.GenerateClearanceRequest(year=2026, as_of=_ts(as_of), actor=OFFICE),
                                              timeout=60).existing
    sub = duo.notification.SubmitBulletin(pb.BulletinActRequest(bulletin_id=made.id, actor=OFFICE), timeout=180).bulletin
    duo.notification.ApproveBulletin(pb.ApproveBulletinRequest(bulletin_id=made.id, docx_sha256=sub.docx_sha256,
                                                               pdf_sha256=sub.pdf_sha256, actor=PRINCIPAL), timeout=10)
    assert code_of(lambda: duo.notification.RecordClearanceReceipt(pb.RecordClearanceReceiptRequest(
        bulletin_id=made.id, receipt_no="KH-2026-01", actor=ASSESS), timeout=10)) == grpc.StatusCode.FAILED_PRECONDITION
    duo.notification.PublishBulletin(pb.BulletinActRequest(bulletin_id=made.id, actor=OFFICE), timeout=60)
    filed = duo.notification.RecordClearanceReceipt(pb.RecordClearanceReceiptRequest(
        bulletin_id=made.id, receipt_no="KH-2026-01", actor=ASSESS), timeout=10).bulletin
    assert filed.receipt.receipt_no == "KH-2026-01" and filed.receipt.filed_on == "2026-11-26"
    assert code_of(lambda: duo.notification.RecordClearanceReceipt(pb.RecordClearanceReceiptRequest(
        bulletin_id=made.id, receipt_no="KH-2026-02", actor=ASSESS), timeout=10)) == grpc.StatusCode.ALREADY_EXISTS
    got = duo.notification.GetClearance(pb.GetClearanceRequest(year=2026, actor=FGJ), timeout=10).bulletin
    assert got.id == made.id and got.status == "published"
    text = "\n".join(p.text for p in Document(io.BytesIO(duo.document(made.id, "docx", FGJ))).paragraphs)
    assert f"2026年度共立项督查事项{c.total}件" in text


def _ts(moment: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp



def test_the_job_catches_up_missed_periods_and_drafts_each_once(duo: Duo) -> None:
    """Periods that ended while no job ran are drafted at the next run, each once."""
    duo.register(title="第二季度事项", registered_on="2026-04-07")
    duo.register(title="上半年复杂事项", category="complex", registered_on="2026-05-11")
    duo.register(title="重点跟踪事项", key_tracking=True, registered_on="2026-08-03")
    # The broker's topics are shared by the session's stacks: another stack's items may have had these periods
    # drafted by an earlier run here. Either way, after this run each has its one bulletin.
    first = duo.notification.RunBulletinJobs(pb.RunBulletinJobsRequest(actor=SYSTEM_ACTOR), timeout=300)
    listed = duo.notification.ListBulletins(pb.ListBulletinsRequest(year=2026, page_size=100, actor=OFFICE), timeout=10)
    drafted = [f"{b.kind}:{b.period.code}" for b in listed.bulletins]
    for period in ("quarterly:2026Q2", "semiannual:2026H1", "monthly:2026-08", "monthly:2026-10"):
        assert drafted.count(period) == 1, period
    assert set(first.periods) <= set(drafted)
    assert "quarterly:2026Q4" not in drafted and "clearance:2026" in drafted  # not ended / drafted by hand above
    second = duo.notification.RunBulletinJobs(pb.RunBulletinJobsRequest(actor=SYSTEM_ACTOR), timeout=300)
    assert list(second.periods) == []
    assert code_of(lambda: duo.notification.RunBulletinJobs(pb.RunBulletinJobsRequest(actor=OFFICE), timeout=10)) \
        == grpc.StatusCode.PERMISSION_DENIED


def test_a_preview_stores_nothing_and_may_look_at_a_running_period(duo: Duo) -> None:
    item = duo.register(title="第四季度预览事项", registered_on="2026-10-12")
    before = duo.notification.ListBulletins(pb.ListBulletinsRequest(page_size=1, actor=OFFICE), timeout=10).total_size
    seen = duo.notification.PreviewBulletin(pb.GenerateBulletinRequest(
        kind="quarterly", period="2026Q4", actor=OFFICE), timeout=60).bulletin
    assert seen.id == "" and item.id in {ln.item_id for ln in seen.facts.in_scope}
    assert seen.facts.totals.in_scope == len(seen.facts.in_scope)
    assert duo.notification.ListBulletins(pb.ListBulletinsRequest(page_size=1, actor=OFFICE), timeout=10).total_size \
        == before
