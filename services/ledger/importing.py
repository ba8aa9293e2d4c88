"""导入台账 as a job: the upload only queues the file; the ledger's import worker reads, checks and writes it.

A job goes queued → running (phases reading → checking → writing) → finished or failed:
- reading: the archive is inflated once against the bound (a lying zip is stopped), then its rows are
  read, at most `DUBAN_IMPORT_MAX_ROWS`;
- checking: every row is checked as a registration, reading only - nothing is written;
- writing: the rows that passed are registered, `chunk_rows` per transaction; each transaction also
  advances the job's counts, errors and numbers, so the job says exactly what is committed, and a job
  whose process stopped resumes after the last committed chunk (its lease expires, the next worker
  takes it; a shutdown hands it back at once).

Modes: `validate` stops after checking (writes nothing); `all_or_nothing` (default) writes only if no
row failed the check, otherwise nothing (outcome `rejected`); `good_rows` writes the rows that passed.
A row that passed the check but fails when written (its unit deactivated in between, say) is refused
and listed like the others; the rows before and after it are still written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.errors import FailedPrecondition, InvalidInput, NotFound
from libs.common.vocabulary import IMPORT_MODES
from services.ledger import import_queue, metrics, registering, xlsx_import
from services.ledger.config import ImportLimits
from services.ledger.context import Ledger
from services.ledger.orm import ImportJob

logger = logging.getLogger(__name__)

MODES = tuple(IMPORT_MODES)
RowErrors = list[tuple[int, str, str]]  # (Excel row number, field, "sheet!row: message")


def start_import(ledger: Ledger, limits: ImportLimits, max_bytes: int, filename: str, content: bytes, mode: str,
                 actor: Actor) -> ImportJob:
    """Queue an import after the checks that need no parsing (size, XLSX, declared inflated size and
    rows): a file over a bound is refused here, field by field, and never stored."""
    permissions.require(actor.roles, "ledger.import")
    mode = mode or "all_or_nothing"
    if mode not in MODES:
        raise InvalidInput(f"unknown mode {mode!r}",
                           {"mode": "导入方式应为 validate（仅检查）、all_or_nothing（有错误行则全部不导入）或 good_rows（只导入正确的行）"})
    xlsx_import.check_archive(content, filename, max_bytes, limits.max_inflated_bytes)
    xlsx_import.check_declared_rows(content, limits.max_rows)
    now = import_queue.wall_now()
    job = ImportJob(
        id=str(uuid.uuid4()), filename=filename[:255], mode=mode, state="queued", phase="", outcome="", failure="",
        actor=json.dumps(asdict(actor), ensure_ascii=False), actor_name=actor.name[:100], content=content,
        size=len(content), rows_total=0, done=0, phase_total=0, created=0, duplicates=0, passed=0, error_rows=0,
        errors="[]", item_nos="[]", plan="[]", attempts=0, worker="", created_at=now, updated_at=now,
    )
    with ledger.uow() as tx:
        tx.session.add(job)
        tx.commit()
    logger.info("import job %s queued: %s (%d bytes, %s) by %s", job.id, filename, len(content), mode, actor.user_id)
    return job


def get_job(ledger: Ledger, job_id: str) -> ImportJob:
    with ledger.uow.read() as tx:
        job = tx.session.scalars(select(ImportJob).options(*import_queue.HEAVY).where(ImportJob.id == job_id)).first()
    if job is None:
        raise NotFound(f"import job {job_id} not found", {"id": "导入任务不存在或已过保留期"})
    return job


def list_jobs(ledger: Ledger, page_size: int) -> list[ImportJob]:
    """The newest jobs first (the page's 最近的导入)."""
    size = 20 if page_size <= 0 else min(page_size, 100)
    with ledger.uow.read() as tx:
        return list(tx.session.scalars(
            select(ImportJob).options(*import_queue.HEAVY, defer(ImportJob.errors), defer(ImportJob.item_nos))
            .order_by(ImportJob.created_at.desc(), ImportJob.id).limit(size)))


def run_job(ledger: Ledger, limits: ImportLimits, max_bytes: int, job_id: str, worker: str,
            stopping: Callable[[], bool]) -> None:
    """Run (or resume) a claimed job to its end. Raises Interrupted when the process stops, LostJob
    when another worker took it over; a file that breaks a bound or cannot be read fails the job."""
    run = import_queue.JobRun(ledger, limits, job_id, worker, stopping)
    with ledger.uow.read() as tx:
        job = tx.session.get(ImportJob, job_id)
        assert job is not None
        content, filename, mode, resume_writing = job.content or b"", job.filename, job.mode, job.phase == "writing"
        actor = _actor(job.actor)
    # Resuming the write phase, the file is read again (the same rows, in the same order) while the
    # status keeps showing how far writing got: `done` is where it goes on.
    try:
        if resume_writing:
            run.step()
        else:
            run.step(phase="reading", done=0, phase_total=0)
        xlsx_import.check_archive(content, filename, max_bytes, limits.max_inflated_bytes)
        xlsx_import.inflate_within(content, limits.max_inflated_bytes)
        rows = xlsx_import.read_rows(content, filename, limits.max_rows,
                                     (lambda _n: run.step()) if resume_writing else (lambda n: run.step(done=n)))
    except InvalidInput as exc:
        _fail(run, exc.field_errors.get("file") or str(exc))
        return
    if not resume_writing:
        run.step(phase="checking", rows_total=len(rows), done=0, phase_total=len(rows))
        checked = _check(run, rows)
        if mode == "validate" or (mode == "all_or_nothing" and checked.errors):
            _finish(run, "validated" if mode == "validate" else "rejected", checked)
            return
        run.step(phase="writing", done=0, phase_total=len(checked.plan), plan=json.dumps(checked.plan),
                 **checked.columns())
    _write(run, rows, actor)
    _finish(run, "imported")


@dataclass
class _Checked:
    """What the check phase found: the rows to write (indexes), and the others."""

    rows: int
    plan: list[int]
    errors: RowErrors
    duplicates: int
    refused: int

    def columns(self) -> dict[str, object]:
        return {"rows_total": self.rows, "errors": json.dumps(self.errors, ensure_ascii=False),
                "duplicates": self.duplicates, "passed": len(self.plan), "error_rows": self.refused}


def _check(run: import_queue.JobRun, rows: Sequence[xlsx_import.Row]) -> _Checked:
    """Every row checked as a registration, reading only."""
    checked = _Checked(len(rows), [], [], 0, 0)
    seen: set[str] = set()
    with run.ledger.uow.read() as tx:
        directory = xlsx_import.Directory(tx.session)
        for index, row in enumerate(rows):
            if index and index % run.limits.chunk_rows == 0:
                run.step(done=index)
            problems = _row_problems(run.ledger, tx.session, row, directory, seen)
            if problems is None:
                checked.duplicates += 1
            elif problems:
                checked.errors += _as_errors(row, problems)
                checked.refused += 1
            else:
                checked.plan.append(index)
    return checked


def _row_problems(ledger: Ledger, session: Session, row: xlsx_import.Row, directory: xlsx_import.Directory,
                  seen: set[str]) -> dict[str, str] | None:
    """A row's field errors ({} when it may be registered), or None for a duplicate; `seen` collects
    the rows of this file that passed, so the same row twice counts once."""
    reg, problems = xlsx_import.registration(row, directory)
    if problems:
        return problems
    key = xlsx_import.import_key(reg)
    if key in seen or xlsx_import.already_imported(session, key, xlsx_import.legacy_no(row), reg.title):
        return None
    try:
        registering.check_in(ledger, session, reg)
    except (InvalidInput, FailedPrecondition) as exc:  # the latter: a frozen assessment year
        return exc.field_errors
    seen.add(key)
    return {}


def _write(run: import_queue.JobRun, rows: Sequence[xlsx_import.Row], actor: Actor) -> None:
    """The write phase from where the job stands: one transaction per chunk, the job's counts with it."""
    with run.ledger.uow.read() as tx:
        job = tx.session.get(ImportJob, run.job_id)
        assert job is not None
        plan: list[int] = json.loads(job.plan)
        start = job.done
    for offset in range(start, len(plan), run.limits.chunk_rows):
        if run.stopping():
            raise import_queue.Interrupted
        write_chunk(run, rows, plan[offset:offset + run.limits.chunk_rows], offset, actor)


def write_chunk(run: import_queue.JobRun, rows: Sequence[xlsx_import.Row], indexes: Sequence[int], offset: int,
                actor: Actor) -> None:
    """Register one chunk of rows and advance the job in the same transaction (all of it or none)."""
    ledger = run.ledger
    created = duplicates = refused = 0
    errors: RowErrors = []
    numbers: list[str] = []
    with ledger.uow() as tx:
        job = run.locked_job(tx.session)
        if job.done != offset:  # another run of this job got further: never write a row twice
            raise import_queue.LostJob
        directory = xlsx_import.Directory(tx.session)
        for index in indexes:
            row = rows[index]
            # Checked before, but the ledger may have moved on since (a unit renamed, the same row
            # imported by someone else): read again, and register_in checks the rules again itself.
            reg, problems = xlsx_import.registration(row, directory)
            key, legacy_no = xlsx_import.import_key(reg), xlsx_import.legacy_no(row)
            if not problems and xlsx_import.already_imported(tx.session, key, legacy_no, reg.title):
                duplicates += 1
                continue
            if not problems:
                try:
                    with tx.savepoint():
                        item = registering.register_in(ledger, tx, reg, actor, import_key=key, legacy_no=legacy_no)
                except (InvalidInput, FailedPrecondition) as exc:
                    problems = exc.field_errors
                else:
                    created += 1
                    numbers.append(item.item_no)
                    continue
            errors += _as_errors(row, problems)
            refused += 1
        now = import_queue.wall_now()
        job.done = offset + len(indexes)
        job.created += created
        job.duplicates += duplicates
        if errors:
            job.errors = json.dumps(json.loads(job.errors) + errors, ensure_ascii=False)
            job.error_rows += refused
        job.item_nos = json.dumps(json.loads(job.item_nos) + numbers, ensure_ascii=False)
        job.lease_until = now + dt.timedelta(seconds=run.limits.lease_seconds)
        job.updated_at = now
        tx.commit()
    metrics.IMPORT_ROWS.labels("created").inc(created)
    metrics.IMPORT_ROWS.labels("duplicate").inc(duplicates)


def _finish(run: import_queue.JobRun, outcome: str, checked: _Checked | None = None) -> None:
    """The job's end, with what the check found when it ends there (validated, rejected)."""
    with run.ledger.uow() as tx:
        job = run.locked_job(tx.session)
        for name, value in (checked.columns() if checked else {}).items():
            setattr(job, name, value)
        import_queue.end_job(job, import_queue.wall_now(), "finished", outcome=outcome)
        tx.commit()
    import_queue.count_end(job, outcome)
    logger.info("import job %s finished: %s, %d rows, %d created, %d duplicates, %d refused", job.id, outcome,
                job.rows_total, job.created, job.duplicates, job.error_rows)


def _fail(run: import_queue.JobRun, reason: str) -> None:
    with run.ledger.uow() as tx:
        job = run.locked_job(tx.session)
        import_queue.end_job(job, import_queue.wall_now(), "failed", failure=reason)
        tx.commit()
    import_queue.count_end(job, "failed")
    logger.info("import job %s failed: %s", job.id, reason)


def _as_errors(row: xlsx_import.Row, problems: dict[str, str]) -> RowErrors:
    where = f"{row.sheet}!{row.number}"
    return [(row.number, name, f"{where}: {message}") for name, message in problems.items()]


def _actor(text: str) -> Actor:
    fields = json.loads(text)
    fields["extra_roles"] = tuple(fields.get("extra_roles", ()))
    return Actor(**fields)


