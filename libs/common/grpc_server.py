"""gRPC server bootstrap: health, reflection, metrics, domain-error mapping and graceful shutdown."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from libs.common import metrics, text
from libs.common.calendar import CalendarYearMissing
from libs.common.call_auth import Verifier, VerifyingInterceptor
from libs.common.errors import DomainError, InvalidInput
from libs.common.grpc_errors import to_status

logger = logging.getLogger(__name__)

EXPECTED = (DomainError, CalendarYearMissing)


def bad_text_field(message: Any, prefix: str = "") -> str | None:
    """The first string field holding a character no database or document takes (libs.common.text):
    refused at the edge, before any use case stores it."""
    if not hasattr(message, "ListFields"):
        return None
    for field, value in message.ListFields():
        name = f"{prefix}{field.name}"
        values = value if field.is_repeated else [value]
        for entry in values:
            if isinstance(entry, str) and text.has_bad_characters(entry):
                return name
            if field.message_type is not None and (found := bad_text_field(entry, f"{name}.")):
                return found
    return None


def _short(method: str) -> str:
    return method.rsplit("/", 1)[-1]


class ServerInterceptor(grpc.ServerInterceptor):
    """Counts and times every call, maps domain errors to status codes, logs unexpected ones."""

    def __init__(self, service: str) -> None:
        self.service = service

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = _short(handler_call_details.method)
        service = self.service

        def observe(context: grpc.ServicerContext, started: float, code: grpc.StatusCode) -> None:
            metrics.GRPC_HANDLED.labels(service, method, code.name).inc()
            metrics.GRPC_SECONDS.labels(service, method).observe(time.perf_counter() - started)

        def fail(context: grpc.ServicerContext, exc: Exception, started: float) -> None:
            if isinstance(exc, EXPECTED):
                status = to_status(exc)
                observe(context, started, status.code)
                context.abort_with_status(status)
            logger.exception("unhandled error in %s", method)
            observe(context, started, grpc.StatusCode.INTERNAL)
            context.abort(grpc.StatusCode.INTERNAL, f"internal error in {method}")

        def check_deadline(context: grpc.ServicerContext) -> None:
            if context.time_remaining() is None:
                metrics.GRPC_NO_DEADLINE.labels(service, method).inc()

        def wrap_unary(behaviour: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
                started = time.perf_counter()
                check_deadline(context)
                try:
                    if bad := bad_text_field(request):
                        raise InvalidInput(f"{bad}: contains a control character", {bad: text.FIELD_ERROR})
                    response = behaviour(request, context)
                except Exception as exc:  # noqa: BLE001
                    if isinstance(exc, grpc.RpcError) or _aborted(context):
                        raise
                    fail(context, exc, started)
                observe(context, started, grpc.StatusCode.OK)
                return response

            return wrapped

        def wrap_stream(behaviour: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
            def wrapped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
                started = time.perf_counter()
                check_deadline(context)
                try:
                    yield from behaviour(request, context)
                except Exception as exc:  # noqa: BLE001
                    if isinstance(exc, grpc.RpcError) or _aborted(context):
                        raise
                    fail(context, exc, started)
                observe(context, started, grpc.StatusCode.OK)

            return wrapped

        # The handlers grpc builds are namedtuples; its stubs declare only an abstract class (no _replace).
        if handler.unary_unary:
            return handler._replace(unary_unary=wrap_unary(handler.unary_unary))  # type: ignore[attr-defined]
        if handler.unary_stream:
            return handler._replace(unary_stream=wrap_stream(handler.unary_stream))  # type: ignore[attr-defined]
        if handler.stream_unary:
            return handler._replace(stream_unary=wrap_unary(handler.stream_unary))  # type: ignore[attr-defined]
        if handler.stream_stream:
            return handler._replace(stream_stream=wrap_stream(handler.stream_stream))  # type: ignore[attr-defined]
        return handler


def _aborted(context: grpc.ServicerContext) -> bool:
    code = getattr(context, "code", lambda: None)()
    return code not in (None, grpc.StatusCode.OK)


@dataclass
class RunningServer:
    server: grpc.Server
    port: int
    health: health.HealthServicer
    service_names: tuple[str, ...]

    def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("",) + self.service_names:
            self.health.set(name, status)

    def stop(self, grace: float = 5.0) -> None:
        """Tell load balancers first (NOT_SERVING), then let in-flight calls finish within `grace`."""
        self.set_serving(False)
        self.server.stop(grace).wait(grace + 1)


def create_server(
    *,
    service: str,
    registrations: Sequence[tuple[Callable[[Any, grpc.Server], None], Any, str]],
    verifier: Verifier,
    port: int,
    host: str = "0.0.0.0",
    max_workers: int = 16,
    max_message_bytes: int = 32 * 1024 * 1024,
    interceptors: Sequence[grpc.ServerInterceptor] = (),
) -> RunningServer:
    """Start a server with the given (add_XServicer_to_server, servicer, full service name) triples.

    Port 0 picks a free port (tests). Health starts NOT_SERVING; the caller sets SERVING once its
    database answers. Every call but health and reflection must carry a token `verifier` accepts
    (libs/common/call_auth.py); there is no server without one. `interceptors` run inside the
    metrics/error one and the token check (its error mapping covers them).
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{service}-grpc"),
        interceptors=[ServerInterceptor(service), VerifyingInterceptor(service, verifier), *interceptors],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
    )
    names = []
    for add, servicer, name in registrations:
        add(servicer, server)
        names.append(name)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        tuple(names) + (health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise RuntimeError(f"{service}: could not bind gRPC port {host}:{port}")
    server.start()
    running = RunningServer(server, bound, health_servicer, tuple(names))
    running.set_serving(False)
    logger.info("%s gRPC listening on %s:%s", service, host, bound)
    return running
