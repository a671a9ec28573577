"""Moving a session on, with the rules that tie the capabilities together: leaving a step ends its
breakout round and closes its poll (counting the answers still waiting), ending the session closes
its poll, and someone arriving while rooms are open is seated. Plain operations: they change rows
and flush; the plumbing commits.
"""

from sessions.breakouts import operations as breakouts
from sessions.breakouts.models import BreakoutRoom
from sessions.live import operations as engine
from sessions.live.models import LiveSession
from sessions.polls import operations as polls

Closed = tuple[polls.Poll | None, list[polls.Outcome]]


def go_to(live: LiveSession, seen_version: int, position: int, user_id: int) -> Closed:
    """Show step `position`; what belonged to the step left behind ends with it."""
    engine.begin(live, seen_version, "live")
    breakouts.leave_step(live)
    closed = polls.close_open_poll(live) if position != live.position else (None, [])
    engine.go_to(live, seen_version, position, user_id)
    return closed


def end(live: LiveSession, seen_version: int, user_id: int) -> Closed:
    engine.begin(live, seen_version, "lobby", "live")
    closed = polls.close_open_poll(live) if live.status == "live" else (None, [])
    engine.end(live, seen_version, user_id)
    return closed


def arrive(live: LiveSession | None, participant_id: int) -> BreakoutRoom | None:
    """Someone connected to the cohort whose open session is `live`: if rooms are open and the round
    seats late arrivals, their room."""
    return breakouts.seat_late_arrival(live, participant_id)
