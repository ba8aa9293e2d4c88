"""Inspection's settings; every environment variable it reads is named here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.config import ServiceSettings, env_int, env_str, service_basics
from libs.common.lights import LightPolicy
from libs.common.policy import Policy
from libs.common.storage import StorageSettings


@dataclass(frozen=True)
class Settings(ServiceSettings):
    storage: StorageSettings
    light: LightPolicy
    office_name: str
    plan_no_pattern: str
    photo_max_bytes: int
    photo_max_pixels: int
    rectification_working_days: int  # the deadline an order proposes when the inspector names none
    sweep_interval_seconds: int
    directory_ttl_seconds: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        shared = Policy.from_env(env)
        return cls(
            **service_basics("inspection", 50053, 9103, env),  # type: ignore[arg-type]
            storage=StorageSettings.from_env("var/files", env),
            light=LightPolicy(yellow_within=shared.yellow_within),
            office_name=env_str("DUBAN_OFFICE_NAME", "区委区政府督查室", env),
            plan_no_pattern=env_str("DUBAN_PLAN_NO_PATTERN", "督查方案〔{year}〕{seq}号", env),
            photo_max_bytes=env_int("DUBAN_PHOTO_MAX_BYTES", 15 * 1024 * 1024, env, minimum=1024),
            photo_max_pixels=env_int("DUBAN_PHOTO_MAX_PIXELS", 40_000_000, env, minimum=10_000),
            rectification_working_days=env_int("DUBAN_RECTIFICATION_WORKING_DAYS", 5, env, minimum=1),
            sweep_interval_seconds=env_int("DUBAN_SWEEP_INTERVAL_SECONDS", 300, env),
            directory_ttl_seconds=env_int("DUBAN_DIRECTORY_TTL_SECONDS", 60, env, minimum=1),
        )
