"""Private messages from the console (issue 18) against a real server: words to one participant reach
that person's devices and no other socket; words to one breakout room reach its members only."""

from tests.live import LiveClient, started_group, wait_until
from tests.services import SCALED

BACKENDS = ("sqlite", SCALED)
CANARY = "canary-words-for-ash-alone"


def everything_heard(client: LiveClient) -> str:
    return repr(client.received) + repr(client.states)


def test_a_private_message_reaches_only_its_persons_devices(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo", "Cy"))
    ash, bo, cy = people
    second_tab = LiveClient(server, group.participants[0], group.public_id, "participant")
    projector = LiveClient(server, group.facilitator, group.public_id, "projector")
    clients.extend([second_tab, projector])
    target = next(p for p in console.call("snapshot")["state"]["presence"]["participants"] if p["name"] == "Ash")

    ack = console.call("message:participant", {"participant": target["id"], "text": f"  {CANARY}  "})
    assert ack == {"ok": True, "devices": 2}
    for tab in (ash, second_tab):
        wait_until(lambda tab=tab: tab.events("message"))
        message = tab.events("message")[0]
        assert message["text"] == CANARY and message["from"] == "Demo Facilitator" and message["room"] is None
    # Give any stray copy time to arrive, then search every other socket's traffic for it.
    assert console.call("snapshot")["ok"]
    for other in (bo, cy, projector, console):
        assert CANARY not in everything_heard(other)


def test_a_message_to_nobody_connected_says_so_and_bad_ones_change_nothing(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo"))
    ash = people[0]
    target = next(p for p in console.call("snapshot")["state"]["presence"]["participants"] if p["name"] == "Ash")
    ash.close()
    wait_until(
        lambda: console.call("message:participant", {"participant": target["id"], "text": "hello"})["devices"] == 0
    )
    assert (
        console.call("message:participant", {"participant": target["id"], "text": "   "})["error"]["code"]
        == "bad_payload"
    )
    assert (
        console.call("message:participant", {"participant": target["id"], "text": "x" * 501})["error"]["code"]
        == "bad_payload"
    )
    assert (
        console.call("message:participant", {"participant": 2**40, "text": "hello"})["error"]["code"]
        == "no_participant"
    )
    # A participant cannot send one.
    assert (
        people[1].call("message:participant", {"participant": target["id"], "text": "hi"})["error"]["code"]
        == "forbidden"
    )


def test_a_message_to_one_room_reaches_its_members_only(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo", "Cy", "Di"), week=3)
    state = console.call("snapshot")["state"]
    position = next(item["position"] for item in state["agenda"] if item["kind"] == "breakout")
    assert console.call("step:go", {"version": state["version"], "position": position})["ok"]
    assert console.call("breakout:propose", {"version": console.call("snapshot")["state"]["version"]})["ok"]
    round_ = console.call("snapshot")["state"]["breakout"]
    version = console.call("snapshot")["state"]["version"]
    assert console.call("breakout:start", {"version": version, "round": round_["id"]})["ok"]
    rooms = console.call("snapshot")["state"]["breakout"]["rooms_detail"]
    room = rooms[0]
    members = {m["name"] for m in room["members"]}
    by_name = dict(zip(("Ash", "Bo", "Cy", "Di"), people, strict=True))

    ack = console.call("message:room", {"round": round_["id"], "room": room["id"], "text": CANARY})
    assert ack["ok"] and ack["devices"] == len(members)
    for name, person in by_name.items():
        if name in members:
            wait_until(lambda person=person: person.events("message"))
            assert person.events("message")[0]["room"] == room["number"]
    assert console.call("snapshot")["ok"]
    for name, person in by_name.items():
        if name not in members:
            assert CANARY not in everything_heard(person)
    assert (
        console.call("message:room", {"round": round_["id"], "room": 2**40, "text": "x"})["error"]["code"] == "no_room"
    )
