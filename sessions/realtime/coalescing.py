"""Once-per-moment flags shared by every server process: "a push of this is already on its way".

With a message queue (several processes) the flags live in Redis, so an answer arriving at
any process rides on the push another process already scheduled. The embedded default (one
process, no Redis) keeps them in memory, and so does a process while Redis is unreachable:
at worst two processes then push the same counts twice.
"""

import logging

import redis
from flask import current_app

log = logging.getLogger(__name__)
_in_memory: set[str] = set()
_clients: dict[str, redis.Redis] = {}


def _redis() -> redis.Redis | None:
    url = current_app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not url:
        return None
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _clients[url]


def _key(name: str) -> str:
    return f"{current_app.config['MEND_REDIS_PREFIX']}:due:{name}"


def _claim_in_memory(name: str) -> bool:
    if name in _in_memory:
        return False
    _in_memory.add(name)
    return True


def claim(name: str, expires_seconds: float) -> bool:
    """True for the first caller only, until `release(name)` or until it expires (should the
    process that claimed it die before releasing)."""
    client = _redis()
    if client is None:
        return _claim_in_memory(name)
    try:
        return bool(client.set(_key(name), "1", nx=True, px=int(expires_seconds * 1000)))
    except redis.RedisError:
        log.warning("Redis unreachable; coalescing pushes in this process meanwhile")
        return _claim_in_memory(name)


def release(name: str) -> None:
    _in_memory.discard(name)
    client = _redis()
    if client is not None:
        try:
            client.delete(_key(name))
        except redis.RedisError:
            log.warning("Redis unreachable; its flag %s expires by itself", name)
