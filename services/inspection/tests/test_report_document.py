"""The 督查报告 and the 督查反馈意见 as DOCX (read back with python-docx), their counts and drafts, the photos
they embed, how long a large plan takes, and how they print."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.table import _Cell
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from libs.common import printing
from services.inspection.report_content import (
    DRAFT_MARK,
    RECTIFICATION_STAGES,
    ReportCounts,
    ReportFinding,
    ReportPhoto,
    ReportUnitPart,
    ReportVerification,
    SupervisionReportData,
    rectification_stage,
    report_counts,
)
from services.inspection.report_document import render_supervision_report_docx, render_unit_feedback_docx
from services.inspection.report_text import draft_analysis, draft_recommendations, unit_recommendations

PRINT_OUT = Path(os.environ.get("DUBAN_PRINT_OUT", "var/test/print"))
ROOT = Path(__file__).resolve().parents[3]


# --- photos made here (a scene of gradients and noise, a numbered mark so each is its own JPEG) -----------

_BASES: dict[tuple[int, int], Image.Image] = {}


def photo_bytes(n: int, width: int = 1600, height: int = 1200, fmt: str = "JPEG", quality: int = 80) -> bytes:
    """A photo-like picture: gradients, 7 % noise (1600 x 1200 at quality 80 is about 200 KB), a mark at a
    place that depends on `n` so no two are the same bytes."""
    if (width, height) not in _BASES:
        grad = Image.linear_gradient("L").resize((width, height))
        scene = Image.merge("RGB", (grad, grad.transpose(Image.Transpose.ROTATE_90).resize((width, height)),
                                    Image.new("L", (width, height), 120)))
        _BASES[width, height] = Image.blend(scene, Image.effect_noise((width, height), 64).convert("RGB"), 0.07)
    img = _BASES[width, height].copy()
    draw = ImageDraw.Draw(img)
    x, y = 40 + n * 37 % max(1, width - 400), 40 + n * 23 % max(1, height - 300)
    draw.rectangle([x, y, x + min(300, width // 3), y + min(240, height // 3)], fill=(200, n * 41 % 256, 40))
    draw.text((x + 10, y + 10), f"No.{n}", fill="white")
    out = io.BytesIO()
    img.save(out, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return out.getvalue()


def photo(n: int, caption: str, width: int = 1600, height: int = 1200) -> ReportPhoto:
    return ReportPhoto(caption, photo_bytes(n, width, height), width, height)


# --- the sample plan ---------------------------------------------------------------------------------------

ITEMS = (("2026-0012", "老旧小区改造项目推进"), ("2026-0015", "农村人居环境整治"), ("2026-0021", "校园安全隐患排查"))


def finding(number: int, text: str, category: str, severity: str, rectification: str, item: int | None = 0,
            photos: tuple[ReportPhoto, ...] = (), place: str = "东城小区") -> ReportFinding:
    no, title = ITEMS[item] if item is not None else ("", "")
    return ReportFinding(number, text, category, severity, no, title, datetime(2026, 12, 2, 10, 20), place,
                         rectification, photos)


ZJJ = ReportUnitPart(
    unit_name="区住建局", visited_on=date(2026, 12, 2), ledger_kept=True, ledger_current=True, ledger_note="",
    verifications=(ReportVerification("2026-0012", "老旧小区改造项目推进", True, False, "外墙保温未完工，报告称已完成"),
                   ReportVerification("2026-0021", "校园安全隐患排查", True, True, "")),
    findings=(
        finding(1, "报送的老旧小区外墙保温工程完工情况与现场不符", "弄虚作假", "重大",
                "限时整改中，整改期限2026年12月15日",
                photos=(photo(1, "图1 区住建局 问题1：外墙保温未施工（2026年12月2日 10:20 拍摄）"),
                        photo(2, "图2 区住建局 问题1：脚手架已拆除（2026年12月2日 10:25 拍摄）"),
                        photo(3, "图3 区住建局 问题1：竖拍的施工公示牌（2026年12月2日 10:31 拍摄）", 1200, 1600))),
        finding(2, "施工现场安全警示标志缺失", "其他", "一般", "当场整改", item=2,
                photos=(photo(4, "图4 区住建局 问题2：整改后的警示标志（2026年12月2日 11:05 拍摄）"),)),
    ),
)
PAZ = ReportUnitPart(
    unit_name="平安镇", visited_on=date(2026, 12, 3), ledger_kept=False, ledger_current=None,
    ledger_note="仅有会议记录，无工作任务台账",
    verifications=(ReportVerification("2026-0015", "农村人居环境整治", False, False, "无过程资料"),),
    findings=(
        finding(3, "村内垃圾清运点长期未清运", "推进迟缓", "一般", "已逾期未整改", item=1),
        finding(4, "未建立人居环境整治工作台账", "台账缺失", "一般", "已整改（2026年12月10日回头看通过）", item=None,
                place=""),
        finding(5, "厕所改造验收资料后补", "敷衍应付", "重大", "回头看未通过，已重新限期至2026年12月22日（第2次）",
                item=1),
    ),
)
JYJ = ReportUnitPart(unit_name="区教育局", visited_on=None, ledger_kept=None, ledger_current=None, ledger_note="",
                     verifications=(), findings=())

DATA = SupervisionReportData(
    kind="special",
    title="关于2026年第四季度重点工作推进情况的专项督查报告",
    report_no="督查报告〔2026〕3号",
    org_name="海东市平安区政府系统",
    office_name="区委区政府督查室",
    plan_title="2026年第四季度重点工作专项督查工作方案",
    period_start=date(2026, 12, 1),
    period_end=date(2026, 12, 5),
    team_leader="王芳",
    team_members=("张伟", "李娜（区财政局抽调）"),
    items=ITEMS,
    units=(ZJJ, PAZ, JYJ),
    analysis="",
    recommendations="",
    issued_on=date(2026, 12, 8),
)
DRAFT = replace(DATA, report_no="", issued_on=None)


def document(content: bytes):
    return Document(io.BytesIO(content))


def texts(content: bytes) -> list[str]:
    """The paragraphs, then every table cell's text (a merged cell once: python-docx lists it per column)."""
    doc = document(content)
    cells = [_Cell(tc, t).text for t in doc.tables for row in t.rows for tc in row._tr.tc_lst]
    return [p.text for p in doc.paragraphs] + cells


def paragraphs(content: bytes) -> list[str]:
    return [p.text for p in document(content).paragraphs]


def full_text(content: bytes) -> str:
    return "\n".join(texts(content))


def media(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {name: zf.read(name) for name in zf.namelist() if name.startswith("word/media/")}


# --- counts ------------------------------------------------------------------------------------------------


def test_counts_of_the_sample_plan() -> None:
    assert report_counts(DATA) == ReportCounts(
        units_total=3, units_visited=2, items_verified=3, process_discrepancies=1, result_discrepancies=2,
        discrepancies=2, findings_total=5, by_severity=(("重大", 2), ("一般", 3)),
        by_category=(("弄虚作假", 1), ("敷衍应付", 1), ("推进迟缓", 1), ("台账缺失", 1), ("其他", 1)),
        rectified=2, rectified_on_the_spot=1, rectifying=1, relapsed=1, overdue=1, unclassified=0,
        ledgers_checked=2, ledgers_not_kept=1, ledgers_not_current=0,
    )


def test_rectification_stage_reads_the_opening_words() -> None:
    assert [rectification_stage(f.rectification) for f in DATA.findings()] == [
        "rectifying", "on_the_spot", "overdue", "verified", "relapsed"]
    assert rectification_stage("  当场整改") == "on_the_spot"
    assert rectification_stage("整改中") == rectification_stage("") == ""


_words = st.sampled_from([w for w, _ in RECTIFICATION_STAGES] + ["", "待定", "已逾期未整改"]).flatmap(
    lambda w: st.text(alphabet="，（）0123456789年月日整改期限第次", max_size=12).map(lambda tail: w + tail))
_findings = st.lists(st.tuples(st.sampled_from(["弄虚作假", "敷衍应付", "推进迟缓", "台账缺失", "其他", "作风不实"]),
                               st.sampled_from(["一般", "重大", "较大"]), _words), max_size=30)


@settings(max_examples=80, deadline=None)
@given(_findings, st.integers(min_value=1, max_value=4))
def test_counts_split_every_finding_once(rows, units) -> None:
    parts = tuple(
        replace(JYJ, unit_name=f"单位{u}", findings=tuple(
            finding(n, "问题", category, severity, words, item=None)
            for n, (category, severity, words) in enumerate(rows, start=1) if n % units == u)) for u in range(units))
    c = report_counts(replace(DATA, units=parts))
    assert c.findings_total == len(rows)
    assert sum(n for _, n in c.by_category) == sum(n for _, n in c.by_severity) == len(rows)
    assert c.rectified + c.rectifying + c.relapsed + c.overdue + c.unclassified == len(rows)
    assert c.rectified_on_the_spot <= c.rectified
    known = [label for label, _ in c.by_category if label in ("弄虚作假", "敷衍应付", "推进迟缓", "台账缺失", "其他")]
    assert known == [k for k in ("弄虚作假", "敷衍应付", "推进迟缓", "台账缺失", "其他") if k in known]


def test_draft_analysis_states_the_facts() -> None:
    text = draft_analysis(DATA)
    for expected in ("此次督查发现问题5个，涉及2个单位，占被督查单位的67%", "其中重大问题2个，占40%，集中在区住建局、平安镇",
                     "问题最多的是平安镇（3个）", "弄虚作假1个（占20%）", "核实事项办理情况3项次",
                     "办理过程与报告不符1项次，办理结果与报告不符2项次", "已整改到位2个，整改率40%（其中当场整改1个）",
                     "逾期未整改1个，涉及平安镇", "检查2个单位的工作任务台账，平安镇未建立台账"):
        assert expected in text, expected
    assert text.count("\n\n") == 4  # five paragraphs
    assert "未发现问题" in draft_analysis(replace(DATA, units=(JYJ,)))
    tie = replace(DATA, units=(replace(ZJJ, findings=ZJJ.findings + PAZ.findings[:1]), PAZ))
    assert "问题最多的是区住建局、平安镇（各3个）" in draft_analysis(tie)


def test_draft_recommendations_per_category_and_per_unit_with_major_findings() -> None:
    paragraphs = draft_recommendations(DATA).split("\n\n")
    assert paragraphs[0] == ("（一）严肃查处弄虚作假问题。区住建局存在弄虚作假问题（问题1），建议依照制度第七条第三款，"
                             "视情节轻重对责任人和责任领导予以批评教育、约谈诫勉或组织处理，并予以通报批评。")
    text = "\n".join(paragraphs)
    assert "平安镇存在推进迟缓问题（问题3）" in text and "平安镇存在敷衍应付问题（问题5）" in text
    assert ("（五）督办重大问题。区住建局发现重大问题1个（问题1），平安镇发现重大问题1个（问题5），建议由分管领导约谈"
            "上述单位主要负责人") in text
    assert "平安镇有问题逾期未整改或回头看未通过（问题3、问题5）" in text
    assert "（七）规范工作任务台账。平安镇存在台账缺失问题（问题4），未按要求建立或及时更新工作任务台账" in text
    assert "区住建局、平安镇报告的办理情况与核实结果不符（“老旧小区改造项目推进”“农村人居环境整治”）" in text
    assert len(paragraphs) == 9 and paragraphs[-1].startswith("（九）抓好反馈整改。")
    assert "区教育局" not in text


# --- the report -----------------------------------------------------------------------------------------------


def test_report_opening_counts_and_table() -> None:
    content = render_supervision_report_docx(DATA)
    lines = texts(content)
    assert lines[0] == "区委区政府督查室" and "督查报告〔2026〕3号" in lines
    assert "关于2026年第四季度重点工作推进情况的\n专项督查报告" in lines  # broken by meaning, not by the width
    assert DRAFT_MARK not in lines
    assert ("根据《2026年第四季度重点工作专项督查工作方案》安排，2026年12月1日至5日，由王芳任组长，张伟、李娜（区财政局抽调）"
            "为成员的督查组，通过实地查看、查阅工作任务台账、核实办理过程和办理结果等方式，对区住建局、平安镇、区教育局"
            "“老旧小区改造项目推进”“农村人居环境整治”“校园安全隐患排查”事项落实情况开展了专项督查。现将督查情况报告如下：") in lines
    text = "\n".join(lines)
    for expected in ("一、基本情况", "二、发现的主要问题", "三、核实情况", "四、分析", "五、意见建议",
                     "实地走访单位2个（区教育局未走访），核实事项办理情况3项次",
                     "共发现问题5个，其中重大问题2个、一般问题3个；按类别分，弄虚作假1个、敷衍应付1个",
                     "已整改到位2个（当场整改1个、回头看通过1个），正在限时整改1个，回头看未通过、重新限期整改1个，逾期未整改1个。"):
        assert expected in text, expected
    table = document(content).tables[0]
    assert [c.text.replace("\n", "") for c in table.rows[0].cells] == [
        "序号", "单位", "走访日期", "核实事项", "发现问题", "重大问题", "已整改", "逾期未改"]
    assert [c.text for c in table.rows[1].cells] == ["1", "区住建局", "12月2日", "2", "2", "1", "1", "0"]
    assert [c.text for c in table.rows[3].cells] == ["3", "区教育局", "未走访", "0", "0", "0", "0", "0"]
    assert [c.text for c in table.rows[4].cells] == ["", "合计", "2个单位", "3", "5", "2", "2", "1"]
    assert paragraphs(content)[-2:] == ["区委区政府督查室", "2026年12月8日"]


def test_findings_grouped_per_unit_with_category_severity_rectification_and_captions() -> None:
    lines = texts(render_supervision_report_docx(DATA))
    start, end = lines.index("二、发现的主要问题"), lines.index("三、核实情况")
    part = lines[start:end]
    assert part[1:3] == ["（一）区住建局", "发现问题2个，其中重大问题1个。"]
    assert "问题1：报送的老旧小区外墙保温工程完工情况与现场不符。" in part
    i = part.index("问题1：报送的老旧小区外墙保温工程完工情况与现场不符。")
    assert part[i + 1:i + 4] == ["问题类别：弄虚作假；问题性质：重大问题。", "涉及事项：2026-0012 老旧小区改造项目推进。",
                                 "发现时间：2026年12月2日 10:20；发现地点：东城小区。"]
    assert "整改情况：限时整改中，整改期限2026年12月15日。" in part
    assert part.index("（二）平安镇") > part.index("问题2：施工现场安全警示标志缺失。")
    i = part.index("问题4：未建立人居环境整治工作台账。")
    assert part[i + 1:i + 4] == ["问题类别：台账缺失；问题性质：一般问题。", "涉及事项：无（未对应具体督查事项）。",
                                 "发现时间：2026年12月2日 10:20。"]
    assert "整改情况：回头看未通过，已重新限期至2026年12月22日（第2次）。" in part
    assert "区教育局未发现问题。" in part
    text = full_text(render_supervision_report_docx(DATA))
    for p in (*ZJJ.findings[0].photos, *ZJJ.findings[1].photos):
        assert text.count(p.caption) == 1


def test_verifications_and_ledgers_per_unit() -> None:
    content = render_supervision_report_docx(DATA)
    lines = texts(content)
    part = lines[lines.index("三、核实情况"):lines.index("四、分析")]
    assert part[1:4] == ["（一）区住建局", "台账检查：已建立工作任务台账，更新及时。", "核实情况：核实事项2项，其中与报告不符1项。"]
    assert "台账检查：未建立工作任务台账（仅有会议记录，无工作任务台账）。" in part
    assert part[-2:] == ["台账检查：未检查工作任务台账。", "核实情况：未核实具体事项。"]
    table = next(t for t in document(content).tables if t.rows[0].cells[1].text == "督查事项")
    assert [c.text for c in table.rows[1].cells] == ["1", "2026-0012 老旧小区改造项目推进", "属实", "与报告不符",
                                                     "外墙保温未完工，报告称已完成"]


def test_draft_is_marked_and_has_no_number_or_date() -> None:
    lines = [line.replace("\n", "") for line in paragraphs(render_supervision_report_docx(DRAFT))]
    assert lines[:3] == ["区委区政府督查室", DRAFT.title, DRAFT_MARK]
    assert "督查报告〔2026〕3号" not in lines
    assert lines[-1] == "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"
    assert document(render_supervision_report_docx(DRAFT)).core_properties.title == DRAFT.title + DRAFT_MARK


def test_a_short_numbered_opening_is_the_paragraphs_heading() -> None:
    data = replace(DATA, analysis="（一）总体向好。各单位高度重视。\n（二）各单位高度重视，认真落实。")
    doc = document(render_supervision_report_docx(data))
    first, second = (next(p for p in doc.paragraphs if p.text.startswith(start)) for start in ("（一）总体", "（二）各单位"))
    faces = [[r._element.xpath("string(w:rPr/w:rFonts/@w:eastAsia)") for r in p.runs] for p in (first, second)]
    assert [r.text for r in first.runs] == ["（一）总体向好。", "各单位高度重视。"]
    assert faces == [["楷体_GB2312", "仿宋_GB2312"], ["仿宋_GB2312"]]


def test_office_text_replaces_the_drafts() -> None:
    data = replace(DATA, analysis="（一）总体向好。各单位高度重视。\n\n问题主要集中在基层。",
                   recommendations="（一）压实责任。请平安镇加快整改。\n区住建局如实报告。\n\n各单位举一反三。")
    lines = texts(render_supervision_report_docx(data))
    part = lines[lines.index("四、分析"):]
    assert part[1:3] == ["（一）总体向好。各单位高度重视。", "问题主要集中在基层。"]
    assert part[4:7] == ["（一）压实责任。请平安镇加快整改。", "区住建局如实报告。", "各单位举一反三。"]
    assert draft_analysis(DATA).split("\n\n")[0] not in lines


def test_photos_are_embedded_as_print_copies() -> None:
    content = render_supervision_report_docx(DATA)
    images = media(content)
    assert len(images) == 4  # every photo once (the template's thumbnail is in docProps, not word/media)
    sizes = sorted(Image.open(io.BytesIO(data)).size for data in images.values())
    assert sizes == [(450, 600), (800, 600), (800, 600), (800, 600)]  # 1600 x 1200 and 1200 x 1600 halved
    assert sum(map(len, images.values())) < sum(len(p.jpeg) for p in (*ZJJ.findings[0].photos, *ZJJ.findings[1].photos))
    doc = document(content)
    assert len(doc.inline_shapes) == 4
    assert all(shape.width <= 74 * 36000 + 1 and shape.height <= 55.5 * 36000 + 1 for shape in doc.inline_shapes)


def test_small_photo_kept_as_is_and_damaged_one_named() -> None:
    small = ReportPhoto("图9 小图", photo_bytes(9, 640, 480), 640, 480)
    broken = ReportPhoto("图10 损坏的照片", b"\xff\xd8 not a jpeg", 1600, 1200)
    unit = replace(ZJJ, findings=(replace(ZJJ.findings[1], photos=(small, broken)),))
    content = render_supervision_report_docx(replace(DATA, units=(unit,)))
    assert list(media(content).values()) == [small.jpeg]
    assert "图10 损坏的照片（照片文件无法读取）" in texts(content)


def test_comprehensive_kind_and_no_other() -> None:
    assert "落实情况开展了综合督查。" in full_text(render_supervision_report_docx(replace(DATA, kind="comprehensive")))
    with pytest.raises(ValueError, match="kind"):
        replace(DATA, kind="annual")


def test_same_data_same_bytes() -> None:
    assert render_supervision_report_docx(DATA) == render_supervision_report_docx(DATA)


# --- the feedback ----------------------------------------------------------------------------------------------


def test_feedback_holds_only_its_unit() -> None:
    content = render_unit_feedback_docx(DATA, "平安镇", date(2026, 12, 20))
    text = full_text(content)
    lines = texts(content)
    assert lines[:3] == ["区委区政府督查室", "督查反馈意见", "平安镇："]
    assert ("根据《2026年第四季度重点工作专项督查工作方案》安排，督查组于2026年12月3日对你单位“农村人居环境整治”事项落实情况"
            "进行了实地督查。") in text
    for f in PAZ.findings:
        assert f"问题{f.number}：{f.text}。" in lines
    for f in ZJJ.findings:
        assert f.text not in text and all(p.caption not in text for p in f.photos)
    assert "区住建局" not in text and "区教育局" not in text
    assert "此次督查发现你单位问题3个，其中重大问题1个。" in lines
    assert "台账检查：未建立工作任务台账（仅有会议记录，无工作任务台账）。" in lines
    assert "你单位存在推进迟缓问题（问题3）" in text and "建议由分管领导约谈你单位主要负责人" in text
    assert "请于2026年12月20日前将整改落实情况以书面形式报送区委区政府督查室。" in text
    assert paragraphs(content)[-2:] == ["区委区政府督查室", "2026年12月8日"]
    assert media(content) == {}


def test_feedback_with_photos_and_without_findings() -> None:
    content = render_unit_feedback_docx(DATA, "区住建局", date(2026, 12, 20))
    assert len(media(content)) == 4 and "平安镇" not in full_text(content)
    unvisited = texts(render_unit_feedback_docx(DATA, "区教育局", date(2026, 12, 20)))
    assert "此次督查未发现你单位存在问题。" in unvisited
    assert ("督查组于2026年12月1日至5日对你单位“老旧小区改造项目推进”“农村人居环境整治”“校园安全隐患排查”事项落实情况"
            "进行了督查。") in "\n".join(unvisited)  # not visited: no 实地督查, the plan's period and items
    with pytest.raises(ValueError, match="no unit"):
        render_unit_feedback_docx(DATA, "区民政局", date(2026, 12, 20))


def test_feedback_takes_the_offices_paragraphs_for_its_unit_or_for_all() -> None:
    data = replace(DATA, recommendations="请平安镇加快整改。\n\n区住建局如实报告。\n\n平安镇、区住建局互相借鉴。\n\n各单位举一反三。")
    assert unit_recommendations(data, "平安镇") == ["请平安镇加快整改。", "各单位举一反三。"]
    assert unit_recommendations(data, "区住建局") == ["区住建局如实报告。", "各单位举一反三。"]
    nested = replace(data, units=(replace(ZJJ, unit_name="住建局"), replace(PAZ, unit_name="平安区住建局")),
                     recommendations="平安区住建局加快整改。\n住建局如实报告。")
    assert unit_recommendations(nested, "平安区住建局") == ["平安区住建局加快整改。"]


# --- a large plan, in a process of its own ---------------------------------------------------------------------

# The peak memory is the process's own address space (VmHWM): ru_maxrss of a child keeps the peak of the
# pytest process it was forked from (Linux folds the old address space's peak into it at exec). The time is
# the wall clock and the CPU time: on a machine shared with other test runs the wall clock says more about
# them, the CPU time is what the render costs.
LARGE_SCRIPT = """
import json, pickle, resource, sys, time
from services.inspection.report_document import render_supervision_report_docx
data = pickle.load(open(sys.argv[1], "rb"))
cpu, started = time.process_time(), time.perf_counter()
content = render_supervision_report_docx(data)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak / 1024),
                  "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "docx_mb": round(len(content) / 2**20, 1)}))
"""


def large_plan(findings: int = 500, photos: int = 200, units: int = 20) -> SupervisionReportData:
    made = [photo(n, f"图{n} 某某街道 问题{n}：现场照片（2026年12月3日 10:20 拍摄）") for n in range(1, photos + 1)]
    rows = [finding(n, f"第{n}个问题：工作推进不到位，现场与报告不一致，群众反映强烈", ("弄虚作假", "推进迟缓", "其他")[n % 3],
                    ("一般", "重大")[n % 7 == 0], ("当场整改", "限时整改中，整改期限2026年12月15日", "已逾期未整改")[n % 3],
                    item=n % 3, photos=tuple(made[n - 1:n]) if n <= photos else ()) for n in range(1, findings + 1)]
    parts = tuple(replace(ZJJ, unit_name=f"第{u + 1}单位", findings=tuple(rows[u::units])) for u in range(units))
    return replace(DATA, units=parts)


@pytest.mark.slow
def test_large_plan_renders_in_time_and_memory(tmp_path: Path) -> None:
    import pickle

    data = large_plan()
    assert sum(len(p.jpeg) for f in data.findings() for p in f.photos) / 200 > 190_000  # about 200 KB each
    (tmp_path / "plan.pickle").write_bytes(pickle.dumps(data))
    run = subprocess.run([sys.executable, "-c", LARGE_SCRIPT, str(tmp_path / "plan.pickle")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    measured = json.loads(run.stdout)
    print(f"500 findings, 200 photos: {measured}")
    # The target (< 10 s) is measured by `make bench` (I2) on a quiet machine; here, beside the rest
    # of the suite on two shared cores (10.45 s of CPU was seen under load for 6.4 s quiet), the suite
    # guards against a blow-up - twice the target - and holds the memory bound as it is.
    assert measured["cpu_seconds"] < 20 and measured["peak_rss_mb"] < 500


# --- printed -------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not printing.available(), reason="make print-tools installs LibreOffice and poppler-utils")
def test_report_and_feedback_print_on_a4() -> None:
    for name, content, expected in (
        ("supervision_report", render_supervision_report_docx(DATA), ("区委区政府督查室", "督查报告〔2026〕3号")),
        ("supervision_report_draft", render_supervision_report_docx(DRAFT), ("区委区政府督查室", "送审稿")),
        ("unit_feedback", render_unit_feedback_docx(DATA, "区住建局", date(2026, 12, 20)), ("督查反馈意见", "区住建局：")),
    ):
        pdf = printing.to_pdf(content, ".docx")
        pages = printing.pages(pdf)
        assert all(page.is_a4(landscape=False) for page in pages), name
        assert all(text in pages[0].text.replace(" ", "") for text in expected), (name, pages[0].text[:300])
        for page in pages:
            assert f"—{page.number}—" in page.text.replace(" ", ""), (name, page.number)
        assert printing.to_png(pdf, PRINT_OUT, name)
