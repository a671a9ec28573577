"""Safety in the room over a real server and real Socket.IO clients: the private pause signal reaches
every facilitator and no one else, replies reach only their participant, floods make one alert, the
grounding break enters and leaves on every screen, and content-note skips are counted, never named."""

import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.live import Browser, Group, LiveClient, create_facilitator, make_group, open_session, wait_until

CO_FACILITATOR = ("co@mend.example", "co-facilitator-password")
BREAK = {"seconds": 120, "breathe_in": 4, "breathe_out": 6}


@pytest.fixture(scope="module")
def co_facilitator(server, demo_login) -> Browser:
    """A second facilitator of the demo organisation (not an administrator), signed in."""
    return create_facilitator(server, *CO_FACILITATOR, "Demo organisation", name="Casey")


def co_facilitated_group(server, demo_login, co_facilitator, names=("Ash", "Bo", "Cy")) -> Group:
    """Like make_group, with Casey as a second facilitator of the cohort."""
    facilitator = Browser(server).sign_in(*demo_login)
    form = facilitator.get("/cohorts/new").text
    programme = re.search(r'<option (?:selected )?value="(\d+)"', form).group(1)
    options = re.findall(r'<option (?:selected )?value="(\d+)"[^>]*>([^<]+)<', form)
    chosen = [value for value, label in options if label.startswith(("Demo Facilitator", "Casey"))]
    created = facilitator.post_form(
        "/cohorts/new",
        {
            "name": "Co-facilitated group",
            "programme": programme,
            "facilitators": chosen,
            "start_date": "2026-11-02",
            "weekday": "0",
            "start_time": "18:00",
            "timezone": "Europe/London",
        },
    )
    cohort_id = int(created.headers["Location"].rsplit("/", 1)[1])
    join_code = re.search(r"/j/([A-Z0-9]{8})", facilitator.get(f"/cohorts/{cohort_id}").text).group(1)
    participants, public_id = [], None
    for name in names:
        browser = Browser(server)
        response = browser.post_form(f"/j/{join_code}", {"display_name": name, "agree": "y"})
        public_id = re.search(r"/g/([\w-]+)", response.headers["Location"]).group(1)
        participants.append(browser)
    group = Group(facilitator, cohort_id, public_id, join_code, participants)
    open_session(group, 1)
    return group


def connect(server, browser, group, role, clients) -> LiveClient:
    client = LiveClient(server, browser, group.public_id, role)
    clients.append(client)
    return client


def versioned(client, event, **payload):
    return client.call(event, {"version": client.call("snapshot")["state"]["version"], **payload})


def private_events(client) -> list[tuple[str, object]]:
    return [(e, p) for e, p in client.received if e in ("safety:signals", "pause:status", "content_note:skipped")]


def test_a_pause_signal_reaches_every_facilitator_and_no_one_else(server, demo_login, co_facilitator, clients):
    group = co_facilitated_group(server, demo_login, co_facilitator)
    presenting = connect(server, group.facilitator, group, "facilitator", clients)
    colleague = connect(server, co_facilitator, group, "facilitator", clients)
    projector = connect(server, group.facilitator, group, "projector", clients)
    ash, bo, cy = (connect(server, p, group, "participant", clients) for p in group.participants)
    assert versioned(presenting, "session:start")["ok"]
    assert versioned(presenting, "step:go", position=2)["ok"]
    version = presenting.call("snapshot")["state"]["version"]

    ack = bo.call("pause:raise", {})
    assert ack["ok"] and ack["new"] and ack["pause"]["status"] == "raised"
    for facilitator in (presenting, colleague):
        wait_until(lambda f=facilitator: f.events("safety:signals"))
        alert = facilitator.events("safety:signals")[-1]
        (signal,) = alert["signals"]
        assert alert["new"] == signal["id"]
        assert signal["name"] == "Bo" and signal["step"]["number"] == 3 and signal["raised_at"]
        assert signal["acknowledged_at"] is None and signal["resolved_at"] is None
    # Nothing reached the room: no event, no state, not even a version change.
    wait_until(lambda: bo.events("pause:status"))
    for watcher in (ash, cy, projector):
        assert private_events(watcher) == []
        assert watcher.call("snapshot")["state"]["version"] == version
        assert "safety" not in watcher.call("snapshot")["state"]
    assert ash.call("snapshot")["state"]["you"]["pause"] is None
    # A facilitator who reconnects finds the ongoing signal in the team state.
    later = connect(server, co_facilitator, group, "facilitator", clients)
    assert [s["name"] for s in later.latest["safety"]["signals"]] == ["Bo"]


def test_a_reply_reaches_only_its_participant_and_i_am_ok_resolves_it(server, demo_login, co_facilitator, clients):
    group = co_facilitated_group(server, demo_login, co_facilitator)
    console = connect(server, group.facilitator, group, "facilitator", clients)
    colleague = connect(server, co_facilitator, group, "facilitator", clients)
    projector = connect(server, group.facilitator, group, "projector", clients)
    ash, bo, cy = (connect(server, p, group, "participant", clients) for p in group.participants)
    ash_phone = connect(server, group.participants[0], group, "participant", clients)
    assert ash.call("pause:raise", {})["ok"]
    wait_until(lambda: colleague.events("safety:signals"))
    signal = colleague.events("safety:signals")[-1]["signals"][0]["id"]

    reply = "I see you; take your time; I'll check in after."
    assert colleague.call("pause:acknowledge", {"signal": signal, "reply": reply})["ok"]
    for device in (ash, ash_phone):
        wait_until(lambda d=device: any(s["status"] == "acknowledged" for s in d.events("pause:status")))
        answered = [s for s in device.events("pause:status") if s["status"] == "acknowledged"][-1]
        assert answered == {"status": "acknowledged", "from": "Casey", "reply": reply}
    # The presenting facilitator sees that Casey answered, and what was said.
    wait_until(lambda: console.events("safety:signals")[-1]["signals"][0]["acknowledged_by"] == "Casey")
    assert console.events("safety:signals")[-1]["signals"][0]["reply"] == reply
    # A reload keeps the answer on the participant's screen.
    assert ash.call("snapshot")["state"]["you"]["pause"]["reply"] == reply

    assert ash.call("pause:resolve", {})["ok"]
    wait_until(lambda: console.events("safety:signals")[-1]["signals"][0]["resolved_at"] is not None)
    wait_until(lambda: ash_phone.events("pause:status")[-1]["status"] == "resolved")
    assert ash.call("snapshot")["state"]["you"]["pause"] is None
    assert ash.call("pause:resolve", {})["error"]["code"] == "no_signal"
    # Acknowledging a resolved signal is refused and changes nothing.
    assert colleague.call("pause:acknowledge", {"signal": signal})["error"]["code"] == "signal_resolved"
    for other in (bo, cy, projector):
        assert private_events(other) == []
        assert reply not in str(other.received)


def test_many_taps_make_one_ongoing_signal_and_a_flood_is_rate_limited(server, demo_login, clients):
    group = make_group(server, demo_login)
    console = connect(server, group.facilitator, group, "facilitator", clients)
    ash = connect(server, group.participants[0], group, "participant", clients)
    acks = [ash.call("pause:raise", {}) for _ in range(8)]
    assert acks[0]["ok"] and acks[0]["new"]
    assert all(ack["ok"] and not ack["new"] for ack in acks[1:5])
    assert {ack["error"]["code"] for ack in acks[5:]} == {"rate_limited"}
    assert "already have your request" in acks[5]["error"]["message"]
    wait_until(lambda: console.events("safety:signals"))
    assert len(console.events("safety:signals")) == 1
    assert [s["name"] for s in console.call("snapshot")["state"]["safety"]["signals"]] == ["Ash"]
    # A second device of the same person shares the allowance: it is per person, not per connection.
    tablet = connect(server, group.participants[0], group, "participant", clients)
    assert tablet.call("pause:raise", {})["error"]["code"] == "rate_limited"


def test_a_facilitator_cannot_answer_another_cohorts_signal(server, demo_login, clients):
    mine, theirs = make_group(server, demo_login), make_group(server, demo_login)
    their_person = connect(server, theirs.participants[0], theirs, "participant", clients)
    their_console = connect(server, theirs.facilitator, theirs, "facilitator", clients)
    my_console = connect(server, mine.facilitator, mine, "facilitator", clients)
    assert their_person.call("pause:raise", {})["ok"]
    wait_until(lambda: their_console.events("safety:signals"))
    signal = their_console.events("safety:signals")[-1]["signals"][0]["id"]
    refused = my_console.call("pause:acknowledge", {"signal": signal, "reply": "Hello"})
    assert refused["error"]["code"] == "no_signal"
    assert their_console.call("snapshot")["state"]["safety"]["signals"][0]["acknowledged_at"] is None
    assert [s for s in their_person.events("pause:status") if s["status"] == "acknowledged"] == []
    # Participants cannot answer signals, and facilitators cannot raise them.
    assert their_person.call("pause:acknowledge", {"signal": signal})["error"]["code"] == "forbidden"
    assert my_console.call("pause:raise", {})["error"]["code"] == "forbidden"
    too_long = their_console.call("pause:acknowledge", {"signal": signal, "reply": "x" * 281})
    assert too_long["error"]["code"] == "bad_payload"


def test_a_break_enters_and_leaves_on_every_screen_including_a_reconnecting_participant(server, demo_login, clients):
    group = make_group(server, demo_login)
    console = connect(server, group.facilitator, group, "facilitator", clients)
    projector = connect(server, group.facilitator, group, "projector", clients)
    ash, bo, _ = (connect(server, p, group, "participant", clients) for p in group.participants)
    assert versioned(console, "session:start")["ok"]
    assert versioned(console, "step:go", position=3)["ok"]
    bo.close()

    started = versioned(console, "break:start", **BREAK)
    assert started["ok"]
    for screen in (console, projector, ash):
        state = screen.wait_for(lambda s: s["version"] == started["version"])
        brk = state["grounding_break"]
        assert brk["breathe_in"] == 4 and brk["breathe_out"] == 6
        assert 119_000 <= brk["ends_at"] - state["server_time"] <= 120_000
        assert state["step"]["position"] == 3  # the step on record is kept under the break
    # Bo reconnects during the break and enters it from the snapshot; so does someone who arrives late.
    back = connect(server, group.participants[1], group, "participant", clients)
    assert back.latest["grounding_break"]["ends_at"] == ash.latest["grounding_break"]["ends_at"]
    late = connect(server, group.participants[2], group, "participant", clients)
    assert late.latest["grounding_break"] is not None
    assert versioned(console, "break:start", **BREAK)["error"]["code"] == "break_running"

    ended = versioned(console, "break:end")
    assert ended["ok"]
    for screen in (console, projector, ash, back, late):
        state = screen.wait_for(lambda s: s["version"] == ended["version"])
        assert state["grounding_break"] is None and state["step"]["position"] == 3
    assert versioned(console, "break:end")["error"]["code"] == "no_break"


def test_a_break_is_over_once_its_deadline_passes_without_the_server_ticking(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",))
    console = connect(server, group.facilitator, group, "facilitator", clients)
    ash = connect(server, group.participants[0], group, "participant", clients)
    assert versioned(console, "session:start")["ok"]
    started = versioned(console, "break:start", **BREAK)
    ash.wait_for(lambda s: s["version"] == started["version"])
    # Let the deadline pass, as the clock would: the stored deadline is the whole story.
    with sqlite3.connect(Path(server.instance) / "mend.db") as database:
        database.execute(
            "update live_session set break_ends_at = datetime('now', '-1 second') where id = ?",
            (group.live_session_id,),
        )
    state = ash.call("snapshot")["state"]
    assert state["grounding_break"] is None and state["step"]["position"] == 0
    # No push was needed to end it, and a new break may start.
    assert state["version"] == started["version"]
    assert versioned(console, "break:start", **BREAK)["ok"]


def test_participants_cannot_run_a_break_and_bad_settings_change_nothing(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",))
    console = connect(server, group.facilitator, group, "facilitator", clients)
    ash = connect(server, group.participants[0], group, "participant", clients)
    assert versioned(console, "session:start")["ok"]
    assert versioned(ash, "break:start", **BREAK)["error"]["code"] == "forbidden"
    before = console.call("snapshot")["state"]["version"]
    refusals = [
        ({**BREAK, "seconds": 5}, "bad_break"),
        ({**BREAK, "seconds": 3 * 3600}, "bad_break"),
        ({**BREAK, "breathe_in": 1}, "bad_break"),
        ({**BREAK, "breathe_out": 30}, "bad_break"),
        ({**BREAK, "seconds": "120"}, "bad_payload"),
        ({**BREAK, "breathe_in": -4}, "bad_payload"),
        ({"seconds": 120}, "bad_payload"),
        ({**BREAK, "hold": 4}, "bad_payload"),
    ]
    for settings, code in refusals:
        refused = console.call("break:start", {"version": before, **settings})
        assert refused["error"]["code"] == code, (settings, refused)
    assert console.call("break:start", {"version": before - 1, **BREAK})["error"]["code"] == "stale_version"
    assert console.call("snapshot")["state"]["version"] == before
    assert console.call("snapshot")["state"]["grounding_break"] is None
    started = versioned(console, "break:start", **BREAK)
    assert started["ok"]
    assert ash.call("break:end", {"version": started["version"]})["error"]["code"] == "forbidden"
    assert console.call("snapshot")["state"]["grounding_break"] is not None


def first_noted_step(console) -> int:
    """Walk the session to its first step with a content note; return its position."""
    state = console.call("snapshot")["state"]
    while not state["step"]["content_note"]:
        ack = console.call("step:go", {"version": state["version"], "position": state["step"]["position"] + 1})
        assert ack["ok"], ack
        state = console.wait_for(lambda s, v=ack["version"]: s["version"] == v)
    return state["step"]["position"]


def test_content_note_skips_are_counted_for_the_facilitator_and_kept_across_a_reload(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash", "Bo", "Cy", "Dee"))
    console = connect(server, group.facilitator, group, "facilitator", clients)
    people = [connect(server, p, group, "participant", clients) for p in group.participants]
    assert versioned(console, "session:start")["ok"]
    assert people[0].call("content_note:choose", {"position": 0, "choice": "skip"})["error"]["code"] == (
        "no_content_note"
    )
    noted = first_noted_step(console)
    assert console.call("snapshot")["state"]["safety"]["skipped"] == 0
    version = console.call("snapshot")["state"]["version"]

    assert people[0].call("content_note:choose", {"position": noted, "choice": "skip"})["ok"]
    assert people[1].call("content_note:choose", {"position": noted, "choice": "skip"})["ok"]
    assert people[2].call("content_note:choose", {"position": noted, "choice": "continue"})["ok"]
    # Three choices (k) were made: the team is told how many skipped, a few seconds later, in one figure.
    wait_until(lambda: console.events("content_note:skipped")[-1:] == [{"position": noted, "skipped": 2}])
    assert len(console.events("content_note:skipped")) == 1
    # One person changing their mind (or one more choosing) moves no figure: that change would be theirs.
    assert people[1].call("content_note:choose", {"position": noted, "choice": "continue"})["ok"]
    assert people[3].call("content_note:choose", {"position": noted, "choice": "skip"})["ok"]
    time.sleep(5)
    assert len(console.events("content_note:skipped")) == 1
    team = console.call("snapshot")["state"]
    assert team["safety"]["skipped"] == 2
    assert "Ash" not in str(console.events("content_note:skipped")) and "Ash" not in str(team["safety"])
    # No one else learns of it, and the room's version did not move.
    for person in people:
        assert person.events("content_note:skipped") == []
        assert person.call("snapshot")["state"]["version"] == version
    # A reload keeps the participant's own choice, and only theirs.
    again = connect(server, group.participants[0], group, "participant", clients)
    assert again.latest["you"]["content_choices"] == {str(noted): "skip"}
    assert people[2].call("snapshot")["state"]["you"]["content_choices"] == {str(noted): "continue"}
    # A choice about a step no longer on screen, or of the wrong shape, is refused.
    assert versioned(console, "step:go", position=noted + 1)["ok"]
    assert people[3].call("content_note:choose", {"position": noted, "choice": "skip"})["error"]["code"] in (
        "invalid_step",
        "no_content_note",
    )
    assert people[3].call("content_note:choose", {"position": noted, "choice": "maybe"})["error"]["code"] == (
        "bad_payload"
    )
    assert console.call("content_note:choose", {"position": noted, "choice": "skip"})["error"]["code"] == "forbidden"
