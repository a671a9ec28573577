"""The live session in process (tests/fast.py): the facilitator moves it, and every screen follows.

The same behaviour over a real server and real clients is tested in tests/test_live_session.py.
"""

from sqlalchemy import func, select

from extensions import db
from sessions.live.models import Connection
from tests.fast import Device


def test_every_step_reaches_everyone_once_and_in_order_with_increasing_versions(room):
    first = room.version()
    room.start()
    for position in (1, 2, 1, 6):
        ack = room.go_to(position)
        assert ack["version"] == room.version()

    for person in room.participants:
        states = person.events("state")
        assert [s["version"] for s in states] == list(range(first + 1, first + 6))
        assert [s["step"]["position"] for s in states] == [0, 1, 2, 1, 6]
        assert states[-1]["step"]["number"] == 7
        # Presenter notes, the next step and who is present are the team's; what is theirs alone
        # comes with their own snapshot, never in what the whole room is sent.
        assert not {"notes_html", "preview", "presence", "you"} & set(states[-1])
    console = room.facilitator.events("state")
    assert [s["version"] for s in console] == list(range(first + 1, first + 6))
    assert console[-1]["notes_html"] and console[-1]["preview"]["position"] == 7


def test_a_command_on_a_stale_version_is_refused_with_where_the_session_is_now(room):
    room.start()
    seen = room.version()
    room.go_to(3)
    room.forget()

    ack = room.facilitator.call("step:go", {"version": seen, "position": 5})

    assert ack["ok"] is False and ack["error"]["code"] == "stale_version"
    assert ack["error"]["state"]["version"] == seen + 1
    assert ack["error"]["state"]["step"]["position"] == 3
    assert ack["error"]["state"]["notes_html"]  # the console's own view, to catch up from
    assert room.version() == seen + 1
    assert all(device.heard() == [] for device in room.everyone)


def test_a_participant_cannot_send_a_facilitator_command(room):
    room.start()
    version = room.version()
    room.forget()
    ash = room.participants[0]
    commands = [
        ("session:start", {"version": version}),
        ("step:go", {"version": version, "position": 4}),
        ("timer:start", {"version": version, "seconds": 60}),
        ("session:end", {"version": version}),
        ("poll:open", {"version": version}),
        ("break:start", {"version": version, "seconds": 60, "breathe_in": 4, "breathe_out": 6}),
        ("breakout:propose", {"version": version}),
        ("excerpt:decline", {"excerpt": "x"}),
    ]
    for event, payload in commands:
        ack = ash.call(event, payload)
        assert ack["error"]["code"] == "forbidden", (event, ack)
    # Nor the other way round: a facilitator does not answer polls or ask for a pause.
    assert room.facilitator.call("pause:raise")["error"]["code"] == "forbidden"
    assert room.facilitator.call("poll:answer", {"poll": 1, "answer": {"pass": True}})["error"]["code"] == "forbidden"

    assert room.version() == version
    assert all(device.heard() == [] for device in room.everyone)


def test_a_timer_is_one_deadline_everyone_is_shown(room):
    room.start()
    room.command("timer:start", seconds=300)
    timers = [device.state["timer"] for device in room.everyone]
    assert len({(t["started_at"], t["ends_at"]) for t in timers}) == 1
    assert timers[0]["ends_at"] - timers[0]["started_at"] == 300_000

    assert room.command("timer:add", seconds=60)["ok"]
    assert all(d.state["timer"]["ends_at"] == timers[0]["ends_at"] + 60_000 for d in room.everyone)
    assert room.command("timer:clear")["ok"]
    assert all(d.state["timer"] is None for d in room.everyone)
    assert room.command("timer:add", seconds=60)["error"]["code"] == "no_timer"


def test_ending_the_session_tells_everyone_and_nothing_moves_it_afterwards(room):
    room.start()
    assert room.command("session:end")["ok"]
    assert all(device.state["status"] == "ended" for device in room.everyone)
    room.forget()
    assert room.command("step:go", position=1)["error"]["code"] == "no_session"
    assert room.facilitator.snapshot()["status"] == "idle"
    assert room.participants[0].heard() == []


def test_a_participant_who_reconnects_is_shown_the_current_step(room):
    room.start()
    ash = room.participants[0]
    room.disconnect(ash)
    room.go_to(3)
    room.go_to(4)

    room.connect(ash)

    assert ash.state["step"]["position"] == 4
    assert ash.state["version"] == room.version()
    assert ash.state["you"]["name"] == "Ash"


def test_the_team_is_told_who_is_here_and_the_room_only_how_many(room):
    room.tasks.run()
    presence = room.facilitator.events("presence")[-1]
    assert [(p["name"], p["state"]) for p in presence["participants"]] == [
        ("Ash", "online"),
        ("Bo", "online"),
        ("Cy", "online"),
    ]
    for person in room.participants:
        assert person.events("presence")[-1] == {"online": 3}

    room.disconnect(room.participants[1])
    room.tasks.run()
    states = {p["name"]: p["state"] for p in room.facilitator.events("presence")[-1]["participants"]}
    assert states == {"Ash": "online", "Bo": "reconnecting", "Cy": "online"}
    assert room.participants[0].events("presence")[-1] == {"online": 2}


def test_a_burst_of_arrivals_is_told_to_the_team_once(room):
    """Presence is coalesced: people arriving together make one push, not one each."""
    room.forget()
    late = [room.connect(room.join(name)) for name in ("Dee", "Eli", "Fay")]
    assert room.facilitator.events("presence") == []  # nothing before its moment comes
    room.tasks.run()
    assert len(room.facilitator.events("presence")) == 1
    assert room.facilitator.events("presence")[0]["counts"]["online"] == 6
    assert late[0].events("presence") == [{"online": 6}]


def test_a_connection_that_cannot_be_identified_is_refused_and_leaves_no_trace(app, make_room):
    room = make_room()
    other = make_room(organisation="Other Counselling")

    def connections() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(Connection))

    before = connections()
    refused = [
        # No cookie at all, as a participant and as a facilitator.
        (Device("stranger", "participant", app.test_client()), {}),
        (Device("stranger", "facilitator", app.test_client()), {}),
        # A participant claiming to be the group's facilitator or its projector.
        (room.participants[0], {"role": "facilitator"}),
        (room.participants[0], {"role": "projector"}),
        # A participant of another group, and a facilitator of another organisation.
        (other.participants[0], {"cohort": room.cohort.public_id}),
        (other.facilitator, {"cohort": room.cohort.public_id}),
    ]
    for device, claims in refused:
        room.connect(device, **claims)
        assert not device.connected, (device.name, claims)
        # In the form docs/protocol.md gives, which the browser reads to say "open your group link again".
        assert device.socket.refusal == {
            "message": "This connection could not be identified. Open your group link again.",
            "data": {"code": "not_allowed"},
        }
    assert connections() == before


def test_what_happens_in_one_group_reaches_nobody_in_another(make_room):
    room, other = make_room(), make_room()
    other.forget()
    room.start()
    room.go_to(2)
    room.command("timer:start", seconds=60)
    room.participants[0].call("pause:raise")
    room.tasks.run()
    assert all(device.heard() == [] for device in other.everyone)
    assert other.facilitator.snapshot()["status"] == "lobby"
