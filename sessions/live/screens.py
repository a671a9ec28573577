"""What each kind of client is shown of a cohort's live session, built from the database alone.

The room (participants and projector) gets the public state; facilitators get it
with presenter notes, the next step and who is present. Nothing here is private
to one participant.
"""

from typing import Any

from sqlalchemy import bindparam, select

from extensions import db
from facilitation.cohorts import next_meeting
from facilitation.models import Cohort, Participant, User, cohort_facilitators
from sessions.breakouts import operations as breakouts
from sessions.breakouts import screens as breakout_screens
from sessions.journal import screens as journal_screens
from sessions.live.models import LiveSession
from sessions.live.operations import millis, now, open_session_of
from sessions.live.outline import outline_of
from sessions.live.presence import ONLINE_COUNT, presence_of
from sessions.polls.operations import active_poll, answer_status
from sessions.polls.screens import poll_screen, progress
from sessions.realtime import pushes
from sessions.realtime.rooms import room_of, team_of
from sessions.safety.screens import break_screen, private_state, signals_of, skipped_count

# The cohort's name with its facilitators' names, whether it takes new people, and how many participants
# are online, in one statement (read with every change).
_HEADER = (
    select(Cohort.name, User.name, Cohort.enrolment_open, Cohort.archived_at, ONLINE_COUNT.scalar_subquery())
    .outerjoin(cohort_facilitators, cohort_facilitators.c.cohort_id == Cohort.id)
    .outerjoin(User, User.id == cohort_facilitators.c.user_id)
    .where(Cohort.id == bindparam("cohort_id"))
    .order_by(User.name)
)


def cohort_header(cohort_id: int) -> tuple[dict, bool, int]:
    """The header every screen shows, whether the join code lets anyone new in, and how many
    participants are online (`online_count`)."""
    rows = db.session.execute(_HEADER, {"cohort_id": cohort_id}).all()
    joinable = bool(rows[0][2]) and rows[0][3] is None
    return {"name": rows[0][0], "facilitators": [row[1] for row in rows if row[1] is not None]}, joinable, rows[0][4]


class Snapshot:
    """A cohort's session at one moment, as each kind of client is shown it. What the public and
    the team's screens share (the session row, the current breakout round, the poll on screen and how
    many responded to it) is read once."""

    def __init__(self, cohort_id: int, live: LiveSession | None):
        self.cohort_id = cohort_id
        self.live = live
        self.round = breakouts.current_round(live) if live is not None and live.status == "live" else None
        self.poll = active_poll(live)
        self._responded: dict | None = None

    def poll_screen(self, for_team: bool) -> dict | None:
        if self.poll is None:
            return None
        if self._responded is None:
            # Who responded includes the answers waiting in the ballot box: Redis, with several processes.
            self._responded = progress(self.poll)
        return poll_screen(self.poll, for_team, self._responded)

    def public(self) -> dict:
        """The state every participant and the projector may see."""
        cohort_id, live = self.cohort_id, self.live
        header, joinable, online = cohort_header(cohort_id)
        state: dict[str, Any] = {
            "cohort": header,
            "server_time": millis(now()),
            "version": 0,
            "status": "idle",
            "online": online,
            # Whether the join code lets anyone new in: the projector shows the code only then. Everyone
            # who can see the code on the wall may know this much; the waiting room stays the team's.
            "joinable": joinable,
        }
        if live is None:
            cohort = db.session.get_one(Cohort, cohort_id)
            meeting = next_meeting(cohort)
            state["next_meeting"] = (
                {"week": meeting.week, "starts_at": millis(meeting.starts_at), "timezone": cohort.timezone}
                if meeting
                else None
            )
            return state
        outline = outline_of(live)
        state.update(
            version=live.version,
            status=live.status,
            session={"id": live.id, **outline.header},
            agenda=outline.agenda,
            timer=(
                {"started_at": millis(live.timer_started_at), "ends_at": millis(live.timer_ends_at)}
                if live.timer_ends_at
                else None
            ),
            step=outline.steps[live.position] if live.status == "live" else None,
            poll=self.poll_screen(for_team=False),
            breakout=breakout_screens.round_screen(self.round) if live.status == "live" else None,
            # The grounding break covers the step on record, which it never changes.
            grounding_break=break_screen(live),
            # Journal excerpts their authors shared and a facilitator approved for this session (no names).
            shared=journal_screens.shared_in(live),
        )
        return state

    def team(self, public: dict | None = None, pushed: bool = False) -> dict:
        """The public state (built here unless given) plus what only facilitators see.

        A `pushed` state, sent to the team after a change, leaves out what has its own events and
        does not change with the session's step: who is present (`presence`), excerpts awaiting
        moderation (`excerpt:queue`) and pause signals (`safety:signals`). The console keeps what it
        last had; a snapshot has everything."""
        cohort_id, live = self.cohort_id, self.live
        state = dict(public if public is not None else self.public())
        presence = None
        if not pushed or self.round is not None:
            presence = state["presence"] = presence_of(cohort_id, live)
        # The journal, as facilitators know it: a count for the week and excerpts awaiting moderation, no names.
        week, writers = journal_screens.writers_this_week(cohort_id, live)
        state["journal"] = {"week": week, "writers": writers}
        if not pushed:
            state["excerpts"] = journal_screens.pending_excerpts(cohort_id)
            state["enrolment"] = enrolment_of(cohort_id)
        if live is not None:
            state["poll"] = self.poll_screen(for_team=True)
            if live.status == "live":
                # Without a round there is no presence read, and no rooms to show either.
                state["breakout"] = (
                    breakout_screens.team_round_screen(self.round, presence) if presence is not None else None
                )
            # Pause signals and how many skipped a content note: for the cohort's facilitators only.
            state["safety"] = {"skipped": skipped_count(live)}
            if not pushed:
                state["safety"]["signals"] = signals_of(live)
        if live is not None and live.status != "ended":
            outline = outline_of(live)
            state["notes_html"] = outline.notes[live.position] if live.status == "live" else ""
            upcoming = live.position + 1 if live.status == "live" else 0
            state["preview"] = outline.steps[upcoming] if upcoming < len(outline.steps) else None
            if live.status == "lobby":
                state["preview_notes_html"] = outline.notes[0]
        return state


def enrolment_of(cohort_id: int) -> dict:
    """Whether the join code lets anyone new in, and whether they wait to be let in (the team only)."""
    cohort = db.session.get_one(Cohort, cohort_id)
    return {"open": cohort.enrolment_open, "waiting_room": cohort.waiting_room}


def public_state(cohort_id: int, live: LiveSession | None) -> dict:
    """The state every participant and the projector may see."""
    return Snapshot(cohort_id, live).public()


def team_state(cohort_id: int, live: LiveSession | None, pushed: bool = False) -> dict:
    """The public state plus what only facilitators see (see `Snapshot.team`)."""
    return Snapshot(cohort_id, live).team(pushed=pushed)


def state_for(caller) -> dict:
    """The full state one socket's person is shown (the answer to `snapshot`): the team's for a
    facilitator, the public one for the projector, and for a participant the public one with what is
    theirs alone (`you`)."""
    live = open_session_of(caller.cohort_id)
    if caller.role == "facilitator":
        return team_state(caller.cohort_id, live)
    state = public_state(caller.cohort_id, live)
    participant = db.session.get(Participant, caller.participant_id) if caller.participant_id is not None else None
    # Also None for someone who has just deleted their place in the group: their sockets are being closed.
    if participant is not None:
        poll = active_poll(live)
        state["you"] = {
            "name": participant.display_name,
            # Whether their answer to the open poll was counted, waits, or was lost (their browser then
            # sends it again).
            "poll": {"id": poll.id, "answer": answer_status(poll, participant.id)}
            if poll is not None and poll.status == "open"
            else None,
            "breakout": breakout_screens.personal_screen(live, participant.id),
            **private_state(live, participant),
        }
    return state


def queue_state(cohort_id: int, live: LiveSession | None) -> None:
    """After a change: the new state to the room and to the team, once each. The room's is read now, in
    the change's own transaction; the team's fuller state is built once the room's has gone out."""
    snapshot = Snapshot(cohort_id, live)
    public = snapshot.public()
    pushes.queue("state", public, to=room_of(cohort_id))
    pushes.queue("state", lambda: snapshot.team(public, pushed=True), to=team_of(cohort_id))


def moved(cohort_id: int, live: LiveSession) -> dict:
    """After a command that moved the session: every screen is shown where it now is (an ended session
    too, so that each can say so); the command's acknowledgement carries the new version."""
    queue_state(cohort_id, live)
    return {"ok": True, "version": live.version}


def queue_team_state(cohort_id: int, live: LiveSession | None) -> None:
    """A change only the team sees (a participant sat out, a room asked for help): the team's state alone."""
    pushes.queue("state", lambda: team_state(cohort_id, live, pushed=True), to=team_of(cohort_id))
