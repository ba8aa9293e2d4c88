"""The 督办通知 and 办结报告单 as DOCX (opened with python-docx), and the dossier ZIP with its checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import replace
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common import official_docx
from services.tracking.documents import (
    SIGNATURE_LABEL,
    CompletionReportData,
    NoticeData,
    chinese_date,
    render_completion_report_docx,
    render_notice_docx,
)
from services.tracking.dossier import CHECKSUMS, MANIFEST, DossierEntry, build_dossier_zip, verify_dossier

NOTICE = NoticeData(
    item_no="2026-0012",
    title="老旧小区改造项目推进",
    content="完成平安镇三个老旧小区的管网改造和外墙保温工程。",
    source_label="区委、区政府重要会议、重要文件安排事项",
    category_label="复杂事项",
    key_tracking=True,
    lead_unit=("区住建局", "牵头组织实施，统筹资金和进度"),
    co_units=(("区财政局", "保障改造资金"), ("平安镇政府", "做好群众工作")),
    registered_on=dt.date(2026, 11, 20),
    issued_on=dt.date(2026, 11, 23),
    due_date=dt.date(2026, 12, 7),
    requirements=("明确专人负责，细化工作方案。", "按时报送进展，确保按期完成。"),
    contact_name="王芳",
    contact_phone="0972-8612345",
    org_name="海东市平安区政府系统",
    notice_no="平督通〔2026〕12号",
    report_cadence_label="每周五前报送进展情况",
)

REPORT = CompletionReportData(
    item_no="2026-0012",
    title="老旧小区改造项目推进",
    leader_name="李明",
    registered_on=dt.date(2026, 11, 20),
    completed_within_time=True,
    report_kind="special",
    unit_name="区委区政府督查室",
    filled_on=dt.date(2026, 12, 8),
    result_summary="三个小区管网改造和外墙保温已完工并通过验收。",
)
SIGNED = replace(REPORT, leader_opinion="同意销号。", signed_by="李明", signed_at=dt.datetime(2026, 12, 9, 10, 30))
EXTENDED = replace(
    REPORT,
    report_kind="comprehensive",
    extensions=(("冬季施工受限", dt.date(2026, 12, 7), dt.date(2026, 12, 21), "李明"),),
)


def texts(docx_bytes: bytes) -> list[str]:
    doc = Document(io.BytesIO(docx_bytes))
    lines = [p.text for p in doc.paragraphs]
    lines += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return lines


def full_text(docx_bytes: bytes) -> str:
    return "\n".join(texts(docx_bytes))


def test_chinese_date_has_no_zero_padding() -> None:
    assert chinese_date(dt.date(2026, 12, 7)) == "2026年12月7日"
    assert chinese_date(dt.date(2027, 1, 15)) == "2027年1月15日"


def test_notice_carries_number_title_units_deadline_requirements_and_contact() -> None:
    lines = texts(render_notice_docx(NOTICE))
    text = "\n".join(lines)
    assert lines[0] == "区委区政府督查室"
    assert "平督通〔2026〕12号" in lines
    assert "督办通知" in lines
    assert "区住建局、区财政局、平安镇政府：" in lines
    assert "主办单位：区住建局（牵头组织实施，统筹资金和进度）" in lines
    assert "协办单位：区财政局（保障改造资金）" in lines
    assert "协办单位：平安镇政府（做好群众工作）" in lines
    assert "请于2026年12月7日前办结，并以书面形式报送办理结果。" in lines
    for expected in (
        "立项编号：2026-0012",
        "事项名称：老旧小区改造项目推进",
        f"事项内容：{NOTICE.content}",
        f"事项来源：{NOTICE.source_label}",
        "事项类别：复杂事项（重点跟踪事项",
        "立项时间：2026年11月20日",
        "1．明确专人负责，细化工作方案。",
        "2．按时报送进展，确保按期完成。",
        "每周五前报送进展情况。",
        "申请转期",
        "联系人：王芳",
        "联系电话：0972-8612345",
        "《海东市平安区政府系统“710”工作定期督查通报制度（试行）》",
    ):
        assert expected in text
    assert lines[-2:] == ["区委区政府督查室", "2026年11月23日"]


def test_notice_without_co_units_or_key_tracking() -> None:
    text = full_text(render_notice_docx(replace(NOTICE, co_units=(), key_tracking=False, category_label="一般事项")))
    assert "协办单位" not in text
    assert "区住建局：" in text
    assert "事项类别：一般事项\n" in text


def test_notice_is_a4_with_east_asian_fonts_and_deterministic() -> None:
    content = render_notice_docx(NOTICE)
    doc = Document(io.BytesIO(content))
    section = doc.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    properties = [r._element.rPr for p in doc.paragraphs for r in p.runs]
    assert all(rpr is not None and rpr.rFonts is not None for rpr in properties)
    fonts = {rpr.rFonts.get(qn("w:eastAsia")) for rpr in properties if rpr is not None and rpr.rFonts is not None}
    assert {official_docx.BODY_FONT, official_docx.TITLE_FONT, official_docx.HEADING_FONT} <= fonts
    assert doc.core_properties.title == "督办通知 平督通〔2026〕12号"
    assert render_notice_docx(NOTICE) == content


def test_completion_report_uses_the_seed_sentence() -> None:
    lines = texts(render_completion_report_docx(REPORT))
    assert lines[:2] == ["区委区政府督查室", "督查事项办结报告单"]  # 版头 (the office's mark), then the title
    assert "李明同志：" in lines
    assert (
        "老旧小区改造项目推进（2026-0012）事项于2026年11月20日立项督办。经督促检查，该事项已在规定时限内办结，"
        "并形成专项督查报告。请签审认可，予以销号。"
    ) in lines
    assert "区委区政府督查室" in lines and "2026年12月8日" in lines
    assert "办理结果：三个小区管网改造和外墙保温已完工并通过验收。" in lines
    assert "转期记录：无" in lines


def test_unsigned_report_leaves_blank_space_to_sign() -> None:
    lines = texts(render_completion_report_docx(REPORT))
    opinion = lines.index("领导审核意见：" + "\u3000" * 18)
    assert lines[opinion + 1 : opinion + 4] == ["\u3000" * 25] * 3
    signature = next(line for line in lines if line.startswith(SIGNATURE_LABEL))
    assert signature.startswith(SIGNATURE_LABEL + "\u3000" * 6)
    assert "年\u3000\u3000月\u3000\u3000日" in signature


def test_signed_report_shows_opinion_signer_and_time() -> None:
    lines = texts(render_completion_report_docx(SIGNED))
    assert "领导审核意见：同意销号。" in lines
    assert f"{SIGNATURE_LABEL}李明\u3000\u30002026年12月9日 10:30" in lines
    assert SIGNATURE_LABEL == "签　　　　名："


def test_extended_report_says_so_and_lists_the_extensions() -> None:
    content = render_completion_report_docx(EXTENDED)
    text = full_text(content)
    assert "该事项已办结（经批准转期），并形成综合督查报告。" in text
    assert "在规定时限内" not in text
    table = Document(io.BytesIO(content)).tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "转期理由", "原完成时限", "转期后时限", "批准人"]
    assert [c.text for c in table.rows[1].cells] == ["1", "冬季施工受限", "2026年12月7日", "2026年12月21日", "李明"]


def test_late_report_does_not_claim_it_was_on_time() -> None:
    text = full_text(render_completion_report_docx(replace(EXTENDED, completed_within_time=False)))
    assert "该事项已办结（超出规定时限）" in text


@pytest.mark.parametrize(
    "changes", [{"report_kind": "annual"}, {"signed_by": "李明"}, {"signed_at": dt.datetime(2026, 12, 9, 10, 30)}]
)
def test_completion_report_refuses_inconsistent_data(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        replace(REPORT, **changes)


# --- dossier ---------------------------------------------------------------------------------------------

CREATED = dt.datetime(2026, 12, 10, 9, 15, 42)


def entries() -> list[DossierEntry]:
    return [
        DossierEntry(
            "02_办结/督查事项办结报告单.docx", render_completion_report_docx(SIGNED), "办结报告单", "completion_report"
        ),
        DossierEntry("01_交办/督办通知.docx", render_notice_docx(NOTICE), "督办通知", "notice"),
        DossierEntry("03_材料/现场照片.jpg", b"\xff\xd8 not really a jpeg", "现场照片", "attachment"),
    ]


def build(items: list[DossierEntry] | None = None) -> bytes:
    return build_dossier_zip(
        "2026-0012", "老旧小区改造项目推进", entries() if items is None else items, CREATED, "王芳"
    )


def test_dossier_has_manifest_and_checksums_matching_the_contents() -> None:
    with zipfile.ZipFile(io.BytesIO(build())) as zf:
        names = zf.namelist()
        assert names == [
            "01_交办/督办通知.docx",
            "02_办结/督查事项办结报告单.docx",
            "03_材料/现场照片.jpg",
            MANIFEST,
            CHECKSUMS,
        ]
        # Bit 11 (UTF-8 names) on every non-ASCII name; ASCII names read the same either way.
        assert all(info.flag_bits & 0x800 for info in zf.infolist() if not info.filename.isascii())
        assert {info.date_time for info in zf.infolist()} == {(2026, 12, 10, 9, 15, 42)}
        assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_DEFLATED}
        manifest = json.loads(zf.read(MANIFEST))
        digests = {name: hashlib.sha256(zf.read(name)).hexdigest() for name in names[:3]}
        sums = zf.read(CHECKSUMS).decode()
    assert (manifest["item_no"], manifest["title"], manifest["archived_by"]) == (
        "2026-0012",
        "老旧小区改造项目推进",
        "王芳",
    )
    assert manifest["created_at"] == "2026-12-10T09:15:42"
    assert [(f["path"], f["sha256"]) for f in manifest["files"]] == list(digests.items())
    assert manifest["files"][0]["title"] == "督办通知" and manifest["files"][0]["kind"] == "notice"
    assert manifest["files"][2]["size"] == len(b"\xff\xd8 not really a jpeg")
    assert sums == "".join(f"{digest}  {path}\n" for path, digest in digests.items())


def test_dossier_is_byte_identical_when_built_twice() -> None:
    first = build()
    assert build(list(reversed(entries()))) == first
    assert verify_dossier(first) == []


def rewrite(zip_bytes: bytes, changes: dict[str, bytes | None]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename not in changes:
                dst.writestr(info, src.read(info))
        for name, data in changes.items():
            if data is not None:
                dst.writestr(name, data)
    return out.getvalue()


def test_verify_finds_tampered_missing_and_extra_files() -> None:
    original = build()
    assert verify_dossier(rewrite(original, {"03_材料/现场照片.jpg": b"another photo"})) == [
        "size mismatch: 03_材料/现场照片.jpg is 13 bytes, manifest.json says 20",
        "checksum mismatch: 03_材料/现场照片.jpg (manifest.json)",
        "checksum mismatch: 03_材料/现场照片.jpg (SHA256SUMS)",
    ]
    assert verify_dossier(rewrite(original, {"01_交办/督办通知.docx": None})) == ["missing file: 01_交办/督办通知.docx"]
    assert verify_dossier(rewrite(original, {"extra.txt": b"x"})) == [
        "file not in manifest.json: extra.txt",
        "file not in SHA256SUMS: extra.txt",
    ]
    assert verify_dossier(rewrite(original, {MANIFEST: None})) == ["manifest.json is missing or incomplete"]
    assert verify_dossier(b"not a zip")[0].startswith("not a ZIP archive")


def test_verify_finds_a_corrupted_member() -> None:
    original = build()
    with zipfile.ZipFile(io.BytesIO(original)) as zf:
        info = zf.getinfo("03_材料/现场照片.jpg")
    # Local header: 30 fixed bytes, then the name and the extra field; the compressed data follows.
    name_len, extra_len = (
        int.from_bytes(original[info.header_offset + 26 : info.header_offset + 28], "little"),
        int.from_bytes(original[info.header_offset + 28 : info.header_offset + 30], "little"),
    )
    data_at = info.header_offset + 30 + name_len + extra_len
    corrupted = bytearray(original)
    corrupted[data_at + info.compress_size // 2] ^= 0x55
    problems = verify_dossier(bytes(corrupted))
    assert problems[0].startswith("unreadable member 03_材料/现场照片.jpg")
    assert "missing file: 03_材料/现场照片.jpg" in problems


@pytest.mark.parametrize(
    "path",
    [
        "../etc/passwd",
        "a/../../b",
        "/abs/file.docx",
        "C:/x.docx",
        "a//b",
        "./a",
        "a\\b",
        "",
        "dir/",
        MANIFEST,
        CHECKSUMS,
        "a\nb",
    ],
)
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError) as err:
        build([DossierEntry(path, b"x", "t", "attachment")])
    assert repr(path) in str(err.value) or path == ""


def test_duplicate_and_file_folder_clash_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate path: '01_交办/督办通知.docx'"):
        build([*entries(), DossierEntry("01_交办/督办通知.docx", b"again", "t", "notice")])
    with pytest.raises(ValueError, match="both a file and a folder: '01_交办'"):
        build([*entries(), DossierEntry("01_交办", b"x", "t", "notice")])


_folder = st.text(st.sampled_from("交办结材料照片abcXYZ019_- "), min_size=1, max_size=6).filter(
    lambda s: s.strip() == s
)
_file = st.builds("{}.{}".format, _folder, st.sampled_from(["docx", "pdf", "jpg", "txt"]))
_path = st.builds(lambda folders, name: "/".join([*folders, name]), st.lists(_folder, max_size=3), _file)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_path, st.binary(max_size=200), min_size=0, max_size=8))
def test_any_unique_safe_paths_round_trip(files: dict[str, bytes]) -> None:
    items = [DossierEntry(path, data, path, "attachment") for path, data in files.items()]
    content = build(items)
    assert verify_dossier(content) == []
    assert build(list(reversed(items))) == content
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert {name: zf.read(name) for name in zf.namelist()[:-2]} == files
