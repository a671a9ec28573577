"""Mend's configuration: environment variables (and a `.env` file) become Flask settings.

Every variable is documented in README.md. Nothing secret has a default in the
code: a missing `SECRET_KEY` is generated once and kept in the instance folder.
"""

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

VERSION = "0.1.0"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret(instance_path: str, name: str, nbytes: int = 32) -> str:
    """Return the secret kept in the instance folder under `name`, creating it on first use.

    The file is created with owner-only permissions in one step (O_EXCL), so two
    processes starting together agree on one value and nobody else can read it.
    """
    path = Path(instance_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def settings_from_environment(instance_path: str) -> dict:
    """Build Flask settings from the environment, loading `.env` first if there is one."""
    load_dotenv(override=False)
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'mend.db'}"
    # SQLAlchemy wants the postgresql:// scheme; many hosts hand out postgres://.
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    message_queue = env.get("SOCKETIO_MESSAGE_QUEUE") or None
    secure_cookies = _flag(env.get("MEND_SECURE_COOKIES"), False)
    host, port = env.get("HOST", "127.0.0.1"), int(env.get("PORT", "5000"))
    # Browsers send the page's origin with every Socket.IO connection; only these are accepted.
    origins = env.get("MEND_ALLOWED_ORIGINS") or f"http://localhost:{port},http://127.0.0.1:{port},http://{host}:{port}"
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or instance_secret(instance_path, "secret_key"),
        # None: sessions/journal.py reads (or on first start generates) instance/journal_key instead.
        "MEND_JOURNAL_KEY": env.get("MEND_JOURNAL_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SOCKETIO_MESSAGE_QUEUE": message_queue,
        "MEND_ASYNC_MODE": env.get("MEND_ASYNC_MODE", "eventlet"),
        "HOST": host,
        "PORT": port,
        "MEND_ALLOWED_ORIGINS": sorted({origin.strip().rstrip("/") for origin in origins.split(",") if origin.strip()}),
        "MEND_DEMO": _flag(env.get("MEND_DEMO"), True),
        # Rate limits must be shared by every process once there are several.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or message_queue or "memory://",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "MEND_SECURE_COOKIES": secure_cookies,
        # Where "Quick exit" sends a participant; by default Mend's own blank page.
        "MEND_QUICK_EXIT_URL": env.get("MEND_QUICK_EXIT_URL") or None,
    }


# Settings that do not come from the environment.
FIXED_SETTINGS = {
    "VERSION": VERSION,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 3600 * 8,
    "RATELIMIT_HEADERS_ENABLED": True,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "PARTICIPANT_COOKIE_DAYS": 365,
}
