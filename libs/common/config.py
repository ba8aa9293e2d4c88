"""Reading settings from the environment: one place for parsing and for the error a bad value gives."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from libs.common.service_table import SERVICES

S = TypeVar("S")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; raised at start-up, before anything connects."""


def _lookup(name: str, env: Mapping[str, str] | None) -> str | None:
    value = (env if env is not None else os.environ).get(name)
    return value if value not in (None, "") else None


def env_str(name: str, default: str | None = None, env: Mapping[str, str] | None = None) -> str:
    value = _lookup(name, env)
    if value is None:
        if default is None:
            raise ConfigError(f"environment variable {name} is required")
        return default
    return value


def env_int(name: str, default: int, env: Mapping[str, str] | None = None, minimum: int = 0) -> int:
    raw = _lookup(name, env)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def env_float(name: str, default: float, env: Mapping[str, str] | None = None) -> float:
    raw = _lookup(name, env)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def env_positive(name: str, default: float, env: Mapping[str, str] | None = None) -> float:
    value = env_float(name, default, env)
    if not value > 0:
        raise ConfigError(f"{name} must be > 0, got {value}")
    return value


def env_bool(name: str, default: bool, env: Mapping[str, str] | None = None) -> bool:
    raw = _lookup(name, env)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def settings_or_exit(service: str, factory: Callable[[], S]) -> S:
    """Settings from the environment, or a one-line message and exit code 2 (no traceback)."""
    import sys

    try:
        return factory()
    except ConfigError as exc:
        print(f"{service}: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


# The services a consumer may reconcile with are the service table's, each at its DUBAN_<NAME>_ADDR (the
# same setting the gateway reads). No default address: a source is reconciled only where its address is
# given (a test's in-process service must never reach another stack's service on a default port).


@dataclass(frozen=True)
class ReconcileSettings:
    """How consumers repair what the broker never delivered (libs/common/reconcile.py)."""

    source_addrs: dict[str, str]  # source service -> gRPC address; absent = not reconciled
    interval_seconds: float  # between checks (0 = only at start-up)
    settle_seconds: int  # only events sent at least this long ago count as missed


@dataclass(frozen=True)
class CallAuthSettings:
    """Who may call this process and how it signs its own calls (libs/common/call_auth.py)."""

    trusted_keys: str  # path of the trusted set (JWKS); required to serve gRPC
    signing_key: str  # path of this process's private key (PEM); needed to call another service
    key_id: str  # the kid of signing_key in the trusted set


def call_auth_from_env(env: Mapping[str, str] | None = None) -> CallAuthSettings:
    return CallAuthSettings(trusted_keys=env_str("DUBAN_CALL_TRUSTED_KEYS", "", env),
                            signing_key=env_str("DUBAN_CALL_SIGNING_KEY", "", env),
                            key_id=env_str("DUBAN_CALL_KEY_ID", "", env))


@dataclass(frozen=True)
class ServiceSettings:
    """What every gRPC service reads the same way (see service_basics); services extend it."""

    database_url: str
    kafka_bootstrap: str
    grpc_port: int
    grpc_host: str
    metrics_port: int
    metrics_host: str
    log_level: str
    calendar_dir: str
    migrate_on_start: bool
    fixed_now: str
    org_name: str
    clock_control: bool
    group_prefix: str
    consumer_skip_before_ms: int
    idempotency_retention_hours: float
    idempotency_lease_seconds: float
    outbox_retention_hours: int
    reconcile: ReconcileSettings
    call_auth: CallAuthSettings


def service_basics(
    service: str, grpc_port: int, metrics_port: int, env: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The settings every gRPC service reads the same way (its Settings takes them as **kwargs)."""
    return {
        "database_url": env_str("DUBAN_DATABASE_URL", f"sqlite:///var/{service}.db", env),
        "kafka_bootstrap": env_str("DUBAN_KAFKA_BOOTSTRAP", None, env),
        "grpc_port": env_int("DUBAN_GRPC_PORT", grpc_port, env),
        # A pod listens on every interface; the embedded stack and the tests on loopback only.
        "grpc_host": env_str("DUBAN_GRPC_HOST", "0.0.0.0", env),
        "metrics_host": env_str("DUBAN_METRICS_HOST", "0.0.0.0", env),
        "metrics_port": env_int("DUBAN_METRICS_PORT", metrics_port, env),
        "log_level": env_str("DUBAN_LOG_LEVEL", "INFO", env),
        "calendar_dir": env_str("DUBAN_CALENDAR_DIR", "", env),
        "migrate_on_start": env_bool("DUBAN_MIGRATE_ON_START", True, env),
        "fixed_now": env_str("DUBAN_FIXED_NOW", "", env),
        "org_name": env_str("DUBAN_ORG_NAME", "海东市平安区政府系统", env),
        # Test and demo stacks only: lets ClockControl move this service's clock.
        "clock_control": env_bool("DUBAN_CLOCK_CONTROL", False, env),
        # Replicas of one deployment share consumer groups; separate test stacks on one broker must not.
        "group_prefix": env_str("DUBAN_CONSUMER_GROUP_PREFIX", "", env),
        # Test stacks on a shared broker only: consumers pass over records older than this (ms since the
        # epoch), the events of the stacks before them. 0 (production): every record is applied.
        "consumer_skip_before_ms": env_int("DUBAN_CONSUMER_SKIP_BEFORE_MS", 0, env, minimum=0),
        # How long a write's idempotency key (and its stored answer) is kept; an older key acts as new.
        "idempotency_retention_hours": env_positive("DUBAN_IDEMPOTENCY_RETENTION_HOURS", 24.0, env),
        # How long a claimed key blocks a duplicate before a retry may take it over (at least the call's
        # deadline): only a call that died before committing its effect leaves a claim behind.
        "idempotency_lease_seconds": env_positive("DUBAN_IDEMPOTENCY_LEASE_SECONDS", 30.0, env),
        # Sent outbox rows are kept this long, so consumers can re-fetch what the broker lost.
        "outbox_retention_hours": env_int("DUBAN_OUTBOX_RETENTION_HOURS", 168, env, minimum=1),
        "reconcile": ReconcileSettings(
            source_addrs={row.name: addr for row in SERVICES if (addr := env_str(row.addr_env, "", env))},
            interval_seconds=env_float("DUBAN_RECONCILE_INTERVAL_SECONDS", 60.0, env),
            settle_seconds=env_int("DUBAN_RECONCILE_SETTLE_SECONDS", 60, env),
        ),
        # Who may call this service (trusted public keys) and how it signs its own calls to others.
        "call_auth": call_auth_from_env(env),
    }
