"""Names for the ids a page would otherwise show (the header's unit, a report's unit, a history row's
lead unit): the ledger's directory of units, kept for a short while per process.

Units change a few times a year; asking the ledger on every page would cost a call per render, and a
name shown a minute late is harmless. When the ledger is out of reach the page still renders: an
unknown unit reads as 未知单位, never as its id.
"""

from __future__ import annotations

import threading
import time

from flask import current_app

from duban.ledger.v1 import ledger_pb2
from services.gateway.calls import ledger
from services.gateway.clients import ServiceFailed, ServiceUnavailable

TTL_SECONDS = 60.0
RETRY_SECONDS = 5.0
UNKNOWN_UNIT = "未知单位"
_lock = threading.Lock()


def unit_names() -> dict[str, str]:
    """Unit id -> name, at most TTL_SECONDS old; empty if the ledger cannot be reached just now."""
    cache = current_app.extensions.setdefault("unit_names", {"at": -TTL_SECONDS, "names": {}})
    if time.monotonic() - cache["at"] < TTL_SECONDS:
        return dict(cache["names"])
    with _lock:
        try:
            units = ledger().call("ListUnits", ledger_pb2.ListUnitsRequest()).units
        except (ServiceUnavailable, ServiceFailed):
            # Keep what we had and ask again in a few seconds, not on every page while the ledger is away.
            cache["at"] = time.monotonic() - TTL_SECONDS + RETRY_SECONDS
            return dict(cache["names"])
        cache["names"], cache["at"] = {u.id: u.name for u in units}, time.monotonic()
        return dict(cache["names"])


def unit_name(unit_id: str) -> str:
    """The unit's name ("" for no unit)."""
    if not unit_id:
        return ""
    return unit_names().get(unit_id, UNKNOWN_UNIT)
