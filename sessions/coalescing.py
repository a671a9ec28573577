"""Once-per-moment flags shared by every server process: "a push of this is already on its way".

With a message queue (several processes) the flags live in Redis, so an answer arriving at
any process rides on the push another process already scheduled. The embedded default (one
process, no Redis) keeps them in memory.
"""

from flask import current_app

_in_memory: set[str] = set()
_clients: dict[str, object] = {}


def _redis():
    url = current_app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url)
    return _clients[url]


def _key(name: str) -> str:
    return f"{current_app.config['MEND_REDIS_PREFIX']}:due:{name}"


def claim(name: str, expires_seconds: float) -> bool:
    """True for the first caller only, until `release(name)` or until it expires (should the
    process that claimed it die before releasing)."""
    client = _redis()
    if client is None:
        if name in _in_memory:
            return False
        _in_memory.add(name)
        return True
    return bool(client.set(_key(name), "1", nx=True, px=int(expires_seconds * 1000)))


def release(name: str) -> None:
    client = _redis()
    if client is None:
        _in_memory.discard(name)
    else:
        client.delete(_key(name))
