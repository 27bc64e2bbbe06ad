"""Installation settings (SPEC §7), read from the environment with sensible defaults."""

import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from db.engine import DEFAULT_DATABASE_URL

LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    language: str = "en"
    time_zone: str = "UTC"
    currency: str = "USD"
    demo_mode: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    settings = Settings(
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        language=env.get("APP_LANGUAGE", "en"),
        time_zone=env.get("APP_TIME_ZONE", "UTC"),
        currency=env.get("APP_CURRENCY", "USD"),
        demo_mode=env.get("DEMO_MODE", "1").lower() not in ("0", "false", "no"),
    )
    if settings.language not in LANGUAGES:
        raise ValueError(f"APP_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    try:
        ZoneInfo(settings.time_zone)
    except ZoneInfoNotFoundError as error:
        raise ValueError(f"APP_TIME_ZONE {settings.time_zone!r} is not a known time zone") from error
    return settings
