"""Breakout rounds in process (tests/fast.py): everyone is seated, and each participant hears of their
own room and nobody else's; the team sees every room.

The same over a real server is tested in tests/test_breakouts.py.
"""

from datetime import timedelta

from diff_match_patch import diff_match_patch

# Week 1's exercise ("Turning towards") is in pairs.
PAIRS = {"group_size": 2, "minutes": 10, "roles": ["Voice of Nadia", "Voice of Tom"]}


def go_to_exercise(room) -> None:
    room.start()
    room.go_to(room.position_of("breakout"))


def open_rooms(room) -> dict:
    """Propose rooms and open them, as the console does; the team's view of the round."""
    assert room.command("breakout:propose")["ok"]
    proposed = room.facilitator.state["breakout"]
    assert room.command("breakout:start", round=proposed["id"])["ok"]
    return room.facilitator.state["breakout"]


def rooms_of(round_: dict) -> dict[int, set[str]]:
    return {detail["id"]: {member["name"] for member in detail["members"]} for detail in round_["rooms_detail"]}


def names_in(view: dict) -> set[str]:
    return {member["name"] for member in view["room"]["members"]}


def test_a_round_seats_everyone_and_each_participant_hears_only_of_their_own_room(make_room):
    room = make_room(participants=6)
    go_to_exercise(room)
    room.forget()
    assert room.command("breakout:propose")["ok"]
    proposed = room.facilitator.state["breakout"]
    assert [len(detail["members"]) for detail in proposed["rooms_detail"]] == [2, 2, 2]
    # Nothing about rooms reaches a participant while the facilitator is still arranging them.
    assert not any(person.events("breakout:you") for person in room.participants)

    assert room.command("breakout:start", round=proposed["id"])["ok"]

    round_ = room.facilitator.state["breakout"]
    rooms = rooms_of(round_)
    assert sorted(name for names in rooms.values() for name in names) == ["Ash", "Bo", "Cy", "Dee", "Eli", "Fay"]
    for person in room.participants:
        told = person.events("breakout:you")
        assert len(told) == 1, person.name
        view = told[0]
        assert names_in(view) == rooms[view["room"]["id"]] and person.name in names_in(view)
        assert [member["you"] for member in view["room"]["members"]].count(True) == 1
        assert sorted(member["role"] for member in view["room"]["members"]) == PAIRS["roles"]
        # What reached this socket names nobody outside their own room.
        strangers = {name for names in rooms.values() for name in names} - names_in(view)
        assert not [name for name in strangers if f"'{name}'" in repr(person.pushes())], person.name
        # The whole room's state says when, never who is where.
        public = person.state["breakout"]
        assert public["ends_at"] - public["starts_at"] == PAIRS["minutes"] * 60_000
        assert "rooms_detail" not in public and "main_room" not in public


def test_notes_reach_the_rooms_members_and_the_team_only(make_room):
    room = make_room(participants=4)
    go_to_exercise(room)
    round_ = open_rooms(room)
    writer = room.participants[0]
    mates = next(names for names in rooms_of(round_).values() if writer.name in names)
    room.forget()
    secret = "Notes only for our room 7f3a"
    merger = diff_match_patch()
    patch = merger.patch_toText(merger.patch_make("", secret))

    ack = writer.call("breakout:notes", {"round": round_["id"], "revision": 0, "patch": patch})

    assert ack == {"ok": True, "revision": 1, "text": secret}
    for person in room.participants:
        assert (secret in repr(person.pushes())) == (person.name in mates), person.name
    assert room.facilitator.events("breakout:notes")[-1]["text"] == secret
    stale = writer.call("breakout:notes", {"round": round_["id"], "revision": 7, "patch": patch})
    assert stale["error"]["code"] == "notes_conflict"


def test_someone_who_sits_out_stays_in_the_main_room_and_late_arrivals_never_make_a_pair_a_four(make_room):
    room = make_room(participants=6)
    go_to_exercise(room)
    ash = room.participants[0]
    assert ash.call("breakout:sit_out", {"sitting_out": True})["you"] == {"round": None, "place": "sitting_out"}

    round_ = open_rooms(room)

    assert "Ash" not in {name for names in rooms_of(round_).values() for name in names}
    assert round_["main_room"] == [{"id": ash.participant_id, "name": "Ash", "sitting_out": True, "move_to": None}]
    assert ash.events("breakout:you") == [] or ash.events("breakout:you")[-1]["place"] == "sitting_out"
    assert ash.snapshot()["you"]["breakout"]["place"] == "sitting_out"
    assert sorted(len(names) for names in rooms_of(round_).values()) == [2, 3]

    # Every room is a pair or a pair with an observer: the first late arrival waits, and the team sees it.
    room.forget()
    gus = room.connect(room.join("Gus"))
    assert gus.state["you"]["breakout"]["place"] == "waiting"
    overview = room.facilitator.events("state")[-1]["breakout"]
    pair = next(detail for detail in overview["rooms_detail"] if len(detail["members"]) == 2)
    assert sorted(len(names) for names in rooms_of(overview).values()) == [2, 3]
    assert {"id": gus.participant_id, "name": "Gus", "sitting_out": False} | {
        "move_to": {"id": pair["id"], "number": pair["number"]}
    } in overview["main_room"]
    assert not any(person.events("breakout:you") for person in room.participants)

    # The next one makes a new pair with them; only the two of them hear of it.
    hal = room.connect(room.join("Hal"))
    joined = hal.state["you"]["breakout"]
    assert joined["place"] == "room" and names_in(joined) == {"Gus", "Hal"}
    assert names_in(gus.events("breakout:you")[-1]) == {"Gus", "Hal"}
    overview = room.facilitator.state["breakout"]
    assert sorted(len(names) for names in rooms_of(overview).values()) == [2, 2, 3]
    assert [person["name"] for person in overview["main_room"]] == ["Ash"]
    assert not any(person.events("breakout:you") for person in room.participants)
    notes = notes_patch("", "We are a new pair")
    assert hal.call("breakout:notes", {"round": overview["id"], "revision": 0, "patch": notes})["ok"]


def test_a_participant_is_only_moved_by_a_facilitator_and_never_left_alone(make_room):
    room = make_room(participants=4)
    go_to_exercise(room)
    assert room.command("breakout:propose")["ok"]
    proposed = room.facilitator.state["breakout"]
    first, second = proposed["rooms_detail"]
    mover = first["members"][0]["id"]
    ash = room.participants[0]
    payload = {"round": proposed["id"], "participant": mover, "room": second["id"]}
    assert ash.call("breakout:move", {"version": room.version(), **payload})["error"]["code"] == "forbidden"

    assert room.command("breakout:move", **payload)["ok"]
    refused = room.command("breakout:start", round=proposed["id"])

    assert refused["error"]["code"] == "alone" and "Room 1 has one person in it" in refused["error"]["message"]
    assert room.facilitator.state["breakout"]["status"] == "proposed"
    assert not any(person.events("breakout:you") for person in room.participants)


def notes_patch(base: str, text: str) -> str:
    merger = diff_match_patch()
    return merger.patch_toText(merger.patch_make(base, text))


def pieces_that_fit_nowhere(count: int) -> str:
    """`count` pieces, each deleting 28 letters that are nowhere in the notes: diff-match-patch's own
    `patch_apply` searched the notes for each of them, fuzzily, before giving up."""
    letters = "klmnopqrstuvwxyz"
    return "".join(
        f"@@ -{18 * n + 1},28 +{18 * n + 1},0 @@\n-{''.join(letters[(n + i) % 16] for i in range(28))}\n"
        for n in range(count)
    )


def monster_deletion(notes: str) -> str:
    """One piece deleting text of the notes' length whose first and last 32 characters are the notes' own
    and whose middle is not: diff-match-patch found both ends, then diffed the middle for up to a second."""
    middle = "".join("klmnopqrstuvwxyz"[n % 16] for n in range(len(notes) - 64))
    return f"@@ -1,{len(notes)} +1,0 @@\n-{notes[:32]}{middle}{notes[-32:]}\n"


def never(*_arguments, **_keywords):
    raise AssertionError("applying an edit searched for its text or diffed it")


def test_an_edit_applies_exactly_where_it_says_or_not_at_all_and_never_searches(make_room, monkeypatch):
    room = make_room(participants=2)
    go_to_exercise(room)
    round_ = open_rooms(room)
    ash = room.participants[0]
    notes = " ".join(f"line {n} of what we noticed" for n in range(150))
    assert ash.call("breakout:notes", {"round": round_["id"], "revision": 0, "patch": notes_patch("", notes)})["ok"]
    exclaim = notes_patch(notes, notes + "!")
    room.forget()
    for slow in ("match_main", "match_bitap", "diff_main"):
        monkeypatch.setattr(diff_match_patch, slow, never)

    many = ash.call("breakout:notes", {"round": round_["id"], "revision": 1, "patch": pieces_that_fit_nowhere(212)})
    nowhere = ash.call("breakout:notes", {"round": round_["id"], "revision": 1, "patch": pieces_that_fit_nowhere(100)})
    monster = ash.call("breakout:notes", {"round": round_["id"], "revision": 1, "patch": monster_deletion(notes)})
    fits = ash.call("breakout:notes", {"round": round_["id"], "revision": 1, "patch": exclaim})

    assert many["error"]["code"] == "notes_edit_too_big" and "too large" in many["error"]["message"]
    assert nowhere["error"]["code"] == monster["error"]["code"] == "notes_conflict"
    assert fits == {"ok": True, "revision": 2, "text": notes + "!"}
    assert [push["revision"] for push in room.facilitator.events("breakout:notes")] == [2]


# Nobody alone in a room ------------------------------------------------------------------------------------


def pairs_of_three_rooms(room) -> dict:
    """Six people in week 1's pairs, the rooms open: the team's view."""
    go_to_exercise(room)
    round_ = open_rooms(room)
    assert sorted(len(names) for names in rooms_of(round_).values()) == [2, 2, 2]
    return round_


def partner_of(room, round_: dict, person) -> tuple[dict, object]:
    """`person`'s room in the team's view, and the other member's device."""
    detail = next(d for d in round_["rooms_detail"] if person.participant_id in {m["id"] for m in d["members"]})
    other = next(m["id"] for m in detail["members"] if m["id"] != person.participant_id)
    return detail, next(p for p in room.participants if p.participant_id == other)


def test_sitting_out_of_a_running_pair_flags_the_partner_alone_and_one_move_fixes_it(make_room):
    room = make_room(participants=6)
    round_ = pairs_of_three_rooms(room)
    leaver = room.participants[0]
    detail, partner = partner_of(room, round_, leaver)
    assert all(d["alone"] is None for d in round_["rooms_detail"])
    room.forget()

    assert leaver.call("breakout:sit_out", {"sitting_out": True})["ok"]

    overview = room.facilitator.events("state")[-1]["breakout"]
    flagged = {d["number"]: d["alone"] for d in overview["rooms_detail"] if d["alone"]}
    others = sorted((d for d in overview["rooms_detail"] if d["id"] != detail["id"]), key=lambda d: d["number"])
    best = {"id": others[0]["id"], "number": others[0]["number"]}
    assert flagged == {detail["number"]: {"id": partner.participant_id, "name": partner.name, "move_to": best}}
    told = partner.events("breakout:you")[-1]
    assert told["room"]["alone"] is True and names_in(told) == {partner.name}

    ack = room.command("breakout:move", round=round_["id"], participant=partner.participant_id, room=best["id"])

    assert ack["ok"], ack
    overview = room.facilitator.state["breakout"]
    assert all(d["alone"] is None for d in overview["rooms_detail"])
    assert sorted(len(d["members"]) for d in overview["rooms_detail"]) == [0, 2, 3]
    moved = partner.events("breakout:you")[-1]
    assert moved["room"]["id"] == best["id"] and moved["room"]["alone"] is False
    assert len(moved["room"]["members"]) == 3 and all(member["present"] for member in moved["room"]["members"])


def test_a_late_arrival_joins_the_room_where_someone_is_alone(make_room):
    room = make_room(participants=6)
    round_ = pairs_of_three_rooms(room)
    leaver = room.participants[0]
    detail, partner = partner_of(room, round_, leaver)
    assert leaver.call("breakout:sit_out", {"sitting_out": True})["ok"]

    gus = room.connect(room.join("Gus"))

    joined = gus.state["you"]["breakout"]
    assert joined["room"]["id"] == detail["id"] and names_in(joined) == {"Gus", partner.name}
    assert partner.events("breakout:you")[-1]["room"]["alone"] is False
    assert all(d["alone"] is None for d in room.facilitator.state["breakout"]["rooms_detail"])


def test_removing_a_participant_flags_their_partner_alone(make_room):
    room = make_room(participants=6)
    round_ = pairs_of_three_rooms(room)
    removed = room.participants[0]
    detail, partner = partner_of(room, round_, removed)

    assert room.facilitator.call("participant:remove", {"participant": removed.participant_id})["ok"]

    overview = room.facilitator.state["breakout"]
    flagged = next(d for d in overview["rooms_detail"] if d["id"] == detail["id"])["alone"]
    assert flagged["id"] == partner.participant_id and flagged["move_to"] is not None
    assert partner.events("breakout:you")[-1]["room"]["alone"] is True


def run_pending_once(tasks) -> None:
    """Run the background tasks waiting now, and not those they start (a check that repeats itself)."""
    pending, tasks.pending[:] = list(tasks.pending), []
    for target, arguments, keywords in pending:
        target(*arguments, **keywords)


def test_a_member_gone_past_the_grace_period_leaves_their_partner_flagged_until_they_are_back(make_room, monkeypatch):
    from sessions.breakouts import operations as breakouts
    from sessions.live import presence

    room = make_room(participants=6)
    round_ = pairs_of_three_rooms(room)
    leaver = room.participants[0]
    detail, partner = partner_of(room, round_, leaver)
    room.disconnect(leaver)
    # Within the grace period a dropped connection is someone reconnecting, not someone gone.
    assert all(d["alone"] is None for d in room.facilitator.snapshot()["breakout"]["rooms_detail"])
    assert partner.snapshot()["you"]["breakout"]["room"]["alone"] is False

    later = breakouts.now() + timedelta(seconds=presence.RECONNECT_GRACE_SECONDS + 1)
    monkeypatch.setattr(breakouts, "now", lambda: later)
    monkeypatch.setattr(presence, "now", lambda: later)
    room.forget()
    # The look that the disconnection scheduled for after the grace period.
    run_pending_once(room.tasks)

    overview = room.facilitator.events("state")[-1]["breakout"]
    flagged = next(d for d in overview["rooms_detail"] if d["id"] == detail["id"])["alone"]
    assert flagged["id"] == partner.participant_id
    told = partner.events("breakout:you")[-1]["room"]
    assert told["alone"] is True
    assert {m["name"]: m["present"] for m in told["members"]} == {leaver.name: False, partner.name: True}
    assert room.tasks.pending, "the room is looked at again while the member stays gone"

    room.connect(leaver)
    room.forget()
    run_pending_once(room.tasks)

    overview = room.facilitator.events("state")[-1]["breakout"]
    assert all(d["alone"] is None for d in overview["rooms_detail"])
    assert partner.events("breakout:you")[-1]["room"]["alone"] is False
    assert not room.tasks.pending
