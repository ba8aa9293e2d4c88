"""The gateway's settings; every environment variable it reads is named here."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.config import CallAuthSettings, ConfigError, call_auth_from_env, env_bool, env_int, env_str
from libs.common.policy import Policy
from libs.common.service_table import SERVICES


def _signing(env: Mapping[str, str] | None) -> CallAuthSettings:
    settings = call_auth_from_env(env)
    if not settings.signing_key:
        raise ConfigError("DUBAN_CALL_SIGNING_KEY is required: the gateway's private key, with which it signs "
                          "each service call for the person acting (README, 'Service calls')")
    return settings


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    service_addrs: Mapping[str, str]  # where each service of the service table listens
    policy: Policy  # the numbers pages and documents show (the services apply the same settings)
    grpc_timeout_seconds: float
    log_level: str
    login_max_failures: int
    login_lock_minutes: int
    token_days: int
    device_token_days: int  # a bound tablet's token (revocable at any time by the office)
    session_hours: int
    upload_max_bytes: int
    photo_upload_max_bytes: int  # one request's photos (a finding's, a rectification's); under gRPC's 32 MB
    secure_cookies: bool
    org_name: str
    migrate_on_start: bool
    metrics_port: int
    call_auth: CallAuthSettings  # the gateway's signing key: every service call carries its token

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        secret = env_str("DUBAN_SECRET_KEY", "", env)
        dev = env_bool("DUBAN_DEV", False, env)
        if not secret:
            if not dev:
                raise ConfigError("DUBAN_SECRET_KEY is required (set DUBAN_DEV=true for a throwaway dev key)")
            secret = secrets.token_hex(32)
        if len(secret) < 16:
            raise ConfigError("DUBAN_SECRET_KEY must be at least 16 characters")
        return cls(
            database_url=env_str("DUBAN_DATABASE_URL", "sqlite:///var/gateway.db", env),
            secret_key=secret,
            policy=Policy.from_env(env),
            service_addrs={row.name: env_str(row.addr_env, f"127.0.0.1:{row.grpc_port}", env) for row in SERVICES},
            grpc_timeout_seconds=env_int("DUBAN_GRPC_TIMEOUT_SECONDS", 10, env, minimum=1),
            log_level=env_str("DUBAN_LOG_LEVEL", "INFO", env),
            login_max_failures=env_int("DUBAN_LOGIN_MAX_FAILURES", 5, env, minimum=1),
            login_lock_minutes=env_int("DUBAN_LOGIN_LOCK_MINUTES", 15, env, minimum=1),
            token_days=env_int("DUBAN_TOKEN_DAYS", 30, env, minimum=1),
            device_token_days=env_int("DUBAN_DEVICE_TOKEN_DAYS", 90, env, minimum=1),
            session_hours=env_int("DUBAN_SESSION_HOURS", 12, env, minimum=1),
            upload_max_bytes=env_int("DUBAN_IMPORT_MAX_BYTES", 10 * 1024 * 1024, env, minimum=1024),
            photo_upload_max_bytes=env_int("DUBAN_PHOTO_UPLOAD_MAX_BYTES", 30 * 1024 * 1024, env, minimum=1024),
            secure_cookies=env_bool("DUBAN_SECURE_COOKIES", not dev, env),
            org_name=env_str("DUBAN_ORG_NAME", "海东市平安区政府系统", env),
            migrate_on_start=env_bool("DUBAN_MIGRATE_ON_START", True, env),
            # Non-zero: the gunicorn master serves /metrics there (gunicorn_conf.py), not the portal.
            metrics_port=env_int("DUBAN_METRICS_PORT", 0, env),
            call_auth=_signing(env),
        )
