"""The ledger's jobs: run by the admin (or a CronJob) with `python -m services.ledger <job>`, and over
gRPC from the admin pages.

recompute-deadlines: once the State Council's table for a year is installed (`python -m
libs.common.calendar install`), every deadline that was provisional in that year gets its official value.
"""

from __future__ import annotations

from sqlalchemy import select

from libs.common import permissions
from libs.common.actor import Actor
from services.ledger import domain, events
from services.ledger.context import Ledger
from services.ledger.orm import Item
from services.ledger.registering import history_row


def recompute_provisional(ledger: Ledger, actor: Actor) -> tuple[int, int]:
    """Once a missing calendar year is loaded, give flagged due dates their official value."""
    permissions.require(actor.roles, "calendar.manage")
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
            change = history_row(item.id, now, actor, "due_date", item.due_date.isoformat(), due.value.isoformat(),
                             "按新载入的官方节假日安排重新计算")
            item.due_date, item.due_date_provisional = due.value, False
            item.version += 1
            item.updated_at = now
            tx.session.add(change)
            tx.session.flush()
            tx.publish(events.item_updated(item, [change], now))
            updated += 1
        tx.commit()
    return updated, still


