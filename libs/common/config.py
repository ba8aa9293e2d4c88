"""Reading settings from the environment: one place for parsing and for the error a bad value gives."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

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


@dataclass(frozen=True)
class ServiceSettings:
    """What every gRPC service reads the same way (see service_basics); services extend it."""

    database_url: str
    kafka_bootstrap: str
    grpc_port: int
    grpc_host: str
    metrics_port: int
    log_level: str
    calendar_dir: str
    migrate_on_start: bool
    fixed_now: str
    org_name: str
    clock_control: bool
    group_prefix: str


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
    }
