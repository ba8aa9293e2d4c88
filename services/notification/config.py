"""Notification's settings; every environment variable it reads is named here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.config import ConfigError, ServiceSettings, env_int, env_str, service_basics
from libs.common.lights import LightPolicy
from libs.common.policy import Policy
from libs.common.storage import StorageSettings
from services.notification import domain
from services.notification.bulletin_templates import COMMITTED_DIR
from services.notification.facts import Thresholds


@dataclass(frozen=True)
class Settings(ServiceSettings):
    storage: StorageSettings
    light: LightPolicy
    office_name: str  # the issuing office printed on bulletins (发文机关)
    document_no_pattern: str  # 文号, e.g. 平督通〔{year}〕{seq}号 ({issue}: the 期数)
    thresholds: Thresholds
    bulletins_since: str  # the job drafts periods ending on or after this day (YYYY-MM-DD)
    clearance_from: str  # MM-DD: from this day of December on, the job drafts the year's 清零 report
    job_interval_seconds: int  # the embedded scheduler (0: off; the chart's CronJobs run the jobs instead)
    ledger_timeout_seconds: int
    template_dir: str  # the bulletin's and the 清零 report's DOCX templates (checked at start-up)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        shared = Policy.from_env(env)
        pattern = env_str("DUBAN_BULLETIN_NO_PATTERN", "平督通〔{year}〕{seq}号", env)
        try:
            domain.check_number_pattern(pattern)
        except ValueError as exc:
            raise ConfigError(f"DUBAN_BULLETIN_NO_PATTERN: {exc}") from exc
        clearance_from = env_str("DUBAN_CLEARANCE_FROM", "12-01", env)
        try:
            domain.clearance_opens(2026, clearance_from)
        except ValueError as exc:
            raise ConfigError(f"DUBAN_CLEARANCE_FROM must be MM-DD, not {clearance_from!r}") from exc
        return cls(
            **service_basics("notification", 50054, 9104, env),  # type: ignore[arg-type]
            storage=StorageSettings.from_env("var/files", env),
            light=LightPolicy(yellow_within=shared.yellow_within),
            office_name=env_str("DUBAN_OFFICE_NAME", "区委区政府督查室", env),
            document_no_pattern=pattern,
            thresholds=Thresholds(
                commend_min_closed=env_int("DUBAN_BULLETIN_COMMEND_MIN_CLOSED", 3, env, minimum=1),
                criticise_min_overdue=env_int("DUBAN_BULLETIN_CRITICISE_MIN_OVERDUE", 1, env, minimum=1),
                requirement_working_days=env_int("DUBAN_BULLETIN_RECTIFY_WORKING_DAYS", 10, env, minimum=1),
                body_cap=env_int("DUBAN_BULLETIN_BODY_CAP", 20, env, minimum=1)),
            bulletins_since=env_str("DUBAN_BULLETINS_SINCE", "2026-01-01", env),
            clearance_from=clearance_from,
            job_interval_seconds=env_int("DUBAN_BULLETIN_JOB_INTERVAL_SECONDS", 600, env),
            ledger_timeout_seconds=env_int("DUBAN_LEDGER_TIMEOUT_SECONDS", 10, env, minimum=1),
            template_dir=env_str("DUBAN_BULLETIN_TEMPLATE_DIR", "", env) or str(COMMITTED_DIR),
        )
