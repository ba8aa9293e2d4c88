"""考核年度冻结: the years the evaluation service froze (its year.frozen), kept so that no item is moved into
or out of them (domain.frozen_year_refusal, checked by registering.py and updating.py)."""

from __future__ import annotations

import datetime as dt
import logging

from duban.evaluation.v1 import events_pb2
from libs.common.cloudevents import CloudEvent
from libs.common.consumer import InvalidMessage
from libs.common.db import UnitOfWork
from services.ledger import domain
from services.ledger.context import Ledger
from services.ledger.orm import FrozenYear

logger = logging.getLogger(__name__)
YEAR_FROZEN = "year.frozen"


def on_year_frozen(ledger: Ledger, tx: UnitOfWork, event: CloudEvent) -> None:
    """Keep the frozen year (a second year.frozen of the same year, a re-confirmation, updates its row)."""
    body = event.decode(events_pb2.YearFrozen())
    if domain.assessment_year_error(body.year):
        raise InvalidMessage(f"{event.type} {event.id}: no assessment year {body.year}")
    frozen_at = body.frozen_at.ToDatetime(dt.UTC) if body.HasField("frozen_at") else event.time
    row = tx.session.get(FrozenYear, body.year)
    if row is None:
        row = FrozenYear(year=body.year)
        tx.session.add(row)
    row.as_of, row.frozen_at, row.frozen_by = body.as_of[:10], frozen_at, body.frozen_by[:100]
    logger.info("assessment year %s frozen by %s (as of %s)", body.year, body.frozen_by, body.as_of)
