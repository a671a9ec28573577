"""Socket.IO events of the journal's shared excerpts: the facilitators' moderation queue. Journal
text itself never travels over the live connection; an excerpt is a copy its author chose to share.
"""

from sessions.journal import operations as journal
from sessions.journal import screens as journal_screens
from sessions.journal.schemas import ExcerptApprove, ExcerptDecline
from sessions.live.models import LiveSession
from sessions.live.screens import moved
from sessions.realtime import pushes
from sessions.realtime.plumbing import FACILITATOR, Caller, handler
from sessions.realtime.rooms import team_of


def announce_excerpts(cohort_id: int) -> None:
    """The pending excerpts, without author, to the facilitator team only."""
    pushes.queue("excerpt:queue", {"pending": journal_screens.pending_excerpts(cohort_id)}, to=team_of(cohort_id))


@handler("excerpt:approve", FACILITATOR, live=True)
def approve_excerpt(caller: Caller, payload: ExcerptApprove, live: LiveSession) -> dict:
    journal.approve_excerpt(live, payload.version, payload.excerpt, caller.signed_in_user_id)
    ack = moved(caller.cohort_id, live)
    announce_excerpts(caller.cohort_id)
    return ack


@handler("excerpt:decline", FACILITATOR)
def decline_excerpt(caller: Caller, payload: ExcerptDecline) -> dict:
    journal.decline_excerpt(caller.cohort_id, payload.excerpt)
    announce_excerpts(caller.cohort_id)
    return {"ok": True}
