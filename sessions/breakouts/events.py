"""Socket.IO events of breakout rounds: the facilitator proposes, starts, moves, recalls and closes;
participants sit out, ask for help, write their room's notes and agree to share them.

Each participant hears of their own room only (`breakout:you` to their own room); the team gets the
overview; the whole room only the state's public part (see docs/privacy.md).

Nobody is left alone unseen: a member who sits out or is removed changes the seats, and their room is told
at once; a member whose connection closes counts as present for the reconnect grace period, after which
their room is told again (`after_disconnect`), and again when they come back.
"""

from sessions.breakouts import operations as breakouts
from sessions.breakouts.models import BreakoutRound
from sessions.breakouts.schemas import (
    BreakoutCommand,
    BreakoutHelp,
    BreakoutHelpAnswer,
    BreakoutMessage,
    BreakoutMove,
    BreakoutNotes,
    BreakoutPropose,
    BreakoutShare,
    BreakoutSitOut,
    BreakoutTime,
)
from sessions.breakouts.screens import members_of, personal_screen, personal_screens
from sessions.live import operations as engine
from sessions.live.models import LiveSession
from sessions.live.presence import RECONNECT_GRACE_SECONDS
from sessions.live.screens import moved, queue_state, queue_team_state
from sessions.realtime import pushes
from sessions.realtime.plumbing import FACILITATOR, PARTICIPANT, Caller, background, handler
from sessions.realtime.rooms import own_room, team_of
from sessions.video.events import close_rooms_of

# While a member of an open room stays gone, how often to look whether they came back.
RECHECK_SECONDS = 5


def announce_rooms(
    cohort_id: int,
    round_: BreakoutRound,
    everyone: bool = True,
    only: set[int] | None = None,
    live: LiveSession | None = None,
) -> None:
    """After a change of who sits where: each seated participant (or those in `only`) hears of their
    own room and nobody else's, and the team gets the new overview (everyone the new state). `live` is
    the cohort's open session when the caller has it (read here otherwise)."""
    if round_.status != "proposed":
        for participant_id, screen in personal_screens(round_, only).items():
            pushes.queue("breakout:you", screen, to=own_room(participant_id))
    if live is None:
        live = engine.open_session_of(cohort_id)
    if everyone:
        queue_state(cohort_id, live)
    else:
        queue_team_state(cohort_id, live)


def after_disconnect(cohort_id: int, participant_id: int) -> None:
    """A participant's last connection closed. Once the grace period is over, if they are still gone
    from an open room, the room's members and the team are told (someone may be alone)."""
    background(_look_again, cohort_id, participant_id, False, delay=RECONNECT_GRACE_SECONDS + 1)


def _look_again(cohort_id: int, participant_id: int, told_gone: bool) -> None:
    """Tell a room anew when one of its members is gone (past the grace period) or back from being
    gone; look again every few seconds while they stay gone and the rooms stay open."""
    live = engine.open_session_of(cohort_id)
    round_ = breakouts.current_round(live) if live is not None and live.status == "live" else None
    if round_ is None or not breakouts.rooms_are_open(round_):
        return
    room = breakouts.room_of(round_, participant_id)
    if room is None:
        return
    gone = participant_id not in breakouts.present_among(round_.live_session_id, {participant_id})
    if gone != told_gone:
        announce_rooms(cohort_id, round_, everyone=False, only=set(members_of(room)), live=live)
    if gone:
        background(_look_again, cohort_id, participant_id, True, delay=RECHECK_SECONDS)


def announce_waiting(cohort_id: int, live: LiveSession | None, participant_id: int) -> bool:
    """Someone connected who waits in the main room while rooms are open (no room had a place that keeps
    the exercise's shape): the team is told. Whether it was. `live` is the cohort's open session."""
    round_ = breakouts.current_round(live) if live is not None and live.status == "live" else None
    if live is None or round_ is None or breakouts.phase(round_, engine.now()) in ("ended", "returning"):
        return False
    if breakouts.room_of(round_, participant_id) is not None or participant_id in breakouts.passes_at(
        live, round_.position
    ):
        return False
    queue_team_state(cohort_id, live)
    return True


def seated(caller: Caller, live: LiveSession, round_: BreakoutRound | None) -> dict:
    """A command that changed seats or roles: each participant is told their own place."""
    if round_ is None:
        return moved(caller.cohort_id, live)
    announce_rooms(caller.cohort_id, round_, live=live)
    return {"ok": True, "version": live.version}


@handler("breakout:propose", FACILITATOR, live=True)
def propose_rooms(caller: Caller, payload: BreakoutPropose, live: LiveSession) -> dict:
    ad_hoc = payload.ad_hoc.model_dump() if payload.ad_hoc else None
    previous = breakouts.current_round(live)
    if previous is not None and previous.status != "proposed":
        close_rooms_of(previous)
    breakouts.propose(
        live, payload.version, caller.signed_in_user_id, ad_hoc, payload.late_arrivals, payload.auto_recall
    )
    return moved(caller.cohort_id, live)


@handler("breakout:start", FACILITATOR, live=True)
def open_rooms(caller: Caller, payload: BreakoutCommand, live: LiveSession) -> dict:
    round_ = breakouts.start(live, payload.version, caller.signed_in_user_id, payload.round)
    if round_.recall_at is not None:
        close_rooms_of(round_, at=round_.recall_at)
    return seated(caller, live, round_)


@handler("breakout:move", FACILITATOR, live=True)
def move_participant(caller: Caller, payload: BreakoutMove, live: LiveSession) -> dict:
    round_ = breakouts.move(
        live, payload.version, caller.signed_in_user_id, payload.round, payload.participant, payload.room
    )
    return seated(caller, live, round_)


@handler("breakout:roles", FACILITATOR, live=True)
def switch_roles(caller: Caller, payload: BreakoutCommand, live: LiveSession) -> dict:
    return seated(caller, live, breakouts.switch_roles(live, payload.version, caller.signed_in_user_id, payload.round))


@handler("breakout:time", FACILITATOR, live=True)
def add_room_time(caller: Caller, payload: BreakoutTime, live: LiveSession) -> dict:
    breakouts.add_time(live, payload.version, caller.signed_in_user_id, payload.round, payload.seconds)
    return moved(caller.cohort_id, live)


@handler("breakout:message", FACILITATOR, live=True)
def message_rooms(caller: Caller, payload: BreakoutMessage, live: LiveSession) -> dict:
    breakouts.send_message(live, payload.version, caller.signed_in_user_id, payload.round, payload.text)
    return moved(caller.cohort_id, live)


@handler("breakout:recall", FACILITATOR, live=True)
def recall_rooms(caller: Caller, payload: BreakoutCommand, live: LiveSession) -> dict:
    round_ = breakouts.recall(live, payload.version, caller.signed_in_user_id, payload.round)
    close_rooms_of(round_, at=round_.recall_at)
    return moved(caller.cohort_id, live)


@handler("breakout:close", FACILITATOR, live=True)
def close_rooms(caller: Caller, payload: BreakoutCommand, live: LiveSession) -> dict:
    round_ = breakouts.current_round(live)
    breakouts.close(live, payload.version, caller.signed_in_user_id, payload.round)
    if round_ is not None and round_.status == "ended":
        close_rooms_of(round_)
    return moved(caller.cohort_id, live)


@handler("breakout:help_answer", FACILITATOR, live=True)
def answer_help(caller: Caller, payload: BreakoutHelpAnswer, live: LiveSession) -> dict:
    room = breakouts.answer_help(live, payload.round, payload.room)
    announce_rooms(caller.cohort_id, room.round, everyone=False, only=set(members_of(room)), live=live)
    return {"ok": True}


@handler("breakout:sit_out", PARTICIPANT, live=True)
def sit_out(caller: Caller, payload: BreakoutSitOut, live: LiveSession) -> dict:
    round_ = breakouts.sit_out(live, caller.joined_participant_id, payload.sitting_out)
    if round_ is not None:
        announce_rooms(caller.cohort_id, round_, everyone=False, live=live)
    else:
        queue_team_state(caller.cohort_id, live)
    return {"ok": True, "you": personal_screen(live, caller.joined_participant_id)}


@handler("breakout:help", PARTICIPANT, live=True)
def ask_for_help(caller: Caller, payload: BreakoutHelp, live: LiveSession) -> dict:
    room = breakouts.ask_for_help(live, caller.joined_participant_id, payload.round)
    announce_rooms(caller.cohort_id, room.round, everyone=False, only=set(members_of(room)), live=live)
    return {"ok": True}


@handler("breakout:share", PARTICIPANT, live=True)
def share_notes(caller: Caller, payload: BreakoutShare, live: LiveSession) -> dict:
    room = breakouts.agree_to_share(live, caller.joined_participant_id, payload.round, payload.agree)
    shared = room.shared_at is not None
    announce_rooms(caller.cohort_id, room.round, everyone=shared, only=set(members_of(room)), live=live)
    return {"ok": True, "shared": shared}


@handler("breakout:notes", PARTICIPANT, live=True)
def edit_notes(caller: Caller, payload: BreakoutNotes, live: LiveSession) -> dict:
    room = breakouts.edit_notes(live, caller.joined_participant_id, payload.round, payload.revision, payload.patch)
    notes = {"round": payload.round, "room": room.id, "revision": room.notes_revision, "text": room.notes}
    for participant_id in members_of(room):
        pushes.queue("breakout:notes", notes, to=own_room(participant_id))
    pushes.queue("breakout:notes", notes, to=team_of(caller.cohort_id))
    return {"ok": True, "revision": room.notes_revision, "text": room.notes}
