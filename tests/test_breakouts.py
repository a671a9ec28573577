"""Breakout rounds over a real server and real Socket.IO clients: rooms with roles, each person
hearing only of their own room, role switches, messages, recall, reconnects and shared notes."""

import threading
import time

from diff_match_patch import diff_match_patch

from tests.live import LiveClient, make_group, wait_until
from tests.services import SCALED

# Each test runs on the embedded default and on PostgreSQL with the Redis message queue.
BACKENDS = ("sqlite", SCALED)

NAMES = [f"Person {n}" for n in range(1, 10)]
THREES_WEEK = 3  # week 3 of the built-in course practises in threes


def started(server, demo_login, clients, names, week=THREES_WEEK):
    group = make_group(server, demo_login, names=names, open_week=week)
    console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    people = [LiveClient(server, p, group.public_id, "participant") for p in group.participants]
    clients.extend([console, *people])
    assert console.call("session:start", {"version": console.latest["version"]})["ok"]
    return group, console, people


def patiently(client, event: str, payload: dict | None = None) -> dict:
    """These tests read the state after nearly every command, faster than a person could click:
    when the per-connection rate limit says so, wait a moment and ask again."""
    ack = client.call(event, payload)
    if not ack["ok"] and ack["error"]["code"] == "rate_limited":
        time.sleep(1)
        ack = client.call(event, payload)
    return ack


def state(client) -> dict:
    return patiently(client, "snapshot")["state"]


def command(console, event, **payload):
    return patiently(console, event, {"version": state(console)["version"], **payload})


def go_to_exercise(console) -> None:
    position = next(item["position"] for item in state(console)["agenda"] if item["kind"] == "breakout")
    assert command(console, "step:go", position=position)["ok"]


def open_rooms(console, **options) -> dict:
    """Propose rooms, start them, and return the team's view of the round."""
    ack = command(console, "breakout:propose", **options)
    assert ack["ok"], ack
    round_id = state(console)["breakout"]["id"]
    ack = command(console, "breakout:start", round=round_id)
    assert ack["ok"], ack
    return state(console)["breakout"]


def mine(person) -> dict:
    return state(person)["you"]["breakout"]


def names_in(view) -> list[str]:
    return sorted(member["name"] for member in view["room"]["members"])


def test_nine_people_in_threes_each_hear_only_of_their_own_room(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES)
    go_to_exercise(console)
    proposal = command(console, "breakout:propose")
    assert proposal["ok"], proposal
    proposed = state(console)["breakout"]
    assert proposed["status"] == "proposed"
    assert [len(room["members"]) for room in proposed["rooms_detail"]] == [3, 3, 3]
    # Nothing about rooms reaches participants while the facilitator is still arranging them.
    assert all(not any(e == "breakout:you" for e, _ in p.received) for p in people)

    round_ = open_rooms(console)
    assert round_["phase"] == "starting", "rooms open after a few seconds' notice"
    rooms = {room["id"]: sorted(m["name"] for m in room["members"]) for room in round_["rooms_detail"]}
    by_name = {name: room for room, members in rooms.items() for name in members}

    for person, name in zip(people, NAMES, strict=True):
        wait_until(lambda p=person: p.events("breakout:you"))
        view = person.events("breakout:you")[-1]
        assert view["room"]["id"] == by_name[name]
        assert names_in(view) == rooms[by_name[name]]
        assert view["role"]["name"] in {"Speaker", "Listener", "Observer"}
        assert view["role"]["prompt"]
        roles = sorted(m["role"] for m in view["room"]["members"])
        assert roles == ["Listener", "Observer", "Speaker"], "everyone in a three has their own role"
        # The public state tells everyone the times, never who is where.
        public = state(person)["breakout"]
        assert public["ends_at"] - public["starts_at"] == round_["minutes"] * 60_000
        assert "rooms_detail" not in public and "main_room" not in public

    # Notes written in room A reach room A's members and the facilitators only.
    first = people[0]
    view = mine(first)
    secret = "Notes only for our room 7f3a"
    patch = diff_match_patch().patch_toText(diff_match_patch().patch_make("", secret))
    ack = first.call("breakout:notes", {"round": round_["id"], "revision": 0, "patch": patch})
    assert ack["ok"] and ack["text"] == secret, ack
    room_mates = {n for n in rooms[view["room"]["id"]]}
    wait_until(lambda: any(e["text"] == secret for e in console.events("breakout:notes")))
    time.sleep(0.3)
    for person, name in zip(people, NAMES, strict=True):
        heard = secret in repr(person.received)
        assert heard == (name in room_mates), name
        others = {n for n in NAMES if n not in rooms[by_name[name]]}
        leaked = [n for n in others if repr(person.events("breakout:you")).count(f"'{n}'")]
        assert not leaked, f"{name} heard of {leaked}"


def test_roles_switch_and_messages_and_recall_reach_every_room(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:4], week=1)
    go_to_exercise(console)
    round_ = open_rooms(console)
    assert sorted(len(r["members"]) for r in round_["rooms_detail"]) == [2, 2]
    before = {i: mine(p)["role"]["name"] for i, p in enumerate(people)}
    assert set(before.values()) == {"Voice of Nadia", "Voice of Tom"}

    assert command(console, "breakout:roles", round=round_["id"])["ok"]
    for index, person in enumerate(people):
        wait_until(lambda p=person, i=index: p.events("breakout:you")[-1]["role"]["name"] != before[i])
    assert {i: mine(p)["role"]["name"] for i, p in enumerate(people)} == {
        i: ("Voice of Tom" if name == "Voice of Nadia" else "Voice of Nadia") for i, name in before.items()
    }

    assert command(console, "breakout:message", round=round_["id"], text="Two minutes, then swap back.")["ok"]
    for person in people:
        wait_until(lambda p=person: p.latest.get("breakout", {}).get("message") == "Two minutes, then swap back.")

    ends = state(console)["breakout"]["ends_at"]
    assert command(console, "breakout:time", round=round_["id"], seconds=60)["ok"]
    assert state(people[0])["breakout"]["ends_at"] == ends + 60_000

    assert command(console, "breakout:recall", round=round_["id"])["ok"]
    for person in people:
        recalled = person.wait_for(lambda s: s.get("breakout") and s["breakout"]["phase"] == "returning")
        assert 29_000 <= recalled["breakout"]["recall_at"] - recalled["server_time"] <= 31_000
    # Once everyone is back, the round is over: its rooms refuse further commands.
    closed = command(console, "breakout:close", round=round_["id"])
    assert closed["ok"], closed
    assert state(console)["breakout"]["phase"] == "ended"
    refused = command(console, "breakout:roles", round=round_["id"])
    assert refused["error"]["code"] == "no_round"


def test_a_participant_who_reconnects_mid_round_gets_back_room_role_notes_and_timer(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:4], week=1)
    go_to_exercise(console)
    round_ = open_rooms(console)
    first = people[0]
    view = mine(first)
    patch = diff_match_patch().patch_toText(diff_match_patch().patch_make("", "We noticed reply C."))
    assert first.call("breakout:notes", {"round": round_["id"], "revision": 0, "patch": patch})["ok"]

    first.close()
    again = LiveClient(server, group.participants[0], group.public_id, "participant")
    clients.append(again)
    back = again.latest
    assert back["you"]["breakout"]["room"]["id"] == view["room"]["id"]
    assert back["you"]["breakout"]["role"] == view["role"]
    assert back["you"]["breakout"]["room"]["notes"] == "We noticed reply C."
    assert back["breakout"]["ends_at"] == round_["ends_at"]
    assert names_in(back["you"]["breakout"]) == names_in(view)


def test_two_people_typing_into_the_same_notes_at_once_both_keep_their_text(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:2], week=1)
    go_to_exercise(console)
    round_ = open_rooms(console)
    a, b = people
    merger = diff_match_patch()
    base = "Our notes:\n"
    assert a.call(
        "breakout:notes",
        {"round": round_["id"], "revision": 0, "patch": merger.patch_toText(merger.patch_make("", base))},
    )["ok"]
    texts = {a: base + "Ash: the phone was the wall.\n", b: "Our notes:\nBo: reply C turned towards her. 🙂\n"}
    acks = {}
    barrier = threading.Barrier(2)

    def type_(person):
        # Both edits are made against revision 1 and sent at the same moment.
        patch = merger.patch_toText(merger.patch_make(base, texts[person]))
        barrier.wait()
        acks[person] = person.call("breakout:notes", {"round": round_["id"], "revision": 1, "patch": patch})

    threads = [threading.Thread(target=type_, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(ack["ok"] for ack in acks.values()), acks
    final = mine(a)["room"]["notes"]
    assert "Ash: the phone was the wall." in final and "Bo: reply C turned towards her. 🙂" in final
    assert final.startswith("Our notes:\n")
    assert mine(a)["room"]["notes_revision"] == 3
    wait_until(lambda: console.events("breakout:notes") and console.events("breakout:notes")[-1]["revision"] == 3)


def test_people_who_sit_out_stay_in_the_main_room_and_late_arrivals_wait_for_a_place(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:6], week=1)
    late = people.pop()
    late.close()
    go_to_exercise(console)
    sitter = people[0]
    ack = sitter.call("breakout:sit_out", {"sitting_out": True})
    assert ack["ok"] and ack["you"]["place"] == "sitting_out"
    round_ = open_rooms(console)
    seated = {m["id"] for room in round_["rooms_detail"] for m in room["members"]}
    assert len(seated) == 4 and [len(r["members"]) for r in round_["rooms_detail"]] == [2, 2]
    assert [p["sitting_out"] for p in round_["main_room"]] == [True]
    assert mine(sitter)["place"] == "sitting_out"

    # Both rooms are pairs: the late arrival waits, and the console is told.
    back = LiveClient(server, group.participants[5], group.public_id, "participant")
    clients.append(back)
    assert mine(back)["place"] == "waiting"
    told = console.wait_for(lambda s: "Person 6" in [p["name"] for p in (s.get("breakout") or {}).get("main_room", [])])
    assert [len(r["members"]) for r in told["breakout"]["rooms_detail"]] == [2, 2]

    # Changing one's mind makes a new pair with the one waiting.
    you = sitter.call("breakout:sit_out", {"sitting_out": False})["you"]
    assert you["place"] == "room" and names_in(you) == ["Person 1", "Person 6"]
    wait_until(lambda: back.events("breakout:you") and back.events("breakout:you")[-1]["place"] == "room")
    overview = state(console)["breakout"]
    assert sorted(len(r["members"]) for r in overview["rooms_detail"]) == [2, 2, 2]


def test_the_facilitator_moves_people_and_nobody_is_left_alone(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:4], week=1)
    go_to_exercise(console)
    assert command(console, "breakout:propose")["ok"]
    proposal = state(console)["breakout"]
    first, second = proposal["rooms_detail"]
    mover = first["members"][0]["id"]
    moved = command(console, "breakout:move", round=proposal["id"], participant=mover, room=second["id"])
    assert moved["ok"], moved
    refused = command(console, "breakout:start", round=proposal["id"])
    assert refused["error"]["code"] == "alone" and "Room 1" in refused["error"]["message"]
    assert state(console)["breakout"]["status"] == "proposed", "a refused start changes nothing"
    back = command(console, "breakout:move", round=proposal["id"], participant=mover, room=first["id"])
    assert back["ok"]
    assert command(console, "breakout:start", round=proposal["id"])["ok"]


def test_bad_breakout_requests_get_a_clear_error_and_change_nothing(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:4], week=1)
    other, other_console, other_people = started(server, demo_login, clients, ["Other 1", "Other 2"], week=1)
    go_to_exercise(console)
    go_to_exercise(other_console)
    round_ = open_rooms(console)
    other_round = open_rooms(other_console)
    version = state(console)["version"]
    someone = round_["rooms_detail"][0]["members"][0]["id"]

    def refused(client, event, payload, code):
        ack = client.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, ack)
        assert ack["error"]["message"]

    # A room of another session's round, another cohort's participant, another round.
    refused(
        console,
        "breakout:move",
        {
            "version": version,
            "round": round_["id"],
            "participant": someone,
            "room": other_round["rooms_detail"][0]["id"],
        },
        "no_room",
    )
    refused(
        console,
        "breakout:move",
        {
            "version": version,
            "round": round_["id"],
            "participant": other_round["rooms_detail"][0]["members"][0]["id"],
            "room": None,
        },
        "no_participant",
    )
    refused(console, "breakout:roles", {"version": version, "round": other_round["id"]}, "round_ended")
    # A participant trying facilitator actions; editing another room's notes; oversized notes.
    refused(people[0], "breakout:recall", {"version": version, "round": round_["id"]}, "forbidden")
    refused(people[0], "breakout:propose", {"version": version}, "forbidden")
    patch = diff_match_patch().patch_toText(diff_match_patch().patch_make("", "hello"))
    refused(other_people[0], "breakout:notes", {"round": round_["id"], "revision": 0, "patch": patch}, "round_ended")
    big = diff_match_patch().patch_toText(diff_match_patch().patch_make("", "x" * 5001))
    refused(people[0], "breakout:notes", {"round": round_["id"], "revision": 0, "patch": big[:11999]}, "notes_too_long")
    refused(people[0], "breakout:notes", {"round": round_["id"], "revision": 0, "patch": "not a patch"}, "bad_payload")
    refused(people[0], "breakout:notes", {"round": round_["id"], "revision": 0, "patch": "x" * 13000}, "bad_payload")
    refused(console, "breakout:message", {"version": version, "round": round_["id"], "text": ""}, "bad_payload")
    refused(console, "breakout:time", {"version": version - 1, "round": round_["id"], "seconds": 60}, "stale_version")
    after = state(console)
    assert after["version"] == version
    assert all(room["notes"] == "" for room in after["breakout"]["rooms_detail"])
    # An ended round refuses further actions.
    assert command(console, "breakout:close", round=round_["id"])["ok"]
    refused(people[0], "breakout:help", {"round": round_["id"]}, "no_round")
    refused(people[0], "breakout:notes", {"round": round_["id"], "revision": 0, "patch": patch}, "no_round")


def test_help_from_a_room_reaches_the_team_and_notes_can_be_shared_after_recall(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:2], week=1)
    go_to_exercise(console)
    round_ = open_rooms(console)
    a, b = people
    assert a.call("breakout:help", {"round": round_["id"]})["ok"]
    room = console.wait_for(lambda s: s.get("breakout") and s["breakout"]["rooms_detail"][0]["help_requested_at"])
    room_id = room["breakout"]["rooms_detail"][0]["id"]
    wait_until(lambda: b.events("breakout:you") and b.events("breakout:you")[-1]["room"]["help_requested"])
    assert console.call("breakout:help_answer", {"round": round_["id"], "room": room_id})["ok"]
    wait_until(lambda: b.events("breakout:you")[-1]["room"]["help_answered"])

    merger = diff_match_patch()
    patch = merger.patch_toText(merger.patch_make("", "Turning towards takes a pause first."))
    assert a.call("breakout:notes", {"round": round_["id"], "revision": 0, "patch": patch})["ok"]
    early = a.call("breakout:share", {"round": round_["id"], "agree": True})
    assert early["error"]["code"] == "round_state", "notes are shared only after recall"
    assert command(console, "breakout:close", round=round_["id"])["ok"]
    assert a.call("breakout:share", {"round": round_["id"], "agree": True}) == {"ok": True, "shared": False}
    assert state(b)["breakout"]["shared"] == [], "shared only when everyone in the room agrees"
    assert b.call("breakout:share", {"round": round_["id"], "agree": True}) == {"ok": True, "shared": True}
    for person in people:
        shared = person.wait_for(lambda s: s.get("breakout") and s["breakout"]["shared"])
        assert shared["breakout"]["shared"] == [{"room": 1, "notes": "Turning towards takes a pause first."}]


def test_a_reconnect_storm_during_assignment_places_everyone_exactly_once(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:8], week=1)
    go_to_exercise(console)
    stop = threading.Event()

    def storm(index):
        while not stop.is_set():
            people[index].client.disconnect()
            people[index] = LiveClient(server, group.participants[index], group.public_id, "participant")
            clients.append(people[index])

    threads = [threading.Thread(target=storm, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(5):
            ack = command(console, "breakout:propose")
            if ack["ok"]:
                break
        ack = command(console, "breakout:start", round=state(console)["breakout"]["id"])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert ack["ok"] or ack["error"]["code"] in ("alone", "stale_version"), ack
    wait_until(lambda: state(console)["presence"]["counts"]["online"] == 8)
    overview = state(console)["breakout"]
    seated = [m["id"] for room in overview["rooms_detail"] for m in room["members"]]
    waiting = [p["id"] for p in overview["main_room"]]
    assert len(seated) == len(set(seated)), "nobody sits in two rooms"
    assert not set(seated) & set(waiting)
    assert len(set(seated) | set(waiting)) == 8


def test_with_the_wait_setting_late_arrivals_wait_in_the_main_room_for_the_facilitator(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:5], week=1)
    late = people.pop()
    late.close()
    wait_until(lambda: state(console)["presence"]["counts"]["online"] == 4)
    go_to_exercise(console)
    round_ = open_rooms(console, late_arrivals="wait", auto_recall=True)
    assert round_["auto_recall"] and round_["recall_at"] == round_["ends_at"]
    back = LiveClient(server, group.participants[4], group.public_id, "participant")
    clients.append(back)
    assert mine(back)["place"] == "waiting"
    waiting = state(console)["breakout"]["main_room"]
    assert [(p["name"], p["sitting_out"]) for p in waiting] == [("Person 5", False)]
    target = state(console)["breakout"]["rooms_detail"][0]["id"]
    person = waiting[0]["id"]
    assert command(console, "breakout:move", round=round_["id"], participant=person, room=target)["ok"]
    wait_until(lambda: back.events("breakout:you") and back.events("breakout:you")[-1]["place"] == "room")
    assert len(back.events("breakout:you")[-1]["room"]["members"]) == 3


def test_skipping_a_content_noted_exercise_keeps_that_person_out_of_the_rooms(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:5])
    go_to_exercise(console)
    exercise = state(people[0])["step"]
    assert exercise["content_note"], "week 3's exercise carries a content note"
    ack = people[0].call("content_note:choose", {"position": exercise["position"], "choice": "skip"})
    assert ack["ok"], ack
    assert mine(people[0])["place"] == "sitting_out"
    round_ = open_rooms(console)
    seated = {m["name"] for room in round_["rooms_detail"] for m in room["members"]}
    assert "Person 1" not in seated and len(seated) == 4
    assert [p["name"] for p in round_["main_room"]] == ["Person 1"]


def test_moving_on_from_a_new_proposal_leaves_the_earlier_rounds_results_on_its_step(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:4], week=1)
    go_to_exercise(console)
    exercise = state(console)["step"]["position"]
    first = open_rooms(console)
    assert command(console, "breakout:close", round=first["id"])["ok"]
    assert command(console, "breakout:propose")["ok"]
    second = state(console)["breakout"]
    assert second["id"] != first["id"] and second["phase"] == "proposed"

    # Moving on discards the proposal nobody saw; coming back shows the round that ran.
    assert command(console, "step:go", position=exercise - 1)["ok"]
    assert state(console)["breakout"] is None
    assert command(console, "step:go", position=exercise)["ok"]
    for client in (console, people[0]):
        back = state(client)["breakout"]
        assert back["id"] == first["id"] and back["phase"] == "ended"
    # And a new proposal there is the latest again.
    assert command(console, "breakout:propose")["ok"]
    assert state(console)["breakout"]["phase"] == "proposed"


# Nobody alone in a room ------------------------------------------------------------------------------------


def rooms_in_pairs(server, demo_login, clients, count: int):
    """`count` people in week 1's pairs with the rooms open: the group, console, people, team's view."""
    group, console, people = started(server, demo_login, clients, NAMES[:count], week=1)
    go_to_exercise(console)
    return group, console, people, open_rooms(console)


def partner_in(round_: dict, people: list, person) -> tuple[dict, LiveClient]:
    """`person`'s room in the team's view and the client of the other member."""
    name = NAMES[people.index(person)]
    detail = next(room for room in round_["rooms_detail"] if name in [m["name"] for m in room["members"]])
    other = next(m["name"] for m in detail["members"] if m["name"] != name)
    return detail, people[NAMES.index(other)]


def flagged(state_: dict) -> dict:
    """Room number -> who is alone there, in a team's state."""
    rooms = (state_.get("breakout") or {}).get("rooms_detail", [])
    return {room["number"]: room["alone"] for room in rooms if room.get("alone")}


def test_sitting_out_of_a_running_pair_flags_the_partner_alone_and_one_move_fixes_it(server, demo_login, clients):
    group, console, people, round_ = rooms_in_pairs(server, demo_login, clients, 6)
    leaver = people[0]
    detail, partner = partner_in(round_, people, leaver)
    pushed = len(console.states)

    assert leaver.call("breakout:sit_out", {"sitting_out": True})["ok"]

    told = console.wait_for(lambda s: bool(flagged(s)), after=pushed)
    alone = flagged(told)[detail["number"]]
    assert alone["name"] == NAMES[people.index(partner)] and alone["move_to"] is not None
    wait_until(lambda: partner.events("breakout:you") and partner.events("breakout:you")[-1]["room"]["alone"])
    assert names_in(partner.events("breakout:you")[-1]) == [alone["name"]]

    ack = command(console, "breakout:move", round=round_["id"], participant=alone["id"], room=alone["move_to"]["id"])

    assert ack["ok"], ack
    wait_until(lambda: partner.events("breakout:you")[-1]["room"]["id"] == alone["move_to"]["id"])
    view = partner.events("breakout:you")[-1]
    assert len(view["room"]["members"]) == 3 and not view["room"]["alone"]
    overview = state(console)["breakout"]
    assert flagged(state(console)) == {}
    assert sorted(len(r["members"]) for r in overview["rooms_detail"]) == [0, 2, 3]


def test_a_late_arrival_never_makes_four_in_a_pairs_exercise(server, demo_login, clients):
    group, console, people = started(server, demo_login, clients, NAMES[:7], week=1)
    late = [people.pop(), people.pop()]
    for person in late:
        person.close()
    wait_until(lambda: state(console)["presence"]["counts"]["online"] == 5)
    go_to_exercise(console)
    round_ = open_rooms(console)
    assert sorted(len(r["members"]) for r in round_["rooms_detail"]) == [2, 3]

    first = LiveClient(server, group.participants[6], group.public_id, "participant")
    clients.append(first)
    assert mine(first)["place"] == "waiting"
    told = console.wait_for(lambda s: "Person 7" in [p["name"] for p in (s.get("breakout") or {}).get("main_room", [])])
    waiting = next(p for p in told["breakout"]["main_room"] if p["name"] == "Person 7")
    assert waiting["move_to"] is not None and not waiting["sitting_out"]
    assert sorted(len(r["members"]) for r in told["breakout"]["rooms_detail"]) == [2, 3]

    second = LiveClient(server, group.participants[5], group.public_id, "participant")
    clients.append(second)
    view = mine(second)
    assert view["place"] == "room" and names_in(view) == ["Person 6", "Person 7"]
    wait_until(lambda: first.events("breakout:you") and first.events("breakout:you")[-1]["place"] == "room")
    overview = state(console)["breakout"]
    assert sorted(len(r["members"]) for r in overview["rooms_detail"]) == [2, 2, 3]
    assert max(len(r["members"]) for r in overview["rooms_detail"]) < 4


def test_a_member_gone_past_the_grace_period_flags_their_partner_until_they_are_back(server, demo_login, clients):
    group, console, people, round_ = rooms_in_pairs(server, demo_login, clients, 4)
    leaver = people[0]
    detail, partner = partner_in(round_, people, leaver)
    pushed = len(console.states)
    leaver.close()

    time.sleep(5)
    assert flagged(state(console)) == {}, "someone reconnecting is not gone"
    assert not mine(partner)["room"]["alone"]
    told = console.wait_for(lambda s: bool(flagged(s)), timeout=45, after=pushed)
    assert flagged(told)[detail["number"]]["name"] == NAMES[people.index(partner)]
    view = partner.events("breakout:you")[-1]["room"]
    assert view["alone"] and {m["name"]: m["present"] for m in view["members"]}[NAMES[0]] is False

    pushed = len(console.states)
    again = LiveClient(server, group.participants[0], group.public_id, "participant")
    clients.append(again)
    console.wait_for(lambda s: s.get("breakout") is not None and not flagged(s), timeout=15, after=pushed)
    wait_until(lambda: not partner.events("breakout:you")[-1]["room"]["alone"])


def test_removing_a_participant_flags_their_partner_alone(server, demo_login, clients):
    group, console, people, round_ = rooms_in_pairs(server, demo_login, clients, 4)
    removed = people[0]
    detail, partner = partner_in(round_, people, removed)
    target = next(m["id"] for m in detail["members"] if m["name"] == NAMES[0])
    pushed = len(console.states)

    assert patiently(console, "participant:remove", {"participant": target})["ok"]

    told = console.wait_for(lambda s: bool(flagged(s)), after=pushed)
    assert flagged(told)[detail["number"]]["name"] == NAMES[people.index(partner)]
    wait_until(lambda: partner.events("breakout:you") and partner.events("breakout:you")[-1]["room"]["alone"])
