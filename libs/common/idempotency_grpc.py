"""Idempotency keys on the wire: the metadata, who the caller is, the body's fingerprint, and the server
interceptor that runs a service's declared write methods through the IdempotencyStore."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from libs.common import call_auth
from libs.common.actor import Actor
from libs.common.idempotency import IdempotencyStore, check_key

# The key travels in this gRPC metadata entry; a replayed answer carries REPLAYED_METADATA = "true".
METADATA_KEY = "idempotency-key"
REPLAYED_METADATA = "idempotent-replayed"
# Left out of the fingerprint: who asks is the scope, not the body, and RegisterItem's request_id is the
# ledger's older key for the same request.
NOT_FINGERPRINTED = ("actor", "request_id")
# Fields by which a request carries the domain's own key for its effect (a finding's client_key from the
# tablet, RegisterItem's request_id): such an effect may run again when its first response was lost.
SELF_KEYS = ("client_key", "request_id")


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str

    def __str__(self) -> str:
        return f"{self.role}:{self.user_id}"


def caller_of(request: Message, context: grpc.ServicerContext | None = None) -> Caller:
    """Who is asking, for scoping keys: the caller the call's token proved (libs/common/call_auth.py);
    outside a verified call (an in-process test of the interceptor) the request's `actor`."""
    actor = call_auth.caller() or Actor.from_proto(getattr(request, "actor", None))
    return Caller(actor.user_id, actor.role)


def scope_of(caller: Caller, method: str) -> str:
    return f"{caller}|{method}"


def fingerprint(request: Message) -> str:
    """SHA-256 of the request serialized deterministically, without the key and actor fields."""
    left_out = [name for name in NOT_FINGERPRINTED if name in request.DESCRIPTOR.fields_by_name]
    if left_out:
        body = type(request)()
        body.CopyFrom(request)
        for name in left_out:
            body.ClearField(name)
        request = body
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


def self_keyed(request: Message) -> bool:
    """Whether the body names its effect by a key of its own (SELF_KEYS), non-empty."""
    fields = request.DESCRIPTOR.fields_by_name
    return any(name in fields and getattr(request, name) for name in SELF_KEYS)


def key_in(metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    """The call's key ("" for none), refused with InvalidInput when too long."""
    for name, value in metadata or ():
        if name == METADATA_KEY:
            return check_key(value if isinstance(value, str) else value.decode("ascii", "replace"))
    return ""


def write_methods(service: str, names: Sequence[str]) -> tuple[str, ...]:
    """Full method names ("/pkg.Service/Method") of a service's writes; an unknown name fails at import."""
    methods = descriptor_pool.Default().FindServiceByName(service).methods_by_name
    unknown = [n for n in names if n not in methods]
    if unknown:
        raise ValueError(f"{service} has no methods {unknown}")
    return tuple(f"/{service}/{name}" for name in names)


def _response_class(method: str) -> type[Message]:
    service, name = method.lstrip("/").split("/")
    output = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name].output_type
    return message_factory.GetMessageClass(output)


class IdempotencyInterceptor(grpc.ServerInterceptor):
    """Runs the given unary write methods through the store when the call carries a key; every other
    call passes untouched. Installed inside the metrics/error interceptor, so its errors are mapped."""

    def __init__(self, store: IdempotencyStore, methods: Iterable[str]) -> None:
        self.store = store
        self.decoders: dict[str, Callable[[bytes], Message]] = {m: _response_class(m).FromString for m in methods}

    def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        decode = self.decoders.get(method)
        if handler is None or decode is None or handler.unary_unary is None:
            return handler
        behaviour, store = handler.unary_unary, self.store
        metadata = handler_call_details.invocation_metadata

        def keyed(request: Message, context: grpc.ServicerContext) -> Any:
            key = key_in(metadata)
            if not key:
                return behaviour(request, context)
            # The claim outlasts the call's own deadline: a slow first call is not overtaken by its retry.
            remaining = context.time_remaining()
            lease = max(store.lease, dt.timedelta(seconds=remaining + 1)) if remaining else store.lease
            response, replayed = store.run(method, scope_of(caller_of(request, context), method), key,
                                           fingerprint(request), lambda: behaviour(request, context), decode, lease,
                                           rerunnable=self_keyed(request))
            if replayed:
                context.send_initial_metadata(((REPLAYED_METADATA, "true"),))
            return response

        return handler._replace(unary_unary=keyed)
