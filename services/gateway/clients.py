"""gRPC clients of the services, one channel per process, every call with a deadline.

A domain error from a service comes back as the same DomainError (with its field errors); a service
that is down becomes ServiceUnavailable, which the gateway answers with 503.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import grpc

from libs.common.actor import Actor
from libs.common.call_auth import Signer, signed_channel
from libs.common.grpc_errors import from_rpc_error
from libs.common.idempotency_grpc import METADATA_KEY, REPLAYED_METADATA
from libs.common.service_table import SERVICES


class ServiceUnavailable(Exception):
    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} unavailable: {detail}")
        self.service = service


class ServiceFailed(Exception):
    """The service answered, with an internal error (a bug, not an outage): told as what it is."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} failed: {detail}")
        self.service = service


# Codes that mean the service is away or slow; anything else that is no domain error is a failure.
AWAY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


class ServiceClient:
    """One service's stub; every call carries a token the gateway signs for the person `acting(request)`
    names (libs/common/call_auth.py)."""

    def __init__(self, name: str, address: str, stub_class: type, timeout: float, signer: Signer,
                 acting: Callable[[Any], Actor | None]) -> None:
        self.name = name
        self.timeout = timeout
        self.channel = signed_channel(
            address, signer, name, acting,
            options=[
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
                # A restarted service (rolling update, crash) is found again within a second or two.
                ("grpc.initial_reconnect_backoff_ms", 200),
                ("grpc.min_reconnect_backoff_ms", 200),
                ("grpc.max_reconnect_backoff_ms", 2000),
            ],
        )
        self.stub = stub_class(self.channel)
        # Known connectivity: calls on a READY channel get their full deadline; while the service is
        # away (restart, crash) a call waits for it at most the base timeout, then answers 503.
        self.state = grpc.ChannelConnectivity.IDLE
        self.channel.subscribe(self._on_state, try_to_connect=True)

    def _on_state(self, state: grpc.ChannelConnectivity) -> None:
        self.state = state

    def _deadline(self, timeout: float | None) -> float:
        wanted = timeout or self.timeout
        return wanted if self.state == grpc.ChannelConnectivity.READY else min(wanted, self.timeout)

    def call(self, method: str, request: Any, timeout: float | None = None, idempotency_key: str = "") -> Any:
        """The response; with `idempotency_key` a write is done at most once per key (see call_keyed)."""
        if idempotency_key:
            return self.call_keyed(method, request, idempotency_key, timeout)[0]
        try:
            # wait_for_ready: during a restart the call waits (within its deadline) instead of failing at once.
            return getattr(self.stub, method)(request, timeout=self._deadline(timeout), wait_for_ready=True)
        except grpc.RpcError as exc:
            raise self._translate(exc) from None

    def call_keyed(self, method: str, request: Any, idempotency_key: str, timeout: float | None = None,
                   ) -> tuple[Any, bool]:
        """(response, replayed): the key goes in the call's metadata; `replayed` when the service answered
        with the stored response of an earlier call with the same key."""
        try:
            response, call = getattr(self.stub, method).with_call(
                request, timeout=self._deadline(timeout), wait_for_ready=True,
                metadata=((METADATA_KEY, idempotency_key),))
        except grpc.RpcError as exc:
            raise self._translate(exc) from None
        return response, (REPLAYED_METADATA, "true") in (call.initial_metadata() or ())

    def stream(self, method: str, request: Any, timeout: float | None = None) -> Iterator[Any]:
        try:
            yield from getattr(self.stub, method)(request, timeout=self._deadline(timeout or self.timeout * 6),
                                                  wait_for_ready=True)
        except grpc.RpcError as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: grpc.RpcError) -> Exception:
        domain = from_rpc_error(exc)
        if domain is not None:
            return domain
        detail = f"{exc.code().name}: {exc.details()}"
        if exc.code() in AWAY:
            return ServiceUnavailable(self.name, detail)
        return ServiceFailed(self.name, detail)

    def close(self) -> None:
        self.channel.unsubscribe(self._on_state)
        self.channel.close()


def service_clients(addrs: Mapping[str, str], timeout: float, signer: Signer,
                    acting: Callable[[Any], Actor | None]) -> dict[str, ServiceClient]:
    """A client for every service of the service table, by name (app.extensions[name])."""
    return {row.name: ServiceClient(row.name, addrs[row.name], row.stub_class(), timeout, signer, acting)
            for row in SERVICES}
