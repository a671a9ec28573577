"""The real services the scale-out tests run on: PostgreSQL and Redis on this machine.

Every use gets a database of its own (created here, dropped afterwards) and a Redis
prefix of its own (the Socket.IO channel and every key), so parallel runs and other
people's tests on the same services never meet. Without a service the tests skip with
the reason; with CI=true they fail instead, because CI must run them.
"""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

POSTGRES_ADMIN = os.environ.get("MEND_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MEND_TEST_REDIS", "redis://127.0.0.1:6379/0")
# The scaled-out set-up: PostgreSQL for data and Redis as the message queue.
SCALED = "postgres-redis"
# The embedded default served by gevent instead of eventlet: the way out if eventlet stops being kept.
GEVENT = "gevent"


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: these tests must run)")
    pytest.skip(reason)


def _admin_connection():
    import psycopg2

    try:
        connection = psycopg2.connect(POSTGRES_ADMIN, connect_timeout=3)
    except psycopg2.OperationalError:
        unavailable(f"PostgreSQL is unreachable at {POSTGRES_ADMIN}")
    connection.autocommit = True
    return connection


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError:
        unavailable(f"Redis is unreachable at {REDIS_URL}")
    return client


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database; its URL. Dropped afterwards, even with connections still open."""
    name = f"mend_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def redis_namespace() -> Iterator[dict]:
    """Settings for a server that uses Redis under a prefix of its own; its keys are removed afterwards."""
    client = redis_client()
    prefix = f"mend-test-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        yield {"SOCKETIO_MESSAGE_QUEUE": REDIS_URL, "MEND_REDIS_PREFIX": prefix}
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


@dataclass
class Backend:
    """How a live server runs: where it keeps its data, how it sends its messages, which async
    library serves it. `env` is added to the server's environment."""

    name: str
    env: dict = field(default_factory=dict)


@contextmanager
def backend(name: str) -> Iterator[Backend]:
    if name == "sqlite":
        yield Backend(name)
        return
    if name == GEVENT:
        yield Backend(name, {"MEND_ASYNC_MODE": "gevent"})
        return
    with postgres_database() as url, redis_namespace() as queue:
        # Several processes must sign cookies alike; tests set the key as a deployment would.
        yield Backend(name, {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32), **queue})
