"""Installation settings (SPEC §7), read from the environment with sensible defaults."""

import os
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.sessions import Lifetimes
from db.engine import DEFAULT_DATABASE_URL

LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = "funnel@localhost"
    starttls: bool = False


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    language: str = "en"
    time_zone: str = "UTC"
    currency: str = "USD"
    demo_mode: bool = True
    session_idle_hours: float = 8.0  # a session unused this long ends (SESSION_IDLE_HOURS)
    session_lifetime_days: float = 30.0  # and any session ends this long after sign-in (SESSION_LIFETIME_DAYS)
    api_rate_per_minute: int = 120  # calls a minute per API token and app process (API_RATE_PER_MINUTE)
    app_url: str = "http://localhost:8501"  # the app's address, for the links in e-mails (APP_URL)
    smtp: Smtp | None = None  # where e-mails go (SMTP_HOST …); none: no e-mail is sent

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def session_lifetimes(self) -> Lifetimes:
        return Lifetimes(
            idle=timedelta(hours=self.session_idle_hours), absolute=timedelta(days=self.session_lifetime_days)
        )


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    settings = Settings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        language=env.get("APP_LANGUAGE", "en"),
        time_zone=env.get("APP_TIME_ZONE", "UTC"),
        currency=env.get("APP_CURRENCY", "USD"),
        demo_mode=env.get("DEMO_MODE", "1").lower() not in ("0", "false", "no"),
        session_idle_hours=_positive(env, "SESSION_IDLE_HOURS", 8.0),
        session_lifetime_days=_positive(env, "SESSION_LIFETIME_DAYS", 30.0),
        api_rate_per_minute=int(_positive(env, "API_RATE_PER_MINUTE", 120)),
        app_url=(env.get("APP_URL") or "http://localhost:8501").rstrip("/"),
        smtp=_smtp(env),
    )
    if settings.language not in LANGUAGES:
        raise ValueError(f"APP_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    try:
        ZoneInfo(settings.time_zone)
    except ZoneInfoNotFoundError as error:
        raise ValueError(f"APP_TIME_ZONE {settings.time_zone!r} is not a known time zone") from error
    return settings


def _positive(env, name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, not {text!r}")
    return value


def _smtp(env) -> Smtp | None:
    host = env.get("SMTP_HOST")
    if not host:
        return None
    return Smtp(
        host=host,
        port=int(_positive(env, "SMTP_PORT", 25)),
        user=env.get("SMTP_USER", ""),
        password=env.get("SMTP_PASSWORD", ""),
        sender=env.get("SMTP_FROM") or "funnel@localhost",
        starttls=env.get("SMTP_STARTTLS", "0").lower() in ("1", "true", "yes"),
    )
