"""The Redis message queue between server processes, with one addition: when a process hears
Redis again after losing it, every session it serves is sent its current state once more.

Redis publish/subscribe keeps nothing for a listener that is away, so a change committed
while Redis restarts would otherwise reach that process's people only with the next change.
The state of record is in the database, so sending it again is all it takes.
"""

import logging
import time
from collections.abc import Callable

import socketio

log = logging.getLogger(__name__)

# Retry quickly at first and never wait long: people are mid-session.
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 5


class ResendingRedisManager(socketio.RedisManager):
    """Flask-SocketIO's Redis manager, listening again within seconds of Redis returning and then
    calling `on_rejoin()` (in a background task)."""

    def __init__(self, url: str, channel: str, on_rejoin: Callable[[], None]):
        super().__init__(url, channel=channel, write_only=False)
        self.on_rejoin = on_rejoin

    def _redis_listen_with_retries(self):
        retry = FIRST_RETRY_SECONDS
        subscribed = rejoining = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed, retry = True, FIRST_RETRY_SECONDS
                    if rejoining:
                        log.warning("message queue reachable again; sending every open session's state")
                        self.server.start_background_task(self.on_rejoin)
                    rejoining = True
                yield from self.pubsub.listen()
            except Exception as problem:  # noqa: BLE001 - any failure of the queue means "connect again"
                log.error("message queue unreachable (%s); retrying in %s s", type(problem).__name__, retry)
                subscribed = False
                time.sleep(retry)
                retry = min(retry * 2, LONGEST_RETRY_SECONDS)
