"""Domain error kinds shared by every service; the gRPC edge maps each to one status code."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every expected failure. `field_errors` names the offending fields (field -> message)."""

    def __init__(self, message: str, field_errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors: dict[str, str] = dict(field_errors or {})


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class Conflict(DomainError):
    pass


class FailedPrecondition(DomainError):
    pass


class PermissionDenied(DomainError):
    pass
