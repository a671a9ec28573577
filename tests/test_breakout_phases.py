"""A round's phase follows from its stored times alone: notice, running, the one-minute warning,
time up, the returning notice, and automatic recall."""

from datetime import UTC, datetime, timedelta

from sessions.breakouts.models import BreakoutRound
from sessions.breakouts.operations import phase

START = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)


def running(minutes=10, recall_at=None) -> BreakoutRound:
    return BreakoutRound(
        status="running", starts_at=START, ends_at=START + timedelta(minutes=minutes), recall_at=recall_at
    )


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_a_round_moves_through_its_phases_by_the_clock():
    round_ = running()
    assert phase(round_, at(-5)) == "starting"
    assert phase(round_, at(0)) == "running"
    assert phase(round_, at(539)) == "running"
    assert phase(round_, at(540)) == "warning"
    assert phase(round_, at(600)) == "overtime", "without automatic recall, rooms stay open until recalled"
    assert phase(round_, at(6000)) == "overtime"


def test_automatic_recall_brings_everyone_back_at_the_deadline_after_a_notice():
    round_ = running(recall_at=START + timedelta(minutes=10))
    assert phase(round_, at(540)) == "warning"
    assert phase(round_, at(570)) == "returning"
    assert phase(round_, at(600)) == "ended"


def test_a_recall_gives_thirty_seconds_notice():
    round_ = running(recall_at=at(200))
    assert phase(round_, at(169)) == "running"
    assert phase(round_, at(170)) == "returning"
    assert phase(round_, at(200)) == "ended"


def test_proposed_and_ended_rounds_keep_their_status():
    assert phase(BreakoutRound(status="proposed"), at(0)) == "proposed"
    assert phase(BreakoutRound(status="ended"), at(0)) == "ended"
