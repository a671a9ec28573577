"""Who is in the room, against a real server and real Socket.IO clients (issue 17): the facilitator
closes enrolment, keeps newcomers in a waiting room until they are let in, sees who arrived, and
removes someone, whose every socket and link then stop and who hears nothing more."""

import re

import socketio

from tests.live import Browser, LiveClient, live_server, make_group, started_group, wait_until
from tests.services import SCALED

BACKENDS = ("sqlite", SCALED)


def person_in(presence: dict, name: str) -> dict | None:
    return next((p for p in presence["participants"] if p["name"] == name), None)


def refusal_code(server, browser: Browser, public_id: str) -> str | None:
    """Connect as `browser`'s participant; the refusal's code, or None if the connection was accepted."""
    refusal: dict = {}
    client = socketio.Client(reconnection=False)
    client.on("connect_error", lambda data: refusal.update(data or {}), namespace="/live")
    try:
        client.connect(
            server.url,
            namespaces=["/live"],
            auth={"cohort": public_id, "role": "participant"},
            headers={"Cookie": browser.cookie_header, "User-Agent": browser.http.headers["User-Agent"]},
            transports=["websocket"],
            wait_timeout=10,
        )
    except socketio.exceptions.ConnectionError:
        return refusal["data"]["code"]
    client.disconnect()
    return None


def test_with_the_waiting_room_on_a_newcomer_waits_until_a_facilitator_lets_them_in(server, demo_login, clients):
    group, console, _people = started_group(server, demo_login, clients, names=("Ash", "Bo"))
    ack = console.call("enrolment:set", {"open": True, "waiting_room": True})
    assert ack == {"ok": True, "enrolment": {"open": True, "waiting_room": True}}
    assert console.events("enrolment")[-1] == {"open": True, "waiting_room": True}

    newcomer = Browser(server)
    assert "a facilitator lets you into the room" in newcomer.get(f"/j/{group.join_code}").text
    newcomer.join(group.join_code, "Cy")
    # The console hears of the arrival at once, as someone new who is waiting.
    wait_until(lambda: console.presence and person_in(console.presence[-1], "Cy"))
    cy = person_in(console.presence[-1], "Cy")
    assert cy["state"] == "waiting" and cy["new"] is True
    assert console.presence[-1]["counts"]["waiting"] == 1
    # Until let in, the room reaches them by no path: the socket is refused.
    assert refusal_code(server, newcomer, group.public_id) == "waiting"

    assert console.call("participant:admit", {"participant": cy["id"]}) == {"ok": True}
    wait_until(lambda: person_in(console.presence[-1], "Cy")["state"] != "waiting")
    admitted = LiveClient(server, newcomer, group.public_id, "participant")
    clients.append(admitted)
    assert admitted.latest["status"] == "live"
    assert console.call("snapshot")["state"]["enrolment"] == {"open": True, "waiting_room": True}


def test_with_enrolment_closed_the_join_code_lets_nobody_new_in(server, demo_login, clients):
    group, console, _people = started_group(server, demo_login, clients, names=("Ash",))
    assert console.call("enrolment:set", {"open": False, "waiting_room": False})["ok"]
    stranger = Browser(server)
    page = stranger.get(f"/j/{group.join_code}").text
    assert "This group is not taking new members" in page and 'name="display_name"' not in page
    response = stranger.http.post(
        f"{server.url}/j/{group.join_code}",
        data={"display_name": "Mallory", "agree": "y", "csrf_token": "x"},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code != 302
    assert [p["name"] for p in console.call("snapshot")["state"]["presence"]["participants"]] == ["Ash"]
    # People already in the group keep their place.
    assert refusal_code(server, group.participants[0], group.public_id) is None


def test_a_removed_participant_is_cut_off_at_once_and_hears_nothing_more(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo", "Cy"))
    ash, bo, _cy = people
    presence = console.call("snapshot")["state"]["presence"]
    target = person_in(presence, "Ash")
    second_tab = LiveClient(server, group.participants[0], group.public_id, "participant")
    clients.append(second_tab)

    ack = console.call("participant:remove", {"participant": target["id"]})
    assert ack == {"ok": True, "removed": "Ash"}
    # Both of their sockets are told, then ended, within a second.
    wait_until(lambda: not ash.client.connected and not second_tab.client.connected, timeout=1.5)
    assert ash.events("removed") and "no longer part of this group" in ash.events("removed")[0]["message"]
    heard = len(ash.received)
    # Their cookie matches nobody: no page, no socket.
    assert group.participants[0].get(f"/g/{group.public_id}").status_code == 404
    assert refusal_code(server, group.participants[0], group.public_id) == "not_allowed"
    # The room goes on; the console no longer lists them, and they receive nothing of it.
    wait_until(lambda: console.presence and person_in(console.presence[-1], "Ash") is None)
    assert console.call("step:go", {"version": console.latest["version"], "position": 1})["ok"]
    bo.wait_for(lambda state: state["step"]["position"] == 1)
    assert len(ash.received) == heard
    assert console.call("participant:remove", {"participant": target["id"]})["error"]["code"] == "no_participant"


def test_removing_someone_from_an_open_room_takes_their_name_out_of_it(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo", "Cy", "Di"), week=3)
    version = console.call("snapshot")["state"]["version"]
    position = next(
        item["position"] for item in console.call("snapshot")["state"]["agenda"] if item["kind"] == "breakout"
    )
    assert console.call("step:go", {"version": version, "position": position})["ok"]
    assert console.call("breakout:propose", {"version": console.call("snapshot")["state"]["version"]})["ok"]
    round_ = console.call("snapshot")["state"]["breakout"]
    assert console.call(
        "breakout:start", {"version": console.call("snapshot")["state"]["version"], "round": round_["id"]}
    )["ok"]
    ash = people[0]
    wait_until(lambda: ash.events("breakout:you") and ash.events("breakout:you")[-1]["place"] == "room")
    mates = [m["name"] for m in ash.events("breakout:you")[-1]["room"]["members"] if not m["you"]]
    mate = next(p for p, name in zip(people, ("Ash", "Bo", "Cy", "Di"), strict=True) if name == mates[0])
    target = person_in(console.call("snapshot")["state"]["presence"], "Ash")
    assert console.call("participant:remove", {"participant": target["id"]})["ok"]

    def mate_room_names() -> list[str]:
        view = mate.events("breakout:you")[-1]
        return [m["name"] for m in view["room"]["members"]] if view.get("room") else []

    wait_until(lambda: "Ash" not in mate_room_names())
    rooms = console.call("snapshot")["state"]["breakout"]["rooms_detail"]
    assert "Ash" not in str(rooms)


def test_successful_joins_from_one_address_are_capped(tmp_path):
    with live_server(tmp_path / "capped", MEND_JOINS_PER_ADDRESS="3 per hour") as capped:
        login = re.search(r"Demo sign-in: (\S+) / (\S+)", capped.text).groups()
        group = make_group(capped, login, names=("Ash", "Bo", "Cy"), open_week=None)
        late = Browser(capped)
        response = late.post_form(f"/j/{group.join_code}", {"display_name": "Di", "agree": "y"})
        assert response.status_code == 429
        assert "Please wait a moment" in response.text
