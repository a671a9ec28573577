"""Who is in the room, as the cohort's facilitators decide: enrolment open or closed, the waiting
room, letting someone in, and removing someone from the group.

Removing a participant deletes their place in the group as their own "Delete everything" does:
their journal is shredded (its key first), their name leaves the room, their rooms and every list,
and their cookie and links match nobody any more (docs/privacy.md, "Removal"). Their anonymous
poll answers stay in the counts, as they were never theirs by name. Functions change rows and
flush; the caller commits, then ends the sockets it is given.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from extensions import db
from facilitation.models import Cohort, Participant
from refusals import Refusal
from sessions.breakouts.models import BreakoutRound, BreakoutSeat
from sessions.breakouts.operations import current_round, phase
from sessions.journal import operations as journal
from sessions.live.models import Connection
from sessions.live.operations import now, open_session_of


@dataclass
class Removed:
    """What a removal leaves for the caller to announce once it is committed."""

    name: str
    sids: list[str]
    # The open round the person sat in, and who shared their room: each is told of the room anew.
    round: BreakoutRound | None = None
    room_members: set[int] = field(default_factory=set)


def _participant(cohort_id: int, participant_id: int) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.cohort_id != cohort_id:
        raise Refusal("no_participant")
    return participant


def set_enrolment(cohort_id: int, enrolment_open: bool, waiting_room: bool) -> Cohort:
    """Whether the join code lets anyone new in, and whether newcomers wait to be let in."""
    cohort = db.session.get_one(Cohort, cohort_id)
    cohort.enrolment_open, cohort.waiting_room = enrolment_open, waiting_room
    db.session.flush()
    return cohort


def admit(cohort_id: int, participant_id: int) -> Participant:
    """Let someone who is waiting into the room (letting in someone already in changes nothing)."""
    participant = _participant(cohort_id, participant_id)
    if participant.admitted_at is None:
        participant.admitted_at = datetime.now(UTC)
        db.session.flush()
    return participant


def remove(cohort_id: int, participant_id: int) -> Removed:
    """Remove someone from the group (or turn away someone waiting): see the module's docstring."""
    participant = _participant(cohort_id, participant_id)
    sids = list(db.session.scalars(select(Connection.sid).where(Connection.participant_id == participant.id)))
    removed = Removed(name=participant.display_name, sids=sids)
    round_ = current_round(open_session_of(cohort_id))
    if round_ is not None and phase(round_, now()) != "ended":
        seat = db.session.scalar(
            select(BreakoutSeat).where(
                BreakoutSeat.round_id == round_.id, BreakoutSeat.participant_id == participant.id
            )
        )
        if seat is not None:
            removed.round = round_
            if seat.room_id is not None:
                removed.room_members = set(
                    db.session.scalars(
                        select(BreakoutSeat.participant_id).where(
                            BreakoutSeat.room_id == seat.room_id, BreakoutSeat.participant_id != participant.id
                        )
                    )
                )
    # The connections go with the participant (their rows cascade); the sockets end after the commit.
    journal.delete_everything(participant)
    if removed.round is not None:
        db.session.expire(removed.round)
    return removed
