"""Socket.IO events of video: a person asks for the ticket to their video room (the main room, or
their breakout room while it is open); a facilitator drops into a breakout room and out again, and
the room's members are told, as they are in Zoom. Media goes between the browsers and Janus (or the
organisation's meeting service), never through Mend."""

from datetime import datetime
from functools import partial

from extensions import db
from facilitation.models import User
from sessions.breakouts import operations as breakouts
from sessions.breakouts.models import BreakoutRound
from sessions.breakouts.screens import members_of
from sessions.live import operations as engine
from sessions.live.models import LiveSession
from sessions.realtime import pushes
from sessions.realtime.plumbing import Caller, background, handler
from sessions.realtime.rooms import own_room
from sessions.video import operations as video
from sessions.video.schemas import VideoLeave, VideoTicket

SPEAKERS = ("participant", "facilitator")


def tell_room(caller: Caller, live: LiveSession, room_id: int, here: bool) -> None:
    round_ = breakouts.current_round(live)
    room = next((room for room in round_.rooms if room.id == room_id), None) if round_ is not None else None
    if room is None:
        return
    name = db.session.get_one(User, caller.signed_in_user_id).name
    visitor = {"room": room_id, "name": name, "here": here}
    for participant_id in members_of(room):
        pushes.queue("video:visitor", visitor, to=own_room(participant_id))


@handler("video:ticket", SPEAKERS, live=True)
def video_ticket(caller: Caller, payload: VideoTicket, live: LiveSession) -> dict:
    ticket = video.ticket(caller, live, payload.room)
    if caller.role == "facilitator" and payload.room is not None:
        tell_room(caller, live, payload.room, here=True)
    return {"ok": True, "video": ticket}


@handler("video:leave", ("facilitator",), live=True)
def leave_room(caller: Caller, payload: VideoLeave, live: LiveSession) -> dict:
    tell_room(caller, live, payload.room, here=False)
    return {"ok": True}


# What Janus is told once a change is committed ----------------------------------------------------------

# After a recall, the rooms' pages move back to the main room at its deadline; the rooms go a little later.
CLOSE_GRACE_SECONDS = 5


def close_rooms_of(round_: BreakoutRound | None, at: datetime | None = None) -> None:
    """Destroy the Janus rooms of a round once it is committed: now, or a little after `at`."""
    if round_ is None or not video.janus_configured():
        return
    room_ids = [room.id for room in round_.rooms]
    if at is None:
        pushes.after_commit(partial(video.close_breakout_rooms, room_ids))
        return
    delay = max(0.0, (at - engine.now()).total_seconds()) + CLOSE_GRACE_SECONDS
    pushes.after_commit(partial(background, video.close_if_over, round_.id, room_ids, delay=delay))


def close_session_rooms(cohort_id: int, round_: BreakoutRound | None) -> None:
    """A session ended: its main room and any room of its last round go."""
    if not video.janus_configured():
        return
    close_rooms_of(round_)
    pushes.after_commit(partial(video.close_main_room, cohort_id))


def drop_removed(cohort_id: int, participant_id: int, round_: BreakoutRound | None) -> None:
    """Someone was removed: once committed, Janus stops their tokens and kicks them from every room."""
    if not video.janus_configured():
        return
    room_ids = [room.id for room in round_.rooms] if round_ is not None else []
    pushes.after_commit(partial(video.drop, cohort_id, participant_id, room_ids))
