"""What to tell which room, queued while a change is made and sent only once it is committed.

Operations and handlers call `queue`; `sessions.realtime.plumbing.commit` commits and then calls
`send_queued`, which holds the one call to `emit` in Mend. Nothing is sent if the commit fails. The
queue lives in the application context of the event, request or background task that made it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import g

from extensions import socketio
from sessions.realtime.schemas import NAMESPACE


@dataclass(slots=True)
class Push:
    event: str
    # A payload, or a function that builds it just before it is sent (after the pushes before it
    # went out: the room's state goes to its sockets before the team's fuller state is built).
    payload: object
    room: str


@dataclass(slots=True)
class Disconnect:
    # A socket, or a function that reads which sockets once the change is committed: a connection
    # recorded meanwhile is then among them (signing out must end a console that connected while
    # it was being signed out).
    sid: str | Callable[[], list[str]]


@dataclass(slots=True)
class Later:
    """Something to start once the change is committed (a scrub of the database's files)."""

    start: Callable[[], None]


def _outbox() -> list[Push | Disconnect | Later]:
    if "outbox" not in g:
        g.outbox = []
    return g.outbox


def queue(event: str, payload: object | Callable[[], object], to: str) -> None:
    _outbox().append(Push(event, payload, to))


def queue_disconnect(sid: str | Callable[[], list[str]]) -> None:
    """End a socket (or the sockets a function reads after the commit) once the change is committed."""
    _outbox().append(Disconnect(sid))


def after_commit(start: Callable[[], None]) -> None:
    _outbox().append(Later(start))


def discard() -> None:
    g.pop("outbox", None)


def send_queued() -> bool:
    """Send what was queued, in order; True if a payload was built on the way (it read the database)."""
    built = False
    for item in g.pop("outbox", []):
        if isinstance(item, Disconnect):
            for sid in item.sid() if callable(item.sid) else [item.sid]:
                # The stubs leave out `server` (python-socketio's, which has no types).
                socketio.server.disconnect(sid, namespace=NAMESPACE)  # type: ignore[attr-defined]
            continue
        if isinstance(item, Later):
            item.start()
            continue
        payload = item.payload
        if callable(payload):
            # Let the sockets written so far send before more database work (which does not yield).
            socketio.sleep(0)
            payload, built = payload(), True
        socketio.emit(item.event, payload, to=item.room, namespace=NAMESPACE)
    return built
