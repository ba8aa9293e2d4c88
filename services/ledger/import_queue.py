"""The queue of import jobs (importing.py runs them): which worker holds a job, for how long, and how a
job ends. A job is held by one worker's lease, renewed with every step it records; a worker that stops
renewing (its process died or hangs) loses the job to the next worker's claim, and any write it still
tries is refused (LostJob), so no row is written twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, defer

from services.ledger import metrics
from services.ledger.config import ImportLimits
from services.ledger.context import Ledger
from services.ledger.orm import ImportJob

logger = logging.getLogger(__name__)

ENDED = ("finished", "failed")
# The big columns a status or a list never needs.
HEAVY = (defer(ImportJob.content), defer(ImportJob.plan))


def wall_now() -> dt.datetime:
    """Jobs are timed by the wall clock, not the business clock (which a demo may pin or move): leases
    say whether a process is still alive, retention how long a report is kept."""
    return dt.datetime.now(dt.UTC)


class LostJob(Exception):
    """This worker no longer holds the job (its lease expired and another worker took it over)."""


class Interrupted(Exception):
    """The process is stopping: the job is handed back, to be resumed where it stands."""


def claim(ledger: Ledger, limits: ImportLimits, worker: str) -> str | None:
    """Take the oldest job waiting, or one whose worker stopped renewing its lease; None if there is none.

    A job interrupted `max_attempts` times fails with that reason instead (a file that brings its
    process down must not do it forever)."""
    while True:
        now = wall_now()
        with ledger.uow() as tx:
            job = tx.session.scalars(
                select(ImportJob).options(*HEAVY)
                .where(or_(ImportJob.state == "queued",
                           and_(ImportJob.state == "running", ImportJob.lease_until < now)))
                .order_by(ImportJob.created_at).limit(1).with_for_update(skip_locked=True)).first()
            if job is None:
                return None
            if job.attempts >= limits.max_attempts:
                end_job(job, now, "failed", failure=(
                    f"导入已中断 {job.attempts} 次（服务重启或出错），不再继续；" + committed_text(job)))
                tx.commit()
                count_end(job, "failed")
                logger.warning("import job %s failed: interrupted %d times", job.id, job.attempts)
                continue
            job.state, job.worker, job.attempts = "running", worker, job.attempts + 1
            job.lease_until = now + dt.timedelta(seconds=limits.lease_seconds)
            job.started_at = job.started_at or now
            job.updated_at = now
            tx.commit()
            if job.attempts > 1:
                logger.info("import job %s resumed (attempt %d, phase %s)", job.id, job.attempts, job.phase or "-")
            return job.id


def release(ledger: Ledger, job_id: str, worker: str) -> None:
    """Hand a job back at shutdown: the next worker takes it at once, and this run is not counted."""
    now = wall_now()
    with ledger.uow() as tx:
        tx.session.execute(update(ImportJob).where(
            ImportJob.id == job_id, ImportJob.worker == worker, ImportJob.state == "running",
        ).values(lease_until=now, worker="", attempts=ImportJob.attempts - 1, updated_at=now))
        tx.commit()


@dataclass
class JobRun:
    """One worker's run of one job: renews the lease with every step and notices a stop."""

    ledger: Ledger
    limits: ImportLimits
    job_id: str
    worker: str
    stopping: Callable[[], bool]

    def step(self, **values: object) -> None:
        """Record progress (and renew the lease) in a short transaction of its own."""
        if self.stopping():
            raise Interrupted
        now = wall_now()
        with self.ledger.uow() as tx:
            mine = tx.session.execute(update(ImportJob).where(
                ImportJob.id == self.job_id, ImportJob.worker == self.worker, ImportJob.state == "running",
            ).values(lease_until=now + dt.timedelta(seconds=self.limits.lease_seconds), updated_at=now, **values))
            if mine.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
                raise LostJob
            tx.commit()

    def locked_job(self, session: Session) -> ImportJob:
        """The job row locked for this transaction, still held by this worker (else LostJob)."""
        job = session.scalars(select(ImportJob).options(defer(ImportJob.content))
                              .where(ImportJob.id == self.job_id).with_for_update()).first()
        if job is None or job.worker != self.worker or job.state != "running":
            raise LostJob
        return job


def end_job(job: ImportJob, now: dt.datetime, state: str, outcome: str = "", failure: str = "") -> None:
    job.state, job.outcome, job.failure, job.phase = state, outcome, failure, ""
    job.content, job.plan, job.worker, job.lease_until = None, "[]", "", None
    job.finished_at = job.updated_at = now


def count_end(job: ImportJob, outcome: str) -> None:
    metrics.IMPORT_JOBS.labels(outcome).inc()
    metrics.IMPORT_ROWS.labels("error").inc(job.error_rows)
    if job.finished_at is not None:
        metrics.IMPORT_JOB_SECONDS.labels(outcome).observe((job.finished_at - job.created_at).total_seconds())


def committed_text(job: ImportJob) -> str:
    return f"已写入 {job.created} 项（编号见结果）" if job.created else "未写入任何事项"


def prune(ledger: Ledger, limits: ImportLimits) -> int:
    """Delete the jobs that ended more than the retention ago (their reports with them)."""
    cutoff = wall_now() - dt.timedelta(hours=limits.retention_hours)
    with ledger.uow() as tx:
        gone = tx.session.execute(delete(ImportJob).where(ImportJob.state.in_(ENDED), ImportJob.finished_at < cutoff))
        tx.commit()
    return int(gone.rowcount)  # type: ignore[attr-defined]  # a DELETE's CursorResult
