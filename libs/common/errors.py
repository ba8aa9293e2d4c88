"""Domain error kinds shared by every service; the gRPC edge maps each to one status code."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every expected failure. `field_errors` names the offending fields (field -> message);
    `suggestions` a value the caller could send instead, where the rule knows one (field -> value: the
    next working day for a deadline on a holiday)."""

    def __init__(self, message: str, field_errors: Mapping[str, str] | None = None,
                 suggestions: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors: dict[str, str] = dict(field_errors or {})
        self.suggestions: dict[str, str] = dict(suggestions or {})


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


class Unavailable(DomainError):
    """A service this act depends on did not answer: nothing was changed, the same act may be retried."""


class IdempotencyKeyReused(InvalidInput):
    """The caller sent this idempotency key before, to the same method, with another request body: the
    key names one request, so the second one is refused rather than silently answered with the first."""

    reason = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInFlight(Conflict):
    """The first request with this key has not finished (retry shortly), or it was applied but the
    service stopped before keeping its answer (read the current state instead of retrying)."""

    reason = "IDEMPOTENCY_KEY_IN_FLIGHT"
