"""What each kind of client is shown of a breakout round: the whole room its times and counts, the
team every room, and each participant their own room and nobody else's (docs/privacy.md)."""

from collections import defaultdict
from typing import overload

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from facilitation.models import Participant
from sessions.breakouts.models import BreakoutPass, BreakoutRoom, BreakoutRound, BreakoutSeat
from sessions.breakouts.operations import (
    AD_HOC_ROLE,
    NOTICE_SECONDS,
    OBSERVER,
    RECALL_NOTICE_SECONDS,
    WARNING_SECONDS,
    alone_in,
    best_room_for,
    current_round,
    members_by_room,
    passes_at,
    phase,
    present_among,
    rooms_are_open,
)
from sessions.live.models import LiveSession
from sessions.live.operations import hold, millis, now


def roles_for(round_: BreakoutRound, size: int) -> list[dict]:
    """The roles of a room of `size`: the step's roles, an observer for an extra person,
    the last roles dropped in a smaller room."""
    roles = list(round_.roles) or [AD_HOC_ROLE]
    if not round_.roles:
        return roles * size
    return roles[:size] + [OBSERVER] * max(0, size - len(roles))


def _role_of(round_: BreakoutRound, index: int, size: int) -> dict:
    return roles_for(round_, size)[(index + round_.role_shift) % size]


@overload
def round_screen(round_: BreakoutRound) -> dict: ...
@overload
def round_screen(round_: None) -> None: ...
def round_screen(round_: BreakoutRound | None) -> dict | None:
    """What the whole room (and the projector) may know: times, counts, the message, shared notes."""
    if round_ is None:
        return None
    members = members_by_room(round_)
    return {
        "id": round_.id,
        "title": round_.title,
        "status": round_.status,
        "phase": phase(round_, now()),
        "group_size": round_.group_size,
        "minutes": round_.minutes,
        "auto_recall": round_.auto_recall,
        "starts_at": millis(round_.starts_at),
        "ends_at": millis(round_.ends_at),
        "recall_at": millis(round_.recall_at),
        "notice_seconds": NOTICE_SECONDS,
        "warning_seconds": WARNING_SECONDS,
        "recall_notice_seconds": RECALL_NOTICE_SECONDS,
        "rooms": sum(1 for room in round_.rooms if members[room.id]),
        "message": round_.message,
        "role_shift": round_.role_shift,
        "shared": [{"room": room.number, "notes": room.notes} for room in round_.rooms if room.shared_at is not None],
    }


def _rooms_with_members(round_: BreakoutRound) -> list[tuple[BreakoutRoom, list[BreakoutSeat]]]:
    seats: dict[int, list[BreakoutSeat]] = defaultdict(list)
    for seat in sorted(round_.seats, key=lambda s: s.seat):
        if seat.room_id is not None:
            seats[seat.room_id].append(seat)
    return [(room, seats[room.id]) for room in round_.rooms]


def _place(room: BreakoutRoom | None) -> dict | None:
    return {"id": room.id, "number": room.number} if room is not None else None


def team_round_screen(round_: BreakoutRound | None, presence: dict) -> dict | None:
    """The facilitators' overview: every room with its members, roles, notes and calls for help; who is
    alone in a room and who waits in the main room, each with the room that would keep the exercise's shape
    (`move_to`, null for the main room)."""
    if round_ is None:
        return None
    states = {person["id"]: person for person in presence["participants"]}
    # Present as the team's presence says: online, or reconnecting within the grace period.
    present = {person["id"] for person in presence["participants"] if person["state"] in ("online", "reconnecting")}
    alone = alone_in(round_, present)
    screen = round_screen(round_)
    rooms = []
    seated = set()
    for room, seats in _rooms_with_members(round_):
        members = []
        for index, seat in enumerate(seats):
            seated.add(seat.participant_id)
            person = states.get(seat.participant_id, {})
            role = _role_of(round_, index, len(seats))["name"] if seats else None
            members.append(
                {"id": seat.participant_id, "name": person.get("name", "?"), "role": role, "state": person.get("state")}
            )
        rooms.append(
            {
                "id": room.id,
                "number": room.number,
                "members": members,
                "notes": room.notes,
                "notes_revision": room.notes_revision,
                "notes_changed_at": millis(room.notes_changed_at),
                "help_requested_at": millis(room.help_requested_at),
                "help_answered_at": millis(room.help_answered_at),
                "shared": room.shared_at is not None,
                "alone": _alone(round_, alone.get(room.id), states, present),
            }
        )
    screen["rooms_detail"] = rooms
    main_room = [
        person for person in presence["participants"] if person["state"] == "online" and person["id"] not in seated
    ]
    # Who sits out matters only for those in the main room: with everyone in a room it is not read.
    passes = _passes_of_round(round_) if main_room else set()
    screen["main_room"] = [
        {
            "id": person["id"],
            "name": person["name"],
            "sitting_out": person["id"] in passes,
            "move_to": None if person["id"] in passes else _place(best_room_for(round_, person["id"], present)),
        }
        for person in main_room
    ]
    return screen


def _alone(round_: BreakoutRound, participant_id: int | None, states: dict, present: set[int]) -> dict | None:
    if participant_id is None:
        return None
    name = states.get(participant_id, {}).get("name", "?")
    return {"id": participant_id, "name": name, "move_to": _place(best_room_for(round_, participant_id, present))}


def _passes_of_round(round_: BreakoutRound) -> set[int]:
    return set(
        db.session.scalars(
            select(BreakoutPass.participant_id).where(
                BreakoutPass.live_session_id == round_.live_session_id, BreakoutPass.position == round_.position
            )
        )
    )


def personal_screens(round_: BreakoutRound, only: set[int] | None = None) -> dict[int, dict]:
    """For each seated participant (or those in `only`): their room, who is with them, their role.

    Built from one load of the round's seats and one of its people, so telling a thousand people costs
    two queries (none for the seats when the round's are loaded already).
    """
    # Held in the session, where each seat's participant is then found.
    hold(
        *db.session.scalars(
            select(Participant).where(Participant.id.in_({seat.participant_id for seat in round_.seats}))
        )
    )
    screens: dict[int, dict] = {}
    present = present_among(round_.live_session_id, {seat.participant_id for seat in round_.seats})
    for room, seats in _rooms_with_members(round_):
        screens.update(_room_screens(round_, room, seats, only, present))
    in_main_room = [
        seat.participant_id
        for seat in round_.seats
        if seat.room_id is None and (only is None or seat.participant_id in only)
    ]
    passes = _passes_of_round(round_) if in_main_room else set()
    for participant_id in in_main_room:
        screens[participant_id] = _main_room_screen(round_, participant_id in passes)
    return screens


def _room_screens(
    round_: BreakoutRound, room: BreakoutRoom, seats: list[BreakoutSeat], only: set[int] | None, present: set[int]
) -> dict[int, dict]:
    """What each member of `room` (seats in seat order) is told of it. Someone left with nobody else
    present is told so (`alone`), and which of the others are gone (`present` false)."""
    people = [
        {
            "name": seat.participant.display_name,
            "role": _role_of(round_, index, len(seats))["name"],
            "present": seat.participant_id in present,
        }
        for index, seat in enumerate(seats)
    ]
    here = [seat.participant_id for seat in seats if seat.participant_id in present]
    alone = here if len(here) == 1 and rooms_are_open(round_) else []
    screens = {}
    for index, seat in enumerate(seats):
        if only is not None and seat.participant_id not in only:
            continue
        screens[seat.participant_id] = {
            "round": round_.id,
            "place": "room",
            "room": {
                "id": room.id,
                "number": room.number,
                "members": [dict(person, you=(n == index)) for n, person in enumerate(people)],
                "notes": room.notes,
                "notes_revision": room.notes_revision,
                "help_requested": room.help_requested_at is not None and room.help_answered_at is None,
                "help_answered": room.help_answered_at is not None,
                "share_consents": len(room.share_consents),
                "you_agreed_to_share": seat.participant_id in room.share_consents,
                "shared": room.shared_at is not None,
                "alone": seat.participant_id in alone,
            },
            "role": _role_of(round_, index, len(seats)),
            "scenario_html": round_.scenario_html,
        }
    return screens


def _main_room_screen(round_: BreakoutRound, sitting_out: bool) -> dict:
    return {
        "round": round_.id,
        "place": "sitting_out" if sitting_out else "waiting",
        "scenario_html": round_.scenario_html,
    }


def personal_screen(live: LiveSession | None, participant_id: int) -> dict | None:
    """One participant's own place in the current round (for their snapshot), or whether they sit out.

    Reads only that participant's room, so a reconnect storm in a large round stays cheap."""
    round_ = current_round(live)
    if round_ is None:
        if live is not None and live.status == "live" and participant_id in passes_at(live, live.position):
            return {"round": None, "place": "sitting_out"}
        return None
    room_id = db.session.scalar(
        select(BreakoutSeat.room_id).where(
            BreakoutSeat.round_id == round_.id, BreakoutSeat.participant_id == participant_id
        )
    )
    if room_id is None:
        return _main_room_screen(round_, participant_id in _passes_of_round(round_))
    seats = list(
        db.session.scalars(
            select(BreakoutSeat)
            .where(BreakoutSeat.room_id == room_id)
            .order_by(BreakoutSeat.seat)
            .options(selectinload(BreakoutSeat.participant))
        )
    )
    present = present_among(round_.live_session_id, {seat.participant_id for seat in seats})
    room = db.session.get_one(BreakoutRoom, room_id)
    return _room_screens(round_, room, seats, {participant_id}, present)[participant_id]


def members_of(room: BreakoutRoom) -> list[int]:
    return list(db.session.scalars(select(BreakoutSeat.participant_id).where(BreakoutSeat.room_id == room.id)))
