"""An in-memory copy of rows that change rarely and are read on every write (the directory of units and
people a registration names), exact rather than merely recent.

The copy is tagged with a version number kept in the database; whoever changes the rows bumps it in the
same transaction. A reader reads the version in its own transaction (one indexed row) and reloads only
when it moved, so it never sees rows older than its transaction's view would show - unlike a time-based
cache, a unit deactivated a moment ago is already refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class VersionedSnapshot(Generic[T]):
    def __init__(self, version_of: Callable[[Session], int], load: Callable[[Session], T]) -> None:
        self._version_of = version_of
        self._load = load
        self._lock = threading.Lock()
        self._copy: tuple[int, T] | None = None
        self.loads = 0  # how often it was read from the database (tests and metrics look at it)

    def get(self, session: Session) -> T:
        """The rows as of `session`'s transaction."""
        version = self._version_of(session)
        copy = self._copy
        if copy is not None and copy[0] == version:
            return copy[1]
        value = self._load(session)
        with self._lock:
            self.loads += 1
            # Two readers may reload at once; either copy belongs to this version.
            self._copy = (version, value)
        return value
