"""Who is calling a service, proven: every gRPC call carries a short-lived token signed by its caller.

The gateway mints, per call, a JWT signed with its Ed25519 private key (EdDSA) that names the person
acting; a service, a job or an operator's tool signs with its own key and acts as itself (the role
`system`). Every service verifies the token against the trusted public keys (a JWKS file: one entry per
signing key, its `kid`, and two members of our own: `iss`, the only issuer that key may sign for, and
`people`, whether that issuer may name a person) and refuses a call without a valid one with
UNAUTHENTICATED. The verified actor replaces whatever the request's `actor` field said, so a use case
reading `request.actor` reads what the token proved; `caller()` gives it to calls without that field.

Rotation: add the new key to the trusted set everywhere, then switch the signer to it (its kid), then
remove the old one once the longest token lifetime has passed. The private key lives only with its
signer (the gateway's only in the gateway's Secret).
"""

from __future__ import annotations

import argparse
import contextvars
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from google.protobuf.message import Message

from libs.common import metrics
from libs.common.actor import Actor
from libs.common.config import CallAuthSettings, ConfigError
from libs.common.permissions import PERSON_ROLES, SYSTEM

METADATA_KEY = "authorization"  # "Bearer <token>", as HTTP would carry it
ALGORITHM = "EdDSA"
TOKEN_SECONDS = 60  # a token is minted per call; a minute covers the longest call's deadline and clock skew
MINTED_KEPT = 1024  # tokens a signer keeps for reuse within their second
MAX_TOKEN_SECONDS = 300  # a longer-lived token is refused, whoever signed it
LEEWAY_SECONDS = 5  # clock skew between pods
# Calls anyone may make: health probes (kubelets, load balancers) and reflection (grpcurl discovering the
# schema, which is public in proto/) carry no token, and neither reads nor changes any data.
OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class Unauthenticated(Exception):
    """The call's token is missing, malformed, expired, for another service or signed by an unknown key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason  # a metric label: missing | invalid | expired | unknown_key | wrong_issuer | ...


# -- keys ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrustedKey:
    kid: str
    issuer: str  # the only `iss` this key may sign for
    people: bool  # whether its issuer may name a person (the gateway) or only act as itself
    key: Ed25519PublicKey


class KeySet:
    """The public keys a service trusts, by key id."""

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        self.by_kid = {k.kid: k for k in keys}

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> KeySet:
        keys = []
        for entry in jwks.get("keys", []):
            if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
                raise ValueError(f"trusted key {entry.get('kid')!r}: only Ed25519 (OKP) keys are accepted")
            key = jwt.PyJWK(dict(entry), algorithm=ALGORITHM).key
            assert isinstance(key, Ed25519PublicKey), entry.get("kid")
            keys.append(TrustedKey(str(entry["kid"]), str(entry["iss"]), bool(entry.get("people", False)), key))
        return cls(keys)

    @classmethod
    def load(cls, path: str | Path) -> KeySet:
        return cls.from_jwks(json.loads(Path(path).read_text(encoding="utf-8")))


def public_jwk(kid: str, issuer: str, people: bool, key: Ed25519PublicKey) -> dict[str, Any]:
    """A trusted-set entry for `key` (a JWK with our `iss` and `people` members)."""
    jwk: dict[str, Any] = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key))
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM, "iss": issuer, "people": people}


# -- signing ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Signer:
    """Mints the tokens of one caller: `issuer` (gateway, a service's name, operator) with key `kid`."""

    issuer: str
    kid: str
    key: Ed25519PrivateKey
    people: bool = False  # whether this signer names people (only if its trusted entry says so too)
    seconds: int = TOKEN_SECONDS

    @classmethod
    def load(cls, issuer: str, kid: str, pem_path: str | Path, people: bool = False) -> Signer:
        key = serialization.load_pem_private_key(Path(pem_path).read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{pem_path}: not an Ed25519 private key")
        return cls(issuer, kid, key, people)

    # Tokens minted this second, by (audience, second, actor): the claims are the same for every call of
    # one caller within a second and Ed25519 signatures are deterministic, so the token is too - it is
    # signed once (0.05-0.09 ms) instead of per call. Cleared when it grows past MINTED_KEPT.
    _minted: dict[tuple[Any, ...], str] = field(default_factory=dict, compare=False, repr=False)

    def token(self, audience: str, actor: Actor | None = None) -> str:
        """A token for one call to `audience` (a service name); `actor` names the person acting (only
        for a signer of people), None: the signer acts as itself."""
        now = int(time.time())
        memo = (audience, now, actor)
        minted = self._minted.get(memo)
        if minted is not None:
            return minted
        minted = self._mint(audience, now, actor)
        if len(self._minted) >= MINTED_KEPT:
            self._minted.clear()
        self._minted[memo] = minted
        return minted

    def _mint(self, audience: str, now: int, actor: Actor | None) -> str:
        claims: dict[str, Any] = {"iss": self.issuer, "aud": audience, "iat": now, "exp": now + self.seconds,
                                  "sub": self.issuer}
        if actor is not None:
            if not self.people:
                raise ValueError(f"{self.issuer} acts as itself; it cannot name a person")
            claims["sub"] = actor.user_id
            claims["actor"] = {"name": actor.name, "role": actor.role, "unit_id": actor.unit_id,
                               "person_id": actor.person_id, "extra_roles": list(actor.extra_roles)}
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def metadata(self, audience: str, actor: Actor | None = None) -> tuple[tuple[str, str]]:
        return ((METADATA_KEY, f"Bearer {self.token(audience, actor)}"),)


def generate(issuer: str, kid: str, people: bool = False) -> tuple[Signer, dict[str, Any]]:
    """A new key pair: the signer and its trusted-set entry."""
    key = Ed25519PrivateKey.generate()
    return Signer(issuer, kid, key, people), public_jwk(kid, issuer, people, key.public_key())


def private_pem(signer: Signer) -> bytes:
    return signer.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())


def write_keys(directory: Path, signers: Sequence[tuple[str, bool]], kid_suffix: str = "1") -> Path:
    """Generate a key for each (issuer, people) into `directory` (<issuer>.pem, mode 0600) and the
    trusted set of all of them (trusted.json); returns the trusted set's path. The embedded stack and
    the tests use it; a deployment generates its keys with `python -m libs.common.call_auth keygen`."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for issuer, people in signers:
        signer, entry = generate(issuer, f"{issuer}-{kid_suffix}", people)
        pem = directory / f"{issuer}.pem"
        pem.write_bytes(private_pem(signer))
        pem.chmod(0o600)
        entries.append(entry)
    trusted = directory / "trusted.json"
    trusted.write_text(json.dumps({"keys": entries}, indent=1), encoding="utf-8")
    return trusted


# -- verifying ----------------------------------------------------------------------------------------
class Verifier:
    """Checks the tokens of calls to `audience` against `keys`."""

    # A token is minted per call, but the same caller's calls within one second carry the same token
    # (the claims are the same and Ed25519 signatures are deterministic): a page's several calls, a
    # busy office. Checking its signature again would cost ~0.3 ms each time.
    CACHE_SIZE = 4096

    def __init__(self, keys: KeySet, audience: str) -> None:
        self.keys, self.audience = keys, audience
        self._verified: dict[str, tuple[Actor, int]] = {}  # token -> (actor, exp)

    def verify(self, token: str) -> Actor:
        known = self._verified.get(token)
        if known is not None:
            if known[1] + LEEWAY_SECONDS < time.time():
                raise Unauthenticated("expired", "token expired")
            return known[0]
        actor, expires = self._check(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()  # bounded; the next calls fill it again
        self._verified[token] = (actor, expires)
        return actor

    def _check(self, token: str) -> tuple[Actor, int]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid", f"malformed token: {exc}") from None
        trusted = self.keys.by_kid.get(str(header.get("kid", "")))
        if trusted is None:
            raise Unauthenticated("unknown_key", f"token signed by unknown key {header.get('kid')!r}")
        try:
            claims = jwt.decode(token, trusted.key, algorithms=[ALGORITHM], audience=self.audience,
                                issuer=trusted.issuer, leeway=LEEWAY_SECONDS,
                                options={"require": ["iss", "aud", "iat", "exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("expired", "token expired") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("wrong_issuer", f"key {trusted.kid} does not sign for that issuer") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("wrong_audience", f"token is not for {self.audience}") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid", f"invalid token: {exc}") from None
        if int(claims["exp"]) - int(claims["iat"]) > MAX_TOKEN_SECONDS:
            raise Unauthenticated("too_long", f"token lives longer than {MAX_TOKEN_SECONDS} s")
        return self._actor(trusted, claims), int(claims["exp"])

    @staticmethod
    def _actor(trusted: TrustedKey, claims: Mapping[str, Any]) -> Actor:
        person = claims.get("actor")
        if person is None:  # the signer acts as itself: a service, a job, an operator's tool
            return Actor(user_id=trusted.issuer, name=trusted.issuer, role=SYSTEM)
        if not trusted.people:
            raise Unauthenticated("not_for_people", f"{trusted.issuer} may not name a person")
        if not isinstance(person, Mapping):
            raise Unauthenticated("invalid", "actor claim is no object")
        roles = [person.get("role"), *person.get("extra_roles", [])]
        if any(role not in PERSON_ROLES for role in roles):
            raise Unauthenticated("invalid", f"actor claim names roles {roles} no person holds")
        return Actor(user_id=str(claims["sub"]), name=str(person.get("name", "")), role=str(person["role"]),
                     unit_id=str(person.get("unit_id", "")), person_id=str(person.get("person_id", "")),
                     extra_roles=tuple(str(r) for r in person.get("extra_roles", [])))


_CALLER: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("duban_caller", default=None)


def caller() -> Actor | None:
    """The verified caller of the gRPC call being served (None outside one, e.g. in a job)."""
    return _CALLER.get()


def _token_in(metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    for name, value in metadata or ():
        if name == METADATA_KEY:
            text = value if isinstance(value, str) else value.decode("ascii", "replace")
            scheme, _, token = text.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated("invalid", "authorization metadata is not 'Bearer <token>'")
            return token.strip()
    raise Unauthenticated("missing", "call carries no token")


def _with_actor(request: Any, actor: Actor) -> None:
    """The verified actor replaces whatever the request said (a caller cannot name someone else)."""
    if isinstance(request, Message) and "actor" in request.DESCRIPTOR.fields_by_name:
        request.actor.CopyFrom(actor.to_proto())  # type: ignore[attr-defined]


class VerifyingInterceptor(grpc.ServerInterceptor):
    """Refuses every call but the open ones (health) without a valid token for this service; serves
    the rest with the verified actor in `request.actor` and in `caller()`. Installed right inside the
    metrics interceptor, so refused calls are counted and nothing else runs for them."""

    def __init__(self, service: str, verifier: Verifier) -> None:
        self.service, self.verifier = service, verifier

    def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(OPEN_PREFIXES):
            return handler
        service, verifier = self.service, self.verifier

        def authenticate(context: grpc.ServicerContext) -> Actor:
            try:
                return verifier.verify(_token_in(handler_call_details.invocation_metadata))
            except Unauthenticated as exc:
                metrics.CALLS_REFUSED.labels(service, exc.reason).inc()
                context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
                raise  # abort raises; this only tells the type checker

        def unary(behaviour: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
                actor = authenticate(context)
                _with_actor(request, actor)
                reset = _CALLER.set(actor)
                try:
                    return behaviour(request, context)
                finally:
                    _CALLER.reset(reset)
            return wrapped

        def stream(behaviour: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
            def wrapped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
                actor = authenticate(context)
                _with_actor(request, actor)
                reset = _CALLER.set(actor)
                try:
                    yield from behaviour(request, context)
                finally:
                    _CALLER.reset(reset)
            return wrapped

        if handler.unary_unary:
            return handler._replace(unary_unary=unary(handler.unary_unary))
        if handler.unary_stream:
            return handler._replace(unary_stream=stream(handler.unary_stream))
        # No client-streaming RPCs exist; refuse them rather than serve them unchecked.
        def refuse(request: Any, context: grpc.ServicerContext) -> Any:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "streaming requests are not served")
        if handler.stream_unary:
            return handler._replace(stream_unary=refuse)
        return handler._replace(stream_stream=refuse)


# -- calling ------------------------------------------------------------------------------------------
class _Details(NamedTuple):
    method: str
    timeout: float | None
    metadata: Sequence[tuple[str, str | bytes]] | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class _CallDetails(_Details, grpc.ClientCallDetails):  # type: ignore[misc]
    pass


def actor_in_request(request: Any) -> Actor | None:
    """The person a request's `actor` field names (None if it has none): the default for a signer of
    people (the gateway sets the field; tests do too)."""
    field = getattr(request, "actor", None)
    return Actor.from_proto(field) if field is not None and field.ByteSize() and field.role != SYSTEM else None


class SigningInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds a fresh token to every call to `audience`; `actor_of(request)` names the person acting
    (None: the signer acts as itself)."""

    def __init__(self, signer: Signer, audience: str,
                 actor_of: Callable[[Any], Actor | None] | None = None) -> None:
        self.signer, self.audience = signer, audience
        self.actor_of = actor_of or (actor_in_request if signer.people else (lambda request: None))

    def _signed(self, details: grpc.ClientCallDetails, request: Any) -> grpc.ClientCallDetails:
        metadata = [*(details.metadata or ()), *self.signer.metadata(self.audience, self.actor_of(request))]
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(self._signed(client_call_details, request), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(self._signed(client_call_details, request), request)


def signed_channel(address: str, signer: Signer, audience: str,
                   actor_of: Callable[[Any], Actor | None] | None = None,
                   options: Sequence[tuple[str, Any]] = ()) -> grpc.Channel:
    """A channel to the service `audience` at `address` whose every call carries the signer's token."""
    return grpc.intercept_channel(grpc.insecure_channel(address, options=list(options)),
                                  SigningInterceptor(signer, audience, actor_of))


# -- settings -----------------------------------------------------------------------------------------
def verifier_for(settings: CallAuthSettings, audience: str) -> Verifier:
    """The verifier of calls to `audience`; refuses to start without a trusted set (deny by default)."""
    if not settings.trusted_keys:
        raise ConfigError("DUBAN_CALL_TRUSTED_KEYS is required: the trusted public keys (JWKS) of the "
                          "callers this service accepts (README, 'Service calls')")
    try:
        return Verifier(KeySet.load(settings.trusted_keys), audience)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"DUBAN_CALL_TRUSTED_KEYS={settings.trusted_keys}: {exc}") from None


def signer_for(settings: CallAuthSettings, issuer: str, people: bool = False) -> Signer | None:
    """This process's signer, or None where it has no key (it then calls no other service)."""
    if not settings.signing_key:
        return None
    try:
        return Signer.load(issuer, settings.key_id or f"{issuer}-1", settings.signing_key, people)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"DUBAN_CALL_SIGNING_KEY={settings.signing_key}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    """`python -m libs.common.call_auth keygen --issuer gateway --kid gateway-2026-12 --people
    --private gateway.pem --trusted trusted.json`: a new key; its public entry is added to (or replaces
    the same kid in) the trusted set."""
    parser = argparse.ArgumentParser(prog="python -m libs.common.call_auth")
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="generate a signing key and add it to a trusted set")
    keygen.add_argument("--issuer", required=True, help="gateway, a service's name, or operator")
    keygen.add_argument("--kid", required=True, help="key id, e.g. gateway-2026-12")
    keygen.add_argument("--people", action="store_true", help="this issuer may name people (the gateway)")
    keygen.add_argument("--private", type=Path, required=True, help="where to write the private key (PEM)")
    keygen.add_argument("--trusted", type=Path, required=True, help="the trusted set (JWKS) to add it to")
    args = parser.parse_args(argv)
    signer, entry = generate(args.issuer, args.kid, args.people)
    args.private.write_bytes(private_pem(signer))
    os.chmod(args.private, 0o600)
    trusted = json.loads(args.trusted.read_text(encoding="utf-8")) if args.trusted.exists() else {"keys": []}
    trusted["keys"] = [k for k in trusted["keys"] if k.get("kid") != args.kid] + [entry]
    args.trusted.write_text(json.dumps(trusted, indent=1), encoding="utf-8")
    print(f"{args.private}: private key {args.kid} of {args.issuer}; {args.trusted}: {len(trusted['keys'])} keys")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
