"""The group's measures across the weeks for the facilitators, the cue when a session rating falls,
and sharing one's own trend by name. Functions flush; the caller commits.

The aggregates are the anonymous polls' counters (sessions/polls/): a measure is a poll of kind
"measure", so its answers were received into the ballot box and counted in batches of at least k,
and a week below k keeps no counts at all. Nothing here reads a person's own answers except to copy
their trend when they share it.
"""

from sqlalchemy import bindparam, delete, select

from extensions import db
from facilitation import measures
from facilitation.models import Participant, SessionPlan
from sessions.journal import trends
from sessions.live.models import LiveSession
from sessions.measures.models import SharedTrend
from sessions.polls.models import Poll
from sessions.polls.screens import results

# A fall of this share of the score's range or more, from one week to the next, is noticeable.
NOTICEABLE_FALL = 0.1

_MEASURES = (
    select(Poll, SessionPlan.number)
    .join(LiveSession, LiveSession.id == Poll.live_session_id)
    .join(SessionPlan, SessionPlan.id == LiveSession.session_plan_id)
    .where(LiveSession.cohort_id == bindparam("cohort_id"), Poll.kind == "measure", Poll.status != "open")
    .order_by(SessionPlan.number, Poll.opened_at)
)


def cohort_measures(cohort_id: int) -> list[dict]:
    """Each instrument the cohort was asked, with every week it was closed: how many answered and
    passed, and the aggregates only where at least k answered; and the cue, if any."""
    by_instrument: dict[str, dict] = {}
    for poll, week in db.session.execute(_MEASURES, {"cohort_id": cohort_id}):
        instrument = poll.settings
        low, high = measures.score_range(instrument)
        measure = by_instrument.setdefault(
            instrument["instrument"],
            {
                "instrument": instrument["instrument"],
                "name": instrument["short_name"],
                "higher_is": instrument["scoring"]["higher_is"],
                "range": [low, high],
                "weeks": [],
            },
        )
        measure["weeks"].append({"week": week, "poll": poll.id, **results(poll, for_team=True)})
    out = list(by_instrument.values())
    for measure in out:
        measure["cue"] = cue(measure)
    return out


def _total(week: dict) -> dict | None:
    total = next((score for score in week.get("scores", []) if score["id"] == "total"), None)
    return total if total is not None and "mean" in total else None


def cue(measure: dict) -> dict | None:
    """A private prompt for the team: the latest week's mean total lies in a band of concern, or fell
    noticeably since the last week it was asked; with the question the group rated lowest."""
    shown = [(week, total) for week in measure["weeks"] if (total := _total(week)) is not None]
    if not shown:
        return None
    week, total = shown[-1]
    better = measure["higher_is"] == "better"
    reasons = []
    if total.get("band") and total["band"]["concern"]:
        reasons.append(
            f"The group's mean total in week {week['week']} is {total['mean']:g}: {total['band']['meaning']}"
        )
    if len(shown) > 1:
        before_week, before = shown[-2]
        fall = (before["mean"] - total["mean"]) if better else (total["mean"] - before["mean"])
        low, high = measure["range"]
        if fall >= NOTICEABLE_FALL * (high - low):
            direction = "fell" if better else "rose"
            reasons.append(
                f"The group's mean total {direction} from {before['mean']:g} in week {before_week['week']} "
                f"to {total['mean']:g} in week {week['week']}."
            )
    if not reasons:
        return None
    rated = [item for item in week["items"] if "mean" in item]
    suggestion = "You might ask the group, in general terms, what would suit them better next week."
    if rated:
        # Scaled to each item's range, so that items on different scales compare.
        def standing(item: dict) -> float:
            share = (item["mean"] - item["min"]) / (item["max"] - item["min"])
            return share if better else 1 - share

        lowest = min(rated, key=standing)
        suggestion = (
            f"The question the group rated least well was “{lowest['text']}”. You might ask about that, "
            "in general terms, without asking anyone how they answered."
        )
    return {"week": week["week"], "reasons": reasons, "suggestion": suggestion}


def share_trend(participant: Participant) -> SharedTrend:
    """Share one's own trend with the cohort's facilitators by name (a copy they can read)."""
    shared = db.session.get(SharedTrend, participant.id)
    if shared is None:
        shared = SharedTrend(participant_id=participant.id, cohort_id=participant.cohort_id)
        db.session.add(shared)
    shared.trend = trends.trend_of(participant.id)
    db.session.flush()
    return shared


def withdraw_trend(participant: Participant) -> None:
    """Withdraw a shared trend: the facilitators' copy is deleted."""
    db.session.execute(delete(SharedTrend).where(SharedTrend.participant_id == participant.id))
    db.session.flush()


def is_shared(participant_id: int) -> bool:
    return db.session.get(SharedTrend, participant_id) is not None


def refresh_shared(participant_id: int) -> bool:
    """After the author answered again: a trend they share stays what their journal holds (True if shared)."""
    shared = db.session.get(SharedTrend, participant_id)
    if shared is not None:
        shared.trend = trends.trend_of(participant_id)
    return shared is not None


def shared_trends(cohort_id: int) -> list[dict]:
    """The trends shared with this cohort's facilitators, each under its author's name."""
    rows = db.session.execute(
        select(SharedTrend, Participant.display_name)
        .join(Participant, Participant.id == SharedTrend.participant_id)
        .where(SharedTrend.cohort_id == cohort_id)
        .order_by(Participant.display_name)
    )
    return [{"participant": shared.participant_id, "name": name, "trend": shared.trend} for shared, name in rows]
