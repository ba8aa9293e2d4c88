"""Imports as jobs, against the real server and database (SQLite and PostgreSQL): the upload answers at
once and the ledger's worker runs the import; validation writes nothing; the bounds (inflated size, a
lying archive, rows) are held before parsing; a job whose process stopped is resumed where it stood, or
failed with its reason, and never writes a row twice."""

from __future__ import annotations

import datetime as dt
import io
import struct
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import grpc
import pytest
from openpyxl import Workbook
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from duban.ledger.v1 import ledger_pb2
from libs.common.db import make_engine
from libs.common.errors import InvalidInput
from libs.common.grpc_errors import from_rpc_error
from libs.common.testing import postgres_database
from services.ledger import import_queue, importing, xlsx_import
from services.ledger.orm import ImportJob, Item
from services.ledger.tests.conftest import LedgerUnderTest, started_ledger

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# Small bounds, so a file past them is small too; a short lease, so a takeover is quick.
BOUNDED = {"DUBAN_IMPORT_MAX_INFLATED_BYTES": str(1024 * 1024), "DUBAN_IMPORT_MAX_ROWS": "40",
           "DUBAN_IMPORT_LEASE_SECONDS": "1", "DUBAN_IMPORT_CHUNK_ROWS": "5"}


def sheet(titles: list[str], bad: int = 0) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["督查事项台账"])
    ws.append(["序号", "事项名称", "事项来源", "事项类别", "牵头单位", "立项时间"])
    for n, title in enumerate(titles, start=1):
        ws.append([n, title, "其他重要事项", "一般事项", "区发展和改革局", "2026-11-20"])
    for n in range(bad):
        ws.append([len(titles) + n + 1, f"坏行{n}", "其他重要事项", "一般事项", "火星局", "2026-11-20"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def titles(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{uuid.uuid4().hex[:6]}-{i}" for i in range(n)]


def items_titled(ledger: LedgerUnderTest, prefix: str) -> int:
    with ledger.app.uow.read() as tx:
        return tx.session.scalar(select(func.count()).select_from(Item).where(Item.title.like(f"{prefix}%"))) or 0


def outbox_rows(ledger: LedgerUnderTest) -> int:
    from libs.common.outbox import outbox

    with ledger.app.uow.read() as tx:
        return tx.session.scalar(select(func.count()).select_from(outbox)) or 0


@pytest.fixture(scope="module", params=KINDS)
def bounded(request, broker, tmp_path_factory) -> Iterator[LedgerUnderTest]:
    with ExitStack() as stack:
        url = (f"sqlite:///{tmp_path_factory.mktemp('bounded')}/ledger.db" if request.param == "sqlite"
               else stack.enter_context(postgres_database("duban_import")))
        yield stack.enter_context(started_ledger(request.param, url, broker, settings=BOUNDED))


class Gate:
    """Holds one worker before it writes its next chunk (the rest of the job waits behind it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, worker: str | None = None, after_chunks: int = 0) -> None:
        self.reached, self.opened, self.passed = threading.Event(), threading.Event(), threading.Event()
        self.outcome: BaseException | None = None
        real, calls = importing.write_chunk, [0]

        def gated(run, *args, **kwargs):  # the signature of write_chunk
            if worker is None or run.worker == worker:
                calls[0] += 1
                if calls[0] > after_chunks and not self.passed.is_set():
                    self.reached.set()
                    while not (self.opened.wait(0.02) or run.stopping()):
                        pass
                    try:
                        return real(run, *args, **kwargs)
                    except BaseException as exc:
                        self.outcome = exc
                        raise
                    finally:
                        self.passed.set()
            return real(run, *args, **kwargs)

        monkeypatch.setattr(importing, "write_chunk", gated)


def worker_name(ledger: LedgerUnderTest) -> str:
    run: Any = dict(ledger.app.loops)["import-worker"]  # the bound ImportWorker.run
    return str(run.__self__.name)


def test_the_upload_answers_at_once_and_the_ledger_runs_the_import(ledger: LedgerUnderTest, monkeypatch) -> None:
    """The import no longer runs in the call: with the writing held, the call has long answered (queued),
    the status shows the job writing with nothing committed yet, and it completes once let go."""
    gate = Gate(monkeypatch)
    names = titles("排队", 3)
    started = time.monotonic()
    job = ledger.start_import(sheet(names))
    assert time.monotonic() - started < 5 and job.state == "queued" and job.id
    assert gate.reached.wait(30)
    running = ledger.job(job.id)
    assert (running.state, running.phase, running.done, running.phase_total, running.created) == (
        "running", "writing", 0, 3, 0)
    assert items_titled(ledger, "排队") == 0
    gate.opened.set()
    done = ledger.wait_for_job(job.id)
    assert (done.state, done.outcome, done.rows, done.created, done.committed) == ("finished", "imported", 3, 3, True)
    assert len(done.item_nos) == 3 and done.finished_at.seconds and done.expires_at.seconds > done.finished_at.seconds
    listed = ledger.stub.ListImportJobs(ledger_pb2.ListImportJobsRequest(page_size=5), timeout=10).jobs
    assert listed[0].id == job.id and listed[0].started_by == "督查室王芳" and not listed[0].errors


def test_validate_reports_every_row_and_writes_nothing(ledger: LedgerUnderTest) -> None:
    names = titles("仅检查", 2)
    outbox_before = outbox_rows(ledger)
    job = ledger.import_file(sheet(names, bad=2), mode="validate")
    assert (job.state, job.outcome, job.rows, job.passed, job.error_rows, job.created) == (
        "finished", "validated", 4, 2, 2, 0)
    assert not job.committed and job.item_nos == []
    assert {e.row for e in job.errors} == {5, 6} and all("火星局" in e.message for e in job.errors)
    assert items_titled(ledger, "仅检查") == 0 and outbox_rows(ledger) == outbox_before
    # The same file imported afterwards is not a duplicate of the check.
    assert ledger.import_file(sheet(names), mode="good_rows").created == 2


def test_a_zip_bomb_is_refused_before_parsing(bounded: LedgerUnderTest) -> None:
    """A 1.2 MB XLSX whose shared strings inflate to 348 MB, in small: 8 MiB of shared strings in a
    file of a few KB, against a 1 MiB bound - refused at upload, from the archive's own declaration."""
    bomb = with_member(sheet(["炸弹"]), "xl/sharedStrings.xml", shared_strings(8 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    with pytest.raises(grpc.RpcError) as refused:
        bounded.start_import(bomb)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "解压后为 8 MB，超过 1 MB 的上限" in field_errors(refused.value)["file"]


def test_a_zip_bomb_that_lies_about_its_size_is_stopped(bounded: LedgerUnderTest) -> None:
    """The archive declares 200 bytes for 8 MiB: inflating stops at the declaration and the job fails
    as a damaged file - no more than the declared bytes are inflated, nothing is written."""
    liar = lying(with_member(sheet(["说谎"]), "xl/sharedStrings.xml", shared_strings(8 * 1024 * 1024)),
                 "xl/sharedStrings.xml", 200)
    with zipfile.ZipFile(io.BytesIO(liar)) as archive:
        assert sum(i.file_size for i in archive.infolist()) < 1024 * 1024  # it passes the declared bound
    job = bounded.import_file(liar)
    assert job.state == "failed" and "压缩内容与其声明不符" in job.failure and not job.committed
    assert items_titled(bounded, "说谎") == 0


def test_inflating_stops_at_the_bound_whatever_the_archive_declares() -> None:
    content = with_member(sheet(["界"]), "xl/sharedStrings.xml", shared_strings(3 * 1024 * 1024))
    assert xlsx_import.inflate_within(content, 4 * 1024 * 1024) > 3 * 1024 * 1024
    with pytest.raises(InvalidInput) as refused:
        xlsx_import.inflate_within(content, 2 * 1024 * 1024)
    assert "超过 2 MB 的上限" in refused.value.field_errors["file"]


def test_the_row_bound(bounded: LedgerUnderTest) -> None:
    """Declared rows over the bound: refused at upload. Rows that the sheet does not declare (within
    its header allowance): reading stops at the first row past the bound and the job fails."""
    with pytest.raises(grpc.RpcError) as refused:
        bounded.start_import(sheet(titles("太多", 60)))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "超过每次导入 40 行的上限" in field_errors(refused.value)["file"]
    job = bounded.import_file(sheet(titles("稍多", 41)))
    assert job.state == "failed" and "超过每次导入 40 行的上限" in job.failure and job.created == 0
    assert items_titled(bounded, "稍多") == 0
    assert bounded.import_file(sheet(titles("正好", 40))).created == 40


@pytest.mark.slow  # two ledgers in turn, and a lease to run out: 4-7 s
@pytest.mark.parametrize("kind", KINDS)
def test_a_stopped_ledger_hands_the_job_back_and_the_next_one_finishes_it(
    kind: str, broker, tmp_path: Path, monkeypatch
) -> None:
    """Shut down mid-write (SIGTERM's path): the job stays running with its committed chunks; the next
    ledger resumes after them - every row once, numbers without gaps."""
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path}/ledger.db" if kind == "sqlite" else stack.enter_context(
            postgres_database("duban_import_stop"))
        names = titles("续导", 23)
        with started_ledger(kind, url, broker, settings=BOUNDED) as first:
            Gate(monkeypatch, worker=worker_name(first), after_chunks=2)
            job = first.start_import(sheet(names))
            first.wait_for_job(job.id, lambda j: j.phase == "writing" and j.done == 10)
        # The first ledger is stopped: it wrote the chunk it was in (15 rows in all) and handed the job back.
        engine = make_engine(url)
        with engine.connect() as conn:
            left = conn.execute(select(ImportJob.state, ImportJob.phase, ImportJob.done, ImportJob.created,
                                       ImportJob.worker).where(ImportJob.id == job.id)).one()
        engine.dispose()
        assert tuple(left) == ("running", "writing", 15, 15, "")
        with started_ledger(kind, url, broker, settings=BOUNDED) as second:
            done = second.wait_for_job(job.id)
            assert (done.state, done.outcome, done.created, done.duplicates) == ("finished", "imported", 23, 0)
            assert items_titled(second, "续导") == 23
            seqs = sorted(int(n.split("-")[1]) for n in done.item_nos)
            assert seqs == list(range(seqs[0], seqs[0] + 23))


@pytest.mark.slow  # two ledgers in turn, and a lease to run out: 4-7 s
@pytest.mark.parametrize("kind", KINDS)
def test_a_job_whose_process_died_is_taken_over_and_the_dead_one_writes_nothing(
    kind: str, broker, tmp_path: Path, monkeypatch
) -> None:
    """A process that stops renewing its lease (killed, or hung) between two chunks: another ledger takes
    the job over after the lease and finishes it; if the first one wakes up, its chunk is refused."""
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path}/ledger.db" if kind == "sqlite" else stack.enter_context(
            postgres_database("duban_import_kill"))
        names = titles("接管", 17)
        first = stack.enter_context(started_ledger(kind, url, broker, settings=BOUNDED))
        gate = Gate(monkeypatch, worker=worker_name(first), after_chunks=1)
        job = first.start_import(sheet(names))
        assert gate.reached.wait(30)
        second = stack.enter_context(started_ledger(kind, url, broker, settings=BOUNDED))
        done = second.wait_for_job(job.id)
        assert (done.state, done.outcome, done.created, done.attempts) == ("finished", "imported", 17, 2)
        gate.opened.set()
        assert gate.passed.wait(30)
        assert isinstance(gate.outcome, import_queue.LostJob)
        assert items_titled(second, "接管") == 17 and second.job(job.id).created == 17


@pytest.mark.slow  # two ledgers in turn, and a lease to run out: 4-7 s
@pytest.mark.parametrize("kind", KINDS)
def test_a_job_interrupted_too_often_fails_with_its_reason_and_says_what_was_committed(
    kind: str, broker, tmp_path: Path, monkeypatch
) -> None:
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path}/ledger.db" if kind == "sqlite" else stack.enter_context(
            postgres_database("duban_import_fail"))
        first = stack.enter_context(started_ledger(kind, url, broker, settings=BOUNDED))
        gate = Gate(monkeypatch, worker=worker_name(first), after_chunks=1)
        job = first.start_import(sheet(titles("放弃", 12)))
        assert gate.reached.wait(30)
        failed_before = REGISTRY.get_sample_value("ledger_import_jobs_total", {"outcome": "failed"}) or 0
        second = stack.enter_context(started_ledger(kind, url, broker, settings=BOUNDED, DUBAN_IMPORT_MAX_ATTEMPTS="1"))
        done = second.wait_for_job(job.id)
        assert done.state == "failed" and "导入已中断 1 次" in done.failure and "已写入 5 项" in done.failure
        assert done.created == 5 and done.committed and len(done.item_nos) == 5
        assert items_titled(second, "放弃") == 5
        assert REGISTRY.get_sample_value("ledger_import_jobs_total", {"outcome": "failed"}) == failed_before + 1
        gate.opened.set()
        assert gate.passed.wait(30) and isinstance(gate.outcome, import_queue.LostJob)
        assert items_titled(second, "放弃") == 5


def test_metrics_count_jobs_rows_and_time(ledger: LedgerUnderTest) -> None:
    def sample(name: str, labels: dict[str, str]) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0

    before = (sample("ledger_import_jobs_total", {"outcome": "rejected"}),
              sample("ledger_import_rows_total", {"outcome": "error"}),
              sample("ledger_import_job_seconds_count", {"outcome": "rejected"}))
    job = ledger.import_file(sheet(titles("计数", 1), bad=2))
    assert job.outcome == "rejected" and job.created == 0
    after = (sample("ledger_import_jobs_total", {"outcome": "rejected"}),
             sample("ledger_import_rows_total", {"outcome": "error"}),
             sample("ledger_import_job_seconds_count", {"outcome": "rejected"}))
    assert after == (before[0] + 1, before[1] + 2, before[2] + 1)


def test_an_unknown_job_is_not_found(ledger: LedgerUnderTest) -> None:
    with pytest.raises(grpc.RpcError) as missing:
        ledger.job(str(uuid.uuid4()))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def field_errors(error: grpc.RpcError) -> dict[str, str]:
    """The Chinese field errors a refusal carries (as the gateway reads them)."""
    domain_error = from_rpc_error(error)
    assert domain_error is not None, error
    return domain_error.field_errors


def shared_strings(size: int) -> bytes:
    """A shared-strings part of `size` bytes or so: one string of one repeated character (it deflates
    a thousandfold, as the issue's file did)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
    return head + b"A" * size + b"</t></si></sst>"


def with_member(content: bytes, name: str, data: bytes) -> bytes:
    """The XLSX with one member replaced (or added), deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
        target.writestr(name, data)
    return out.getvalue()


def lying(content: bytes, name: str, declared: int) -> bytes:
    """The archive with `name`'s uncompressed size rewritten to `declared`, in its local header and in
    the central directory (CRC and compressed size stay true): a bomb that hides its size."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
    true = struct.pack("<III", info.CRC, info.compress_size, info.file_size)
    assert content.count(true) == 2, "the sizes appear in the local header and the central directory"
    return content.replace(true, struct.pack("<III", info.CRC, info.compress_size, declared))


def test_ended_jobs_are_kept_for_the_retention_then_pruned(ledger: LedgerUnderTest) -> None:
    from sqlalchemy import update

    kept = ledger.import_file(sheet(titles("保留", 1)), mode="validate")
    old = ledger.import_file(sheet(titles("过期", 1)), mode="validate")
    limits = ledger.app.settings.imports
    past = import_queue.wall_now() - dt.timedelta(hours=limits.retention_hours, minutes=1)
    with ledger.app.uow() as tx:
        tx.session.execute(update(ImportJob).where(ImportJob.id == old.id).values(finished_at=past))
        tx.commit()
    assert import_queue.prune(ledger.app.core, limits) == 1
    assert ledger.job(kept.id).state == "finished"
    with pytest.raises(grpc.RpcError) as gone:
        ledger.job(old.id)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
