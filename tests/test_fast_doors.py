"""Every Socket.IO event tried by every kind of screen that may not send it, in process (tests/fast.py):
a participant, a facilitator and a paired projector. Each is refused `forbidden` before its payload is
even read, the session stays where it was and nobody is told anything."""

from sessions.realtime import plumbing
from sessions.realtime.plumbing import ROLES
from sessions.realtime.schemas import EVENTS


def test_every_event_is_refused_to_every_role_it_is_not_for(room, monkeypatch):
    room.start()
    projector = room.connect(room.add_facilitator("screen@example.org"), role="projector")
    screens = {"participant": room.participants[0], "facilitator": room.facilitator, "projector": projector}
    # Dozens of events from one socket in a moment: the event budget is not what is tried here.
    monkeypatch.setattr(plumbing.EventBudget, "spend", lambda self: True)
    room.forget()
    projector.forget()
    version = room.version()
    assert sorted(ROLES) == sorted(EVENTS)
    tried = []
    for event, roles in sorted(ROLES.items()):
        for role, screen in screens.items():
            if role in roles:
                continue
            ack = screen.call(event, {"version": version, "poll": 1, "round": 1, "signal": 1, "participant": 1})
            assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (role, event, ack)
            tried.append((role, event))
    # Every event the team sends, tried by participants and the projector; every participant's by the team.
    assert len(tried) >= len(EVENTS)
    assert {role for role, _ in tried} == set(screens)
    assert room.version() == version
    assert all(screen.heard() == [] for screen in [*room.everyone, projector])
