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


def postgres_driver(database_url: str) -> str:
    """Point a PostgreSQL URL at psycopg2: psycopg 3 (SQLAlchemy's default) does not cooperate with eventlet.

    Many hosts hand out `postgres://`, which SQLAlchemy does not know; both spellings become
    `postgresql+psycopg2://`. A URL that names its driver is kept as it is.
    """
    for scheme in ("postgres://", "postgresql://"):
        if database_url.startswith(scheme):
            return "postgresql+psycopg2://" + database_url.removeprefix(scheme)
    return database_url


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def settings_from_environment(instance_path: str) -> dict:
    """Build Flask settings from the environment, loading `.env` first if there is one."""
    load_dotenv(override=False)
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'mend.db'}"
    database_url = postgres_driver(database_url)
    message_queue = env.get("SOCKETIO_MESSAGE_QUEUE") or None
    redis_prefix = env.get("MEND_REDIS_PREFIX") or "mend"
    secure_cookies = _flag(env.get("MEND_SECURE_COOKIES"), False)
    host, port = env.get("HOST", "127.0.0.1"), int(env.get("PORT", "5000"))
    # Browsers send the page's origin with every Socket.IO connection; only these are accepted.
    origins = env.get("MEND_ALLOWED_ORIGINS") or f"http://localhost:{port},http://127.0.0.1:{port},http://{host}:{port}"
    engine_options: dict[str, bool | int] = {}
    if database_url.startswith("postgresql"):
        # A server restart leaves dead connections in the pool: each is tested before use. (An SQLite file
        # has no server to lose, and the test would cost a query on every event.)
        engine_options["pool_pre_ping"] = True
        # Greenlets that hold a connection while they write to sockets or Redis add up under load.
        engine_options["pool_size"] = int(env.get("MEND_DB_POOL_SIZE") or 10)
        engine_options["max_overflow"] = int(env.get("MEND_DB_MAX_OVERFLOW") or 30)
        # A request that waits longer for a connection is answered "busy" (503, the page tries again).
        engine_options["pool_timeout"] = int(env.get("MEND_DB_POOL_TIMEOUT") or 10)
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or instance_secret(instance_path, "secret_key"),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        # None: sessions/journal/operations.py reads (or on first start generates) instance/journal_key instead.
        "MEND_JOURNAL_KEY": env.get("MEND_JOURNAL_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SOCKETIO_MESSAGE_QUEUE": message_queue,
        "HOST": host,
        "PORT": port,
        "MEND_ALLOWED_ORIGINS": sorted({origin.strip().rstrip("/") for origin in origins.split(",") if origin.strip()}),
        "MEND_DEMO": _flag(env.get("MEND_DEMO"), True),
        # Rate limits must be shared by every process once there are several.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or message_queue or "memory://",
        # Several installations (or test runs) can share one Redis without hearing or counting each other.
        "MEND_REDIS_PREFIX": redis_prefix,
        "SOCKETIO_CHANNEL": f"{redis_prefix}-socketio",
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        # How often each process tells the others it is alive; the others clear a silent one's connections.
        "MEND_HEARTBEAT_SECONDS": float(env.get("MEND_HEARTBEAT_SECONDS") or 10),
        "MEND_MAIL_RETRY_SECONDS": tuple(
            float(seconds)
            for seconds in (env.get("MEND_MAIL_RETRY_SECONDS") or "30,120,600").split(",")
            if seconds.strip()
        ),
        # How many connections (sockets and page loads) one process serves at once.
        "MEND_MAX_CONNECTIONS": int(env.get("MEND_MAX_CONNECTIONS") or 5000),
        # How many new connections the kernel holds for a busy process before it drops them (the listen
        # queue; eventlet's own default is 50). A dropped one is retried by the client's kernel after 1,
        # 3, 7 s..., which is how a burst of arrivals turned into page loads of half a minute. The kernel
        # caps it at net.core.somaxconn.
        "MEND_LISTEN_BACKLOG": int(env.get("MEND_LISTEN_BACKLOG") or 4096),
        # Successful joins per address (an IPv6 /64): a limit in flask-limiter's notation. Raise it for an
        # event where more people than this join through one venue's network within the hour.
        "MEND_JOINS_PER_ADDRESS": env.get("MEND_JOINS_PER_ADDRESS") or "40 per hour",
        # Connections must earn their slot (sessions/realtime/slots.py): a request's line and headers
        # arrive within this many seconds, an Engine.IO session joins the live namespace within this
        # many, and one address (an IPv6 /64) holds at most this many Engine.IO sessions at once.
        "MEND_HEADER_SECONDS": float(env.get("MEND_HEADER_SECONDS") or 10),
        "MEND_JOIN_SECONDS": float(env.get("MEND_JOIN_SECONDS") or 10),
        "MEND_CONNECTIONS_PER_ADDRESS": int(env.get("MEND_CONNECTIONS_PER_ADDRESS") or 200),
        # Behind nginx: how many proxies to trust for the client's address and scheme (0: none).
        "MEND_TRUSTED_PROXIES": int(env.get("MEND_TRUSTED_PROXIES") or 0),
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "MEND_SECURE_COOKIES": secure_cookies,
        # How often each process runs retention (facilitation/retention.py); an organisation is worked on by one.
        "MEND_RETENTION_SECONDS": float(env.get("MEND_RETENTION_SECONDS") or 3600),
        # Where "Quick exit" sends a participant; by default Mend's own blank page.
        "MEND_QUICK_EXIT_URL": env.get("MEND_QUICK_EXIT_URL") or None,
        # Janus beside Mend (docs/deployment.md): its admin API for Mend's server, its API for browsers,
        # the secret both sign tokens with, and the VideoRoom's admin key. Unset: no Janus.
        "MEND_JANUS_ADMIN_URL": env.get("MEND_JANUS_ADMIN_URL") or None,
        "MEND_JANUS_ADMIN_SECRET": env.get("MEND_JANUS_ADMIN_SECRET") or None,
        "MEND_JANUS_PUBLIC_URL": env.get("MEND_JANUS_PUBLIC_URL") or None,
        "MEND_JANUS_TOKEN_SECRET": env.get("MEND_JANUS_TOKEN_SECRET") or None,
        "MEND_JANUS_ADMIN_KEY": env.get("MEND_JANUS_ADMIN_KEY") or None,
        # STUN and TURN (coturn with `use-auth-secret`) for browsers behind strict networks.
        "MEND_STUN_URLS": _list(env.get("MEND_STUN_URLS")),
        "MEND_TURN_URLS": _list(env.get("MEND_TURN_URLS")),
        "MEND_TURN_SECRET": env.get("MEND_TURN_SECRET") or None,
    }


# Settings that do not come from the environment.
FIXED_SETTINGS = {
    "VERSION": VERSION,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 3600 * 8,
    # Over HTTPS Flask-WTF would also demand a Referer from this site, but Mend's pages send none
    # (Referrer-Policy: no-referrer, as join links carry secrets): every form would fail behind TLS.
    # The session-bound token and SameSite cookies still guard every form.
    "WTF_CSRF_SSL_STRICT": False,
    "RATELIMIT_HEADERS_ENABLED": True,
    # While the shared store (Redis) is away, each process counts on its own rather than failing requests.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "PARTICIPANT_COOKIE_DAYS": 365,
}
