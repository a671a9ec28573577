"""What the room's screens are shown for the projector, in process (tests/fast.py): whether the join
code lets anyone in, and shared excerpts only at the step they were shown at."""

from tests.test_fast_journal import share, write


def test_the_room_is_told_whether_the_join_code_lets_anyone_new_in(room):
    room.start()
    projector = room.connect(room.add_facilitator("screen@example.org"), role="projector")
    version = room.version()
    assert projector.snapshot()["joinable"] is True
    assert all(person.state["joinable"] is True for person in room.participants)

    assert room.facilitator.call("enrolment:set", {"open": False, "waiting_room": False})["ok"]

    # A cohort setting, not a live change: the room hears it at once, and the version stays.
    assert projector.state["joinable"] is False
    assert all(person.state["joinable"] is False for person in room.participants)
    assert room.version() == version
    assert "waiting_room" not in projector.state and "enrolment" not in projector.state
    assert room.facilitator.call("enrolment:set", {"open": True, "waiting_room": True})["ok"]
    assert projector.state["joinable"] is True


def test_a_shared_excerpt_leaves_the_screens_when_the_step_changes(room):
    room.start()
    ash = room.participants[0]
    entry = write(room, ash, "What helped: someone simply stayed.")
    share(room, ash, entry["id"], "Someone simply stayed.")
    [queued] = room.facilitator.events("excerpt:queue")[-1]["pending"]
    assert room.command("excerpt:approve", excerpt=queued["id"])["ok"]
    shown = [{"id": queued["id"], "text": "Someone simply stayed."}]
    assert all(device.state["shared"] == shown for device in room.everyone)

    room.go_to(1)

    assert all(device.state["shared"] == [] for device in room.everyone)
    assert room.facilitator.snapshot()["shared"] == []
    # Back at its step, it is shown again; once the session ends, nowhere.
    room.go_to(0)
    assert all(device.state["shared"] == shown for device in room.everyone)
    assert room.command("session:end")["ok"]
    assert all(device.state["shared"] == [] for device in room.everyone)


def test_an_excerpt_shown_in_the_lobby_leaves_when_the_session_starts(room):
    ash = room.participants[0]
    entry = write(room, ash, "A lobby thought.")
    share(room, ash, entry["id"], "A lobby thought.")
    [queued] = room.facilitator.events("excerpt:queue")[-1]["pending"]
    assert room.command("excerpt:approve", excerpt=queued["id"])["ok"]
    assert ash.state["shared"] == [{"id": queued["id"], "text": "A lobby thought."}]

    room.start()

    assert ash.state["shared"] == []
