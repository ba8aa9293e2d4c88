"""The bulletin's DOCX from its facts, pure: its numbers and names in the text, long lists cut in the body
with the whole list in an annex, the same bytes for the same data, the clearance report's sentences."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document

from libs.common.calendar import load_calendar
from libs.common.clock import OFFICE_TZ
from libs.common.lights import LightPolicy
from services.notification import bulletin_document as bd
from services.notification import convert, facts
from services.notification.domain import ItemState

AS_OF = dt.datetime(2026, 10, 9, 9, 0, tzinfo=OFFICE_TZ)


def _items(count: int) -> list[ItemState]:
    out = []
    for n in range(count):
        unit = ("fgj", "区发展和改革局") if n % 2 else ("jyj", "区教育局")
        registered = dt.date(2026, 7, 1) + dt.timedelta(days=n % 60)
        due = registered + dt.timedelta(days=10)
        out.append(ItemState(f"i{n}", f"2026-{n:04d}", f"事项{n}", "general", False, unit[0], unit[1], registered,
                             due, due, False, registered + dt.timedelta(days=5) if n % 3 else None))
    return out


def _text(count: int) -> tuple[bd.BulletinText, facts.Tally]:
    t = facts.tally(facts.scope(_items(count), dt.date(2026, 7, 1), dt.date(2026, 9, 30)), [], AS_OF, AS_OF.date(),
                    load_calendar(), LightPolicy())
    mentions = facts.suggest_mentions(t, facts.Thresholds())
    data = bd.BulletinText(
        kind="quarterly", title="关于2026年第三季度一般督查事项办理情况的通报", office_name="区委区政府督查室",
        document_no="平督通〔2026〕3号", issue_label="2026年第3期", issued_on=dt.date(2026, 10, 10), as_of=AS_OF,
        opening="现将情况通报如下。", closing="各单位要限时整改。", facts=convert.tally_to_facts(t, 5),
        mentions=[bd.MentionText(m.kind, m.text) for m in mentions],
        requirements=[bd.RequirementText("区教育局", "逾期事项限期办结", "印发之日起10个工作日内")])
    return data, t


def _paragraphs(docx: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(docx)).paragraphs]


def test_numbers_names_and_issue_in_the_text() -> None:
    data, t = _text(12)
    docx = bd.render_bulletin_docx(data)
    text = "\n".join(_paragraphs(docx))
    tot = t.totals
    assert "平督通〔2026〕3号" in text and "（2026年第3期）" in text
    assert f"纳入本期通报的督查事项共{tot.in_scope}件，其中已办结{tot.closed}件，办结率{tot.closed_pct}" in text
    assert f"尚未办结{tot.still_open}件，其中逾期{tot.overdue}件" in text
    assert "区教育局" in text and "1．区教育局：逾期事项限期办结，印发之日起10个工作日内整改到位。" in text
    assert bd.render_bulletin_docx(data) == docx  # the same data, the same bytes


def test_long_lists_are_capped_in_the_body_and_whole_in_the_annex() -> None:
    data, t = _text(60)
    doc = Document(io.BytesIO(bd.render_bulletin_docx(data)))
    text = "\n".join(p.text for p in doc.paragraphs)
    overdue = len(t.overdue)
    assert overdue > 5
    assert f"以下列出前5件，共{overdue}件，全部清单见附件1。" in text and "附件1" in text
    assert any(len(table.rows) == 5 + 1 for table in doc.tables)  # the body's table: header + 5
    annex = [p.text for p in doc.paragraphs[[p.text for p in doc.paragraphs].index("附件1"):]]
    listed = [line.split("　")[0].split("．")[1] for line in annex if "．2026-" in line]
    assert listed == [ln.item.item_no for ln in t.overdue]  # the annex: every overdue item, in order


def test_the_clearance_report() -> None:
    c = facts.clearance(_items(9), 2026, AS_OF, dt.date(2026, 12, 20), load_calendar(), LightPolicy())
    data = bd.BulletinText(kind="clearance", title="关于2026年度督查事项清零情况的报告", office_name="区委区政府督查室",
                           document_no="", issue_label="（报批时编号）", issued_on=None, as_of=AS_OF, opening="",
                           closing="", clearance=convert.clearance_to_proto(c))
    text = "\n".join(_paragraphs(bd.render_clearance_docx(data)))
    assert f"2026年度共立项督查事项{c.total}件" in text and f"已办结{c.closed}件" in text
    assert f"尚未办结{len(c.not_closed)}件" in text and "（送审稿）" in text
