"""Private messages from a cohort's facilitators: to one participant, or to one breakout room.

A message is not stored: it goes to the devices connected at that moment, and the facilitator is
told how many received it (none when the person is not connected). What it says is the
facilitator's own words; Mend keeps no copy (docs/privacy.md, "Private messages").
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from extensions import db
from facilitation.models import Participant, User
from refusals import Refusal
from sessions.breakouts.models import BreakoutRoom, BreakoutSeat
from sessions.breakouts.operations import current_round, phase
from sessions.live.models import Connection, LiveSession
from sessions.live.operations import now


@dataclass
class Message:
    sender: str
    text: str
    # Who receives it and on how many connected devices.
    participant_ids: list[int]
    devices: int
    room_number: int | None = None

    def payload(self) -> dict:
        return {
            "from": self.sender,
            "text": self.text,
            "room": self.room_number,
            "sent_at": int(now().timestamp() * 1000),
        }


def _clean(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise Refusal("bad_payload", "A message needs some words, so nothing was sent.")
    return text


def _devices(participant_ids: list[int]) -> int:
    if not participant_ids:
        return 0
    return db.session.scalar(select(func.count()).where(Connection.participant_id.in_(participant_ids))) or 0


def to_participant(cohort_id: int, user_id: int, participant_id: int, text: str) -> Message:
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.cohort_id != cohort_id or participant.admitted_at is None:
        raise Refusal("no_participant")
    sender = db.session.get_one(User, user_id).name
    return Message(sender, _clean(text), [participant.id], _devices([participant.id]))


def to_room(live: LiveSession, user_id: int, round_id: int, room_id: int, text: str) -> Message:
    round_ = current_round(live)
    if round_ is None or round_.id != round_id or phase(round_, now()) in ("ended", "proposed"):
        raise Refusal("no_round")
    room = db.session.get(BreakoutRoom, room_id)
    if room is None or room.round_id != round_.id:
        raise Refusal("no_room")
    members = list(db.session.scalars(select(BreakoutSeat.participant_id).where(BreakoutSeat.room_id == room.id)))
    sender = db.session.get_one(User, user_id).name
    return Message(sender, _clean(text), members, _devices(members), room_number=room.number)
