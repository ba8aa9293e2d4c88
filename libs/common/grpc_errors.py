"""One table from domain errors to gRPC status codes, and back again for clients (the gateway)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from libs.common.calendar import CalendarYearMissing
from libs.common.errors import (
    Conflict,
    DomainError,
    FailedPrecondition,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unavailable,
)

STATUS_OF: dict[type[DomainError], tuple[grpc.StatusCode, int]] = {
    NotFound: (grpc.StatusCode.NOT_FOUND, code_pb2.NOT_FOUND),
    InvalidInput: (grpc.StatusCode.INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT),
    Conflict: (grpc.StatusCode.ALREADY_EXISTS, code_pb2.ALREADY_EXISTS),
    FailedPrecondition: (grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    PermissionDenied: (grpc.StatusCode.PERMISSION_DENIED, code_pb2.PERMISSION_DENIED),
    Unavailable: (grpc.StatusCode.UNAVAILABLE, code_pb2.UNAVAILABLE),
    # ABORTED is gRPC's "concurrency conflict, retry the whole request": the first call is still running.
    IdempotencyKeyInFlight: (grpc.StatusCode.ABORTED, code_pb2.ABORTED),
    IdempotencyKeyReused: (grpc.StatusCode.INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT),
}
# Back from a status code; kinds that share a code with their base travel as a google.rpc.ErrorInfo reason.
ERROR_OF = {code: kind for kind, (code, _) in STATUS_OF.items() if not hasattr(kind, "reason")}
ERROR_OF[grpc.StatusCode.ABORTED] = IdempotencyKeyInFlight
BY_REASON: dict[str, type[DomainError]] = {kind.reason: kind for kind in STATUS_OF if hasattr(kind, "reason")}
REASON_DOMAIN = "duban"
# The ErrorInfo that carries DomainError.suggestions (field -> suggested value) in its metadata.
SUGGESTIONS_REASON = "SUGGESTED_VALUES"


def to_status(error: Exception) -> grpc.Status:
    """The rich status for an error: code, message and, for field errors, a google.rpc.BadRequest."""
    if isinstance(error, CalendarYearMissing):
        error = FailedPrecondition(str(error), {"calendar": str(error)})
    if not isinstance(error, DomainError):
        raise TypeError(f"not a domain error: {error!r}")
    kind = next(k for k in type(error).__mro__ if k in STATUS_OF)
    _, code = STATUS_OF[kind]
    status = status_pb2.Status(code=code, message=error.message)
    if reason := getattr(error, "reason", ""):
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=REASON_DOMAIN))
        status.details.append(info)
    if error.suggestions:
        hint = any_pb2.Any()
        hint.Pack(error_details_pb2.ErrorInfo(reason=SUGGESTIONS_REASON, domain=REASON_DOMAIN,
                                              metadata=error.suggestions))
        status.details.append(hint)
    if error.field_errors:
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=f, description=d)
                    for f, d in error.field_errors.items()
                ]
            )
        )
        status.details.append(detail)
    return rpc_status.to_status(status)


def from_rpc_error(error: grpc.RpcError) -> DomainError | None:
    """Rebuild the domain error a server raised (with its field errors); None for transport failures."""
    kind = ERROR_OF.get(error.code())
    if kind is None:
        return None
    fields: dict[str, str] = {}
    suggestions: dict[str, str] = {}
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            if info.domain == REASON_DOMAIN and info.reason == SUGGESTIONS_REASON:
                suggestions.update(info.metadata)
            elif info.domain == REASON_DOMAIN and info.reason in BY_REASON:
                kind = BY_REASON[info.reason]
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.update({v.field: v.description for v in bad.field_violations})
    return kind(error.details() or "", fields, suggestions)
