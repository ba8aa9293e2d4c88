"""The scheduled job (the chart's CronJobs and the embedded interval run the same function): every regular
period that has ended since `bulletins_since` and has no bulletin yet is drafted - a period missed while
the job was down is drafted at the next run, a second run drafts nothing - and from the clearance date of
December on, the year's 清零 report. A period with no item in its scope is left undrafted (nothing to report)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select

from duban.notification.v1 import notification_pb2 as pb
from libs.common.actor import SYSTEM
from libs.common.clock import OFFICE_TZ
from services.notification import convert, domain, drafting, metrics, repository
from services.notification.context import Notification
from services.notification.orm import Bulletin

logger = logging.getLogger(__name__)


def run_bulletin_jobs(n: Notification, as_of: dt.datetime | None = None,
                      kinds: tuple[str, ...] = (*domain.REGULAR_KINDS, domain.CLEARANCE)) -> list[tuple[str, str]]:
    """(bulletin id, "kind:period") of what this run drafted, oldest period first."""
    now = as_of or n.clock.now()
    day = now.astimezone(OFFICE_TZ).date()
    drafted: list[tuple[str, str]] = []
    for kind in kinds:
        if kind == domain.CLEARANCE:
            for year in range(n.bulletins_since.year, day.year + 1):
                if day >= domain.clearance_opens(year, n.clearance_from) and _missing(n, domain.CLEARANCE, str(year)):
                    b, existing = drafting.generate_clearance(n, year, convert.ts(now), SYSTEM)
                    if not existing:
                        drafted.append((b.id, f"{kind}:{year}"))
            continue
        for period in domain.ended_periods(kind, n.bulletins_since, day):
            if not _missing(n, kind, period.code) or not _has_items(n, kind, period):
                continue
            b, existing = drafting.generate_bulletin(
                n, pb.GenerateBulletinRequest(kind=kind, period=period.code, as_of=convert.ts(now)), SYSTEM)
            if not existing:
                drafted.append((b.id, f"{kind}:{period.code}"))
    for _, what in drafted:
        metrics.JOB_RUNS.labels(what.split(":")[0]).inc()
    with n.uow.read() as tx:
        metrics.AWAITING.set(tx.session.scalar(
            select(func.count()).select_from(Bulletin).where(Bulletin.status == domain.SUBMITTED)) or 0)
    return drafted


def _missing(n: Notification, kind: str, code: str) -> bool:
    with n.uow.read() as tx:
        return repository.by_period_key(tx, drafting.period_key(kind, code, "")) is None


def _has_items(n: Notification, kind: str, period: domain.Period) -> bool:
    with n.uow.read() as tx:
        return bool(repository.items_in(tx, kind, period.starts_on, period.ends_on)[:1])


def run_and_log(n: Notification) -> None:
    drafted = run_bulletin_jobs(n)
    if drafted:
        logger.info("bulletin job: drafted %s", ", ".join(what for _, what in drafted))
