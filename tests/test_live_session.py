"""The live session over a real server and real Socket.IO clients.

A facilitator and participants run a session: lobby, start, next, previous and
jump reach everyone in order; reconnecting, racing co-facilitators, bad input of
every kind and a killed server all leave everyone at the same place.
"""

import re
import signal
import threading

import pytest
import socketio

from tests.live import Browser, LiveClient, create_facilitator, live_server, make_group, open_session, wait_until
from tests.services import GEVENT, SCALED
from tests.services import backend as fresh_backend

# Each test runs on the embedded default, on PostgreSQL with the Redis message queue, and once
# under gevent (a smoke run that keeps the way out of eventlet open).
BACKENDS = ("sqlite", SCALED, GEVENT)


@pytest.fixture
def group(server, demo_login):
    return make_group(server, demo_login)


def connect(server, browser, group, role, clients) -> LiveClient:
    client = LiveClient(server, browser, group.public_id, role)
    clients.append(client)
    return client


def test_everyone_follows_every_step_in_order_exactly_once(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    people = [connect(server, p, group, "participant", clients) for p in group.participants]
    for person in people:
        lobby = person.wait_for(lambda s: s["status"] == "lobby")
        assert lobby["cohort"]["facilitators"] == ["Demo Facilitator"]
        assert lobby["session"]["week"] == 1 and lobby["agenda"]
        assert "presence" not in lobby and "notes_html" not in lobby  # facilitator-only
    wait_until(lambda: console.presence and console.presence[-1]["counts"]["online"] == 3)

    version = console.latest["version"]
    moves = [
        ("session:start", {}),
        ("step:go", {"position": 1}),
        ("step:go", {"position": 2}),
        ("step:go", {"position": 1}),
        ("step:go", {"position": 6}),
    ]
    for event, payload in moves:
        ack = console.call(event, {"version": version, **payload})
        assert ack["ok"], ack
        assert ack["version"] == version + 1
        version = ack["version"]

    expected = [0, 1, 2, 1, 6]
    for person in people:
        person.wait_for(lambda s: s["version"] == version)
        live_states = [s for s in person.states if s["status"] == "live"]
        assert [s["step"]["position"] for s in live_states] == expected
        versions = [s["version"] for s in person.states]
        assert versions == sorted(set(versions)), "each version arrives once, in order"
        assert live_states[-1]["step"]["number"] == 7 and live_states[-1]["step"]["total"] > 7
    assert console.latest["notes_html"]  # presenter notes reach the console only


def test_a_participant_who_reconnects_gets_the_current_step(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    start = console.call("session:start", {"version": console.latest["version"]})
    mover = connect(server, group.participants[0], group, "participant", clients)
    mover.close()
    console.call("step:go", {"version": start["version"], "position": 3})
    back = connect(server, group.participants[0], group, "participant", clients)
    state = back.wait_for(lambda s: s["status"] == "live")
    assert state["step"]["position"] == 3
    assert state["version"] == start["version"] + 1
    assert state["you"]["name"] == "Ash"


def test_two_facilitators_pressing_next_together_make_one_transition(server, group, clients):
    first = connect(server, group.facilitator, group, "facilitator", clients)
    second = connect(server, group.facilitator, group, "facilitator", clients)
    started = first.call("session:start", {"version": first.latest["version"]})["version"]
    second.wait_for(lambda s: s["version"] == started)
    acks = [None, None]
    barrier = threading.Barrier(2)

    def press(index, client):
        barrier.wait()
        acks[index] = client.call("step:go", {"version": started, "position": 1})

    threads = [threading.Thread(target=press, args=(n, c)) for n, c in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ack["ok"] for ack in acks) == [False, True]
    loser = next(ack for ack in acks if not ack["ok"])
    assert loser["error"]["code"] == "stale_version"
    assert loser["error"]["state"]["version"] == started + 1
    assert loser["error"]["state"]["step"]["position"] == 1
    # A double click (the same version twice) is just as harmless.
    again = first.call("step:go", {"version": started, "position": 1})
    assert again["error"]["code"] == "stale_version"
    assert first.call("snapshot")["state"]["version"] == started + 1


def test_timer_is_a_deadline_everyone_shares(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    person = connect(server, group.participants[0], group, "participant", clients)
    version = console.call("session:start", {"version": console.latest["version"]})["version"]
    ack = console.call("timer:start", {"version": version, "seconds": 300})
    timer = person.wait_for(lambda s: s["version"] == ack["version"])["timer"]
    assert timer["ends_at"] - timer["started_at"] == 300_000
    added = console.call("timer:add", {"version": ack["version"], "seconds": 60})
    assert person.wait_for(lambda s: s["version"] == added["version"])["timer"]["ends_at"] == timer["ends_at"] + 60_000
    cleared = console.call("timer:clear", {"version": added["version"]})
    assert person.wait_for(lambda s: s["version"] == cleared["version"])["timer"] is None


def test_ending_records_the_week_and_tells_everyone(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    person = connect(server, group.participants[0], group, "participant", clients)
    version = console.call("session:start", {"version": console.latest["version"]})["version"]
    ack = console.call("session:end", {"version": version})
    assert ack["ok"], ack
    assert person.wait_for(lambda s: s["status"] == "ended")["version"] == ack["version"]
    page = group.facilitator.get(f"/cohorts/{group.cohort_id}").text
    assert "Sessions run" in page and "Week 1: Welcome and safety" in page and "3 attended" not in page
    # The week links to its report; as read, the line says who attended.
    assert re.search(r"Week 1: Welcome and safety report · [^·<]+ · 1 attended", re.sub(r"<[^>]+>", "", page))
    assert "came to 1 of 1 session" in page and "came to 0 of 1 session" in page
    # The next session can now be opened.
    open_session(group, 2)


def test_opening_a_second_session_offers_to_resume_the_first(server, group):
    page = group.facilitator.get(f"/cohorts/{group.cohort_id}").text
    assert "Resume in the console" in page and "End week 1 now" in page
    response = group.facilitator.post_form(
        f"/cohorts/{group.cohort_id}/live", {"session_plan_id": "1"}, token_from=f"/cohorts/{group.cohort_id}"
    )
    assert response.status_code == 302 and "/console" not in response.headers["Location"]


def test_presence_shows_online_reconnecting_and_attendance(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    phone = connect(server, group.participants[0], group, "participant", clients)
    tablet = connect(server, group.participants[0], group, "participant", clients)

    def state_of(name):
        return next(p["state"] for p in console.presence[-1]["participants"] if p["name"] == name)

    wait_until(lambda: console.presence and state_of("Ash") == "online")
    phone.close()  # a second device of the same person keeps them online
    wait_until(lambda: console.presence[-1]["counts"]["online"] == 1)
    tablet.close()
    wait_until(lambda: state_of("Ash") == "reconnecting")
    assert state_of("Bo") == "absent"


# Bad input: every one gets an error and changes nothing.


def test_bad_payloads_get_error_codes_and_change_nothing(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    before = console.call("snapshot")["state"]
    cases = [
        ("step:go", {"version": "1", "position": 1}, "bad_payload"),
        ("step:go", {"version": before["version"]}, "bad_payload"),
        ("step:go", {"version": before["version"], "position": 1, "room": "cohort:1"}, "bad_payload"),
        ("step:go", [1, 2], "bad_payload"),
        ("step:go", "next", "bad_payload"),
        ("timer:start", {"version": before["version"], "seconds": 10**9}, "bad_payload"),
        ("session:launch", {"version": before["version"]}, "unknown_event"),
        ("step:go", {"version": before["version"], "position": 1}, "wrong_state"),  # still in the lobby
        ("session:start", {"version": before["version"] + 7}, "stale_version"),
        ("timer:add", {"version": before["version"], "seconds": 60}, "no_timer"),
    ]
    for event, payload, code in cases:
        ack = console.call(event, payload)
        assert ack["ok"] is False, (event, payload)
        assert ack["error"]["code"] == code, (event, payload, ack)
        assert ack["error"]["message"].endswith(".")
    after = console.call("snapshot")["state"]
    assert after["version"] == before["version"] and after["status"] == "lobby"


def test_malformed_calls_get_an_error_ack_and_leave_no_traceback(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    person = connect(server, group.participants[0], group, "participant", clients)
    logged = len(server.output)
    version = console.call("snapshot")["state"]["version"]
    # Two arguments where one payload belongs: answered, not dropped with a TypeError.
    ack = console.client.call("step:go", ({"version": version, "position": 1}, "extra"), namespace="/live", timeout=10)
    assert ack["error"]["code"] == "bad_payload"
    # Ids past what a database can store, and a receipt that is not Mend's hex.
    too_big = 2**63
    assert console.call("pause:acknowledge", {"signal": too_big})["error"]["code"] == "bad_payload"
    assert console.call("breakout:start", {"version": version, "round": too_big})["error"]["code"] == "bad_payload"
    assert person.call("poll:answer", {"poll": too_big, "answer": {"pass": True}})["error"]["code"] == "bad_payload"
    receipt = {"poll": 1, "stage": "counted", "choice": "{}", "nonce": "00", "mac": "é" * 10}
    answer = {"poll": 1, "answer": {"pass": True}, "previous": receipt}
    assert person.call("poll:answer", answer)["error"]["code"] == "bad_payload"
    assert console.call("snapshot")["state"]["version"] == version
    assert "Traceback" not in "".join(server.output[logged:])


def test_a_refused_connection_says_why_in_the_documented_form(server, group):
    stranger = Browser(server)
    refusal = {}
    client = socketio.Client(reconnection=False)
    client.on("connect_error", lambda data: refusal.update(data or {}), namespace="/live")
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            server.url,
            namespaces=["/live"],
            auth={"cohort": group.public_id, "role": "participant"},
            headers={"Cookie": stranger.cookie_header},
            transports=["websocket"],
            wait_timeout=5,
        )
    assert refusal == {
        "message": "This connection could not be identified. Open your group link again.",
        "data": {"code": "not_allowed"},
    }


def test_a_step_that_does_not_exist_is_refused(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    version = console.call("session:start", {"version": console.latest["version"]})["version"]
    ack = console.call("step:go", {"version": version, "position": 499})
    assert ack["error"]["code"] == "invalid_step"
    assert console.call("snapshot")["state"]["step"]["position"] == 0


def test_participants_cannot_send_facilitator_commands(server, group, clients):
    person = connect(server, group.participants[0], group, "participant", clients)
    version = person.latest["version"]
    for event in ("session:start", "session:end", "timer:clear"):
        assert person.call(event, {"version": version})["error"]["code"] == "forbidden"
    assert person.call("snapshot")["state"]["status"] == "lobby"


def test_participants_and_facilitators_cannot_enter_another_group(server, demo_login, group, clients):
    other = make_group(server, demo_login, names=("Dee",), open_week=None)
    # A participant's cookie belongs to their own cohort only.
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server, group.participants[0], other, "participant", clients)
    # Claiming to be a facilitator needs a facilitator's sign-in.
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server, group.participants[0], group, "facilitator", clients)
    # A facilitator of another organisation is refused too.
    outsider = create_facilitator(server, "outsider@elsewhere.example", "outsider password 1", "Elsewhere")
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server, outsider, group, "facilitator", clients)
    assert outsider.get(f"/live/{group.live_session_id}/console").status_code == 404


def test_a_connection_without_credentials_or_with_a_forged_cohort_is_refused(server, group, clients):
    stranger = Browser(server)
    for cohort, role in ((group.public_id, "participant"), ("not-a-cohort", "participant"), (group.public_id, "admin")):
        with pytest.raises(socketio.exceptions.ConnectionError):
            clients.append(LiveClient(server, stranger, cohort, role))


def test_a_wrong_origin_is_refused(server, group, clients):
    # Under gevent, gevent-websocket completes the WebSocket handshake before Engine.IO refuses the
    # origin, so the client meets the refusal as an empty first packet instead of an HTTP 400.
    with pytest.raises((socketio.exceptions.ConnectionError, ValueError)):
        clients.append(
            LiveClient(
                server, group.participants[0], group.public_id, "participant", headers={"Origin": "http://evil.example"}
            )
        )


def test_an_oversized_message_is_refused_unread(server, group, clients):
    console = connect(server, group.facilitator, group, "facilitator", clients)
    version = console.latest["version"]
    with pytest.raises(socketio.exceptions.TimeoutError):
        console.call("step:go", {"version": version, "position": 1, "padding": "x" * 40_000}, timeout=3)
    checker = connect(server, group.facilitator, group, "facilitator", clients)
    assert checker.call("snapshot")["state"]["version"] == version


def test_a_flood_from_one_connection_is_limited_and_others_are_unaffected(server, group, clients):
    flooder = connect(server, group.participants[0], group, "participant", clients)
    calm = connect(server, group.participants[1], group, "participant", clients)
    codes = [flooder.call("snapshot").get("error", {}).get("code") for _ in range(40)]
    assert "rate_limited" in codes
    assert codes[:15] == [None] * 15  # a burst of clicks is fine
    assert calm.call("snapshot")["ok"] is True


def test_killing_the_server_mid_session_loses_nothing(tmp_path, backend):
    with fresh_backend(backend.name) as own:
        killed_and_restarted(tmp_path / "restart", own.env)


def killed_and_restarted(instance, env: dict) -> None:
    with live_server(instance, **env) as first:
        login = re.search(r"Demo sign-in: (\S+) / (\S+)", first.text).groups()
        group = make_group(first, login)
        console = LiveClient(first, group.facilitator, group.public_id, "facilitator")
        people = [LiveClient(first, p, group.public_id, "participant") for p in group.participants]
        version = console.call("session:start", {"version": console.latest["version"]})["version"]
        version = console.call("step:go", {"version": version, "position": 4})["version"]
        for person in people:
            person.wait_for(lambda s: s["version"] == version)
        port = first.port
        seen = {id(client): len(client.states) for client in (console, *people)}
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
    try:
        with live_server(instance, port=port, **env) as second:
            for client in (console, *people):
                resumed = client.wait_for(lambda s: s["version"] == version, timeout=20, after=seen[id(client)])
                assert resumed["step"]["position"] == 4
            # Everyone reconnected on their own: presence is three online, none left over from the dead process.
            settled = {"online": 3, "reconnecting": 0, "left": 0, "waiting": 0}
            wait_until(lambda: console.call("snapshot")["state"]["presence"]["counts"] == settled, timeout=20)
            ack = console.call("step:go", {"version": version, "position": 5})
            assert ack["ok"] and ack["version"] == version + 1
            for person in people:
                person.wait_for(lambda s: s["version"] == version + 1)
            assert second.process.poll() is None
    finally:
        for client in (console, *people):
            client.close()


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_an_event_context_matches_a_rule_so_events_leave_no_garbage_cycles(app, transport):
    """Flask-SocketIO runs every event in a request context made from the connection's environ. An
    unmatched path kept a NotFound and its traceback in a reference cycle per event, and the cyclic
    collector's pauses (a quarter of a second at a thousand connections) stalled every session."""
    from flask import request

    headers = {"Upgrade": "websocket", "Connection": "Upgrade"} if transport == "websocket" else {}
    with app.test_request_context("/socket.io/", headers=headers, query_string={"EIO": "4", "transport": transport}):
        assert request.routing_exception is None
    # The rule is never dispatched: Socket.IO's middleware answers the path (here: a request without its protocol).
    assert app.test_client().get("/socket.io/").status_code == 400
