"""Anonymous polls in process (tests/fast.py): answers received at once, counted in batches of at
least k, each person told of their own answer only, results for the room only once revealed.

The same over a real server, with real delays and Redis, is tested in tests/test_polls.py.
"""

import pytest

from extensions import db
from sessions.live.models import LiveSession
from sessions.polls import operations as polls
from sessions.polls.models import Poll, PollTally

K = 3
SINGLE = {"kind": "single", "question": "Which feels closest today?", "options": ["Calm", "Tense", "Tired"]}


def open_quick(room, settings: dict = SINGLE) -> int:
    assert room.command("poll:open", quick=settings)["ok"]
    return room.facilitator.state["poll"]["id"]


def answer(person, poll: int, choice: dict, previous: dict | None = None) -> dict:
    payload = {"poll": poll, "answer": choice, **({"previous": previous} if previous else {})}
    return person.call("poll:answer", payload)


def counted(room, poll: int) -> int:
    with room.app.app_context():
        return db.session.get(PollTally, poll).answers


@pytest.fixture
def seven(make_room):
    """Seven participants (2k + 1) in a started session."""
    room = make_room(participants=7)
    room.start()
    return room


def test_an_answer_is_acknowledged_as_received_and_nobody_is_told_at_that_moment(seven):
    poll = open_quick(seven)
    seven.forget()

    ack = answer(seven.participants[0], poll, {"picks": [1]})

    assert ack["ok"] and ack["counted"] is False
    assert ack["receipt"]["stage"] == "received" and ack["receipt"]["poll"] == poll
    assert all(device.heard() == [] for device in seven.everyone)
    assert counted(seven, poll) == 0
    # Who responded follows a moment later (at a random delay), as a number; what was chosen, never.
    seven.tasks.run()
    for device in seven.everyone:
        assert device.events("poll:progress") == [{"poll": poll, "responded": 1, "of": 7}]


def test_a_batch_is_counted_once_2k_wait_and_the_close_counts_the_rest(seven):
    poll = open_quick(seven)
    people = seven.participants
    received = {}
    for person in people[: 2 * K - 1]:
        received[person.name] = answer(person, poll, {"picks": [0]})["receipt"]["nonce"]
    seven.tasks.run()
    assert counted(seven, poll) == 0
    assert not any(device.events("poll:counted") for device in seven.everyone)

    received[people[2 * K - 1].name] = answer(people[2 * K - 1], poll, {"picks": [2]})["receipt"]["nonce"]
    seven.tasks.run()

    # All but k of the 2k waiting are counted, so that the close, too, counts at least k.
    assert counted(seven, poll) == K
    told = {person.name: person.events("poll:counted") for person in people if person.events("poll:counted")}
    assert len(told) == K
    for name, messages in told.items():
        # Each is told on their own devices, and of their own answer only.
        assert [message["received"] for message in messages] == [received[name]]
        assert messages[0]["receipt"]["stage"] == "counted"
    assert seven.facilitator.events("poll:counted") == []
    # The team's live results move with the batch; the room is sent no results before a reveal.
    assert seven.facilitator.events("poll:results")[-1]["results"]["answers"] == K
    for person in people:
        assert person.events("poll:results") == []
        assert all("results" not in (state["poll"] or {}) for state in person.events("state"))

    assert seven.command("poll:close")["ok"]

    for person in people[: 2 * K]:
        assert [message["received"] for message in person.events("poll:counted")] == [received[person.name]]
    assert people[-1].events("poll:counted") == []  # who did not answer is told nothing
    team = seven.facilitator.state["poll"]
    assert team["status"] == "closed" and team["responded"] == 2 * K
    assert [option["count"] for option in team["results"]["options"]] == [5, 0, 1]


def test_results_reach_the_room_only_once_revealed_and_only_with_k_answers(make_room):
    room = make_room(participants=4)
    room.start()
    poll = open_quick(room)
    for person in room.participants[:2]:
        assert answer(person, poll, {"picks": [0]})["ok"]
    assert answer(room.participants[2], poll, {"pass": True})["ok"]
    assert room.command("poll:reveal")["error"]["code"] == "poll_state"  # close first
    assert room.command("poll:close")["ok"]

    refused = room.command("poll:reveal")

    assert refused["error"]["code"] == "below_threshold"
    assert "at least 3 people" in refused["error"]["message"] and "2 answered" in refused["error"]["message"]
    assert "results" not in room.participants[0].state["poll"]
    assert room.facilitator.state["poll"]["results"] == {
        "answers": 2,
        "passes": 1,
        "threshold": K,
        "below_threshold": True,
    }

    second = open_quick(room, {**SINGLE, "question": "And now?"})
    for person in room.participants[:3]:
        assert answer(person, second, {"picks": [2]})["ok"]
    room.command("poll:close")
    assert room.command("poll:reveal")["ok"]
    for person in room.participants:
        shown = person.state["poll"]
        assert shown["id"] == second and shown["status"] == "revealed"
        assert [option["count"] for option in shown["results"]["options"]] == [0, 0, 3]


def test_changing_an_answer_needs_its_receipt_and_a_receipt_works_once(seven):
    poll = open_quick(seven)
    ash, bo = seven.participants[:2]
    first = answer(ash, poll, {"picks": [0]})["receipt"]
    assert answer(ash, poll, {"picks": [1]})["error"]["code"] == "already_answered"
    forged = {**first, "choice": '{"picks":[2]}'}
    assert answer(ash, poll, {"picks": [1]}, forged)["error"]["code"] == "bad_receipt"

    changed = answer(ash, poll, {"picks": [1]}, first)

    assert changed["ok"]
    assert answer(ash, poll, {"picks": [2]}, first)["error"]["code"] == "bad_receipt"
    # Someone else's receipt is no key: without an answer of their own, they simply answer once.
    assert answer(bo, poll, {"pass": True}, changed["receipt"])["ok"]
    for person in seven.participants[2:]:
        assert answer(person, poll, {"picks": [2]})["ok"]
    seven.command("poll:close")
    results = seven.facilitator.state["poll"]["results"]
    assert [option["count"] for option in results["options"]] == [0, 1, 5] and results["passes"] == 1
    # The poll's signing key went with the close: no answer changes any more.
    assert answer(ash, poll, {"picks": [0]}, changed["receipt"])["error"]["code"] == "poll_state"


def test_a_hidden_word_is_never_shown_to_the_room(room):
    room.start()
    poll = open_quick(room, {"kind": "words", "question": "One word for today"})
    for person, words in zip(room.participants, (["Hopeful"], ["hopeful", "tired"], ["Jordan"]), strict=True):
        assert answer(person, poll, {"words": words})["ok"]
    room.command("poll:close")
    room.forget()

    assert room.facilitator.call("poll:moderate", {"target": "jordan", "hidden": True})["ok"]

    # Moderation is the team's: the room hears nothing of it.
    assert [device.heard() for device in room.participants] == [[], [], []]
    assert room.facilitator.events("poll:results")[-1]["results"]["words"][1] == {
        "word": "jordan",
        "count": 1,
        "hidden": True,
    }
    assert room.command("poll:reveal")["ok"]
    for person in room.participants:
        assert person.state["poll"]["results"]["words"] == [
            {"word": "hopeful", "count": 2},
            {"word": "tired", "count": 1},
        ]
    assert room.facilitator.call("poll:moderate", {"target": "tired", "hidden": True})["error"]["code"] == (
        "poll_revealed"
    )


@pytest.mark.parametrize(("waiting", "due"), [(1, 0), (5, 0), (6, 3), (7, 4), (12, 9)])
def test_a_batch_is_all_but_k_of_those_waiting_once_2k_wait(make_room, waiting, due):
    """The operations alone, without sockets: what a count takes and what a close leaves to count."""
    room = make_room(participants=waiting)
    room.start()
    poll_id = open_quick(room)
    with room.app.app_context():
        for person in room.participants:
            polls.receive_answer(room.cohort.id, person.participant_id, poll_id, {"picks": [1]}, None)
        poll = db.session.get(Poll, poll_id)
        assert polls.due_batch(poll) == due

        _, outcomes = polls.count_batch(poll_id)
        db.session.commit()

        assert len(outcomes) == due and all(outcome.receipt["stage"] == "counted" for outcome in outcomes)
        live = db.session.get(LiveSession, room.live_session_id)
        _, rest = polls.close_poll(live, live.version, room.user.id)
        assert len(rest) == waiting - due
        assert db.session.get(PollTally, poll_id).answers == waiting
        db.session.rollback()
