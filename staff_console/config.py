"""The console's settings, from the environment (scripts/run.sh sets them)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from clinic_core.staff import IDLE_MINUTES


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the console refuses to start."""


@dataclass(frozen=True)
class Settings:
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 5080
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str | None = None
    db_url: str | None = None  # default: CLINIC_DB_URL, else var/clinic.db
    tracker_url: str | None = None  # default: RASA_TRACKER_DB_URL, else var/rasa_tracker.db
    profile_path: str | None = None  # default: CLINIC_PROFILE, else clinic/profile.yml
    idle_minutes: int = IDLE_MINUTES
    secure_cookies: bool = False  # set STAFF_SECURE_COOKIES=1 behind HTTPS

    @classmethod
    def from_env(cls) -> Settings:
        key = os.environ.get("STAFF_SECRET_KEY", "")
        if len(key) < 32:
            raise ConfigError(
                "STAFF_SECRET_KEY must be set to at least 32 random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return cls(
            secret_key=key,
            host=os.environ.get("STAFF_HOST", "127.0.0.1"),
            port=int(os.environ.get("STAFF_PORT", "5080")),
            rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            rasa_token=os.environ.get("RASA_API_TOKEN") or None,
            db_url=os.environ.get("CLINIC_DB_URL") or None,
            tracker_url=os.environ.get("RASA_TRACKER_DB_URL") or None,
            profile_path=os.environ.get("CLINIC_PROFILE") or None,
            idle_minutes=int(os.environ.get("STAFF_IDLE_MINUTES", str(IDLE_MINUTES))),
            secure_cookies=os.environ.get("STAFF_SECURE_COOKIES", "") in ("1", "true", "yes"),
        )
