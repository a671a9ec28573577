"""Safety in the room in process (tests/fast.py): the private pause signal, the grounding break and
content notes. What is one person's reaches the facilitators and that person, nobody else.

The same over a real server is tested in tests/test_safety.py.
"""

from sessions.safety.events import PAUSE_LIMITS

K = 3
# Week 1's "When repair work is not the right place to start" carries a content note.
NOTED = 7


def test_a_pause_signal_reaches_every_facilitator_and_no_other_participant(room):
    room.start()
    co_facilitator = room.add_facilitator("sam@example.org")
    ash, *others = room.participants
    version = room.version()
    room.forget()

    ack = ash.call("pause:raise")

    assert ack["ok"] and ack["new"] is True and ack["pause"] == {"status": "raised", "from": None, "reply": None}
    for facilitator in (room.facilitator, co_facilitator):
        signals = facilitator.events("safety:signals")
        assert len(signals) == 1 and signals[0]["new"] == signals[0]["signals"][0]["id"]
        assert signals[0]["signals"][0]["name"] == "Ash"
        assert signals[0]["signals"][0]["step"]["number"] == 1
    assert ash.events("pause:status") == [{"status": "raised", "from": None, "reply": None}]
    assert [person.heard() for person in others] == [[], []]
    # A signal is not part of the session's state: no version moves, no state reaches the room.
    assert "state" not in room.facilitator.heard() + ash.heard()
    assert room.version() == version
    assert ash.snapshot()["you"]["pause"] == ack["pause"]


def test_a_reply_reaches_only_its_participant_and_i_am_ok_resolves_it(room):
    room.start()
    ash, *others = room.participants
    assert ash.call("pause:raise")["ok"]
    signal_id = room.facilitator.events("safety:signals")[-1]["new"]
    room.forget()

    ack = room.facilitator.call(
        "pause:acknowledge", {"signal": signal_id, "reply": "  I see you.   Take   your time. "}
    )

    assert ack["ok"]
    reply = "I see you. Take your time."
    assert ash.events("pause:status") == [{"status": "acknowledged", "from": "Facilitator1", "reply": reply}]
    assert [person.heard() for person in others] == [[], []]
    assert room.facilitator.events("safety:signals")[-1]["signals"][0]["reply"] == reply

    assert ash.call("pause:resolve")["ok"]
    assert ash.events("pause:status")[-1] == {"status": "resolved", "from": None, "reply": None}
    assert room.facilitator.events("safety:signals")[-1]["signals"][0]["resolved_at"] is not None
    assert [person.heard() for person in others] == [[], []]
    assert room.facilitator.call("pause:acknowledge", {"signal": signal_id})["error"]["code"] == "signal_resolved"


def test_many_taps_make_one_signal_and_a_flood_is_limited(room):
    ash = room.participants[0]
    taps = [ash.call("pause:raise") for _ in range(PAUSE_LIMITS[0].amount)]
    assert [tap["new"] for tap in taps] == [True] + [False] * (PAUSE_LIMITS[0].amount - 1)
    assert len(room.facilitator.snapshot()["safety"]["signals"]) == 1

    flood = ash.call("pause:raise")

    assert flood["error"]["code"] == "rate_limited"
    assert flood["error"]["message"].startswith("Your facilitators already have your request for a pause.")


def test_a_facilitator_cannot_answer_another_groups_signal(make_room):
    room, other = make_room(), make_room()
    room.participants[0].call("pause:raise")
    signal_id = room.facilitator.snapshot()["safety"]["signals"][0]["id"]
    room.forget()

    ack = other.facilitator.call("pause:acknowledge", {"signal": signal_id, "reply": "Hello"})

    assert ack["error"]["code"] == "no_signal"
    assert room.participants[0].heard() == [] and room.facilitator.heard() == []
    assert room.facilitator.snapshot()["safety"]["signals"][0]["acknowledged_at"] is None


def test_a_grounding_break_reaches_every_screen_and_participants_cannot_start_one(room):
    room.start()
    version = room.version()
    settings = {"seconds": 120, "breathe_in": 4, "breathe_out": 6}
    assert room.participants[0].call("break:start", {"version": version, **settings})["error"]["code"] == "forbidden"
    refused = room.command("break:start", **{**settings, "seconds": 5})
    assert (
        refused["error"]["code"] == "bad_break" and "between 30 seconds and 30 minutes" in refused["error"]["message"]
    )
    assert room.version() == version

    assert room.command("break:start", **settings)["ok"]

    for device in room.everyone:
        shown = device.state["grounding_break"]
        assert shown["ends_at"] - shown["started_at"] == 120_000
        assert (shown["breathe_in"], shown["breathe_out"]) == (4, 6)
        # The break covers the step on record, which it does not change.
        assert device.state["step"]["position"] == 0
    assert room.command("break:start", **settings)["error"]["code"] == "break_running"
    assert room.command("break:end")["ok"]
    assert all(device.state["grounding_break"] is None for device in room.everyone)


def test_who_skipped_a_content_note_reaches_the_team_only_as_a_count_of_k_choices_or_more(make_room):
    room = make_room(participants=K + 1)
    room.start()
    room.go_to(NOTED)
    assert room.facilitator.state["step"]["content_note"]
    *skipping, continuing, undecided = room.participants
    room.forget()

    for person in skipping:
        assert person.call("content_note:choose", {"position": NOTED, "choice": "skip"}) == {
            "ok": True,
            "choice": "skip",
        }
    room.tasks.run()
    # Fewer than k choices could be told apart by whoever saw who tapped when: no figure yet.
    assert room.facilitator.events("content_note:skipped") == []

    continuing.call("content_note:choose", {"position": NOTED, "choice": "continue"})
    room.tasks.run()

    assert room.facilitator.events("content_note:skipped") == [{"position": NOTED, "skipped": K - 1}]
    assert all(person.heard() == [] for person in room.participants)
    # Each person's own choice stays with them across a reload, and only with them.
    assert skipping[0].snapshot()["you"]["content_choices"] == {str(NOTED): "skip"}
    assert undecided.snapshot()["you"]["content_choices"] == {}
    assert undecided.call("content_note:choose", {"position": 1, "choice": "skip"})["error"]["code"] == "invalid_step"
