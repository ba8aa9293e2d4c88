"""item.raisers_changed as its readers take it: the open obligations of one item from one source,
checked once here for every projection (the ledger's light_raisers, tracking's item_raisers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from duban.common.v1 import common_pb2
from libs.common.cloudevents import CloudEvent
from libs.common.consumer import InvalidMessage
from libs.common.dates import parse_date
from libs.common.errors import InvalidInput

EVENT_TYPE = "item.raisers_changed"
SOURCE_MAX = 40  # the projections' column sizes
REF_MAX = 64


@dataclass(frozen=True)
class OpenRaisers:
    """The full set that replaces what a reader holds for (item_id, source); empty when none is open."""

    item_id: str
    source: str
    open: tuple[tuple[str, dt.date], ...]  # (ref_id, due_on)


def read(event: CloudEvent) -> OpenRaisers:
    """The event's body, checked; InvalidMessage (dead-lettered, never retried) for one no projection
    could hold: no item or source, a reference too long or given twice, a day that is not a date."""
    body = event.decode(common_pb2.LightRaisersChanged())
    item_id = body.item_id or event.subject
    if not item_id or not body.source or len(body.source) > SOURCE_MAX:
        raise InvalidMessage(f"{event.type} {event.id}: item id and a source of at most {SOURCE_MAX} "
                             f"characters are required (got {item_id!r}, {body.source!r})")
    open_: list[tuple[str, dt.date]] = []
    for r in body.open:
        if not r.ref_id or len(r.ref_id) > REF_MAX:
            raise InvalidMessage(f"{event.type} {event.id}: ref_id {r.ref_id!r} is empty or over {REF_MAX} characters")
        try:
            open_.append((r.ref_id, parse_date(r.due_on, "due_on")))
        except InvalidInput as exc:
            raise InvalidMessage(f"{event.type} {event.id}: {r.ref_id}: {exc}") from None
    if len({ref for ref, _ in open_}) != len(open_):
        raise InvalidMessage(f"{event.type} {event.id}: a ref_id is given twice")
    return OpenRaisers(item_id, body.source, tuple(open_))
