"""The ledger's jobs: run by the admin (or a CronJob) with `python -m services.ledger <job>`, and over
gRPC from the admin pages; and the import worker, a background loop of every ledger process.

recompute-deadlines: once the State Council's table for a year is installed (`python -m
libs.common.calendar install`), every deadline that was provisional in that year gets its official value.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from sqlalchemy import select

from libs.common import deadline_text, permissions
from libs.common.actor import Actor
from services.ledger import domain, events, import_queue, importing
from services.ledger.config import ImportLimits
from services.ledger.context import Ledger
from services.ledger.orm import Item
from services.ledger.registering import history_row

logger = logging.getLogger(__name__)
POLL_SECONDS = 1.0  # how soon a job queued by another replica (or left by a dead process) is noticed
PRUNE_EVERY_SECONDS = 600.0


def recompute_provisional(ledger: Ledger, actor: Actor) -> tuple[int, int]:
    """Once a missing calendar year is loaded, give flagged due dates their official value: moved or
    confirmed, each with a history line in Chinese and an item.updated that names the years (tracking
    then revises a notice already issued and tells the units)."""
    permissions.require(actor.roles, "calendar.manage")
    before = ledger.calendar
    ledger.reload_calendar()
    updated = still = 0
    with ledger.uow() as tx:
        flagged = list(tx.session.scalars(select(Item).where(Item.due_date_provisional.is_(True))))
        now = ledger.clock.now()
        for item in flagged:
            due = domain.compute_due_date(ledger.calendar, ledger.policy, item.category, item.registered_on)
            if due.provisional_years:
                still += 1
                continue
            # The years that were counted provisionally and now have their table (the deadline's own year
            # if this process already started with the table loaded).
            years = domain.compute_due_date(before, ledger.policy, item.category,
                                            item.registered_on).provisional_years or (item.due_date.year,)
            change = history_row(item.id, now, actor, "due_date", item.due_date.isoformat(), due.value.isoformat(),
                                 deadline_text.recomputed_text(item.due_date, due.value, years))
            item.due_date, item.due_date_provisional = due.value, False
            item.version += 1
            item.updated_at = now
            tx.session.add(change)
            tx.session.flush()
            tx.publish(events.item_updated(item, [change], now, calendar_years=years))
            updated += 1
        tx.commit()
    return updated, still


class ImportWorker:
    """The ledger's import worker (a background loop of every ledger process): takes queued jobs, and
    jobs whose process died, one at a time, and prunes the ended ones past their retention. Several
    ledger replicas share the queue: a job is held by one worker's lease (import_queue.claim)."""

    def __init__(self, ledger: Ledger, limits: ImportLimits, max_bytes: int) -> None:
        self.ledger, self.limits, self.max_bytes = ledger, limits, max_bytes
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()

    def wake(self) -> None:
        """A job was queued in this process: start it now rather than at the next poll."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        next_prune = time.monotonic()
        while not stop.is_set():
            self._wake.clear()  # before looking: a job queued from now on wakes the wait below
            try:
                if time.monotonic() >= next_prune:
                    import_queue.prune(self.ledger, self.limits)
                    next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                job_id = import_queue.claim(self.ledger, self.limits, self.name)
                if job_id is not None:
                    self._run(job_id, stop)
                    continue
            except Exception:  # noqa: BLE001 - a database outage must not end the loop; the next poll retries
                logger.exception("import worker: poll failed")
            self._wake.wait(POLL_SECONDS)

    def _run(self, job_id: str, stop: threading.Event) -> None:
        try:
            importing.run_job(self.ledger, self.limits, self.max_bytes, job_id, self.name, stop.is_set)
        except import_queue.Interrupted:
            import_queue.release(self.ledger, job_id, self.name)
            logger.info("import job %s handed back at shutdown", job_id)
        except import_queue.LostJob:
            logger.warning("import job %s was taken over by another worker; this run stops", job_id)
        except Exception:  # noqa: BLE001 - its lease runs out and it is resumed (or failed after max attempts)
            logger.exception("import job %s: run failed", job_id)
