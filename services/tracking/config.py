"""Tracking's settings; every environment variable it reads is named here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.config import ConfigError, ServiceSettings, env_int, env_str, service_basics
from libs.common.lights import LightPolicy
from libs.common.policy import Policy
from libs.common.storage import StorageSettings
from services.tracking.domain import PERIOD_LABELS, TrackingPolicy


def _cadence(raw: str, name: str) -> tuple[str, ...]:
    periods = tuple(p.strip() for p in raw.split(",") if p.strip())
    bad = [p for p in periods if p not in PERIOD_LABELS]
    if bad or not periods:
        raise ConfigError(f"{name} must list periods among {', '.join(PERIOD_LABELS)}, got {raw!r}")
    return periods


@dataclass(frozen=True)
class Settings(ServiceSettings):
    storage: StorageSettings
    policy: TrackingPolicy
    sweep_interval_seconds: int
    notice_no_pattern: str
    office_name: str
    attachment_max_bytes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        shared = Policy.from_env(env)
        policy = TrackingPolicy(
            notice_working_days=shared.notice_working_days,
            ack_working_hours=env_int("DUBAN_ACK_WORKING_HOURS", 4, env, minimum=1),
            cadences={
                "general": _cadence(env_str("DUBAN_REPORT_CADENCE_GENERAL", "weekly", env), "DUBAN_REPORT_CADENCE_GENERAL"),
                "complex": _cadence(env_str("DUBAN_REPORT_CADENCE_COMPLEX", "weekly,monthly", env),
                                    "DUBAN_REPORT_CADENCE_COMPLEX"),
            },
            light=LightPolicy(yellow_within=shared.yellow_within),
        )
        pattern = env_str("DUBAN_NOTICE_NO_PATTERN", "督通〔{year}〕{seq}号", env)
        if "{seq" not in pattern:
            raise ConfigError(f"DUBAN_NOTICE_NO_PATTERN must contain {{seq}}, got {pattern!r}")
        return cls(
            **service_basics("tracking", 50052, 9102, env),  # type: ignore[arg-type]
            storage=StorageSettings.from_env("var/files", env),
            policy=policy,
            sweep_interval_seconds=env_int("DUBAN_SWEEP_INTERVAL_SECONDS", 300, env),
            notice_no_pattern=pattern,
            office_name=env_str("DUBAN_OFFICE_NAME", "区委区政府督查室", env),
            attachment_max_bytes=env_int("DUBAN_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, env, minimum=1024),
        )
