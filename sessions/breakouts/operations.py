"""Breakout rounds: propose rooms, move people, start with notice, switch roles, message, recall.

A round is proposed from a breakout step (or ad hoc), adjusted by the facilitator,
then started with a few seconds' notice. Its deadlines are stored; the phase
(starting, running, one-minute warning, time up, returning, ended) follows from
the clock, so nothing ticks on the server. Facilitator commands bump the live
session's version like every other transition; what participants do inside a
round (sit out, ask for help, write notes, agree to share) changes only the
round's own rows. Functions here change the session and flush; the handler commits
and then tells clients.

Rooms keep the exercise's shape: a room holds at most one more than the exercise's
size (a pair and an observer, a three and an observer), nobody who comes late makes
it bigger than that, and a room where only one member is still present is "alone"
(`alone_in`), with the best place to move that person (`best_room_for`).
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, cast

from markupsafe import escape
from sqlalchemy import CursorResult, Table, bindparam, delete, insert, select, update

from extensions import db
from facilitation.models import Participant, Step
from refusals import Refusal
from sessions.breakouts import textmerge
from sessions.breakouts.assignment import Pair, assign
from sessions.breakouts.models import BreakoutNotesRevision, BreakoutPass, BreakoutRoom, BreakoutRound, BreakoutSeat
from sessions.live.models import Attendance, Connection, LiveSession
from sessions.live.operations import begin, connected_participants, hold, now, record
from sessions.live.outline import outline_of
from sessions.live.presence import RECONNECT_GRACE_SECONDS

NOTICE_SECONDS = 10
WARNING_SECONDS = 60
RECALL_NOTICE_SECONDS = 30
NOTES_MAX_CHARS = 5000
OBSERVER = {
    "name": "Observer",
    "prompt": "Watch and listen without joining in. At the end, say what you noticed, kindly and briefly. "
    "You take a speaking role when roles switch.",
}
AD_HOC_ROLE = {"name": "Partner", "prompt": "Take turns: one speaks while the other listens, then swap."}


# Plain inserts of a proposal's rooms and seats. (The mapped tables are Tables; the declarative base
# types them as any FromClause.)
_ROOMS = insert(cast(Table, BreakoutRoom.__table__))
_SEATS = insert(cast(Table, BreakoutSeat.__table__))


# The round on screen ----------------------------------------------------------------------------


_LATEST_ROUND = (
    select(BreakoutRound.id)
    .where(BreakoutRound.live_session_id == bindparam("live_id"))
    .order_by(BreakoutRound.id.desc())
    .limit(1)
)


def current_round(live: LiveSession | None) -> BreakoutRound | None:
    """The latest round of the session, while it is open or while its step is still on screen."""
    if live is None or live.latest_round_id is None:
        return None
    latest = db.session.get(BreakoutRound, live.latest_round_id)
    if latest is None:
        return None
    if phase(latest, now()) == "ended" and latest.position != live.position:
        return None
    return latest


def phase(round_: BreakoutRound, moment: datetime) -> str:
    """proposed, starting, running, warning, overtime (time is up), returning or ended."""
    # A running round has its times: they are set when it starts.
    if round_.status != "running" or round_.starts_at is None or round_.ends_at is None:
        return round_.status
    if round_.recall_at is not None and moment >= round_.recall_at:
        return "ended"
    if round_.recall_at is not None and moment >= round_.recall_at - timedelta(seconds=RECALL_NOTICE_SECONDS):
        return "returning"
    if moment < round_.starts_at:
        return "starting"
    if moment >= round_.ends_at:
        return "overtime"
    if moment >= round_.ends_at - timedelta(seconds=WARNING_SECONDS):
        return "warning"
    return "running"


def _open_round(live: LiveSession, round_id: int | None = None) -> BreakoutRound:
    round_ = current_round(live)
    if round_ is None or phase(round_, now()) == "ended":
        raise Refusal("no_round")
    if round_id is not None and round_.id != round_id:
        raise Refusal("round_ended")
    return round_


# Facilitator commands -----------------------------------------------------------------------------


def propose(
    live: LiveSession,
    seen_version: int,
    user_id: int,
    ad_hoc: dict | None = None,
    late_arrivals: str = "smallest",
    auto_recall: bool = False,
) -> BreakoutRound:
    """Draw up rooms for everyone here who has not chosen to sit out. Proposing again reshuffles."""
    begin(live, seen_version, "live")
    existing = current_round(live)
    if existing is not None and existing.status == "proposed":
        _discard(live, existing)
    elif existing is not None and phase(existing, now()) != "ended":
        raise Refusal("round_open")
    elif existing is not None:
        _finish(existing)
    # The step on screen alone, not its plan with every step.
    step = db.session.get_one(Step, outline_of(live).step_ids[live.position])
    if ad_hoc is not None:
        settings = {
            "title": ad_hoc["title"] or "Exercise in small groups",
            "group_size": ad_hoc["group_size"],
            "minutes": ad_hoc["minutes"],
            "roles": [],
            "scenario_html": f"<p>{escape(ad_hoc['prompt'])}</p>" if ad_hoc["prompt"] else "",
        }
    elif step.kind == "breakout":
        settings = {
            "title": step.title,
            "group_size": step.settings["group_size"],
            "minutes": step.settings["minutes"],
            "roles": step.settings["roles"],
            "scenario_html": step.body_html,
        }
    else:
        raise Refusal("not_a_breakout")
    people = sorted(connected_participants(live.cohort_id) - passes_at(live, live.position))
    rooms = assign(people, settings["group_size"], past_partners(live.cohort_id))
    if not rooms:
        raise Refusal("too_few_people")
    round_ = BreakoutRound(
        live_session_id=live.id,
        position=live.position,
        step_id=step.id if ad_hoc is None else None,
        late_arrivals=late_arrivals,
        auto_recall=auto_recall,
        **settings,
    )
    db.session.add(round_)
    db.session.flush()
    # The rooms and seats in one statement each, not one per row: the unit of work inserts rows one at
    # a time on SQLite to learn each id. The round's rooms and seats are read when first shown.
    numbers: dict[int, int] = dict(
        db.session.execute(
            _ROOMS.returning(_ROOMS.table.c.number, _ROOMS.table.c.id),
            [{"round_id": round_.id, "number": number} for number in range(1, len(rooms) + 1)],
        ).all()
    )
    db.session.execute(
        _SEATS,
        [
            {"round_id": round_.id, "participant_id": participant_id, "room_id": numbers[number], "seat": seat}
            for number, members in enumerate(rooms, start=1)
            for seat, participant_id in enumerate(members)
        ],
    )
    live.latest_round_id = round_.id
    # The state shown next reads the round from the session.
    hold(round_)
    record(live, seen_version, "breakout_propose", user_id)
    return round_


def start(live: LiveSession, seen_version: int, user_id: int, round_id: int) -> BreakoutRound:
    """Open the proposed rooms after a short notice. Empty rooms are dropped; nobody may be alone."""
    begin(live, seen_version, "live")
    round_ = _open_round(live, round_id)
    if round_.status != "proposed":
        raise Refusal("round_state", "These rooms are already open.")
    members = members_by_room(round_)
    db.session.add_all(
        BreakoutNotesRevision(room_id=room.id, revision=0, text="") for room in round_.rooms if members[room.id]
    )
    for room in list(round_.rooms):
        if len(members[room.id]) == 1:
            raise Refusal("alone", f"Room {room.number} has one person in it. Move someone so that nobody is alone.")
        if not members[room.id]:
            round_.rooms.remove(room)
    if not round_.rooms:
        raise Refusal("too_few_people")
    moment = now()
    round_.status = "running"
    round_.starts_at = moment + timedelta(seconds=NOTICE_SECONDS)
    round_.ends_at = round_.starts_at + timedelta(minutes=round_.minutes)
    round_.recall_at = round_.ends_at if round_.auto_recall else None
    record(live, seen_version, "breakout_start", user_id)
    return round_


def move(
    live: LiveSession, seen_version: int, user_id: int, round_id: int, participant_id: int, room_id: int | None
) -> BreakoutRound:
    """Put a participant into another room of this round, or into the main room (`room_id` None)."""
    begin(live, seen_version, "live")
    round_ = _open_round(live, round_id)
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.cohort_id != live.cohort_id:
        raise Refusal("no_participant")
    room = None
    if room_id is not None:
        room = db.session.get(BreakoutRoom, room_id)
        if room is None or room.round_id != round_.id:
            raise Refusal("no_room")
    _seat(round_, participant_id, room)
    record(live, seen_version, "breakout_move", user_id)
    return round_


def switch_roles(live: LiveSession, seen_version: int, user_id: int, round_id: int) -> BreakoutRound:
    begin(live, seen_version, "live")
    round_ = _open_round(live, round_id)
    if round_.status != "running":
        raise Refusal("round_state", "Roles can be switched once the rooms are open.")
    round_.role_shift += 1
    record(live, seen_version, "breakout_roles", user_id)
    return round_


def add_time(live: LiveSession, seen_version: int, user_id: int, round_id: int, seconds: int) -> BreakoutRound:
    """More time for every room. A recall already announced is called off."""
    begin(live, seen_version, "live")
    round_ = _open_round(live, round_id)
    if round_.status != "running" or round_.ends_at is None:
        raise Refusal("round_state", "Time can be added once the rooms are open.")
    round_.ends_at = max(round_.ends_at, now()) + timedelta(seconds=seconds)
    round_.recall_at = round_.ends_at if round_.auto_recall else None
    record(live, seen_version, "breakout_time", user_id)
    return round_


def send_message(live: LiveSession, seen_version: int, user_id: int, round_id: int, text: str) -> BreakoutRound:
    begin(live, seen_version, "live")
    round_ = _open_round(live, round_id)
    round_.message, round_.message_at = text, now()
    record(live, seen_version, "breakout_message", user_id)
    return round_


def recall(live: LiveSession, seen_version: int, user_id: int, round_id: int) -> BreakoutRound:
    """Everyone back to the main room after a "returning soon" notice."""
    begin(live, seen_version, "live")
    round_ = _open_round(live, round_id)
    if round_.status == "proposed":
        raise Refusal("round_state", "These rooms have not opened yet. Discard them instead.")
    soon = now() + timedelta(seconds=RECALL_NOTICE_SECONDS)
    round_.recall_at = min(round_.recall_at, soon) if round_.recall_at else soon
    record(live, seen_version, "breakout_recall", user_id)
    return round_


def close(live: LiveSession, seen_version: int, user_id: int, round_id: int) -> None:
    """Discard a proposal, or bring everyone back at once without the notice."""
    begin(live, seen_version, "live")
    round_ = _open_round(live, round_id)
    if round_.status == "proposed":
        _discard(live, round_)
    else:
        round_.recall_at = now()
        _finish(round_)
    record(live, seen_version, "breakout_close", user_id)


def leave_step(live: LiveSession) -> None:
    """Moving to another step discards rooms that were proposed but never opened."""
    round_ = current_round(live)
    if round_ is not None and round_.status == "proposed":
        _discard(live, round_)


def _discard(live: LiveSession, round_: BreakoutRound) -> None:
    """Delete a proposal that never opened; the round before it, if any, is the latest again."""
    db.session.delete(round_)
    db.session.flush()
    live.latest_round_id = db.session.scalar(_LATEST_ROUND, {"live_id": live.id})


def answer_help(live: LiveSession, round_id: int, room_id: int) -> BreakoutRoom:
    round_ = _open_round(live, round_id)
    room = _room(round_, room_id)
    if room.help_requested_at is None:
        raise Refusal("round_state", "This room has not asked for help.")
    room.help_answered_at = now()
    db.session.flush()
    return room


def _finish(round_: BreakoutRound) -> None:
    round_.status = "ended"
    round_.ended_at = round_.recall_at or now()


# What participants do -----------------------------------------------------------------------------


def sit_out(live: LiveSession, participant_id: int, sitting_out: bool) -> BreakoutRound | None:
    """ "Pass" on this step's exercise, or change one's mind. Returns the round whose rooms changed."""
    begin(live, live.version, "live")
    chosen = passes_at(live, live.position)
    round_ = current_round(live)
    open_ = round_ is not None and phase(round_, now()) != "ended"
    if sitting_out and participant_id not in chosen:
        db.session.add(BreakoutPass(live_session_id=live.id, position=live.position, participant_id=participant_id))
    elif not sitting_out:
        db.session.execute(
            delete(BreakoutPass).where(
                BreakoutPass.live_session_id == live.id,
                BreakoutPass.position == live.position,
                BreakoutPass.participant_id == participant_id,
            )
        )
    if round_ is None or not open_:
        db.session.flush()
        return None
    seat = _seat_of(round_, participant_id)
    if sitting_out and seat is not None:
        seat.room = None
    elif not sitting_out and (seat is None or seat.room is None):
        _seat_newcomer(round_, participant_id, passes_at(live, live.position))
    db.session.flush()
    return round_


def seat_late_arrival(live: LiveSession | None, participant_id: int) -> BreakoutRoom | None:
    """Someone who arrives while rooms are proposed or open (and the round seats late arrivals) joins a
    room below the exercise's size, or a new room with someone else who waits for one; returns that room.
    Otherwise they wait in the main room: no pair becomes a four for them."""
    if live is None or live.status != "live":
        return None
    round_ = current_round(live)
    if round_ is None or phase(round_, now()) in ("ended", "returning") or round_.late_arrivals != "smallest":
        return None
    passes = passes_at(live, round_.position)
    if participant_id in passes or _seat_of(round_, participant_id) is not None:
        return None
    room = _seat_newcomer(round_, participant_id, passes)
    db.session.flush()
    return room


def ask_for_help(live: LiveSession, participant_id: int, round_id: int) -> BreakoutRoom:
    round_ = _open_round(live, round_id)
    room = _room_of_member(round_, participant_id)
    room.help_requested_at, room.help_answered_at = now(), None
    db.session.flush()
    return room


def agree_to_share(live: LiveSession, participant_id: int, round_id: int, agree: bool) -> BreakoutRoom:
    """A member's yes (or no) to showing the room's notes to the whole group; shown once all agree."""
    round_ = current_round(live)
    if round_ is None or round_.id != round_id:
        raise Refusal("round_ended")
    if phase(round_, now()) not in ("returning", "ended"):
        raise Refusal("round_state", "Notes can be shared with the group once everyone is back.")
    room = _room_of_member(round_, participant_id)
    if room.shared_at is not None:
        raise Refusal("round_state", "These notes are already shared with the group.")
    consents = set(room.share_consents) | {participant_id} if agree else set(room.share_consents) - {participant_id}
    room.share_consents = sorted(consents)
    if consents >= set(members_by_room(round_)[room.id]):
        room.shared_at = now()
    db.session.flush()
    return room


def edit_notes(live: LiveSession, participant_id: int, round_id: int, revision: int, patch: str) -> BreakoutRoom:
    """Apply a member's edit (a diff-match-patch patch made against `revision`) to the room's notes.

    An edit made against an older revision is merged with everything since (sessions/breakouts/textmerge.py):
    simultaneous typing keeps everyone's words. The patch must fit that revision exactly, and its work is
    bounded by its size (textmerge's limits), whatever it holds.
    """
    round_ = _open_round(live, round_id)
    if round_.status != "running":
        raise Refusal("round_state", "Notes open with the rooms.")
    room = _room_of_member(round_, participant_id)
    base = db.session.get(BreakoutNotesRevision, (room.id, revision))
    if base is None:
        raise Refusal("notes_conflict")
    try:
        theirs = textmerge.apply_patch(base.text, patch)
    except textmerge.Unreadable:
        raise Refusal("bad_payload", "That change to the notes could not be read, so nothing changed.") from None
    except textmerge.TooManyPieces:
        raise Refusal("notes_edit_too_big") from None
    if theirs is None:
        raise Refusal("notes_conflict")
    if len(theirs) > NOTES_MAX_CHARS:
        raise Refusal("notes_too_long")
    for _ in range(5):
        current, at = room.notes, room.notes_revision
        text = theirs if at == revision else textmerge.merge(base.text, current, theirs, theirs_first=True)
        if len(text) > NOTES_MAX_CHARS:
            raise Refusal("notes_too_long")
        # Conditional on the revision read, so that a change from another process is never overwritten.
        # An UPDATE's result is a cursor's, which counts the rows it changed.
        changed = cast(
            CursorResult[Any],
            db.session.execute(
                update(BreakoutRoom)
                .where(BreakoutRoom.id == room.id, BreakoutRoom.notes_revision == at)
                .values(notes=text, notes_revision=at + 1, notes_changed_at=now())
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        db.session.refresh(room)
        if changed:
            db.session.add(BreakoutNotesRevision(room_id=room.id, revision=at + 1, text=text))
            db.session.flush()
            return room
    raise Refusal("notes_conflict")


# Queries ------------------------------------------------------------------------------------------------


def past_partners(cohort_id: int) -> set[Pair]:
    """Every pair of participants who have shared a room in an opened round of this cohort."""
    rows = db.session.execute(
        select(BreakoutSeat.room_id, BreakoutSeat.participant_id)
        .join(BreakoutRound, BreakoutRound.id == BreakoutSeat.round_id)
        .join(LiveSession, LiveSession.id == BreakoutRound.live_session_id)
        .where(
            LiveSession.cohort_id == cohort_id,
            BreakoutRound.status != "proposed",
            BreakoutSeat.room_id.is_not(None),
        )
    )
    rooms: dict[int | None, list[int]] = defaultdict(list)
    for room_id, participant_id in rows:
        rooms[room_id].append(participant_id)
    return {frozenset((a, b)) for members in rooms.values() for a in members for b in members if a < b}


def passes_at(live: LiveSession, position: int) -> set[int]:
    return set(
        db.session.scalars(
            select(BreakoutPass.participant_id).where(
                BreakoutPass.live_session_id == live.id, BreakoutPass.position == position
            )
        )
    )


def _seat_of(round_: BreakoutRound, participant_id: int) -> BreakoutSeat | None:
    return next((seat for seat in round_.seats if seat.participant_id == participant_id), None)


def members_by_room(round_: BreakoutRound) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {room.id: [] for room in round_.rooms}
    for seat in sorted(round_.seats, key=lambda s: s.seat):
        if seat.room_id is not None and seat.room_id in members:
            members[seat.room_id].append(seat.participant_id)
    return members


def _room(round_: BreakoutRound, room_id: int) -> BreakoutRoom:
    room = next((room for room in round_.rooms if room.id == room_id), None)
    if room is None:
        raise Refusal("no_room")
    return room


def room_of(round_: BreakoutRound, participant_id: int) -> BreakoutRoom | None:
    """The participant's room in this round, or None in the main room."""
    seat = _seat_of(round_, participant_id)
    return seat.room if seat is not None else None


def _room_of_member(round_: BreakoutRound, participant_id: int) -> BreakoutRoom:
    seat = _seat_of(round_, participant_id)
    if seat is None or seat.room is None:
        raise Refusal("not_in_room")
    return seat.room


def _next_seat(round_: BreakoutRound, room: BreakoutRoom) -> int:
    return 1 + max((seat.seat for seat in round_.seats if seat.room is room and seat.seat is not None), default=-1)


def _seat(round_: BreakoutRound, participant_id: int, room: BreakoutRoom | None) -> BreakoutSeat:
    """Put a participant into `room` (None: the main room), after everyone already in it."""
    seat = _seat_of(round_, participant_id)
    if seat is None:
        seat = BreakoutSeat(participant_id=participant_id)
        round_.seats.append(seat)
    if seat.room is not room:
        seat.seat = _next_seat(round_, room) if room is not None else 0
        seat.room = room
    return seat


def _seat_newcomer(round_: BreakoutRound, participant_id: int, passes: set[int]) -> BreakoutRoom | None:
    """Seat someone who comes to a proposed or open round (late, or joining after all): in the room below
    the exercise's size with the fewest people present; else in a new room with someone waiting in the main
    room; else nowhere (they wait, and the team's overview says so). Returns their room."""
    db.session.flush()
    present = present_among(round_.live_session_id, {seat.participant_id for seat in round_.seats} | {participant_id})
    members = members_by_room(round_)
    here = {room.id: len(set(members[room.id]) & present) for room in round_.rooms}
    below = [
        room
        for room in round_.rooms
        if 0 < here[room.id] < round_.group_size and len(members[room.id]) <= round_.group_size
    ]
    if below:
        room = min(below, key=lambda r: (here[r.id], len(members[r.id]), r.number))
        _seat(round_, participant_id, room)
        return room
    waiting = sorted(waiting_for_a_room(round_, passes) - {participant_id})
    if not waiting:
        _seat(round_, participant_id, None)
        return None
    room = BreakoutRoom(number=1 + max((r.number for r in round_.rooms), default=0), notes="", notes_revision=0)
    round_.rooms.append(room)
    db.session.flush()
    if round_.status == "running":
        db.session.add(BreakoutNotesRevision(room_id=room.id, revision=0, text=""))
    _seat(round_, waiting[0], room)
    _seat(round_, participant_id, room)
    return room


def waiting_for_a_room(round_: BreakoutRound, passes: set[int]) -> set[int]:
    """Who is connected, in no room of the round and not sitting out: they wait in the main room."""
    cohort_id = db.session.get_one(LiveSession, round_.live_session_id).cohort_id
    seated = {seat.participant_id for seat in round_.seats if seat.room_id is not None}
    return connected_participants(cohort_id) - seated - passes


# Nobody alone -------------------------------------------------------------------------------------------


def present_among(live_session_id: int, participant_ids: set[int]) -> set[int]:
    """Those of `participant_ids` who are here: connected, or gone for less than the reconnect grace
    period (RECONNECT_GRACE_SECONDS), as the team's presence says "reconnecting"."""
    if not participant_ids:
        return set()
    connected = {
        participant_id
        for participant_id in db.session.scalars(
            select(Connection.participant_id).where(Connection.participant_id.in_(participant_ids)).distinct()
        )
        if participant_id is not None
    }
    # Everyone is connected: nobody to look for among those gone lately.
    if connected >= participant_ids:
        return connected
    since = now() - timedelta(seconds=RECONNECT_GRACE_SECONDS)
    lately = set(
        db.session.scalars(
            select(Attendance.participant_id).where(
                Attendance.live_session_id == live_session_id,
                Attendance.participant_id.in_(participant_ids - connected),
                Attendance.last_seen_at > since,
            )
        )
    )
    return connected | lately


def rooms_are_open(round_: BreakoutRound) -> bool:
    """Whether people are in the rooms: from the start of the notice until the "returning" notice. (A
    proposal is checked for anyone alone when the facilitator opens it: `start`.)"""
    return round_.status == "running" and phase(round_, now()) not in ("returning", "ended")


def alone_in(round_: BreakoutRound, present: set[int]) -> dict[int, int]:
    """The rooms of an open round where one member is left with nobody else present: room id -> that member."""
    if not rooms_are_open(round_):
        return {}
    alone = {}
    for room_id, members in members_by_room(round_).items():
        here = [participant_id for participant_id in members if participant_id in present]
        if len(here) == 1:
            alone[room_id] = here[0]
    return alone


def best_room_for(round_: BreakoutRound, participant_id: int, present: set[int]) -> BreakoutRoom | None:
    """Where to move someone who is alone (or waiting): the room with the fewest people present that keeps
    the exercise's shape once they join (at most one more than its size), or None for the main room."""
    members = members_by_room(round_)
    fitting = [
        room
        for room in round_.rooms
        if participant_id not in members[room.id]
        and set(members[room.id]) & present
        and len(members[room.id]) <= round_.group_size
    ]
    if not fitting:
        return None
    return min(fitting, key=lambda r: (len(set(members[r.id]) & present), len(members[r.id]), r.number))
