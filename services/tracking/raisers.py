"""What other services keep open about tracking's items (inspection's rectification orders): kept
here, since tracking owns the light they raise (domain.item_light)."""

from __future__ import annotations

import logging

from sqlalchemy import delete

from libs.common import light_raisers
from libs.common.cloudevents import CloudEvent
from libs.common.consumer import InvalidMessage
from libs.common.db import UnitOfWork
from services.tracking import domain
from services.tracking.context import Tracking
from services.tracking.orm import ItemRaiser

logger = logging.getLogger(__name__)


def on_raisers_changed(tracking: Tracking, tx: UnitOfWork, event: CloudEvent) -> None:
    """item.raisers_changed of another service: its open obligations of one item, as they are now,
    replace what was kept for that (item, source). Kept for an item tracking does not have yet too (its
    registration may still be on its way on the ledger's topic)."""
    raisers = light_raisers.read(event)
    if raisers.source == domain.REPORTS:
        # Tracking's own reports raise the light from its expected_reports rows; nobody else speaks for them.
        raise InvalidMessage(f"{event.type} {event.id} from {event.source}: source {raisers.source} is tracking's own")
    tx.session.execute(delete(ItemRaiser).where(ItemRaiser.item_id == raisers.item_id,
                                                ItemRaiser.source == raisers.source))
    tx.session.add_all(ItemRaiser(item_id=raisers.item_id, source=raisers.source, ref_id=ref_id, due_on=due_on)
                       for ref_id, due_on in raisers.open)
    logger.info("item %s: %s open %s from %s", raisers.item_id, len(raisers.open), raisers.source, event.id)
