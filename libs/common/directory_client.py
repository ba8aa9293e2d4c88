"""The ledger's directory (units and people) as another service reads it: through the ledger's gRPC,
as itself, kept in memory for a short time and read again at once when a name it does not know is asked
for (a unit or person created a moment ago is found, a rename shows within the time-to-live).

Inspection names the units it visits and the people on its teams; notification finds whom its reminders
reach (a unit's head, the item's responsible person).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import grpc

from duban.ledger.v1 import ledger_pb2
from libs.common.directory_entries import PersonEntry, UnitEntry
from libs.common.errors import InvalidInput

T = TypeVar("T")


class DirectoryUnavailable(RuntimeError):
    """The ledger did not answer: the caller's request fails (retryable), nothing is guessed."""


class DirectoryClient:
    def __init__(self, stub: Callable[[], object], ttl_seconds: float = 60.0, timeout: float = 5.0) -> None:
        self._stub = stub  # () -> LedgerServiceStub, built lazily (nothing connects at import or start)
        self._ttl = ttl_seconds
        self._timeout = timeout
        self._lock = threading.Lock()
        self._units: dict[str, UnitEntry] = {}
        self._people: dict[str, PersonEntry] = {}
        self._read_at = float("-inf")

    def _refresh(self, force: bool = False) -> None:
        with self._lock:
            if not force and time.monotonic() - self._read_at < self._ttl:
                return
            stub = self._stub()
            try:
                units = stub.ListUnits(ledger_pb2.ListUnitsRequest(include_inactive=True),  # type: ignore[attr-defined]
                                       timeout=self._timeout)
                people = stub.ListPeople(ledger_pb2.ListPeopleRequest(include_inactive=True),  # type: ignore[attr-defined]
                                         timeout=self._timeout)
            except grpc.RpcError as error:
                raise DirectoryUnavailable(f"the ledger's directory did not answer: {error.code()}") from error
            self._units = {u.id: UnitEntry(u.id, u.name, u.kind, u.active, u.head_person_id) for u in units.units}
            self._people = {p.id: PersonEntry(p.id, p.name, p.unit_id, p.role, p.title, p.active,
                                              self._units[p.unit_id].name if p.unit_id in self._units else "",
                                              p.mobile, p.email, p.wecom_user_id, p.dingtalk_user_id)
                            for p in people.people}
            self._read_at = time.monotonic()

    def unit(self, unit_id: str, field: str = "unit_id") -> UnitEntry:
        """The unit, or InvalidInput naming `field` when the directory has no such unit."""
        return self._find(lambda: self._units, unit_id, field, "单位不存在，请从单位名录中选择")

    def person(self, person_id: str, field: str = "person_id") -> PersonEntry:
        return self._find(lambda: self._people, person_id, field, "人员不存在，请从人员名录中选择")

    def _find(self, table: Callable[[], dict[str, T]], key: str, field: str, missing: str) -> T:
        self._refresh()
        found = table().get(key)
        if found is None:  # created a moment ago? read the directory again once
            self._refresh(force=True)
            found = table().get(key)
        if found is None:
            raise InvalidInput(f"no {field} {key!r}", {field: missing})
        return found

    def find_person(self, person_id: str) -> PersonEntry | None:
        """The person, or None (after reading the directory once more) when it has none of that id."""
        try:
            return self.person(person_id)
        except InvalidInput:
            return None

    def find_unit(self, unit_id: str) -> UnitEntry | None:
        try:
            return self.unit(unit_id)
        except InvalidInput:
            return None

    def unit_name(self, unit_id: str) -> str:
        """The unit's name, or "" for an id the directory does not have (display only)."""
        try:
            return self.unit(unit_id).name
        except InvalidInput:
            return ""
