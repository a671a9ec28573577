"""Socket.IO events and pushes of measures: a check-in the person asked for after a risk item, and
the team's view of the group's measures and of the trends shared with them.

What a person answered never travels here: the team is sent aggregates (at least k answers each)
and the trends their authors chose to share.
"""

from sessions.live.models import LiveSession
from sessions.measures import operations as measures
from sessions.realtime import pushes
from sessions.realtime.payloads import Empty
from sessions.realtime.plumbing import PARTICIPANT, Caller, handler
from sessions.realtime.rooms import team_of
from sessions.safety.events import ask_for_pause
from sessions.safety.screens import own_signal_screen


def announce_measures(cohort_id: int) -> None:
    """The group's measures across the weeks, with any cue, to the facilitator team only."""
    pushes.queue("measures:group", {"measures": measures.cohort_measures(cohort_id)}, to=team_of(cohort_id))


def announce_shared(cohort_id: int) -> None:
    """The trends shared by name, to the facilitator team only."""
    pushes.queue("measures:shared", {"shared": measures.shared_trends(cohort_id)}, to=team_of(cohort_id))


@handler("measure:check_in", PARTICIPANT, live=True)
def ask_for_check_in(caller: Caller, _payload: Empty, live: LiveSession) -> dict:
    """After a risk item, the person said yes: a signal with their name, like "I need a pause"."""
    signal, new = ask_for_pause(caller.cohort_id, live, caller.joined_participant_id, reason="check_in")
    return {"ok": True, "pause": own_signal_screen(signal), "new": new}
