"""The daily sweep: rectifications whose day has passed without the unit's report are announced once
(rectification.overdue: the unit's to-do and the notification service follow), and their items' raisers
are published again so the light turns red (a light also turns by the date alone: readers compare the
raiser's day with today)."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from libs.common.actor import SYSTEM
from services.inspection import domain, events, metrics
from services.inspection.context import Inspection
from services.inspection.orm import Finding, RectificationRound
from services.inspection.rectifying import open_rounds

BATCH = 200


def run_sweeps(inspection: Inspection, as_of: dt.datetime | None = None) -> int:
    """How many rectifications were found overdue for the first time (announced once each)."""
    started = time.perf_counter()
    today = (as_of or inspection.clock.now()).astimezone(inspection.local_now().tzinfo).date()
    announced = 0
    while True:
        with inspection.uow() as tx:
            due = list(tx.session.scalars(
                select(RectificationRound).where(
                    RectificationRound.due_date < today, RectificationRound.reported_at.is_(None),
                    RectificationRound.verdict == "", RectificationRound.overdue_announced.is_(False)).limit(BATCH)))
            if not due:
                break
            now = inspection.clock.now()
            for round_ in due:
                round_.overdue_announced = True
                finding = tx.session.get(Finding, round_.finding_id)
                assert finding is not None
                finding.rect_status = domain.OVERDUE
                tx.publish(events.rectification_changed(events.RECTIFICATION_OVERDUE, finding, today, now, SYSTEM))
                if finding.item_id:
                    tx.session.flush()
                    tx.publish(events.raisers_changed(finding.item_id, open_rounds(tx, finding.item_id), now))
                announced += 1
            tx.commit()
    with inspection.uow.read() as tx:
        for state in (domain.ORDERED, domain.REPORTED, domain.OVERDUE):
            metrics.OPEN_RECTIFICATIONS.labels(state).set(
                len(list(tx.session.scalars(select(Finding.id).where(Finding.rect_status == state)))))
    metrics.SWEEP_SECONDS.observe(time.perf_counter() - started)
    return announced
