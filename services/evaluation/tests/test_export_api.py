"""ExportScores through the real parts: the year's workbook streamed in chunks, named for its scope, holding
only the subjects the reader may see; a unit asking for another unit's workbook is refused."""

from __future__ import annotations

import io
import uuid

import grpc
import pytest
from openpyxl import load_workbook

from duban.common.v1 import common_pb2
from duban.evaluation.v1 import evaluation_pb2 as pb
from libs.common.testing import code_of
from services.evaluation.tests.conftest import ASSESS, FGJ, PERSON, Stack


@pytest.fixture(scope="module")
def late_item(ev: Stack) -> str:
    """One item of 发改局 (co unit 教育局) closed three working days late."""
    base = ev.archived()
    item = str(uuid.uuid4())
    ev.up.registered(item, "2026-0101", "2026-06-10")
    ev.up.closed(item, "2026-06-15")
    ev.settle(base + 2)
    return item


def export(ev: Stack, actor: common_pb2.Actor, **fields: str) -> tuple[common_pb2.FileChunk, str]:
    """(the first chunk, every cell's text of the workbook, one line per row)."""
    chunks = list(ev.stub.ExportScores(pb.ExportScoresRequest(year=2026, actor=actor, **fields), timeout=30))
    data = b"".join(c.data for c in chunks)
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = ["\t".join("" if v is None else str(v) for v in row) for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)]
    return chunks[0], "\n".join(rows)


def test_the_assessment_office_exports_every_subject_with_reasons(ev: Stack, late_item: str) -> None:
    first, text = export(ev, ASSESS)
    assert first.filename == "2026年度考核得分（全区）.xlsx"
    assert first.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "区发改局" in text and "区教育局" in text and "张伟" in text and "李明" in text
    assert "2026-0101 超期3个工作日（原完成时限2026-06-10，无批准转期）" in text


def test_a_unit_exports_its_own_and_its_peoples_scores_only(ev: Stack, late_item: str) -> None:
    first, text = export(ev, FGJ, unit_id="fgj")
    assert first.filename == "2026年度考核得分（区发改局）.xlsx"
    assert "区发改局" in text and "2026-0101" in text
    assert "区教育局" not in text
    _, mine = export(ev, PERSON, person_id="p-zhang")
    assert "张伟" in mine and "区教育局" not in mine
    assert code_of(lambda: list(ev.stub.ExportScores(pb.ExportScoresRequest(year=2026, unit_id="jyj", actor=FGJ),
                                                     timeout=30))) == grpc.StatusCode.PERMISSION_DENIED
