"""What the room's screens are shown for the projector, in process (tests/fast.py): whether the join
code lets anyone in."""


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
