"""Passwords are hashed with Werkzeug's scrypt, which takes about a tenth of a second of CPU by
design. On the server's one event loop that tenth is everybody's: each sign-in held every live
session still for as long (longer on a busy machine). scrypt releases the GIL, so it runs in a
thread of the async library's pool and the loop serves everyone else meanwhile; one hash at a time,
so that a burst of sign-ins takes one core at most and leaves the loop the other (twelve at once had
every session wait a second, `bench.worst_payload`'s sign-in phase)."""

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

T = TypeVar("T")

# Made after the async library patched `threading`: waiting for it lets other greenlets run.
_one_at_a_time = threading.Lock()


def _beside_the_loop(function: Callable[..., T], *arguments) -> T:
    mode = current_app.config.get("MEND_ASYNC_MODE", "threading")
    with _one_at_a_time:
        if mode == "eventlet":
            from eventlet import tpool

            return tpool.execute(function, *arguments)
        if mode == "gevent":
            import gevent

            return gevent.get_hub().threadpool.apply(function, arguments)
        return function(*arguments)


def hashed(password: str) -> str:
    return _beside_the_loop(generate_password_hash, password)


def matches(password_hash: str, password: str) -> bool:
    return _beside_the_loop(check_password_hash, password_hash, password)
