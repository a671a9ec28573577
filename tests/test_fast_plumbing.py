"""The handler plumbing in process (tests/fast.py): one commit per event, pushes only after it, and a
refusal, a failure or a bad payload that changes nothing and tells nobody anything.
"""

import logging
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from extensions import db
from refusals import Refusal
from sessions.live import events as live_events
from sessions.live.models import LiveSession, Transition
from sessions.live.screens import moved
from sessions.realtime import plumbing
from sessions.realtime.plumbing import EventBudget, TimeBudget


def transitions(room) -> int:
    with room.app.app_context():
        return db.session.scalar(
            select(func.count()).where(Transition.live_session_id == room.live_session_id).select_from(Transition)
        )


def position(room) -> int:
    with room.app.app_context():
        return db.session.get(LiveSession, room.live_session_id).position


def moved_then(failure: Exception):
    """`moved` as the handler calls it (the new state queued for every screen), then `failure`."""

    def failing(cohort_id: int, live: LiveSession) -> dict:
        moved(cohort_id, live)
        raise failure

    return failing


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (Refusal("wrong_state"), "wrong_state"),
        (RuntimeError("a bug"), "server_error"),
        (PoolTimeout("QueuePool limit reached"), "busy"),
    ],
    ids=["refusal", "unexpected error", "no database connection free"],
)
def test_a_handler_that_fails_after_changing_and_queueing_changes_nothing_and_sends_nothing(
    room, monkeypatch, caplog, failure, code
):
    room.start()
    before, recorded = room.version(), transitions(room)
    room.forget()

    with monkeypatch.context() as patched, caplog.at_level(logging.CRITICAL):
        patched.setattr(live_events, "moved", moved_then(failure))
        ack = room.command("step:go", position=4)

    assert ack["ok"] is False and ack["error"]["code"] == code
    assert (room.version(), position(room), transitions(room)) == (before, 0, recorded)
    assert all(device.heard() == [] for device in room.everyone)
    # What was queued was thrown away with the transaction: the next change sends only its own state.
    room.go_to(2)
    for device in room.everyone:
        assert [state["step"]["position"] for state in device.events("state")] == [2]


def test_a_commit_that_fails_sends_nothing(room, monkeypatch, caplog):
    room.start()
    before = room.version()
    room.forget()

    def refuse_to_commit() -> None:
        raise ConnectionError("the database went away")

    with monkeypatch.context() as patched, caplog.at_level(logging.CRITICAL):
        patched.setattr(db.session, "commit", refuse_to_commit)
        ack = room.command("step:go", position=4)

    assert ack["error"]["code"] == "server_error"
    assert (room.version(), position(room)) == (before, 0)
    assert all(device.heard() == [] for device in room.everyone)


def test_bad_payloads_get_an_error_with_a_sentence_and_change_nothing(room):
    room.start()
    version = room.version()
    room.forget()
    console, ash = room.facilitator, room.participants[0]
    too_big = 2**63
    receipt = {"poll": 1, "stage": "counted", "choice": "{}", "nonce": "00", "mac": "é" * 10}
    cases = [
        (console, ("step:go", {"version": str(version), "position": 1}), "bad_payload"),
        (console, ("step:go", {"version": version}), "bad_payload"),
        (console, ("step:go", {"version": version, "position": 1, "room": "cohort:1"}), "bad_payload"),
        (console, ("step:go", [1, 2]), "bad_payload"),
        (console, ("step:go", "next"), "bad_payload"),
        # Two arguments where one payload belongs.
        (console, ("step:go", {"version": version, "position": 1}, "extra"), "bad_payload"),
        (console, ("timer:start", {"version": version, "seconds": 10**9}), "bad_payload"),
        (console, ("session:launch", {"version": version}), "unknown_event"),
        (console, ("session:start", {"version": version}), "wrong_state"),
        (console, ("step:go", {"version": version, "position": 499}), "invalid_step"),
        # Ids past what a database stores, and a receipt that is not Mend's hex.
        (console, ("pause:acknowledge", {"signal": too_big}), "bad_payload"),
        (console, ("breakout:start", {"version": version, "round": too_big}), "bad_payload"),
        (ash, ("poll:answer", {"poll": too_big, "answer": {"pass": True}}), "bad_payload"),
        (ash, ("poll:answer", {"poll": 1, "answer": {"pass": True}, "previous": receipt}), "bad_payload"),
        (ash, ("poll:answer", {"poll": 1, "answer": {"pass": True, "value": 3}}), "bad_payload"),
    ]
    for device, call, code in cases:
        ack = device.call(*call)
        assert ack["ok"] is False and ack["error"]["code"] == code, (call, ack)
        assert ack["error"]["message"].endswith("."), ack
    assert room.version() == version
    assert all(device.heard() == [] for device in room.everyone)


def test_a_flood_from_one_connection_is_limited_and_the_others_are_not(room):
    ash, bo = room.participants[:2]
    answers = [ash.call("timer:clear", {"version": 1})["error"]["code"] for _ in range(EventBudget.BURST + 5)]
    # A burst is answered (the snapshot at connect took one event of it), a flood is not.
    assert answers[: EventBudget.BURST - 1] == ["forbidden"] * (EventBudget.BURST - 1)
    assert answers[-3:] == ["rate_limited"] * 3
    assert bo.snapshot()["status"] == "lobby"


class HandlerClock:
    """The clocks the plumbing reads: the monotonic one stands still (no budget refills by itself), and
    every read of the handler timer is `cost` seconds after the one before, so each event costs `cost`."""

    def __init__(self, cost: float) -> None:
        self.cost = cost
        self.now = time.monotonic()
        self.timer = 0.0

    def monotonic(self) -> float:
        return self.now

    def thread_time(self) -> float:
        self.timer += self.cost
        return self.timer


def test_one_person_whose_events_keep_the_process_busy_is_limited_and_the_others_are_not(room, monkeypatch):
    ash, bo = room.participants[:2]
    # Each of Ash's events keeps the process busy for 40% of what a participant may take at once: three
    # of them, far fewer than the event budget's burst, are answered before Ash is asked to wait.
    clock = HandlerClock(cost=TimeBudget.BUSY["participant"][0] * 0.4)
    monkeypatch.setattr(plumbing, "time", clock)
    answers = [ash.call("snapshot") for _ in range(EventBudget.BURST // 2)]
    codes = [answer["error"]["code"] if not answer["ok"] else "ok" for answer in answers]
    assert codes == ["ok"] * 3 + ["rate_limited"] * (len(codes) - 3), "time is counted, not only events"
    # Someone else is answered at once; Ash again once time has passed.
    assert bo.snapshot()["status"] == "lobby"
    clock.now += 20
    assert ash.snapshot()["status"] == "lobby"


def test_one_persons_events_are_spaced_so_that_everyone_else_is_answered_between_them(room, monkeypatch):
    ash, bo = room.participants[:2]
    # Each event keeps the process busy for a hundredth of a second: costly, yet far within the budget.
    clock = HandlerClock(cost=0.01)
    clock.now += 60  # past any spacing left from connecting
    monkeypatch.setattr(plumbing, "time", clock)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(plumbing.socketio, "sleep", sleep)
    share = TimeBudget.SHARE["participant"]
    assert ash.snapshot()["status"] == "lobby"
    assert waits == []
    # Ash's next event starts once everyone else had the rest of the process's time for a while.
    assert ash.snapshot()["status"] == "lobby"
    assert waits == [pytest.approx(0.01 * (1 / share - 1))]
    # Bo, meanwhile, is answered at once.
    assert bo.snapshot()["status"] == "lobby"
    assert len(waits) == 1
    # And Ash is answered at once too after a pause of their own.
    clock.now += 1
    assert ash.snapshot()["status"] == "lobby"
    assert len(waits) == 1


def test_a_person_with_several_sockets_has_one_time_budget_and_reconnecting_does_not_refill_it(room, monkeypatch):
    from tests.fast import Device

    ash, bo = room.participants[:2]
    clock = HandlerClock(cost=TimeBudget.BUSY["participant"][0] * 0.4)
    monkeypatch.setattr(plumbing, "time", clock)
    assert [ash.call("snapshot")["ok"] for _ in range(3)] == [True, True, True]
    # A second tab of Ash's (the same cookies), as an abuser opens twenty: the time Ash's first tab
    # took is Ash's, so it is asked to wait too.
    other_tab = room.connect(Device(ash.name, "participant", ash.http, ash.participant_id), snapshot=False)
    assert other_tab.call("snapshot")["error"]["code"] == "rate_limited"
    # Closing every socket and connecting again brings no fresh budget either.
    room.disconnect(other_tab)
    room.disconnect(ash)
    again = room.connect(Device(ash.name, "participant", ash.http, ash.participant_id), snapshot=False)
    assert again.call("snapshot")["error"]["code"] == "rate_limited"
    assert bo.snapshot()["status"] == "lobby"
    clock.now += 30
    assert again.snapshot()["status"] == "lobby"
