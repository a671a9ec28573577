"""Video on a real Janus (Debian's, started on loopback by tests/janus.py) driven by a real Mend:
each person's ticket lets them into their own room only, and Janus itself refuses a forged, expired
or other room's token, a removed participant, and rooms that are gone."""

import time

import pytest

from sessions.video import janus as tokens
from tests.janus import JanusRefused, JanusVisitor, running_janus
from tests.live import live_server, started_group, wait_until

THREES_WEEK = 3


@pytest.fixture(scope="module")
def janus():
    with running_janus() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory, janus):
    with live_server(tmp_path_factory.mktemp("video"), **janus.settings()) as running:
        yield running


def use_janus(group, online: bool = True) -> None:
    """The organisation chooses Janus, and the group's facilitator says the group meets online."""
    response = group.facilitator.post_form("/settings/video", {"provider": "janus"}, token_from="/settings")
    assert response.status_code == 302, response.text
    if online:
        meets_online(group)


def meets_online(group, online: bool = True) -> None:
    cohort_page = f"/cohorts/{group.cohort_id}"
    choice = {"meets_online": "y"} if online else {}
    response = group.facilitator.post_form(f"{cohort_page}/video", choice, token_from=cohort_page)
    assert response.status_code == 302, response.text


def ticket(client, room=None) -> dict:
    ack = client.call("video:ticket", {"room": room})
    assert ack["ok"], ack
    return ack["video"]


def visitor(janus, ticket: dict) -> JanusVisitor:
    return JanusVisitor(janus.url, ticket["token"])


def admin(janus):
    return tokens.VideoRoomAdmin(janus.admin_url, janus.admin_secret, janus.admin_key, "unused")


def in_room(janus, room: int) -> set[str]:
    return {person["display"] for person in admin(janus).participants(room)}


def test_video_is_off_until_the_organisation_chooses_a_provider(server, demo_login, clients):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo"))
    page = group.participants[0].get(f"/g/{group.public_id}")
    assert "data-video" not in page.text and "janus" not in page.text
    for client in (console, people[0]):
        ack = client.call("video:ticket", {})
        assert not ack["ok"] and ack["error"]["code"] == "video_off"

    # The organisation's provider alone loads nothing: the group meets in person until its facilitator
    # says it meets online (and again after they say it no longer does).
    use_janus(group, online=False)
    assert "Meeting online" in group.facilitator.get(f"/cohorts/{group.cohort_id}").text
    assert "data-video" not in group.participants[0].get(f"/g/{group.public_id}").text
    assert people[0].call("video:ticket", {})["error"]["code"] == "video_off"
    meets_online(group)
    meets_online(group, online=False)
    assert "data-video" not in group.participants[0].get(f"/g/{group.public_id}").text
    meets_online(group)
    page = group.participants[0].get(f"/g/{group.public_id}")
    assert 'data-video="janus"' in page.text
    # The page may reach the Janus server, and only it.
    assert f"connect-src 'self' {server_origin(ticket(people[0])['server'])}" in page.headers["Content-Security-Policy"]


def server_origin(url: str) -> str:
    return url.rsplit("/janus", 1)[0]


def test_a_ticket_lets_its_holder_into_the_main_room_and_janus_refuses_forged_and_expired_tokens(
    server, demo_login, clients, janus
):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo"))
    use_janus(group)
    mine = ticket(people[0])
    assert mine["room"] is None and mine["display"] == "Ash"
    assert mine["expires_at"] > (time.time() + tokens.TOKEN_HOURS * 3600) * 1000
    ash = visitor(janus, mine)
    try:
        joined = ash.join(mine["janus_room"], mine["room_token"], mine["feed"], mine["display"])
        assert joined["videoroom"] == "joined" and joined["id"] == mine["feed"]
    finally:
        ash.close()

    # Signed with another secret: Janus refuses the session itself.
    forged = tokens.core_token("not-the-secret", tokens.expiry_for(time.time()))
    with pytest.raises(JanusRefused, match="Unauthorized"):
        JanusVisitor(janus.url, forged)
    # The right secret, an expiry gone by.
    expired = tokens.core_token(janus.token_secret, int(time.time()) - 60)
    with pytest.raises(JanusRefused, match="Unauthorized"):
        JanusVisitor(janus.url, expired)
    # A valid session, but a room token Mend never gave (forged, expired, or not in the allowed list).
    bo_ticket = ticket(people[1])
    bo = visitor(janus, bo_ticket)
    try:
        room, feed = bo_ticket["janus_room"], bo_ticket["feed"]
        for bad in (
            tokens.room_token("not-the-secret", tokens.expiry_for(time.time()), room, feed),
            tokens.room_token(janus.token_secret, int(time.time()) - 60, room, feed),
            tokens.room_token(janus.token_secret, tokens.expiry_for(time.time()) + 3600, room, feed),
        ):
            with pytest.raises(JanusRefused, match="Unauthorized"):
                bo.join(room, bad, feed)
    finally:
        bo.close()


def open_rooms(console) -> dict:
    version = console.call("snapshot")["state"]["version"]
    position = next(
        item["position"] for item in console.call("snapshot")["state"]["agenda"] if item["kind"] == "breakout"
    )
    assert console.call("step:go", {"version": version, "position": position})["ok"]
    assert console.call("breakout:propose", {"version": version + 1})["ok"]
    state = console.call("snapshot")["state"]
    assert console.call("breakout:start", {"version": state["version"], "round": state["breakout"]["id"]})["ok"]
    return console.call("snapshot")["state"]["breakout"]


def test_breakout_rooms_let_in_their_members_only_and_go_at_the_end(server, demo_login, clients, janus):
    group, console, people = started_group(
        server, demo_login, clients, names=("Ash", "Bo", "Cy", "Di"), week=THREES_WEEK
    )
    use_janus(group)
    round_ = open_rooms(console)
    rooms = {room["id"]: {m["name"] for m in room["members"]} for room in round_["rooms_detail"]}
    assert len(rooms) == 2
    by_name = dict(zip(("Ash", "Bo", "Cy", "Di"), people, strict=True))
    first, second = rooms
    someone = next(iter(rooms[first]))
    other = next(iter(rooms[second]))

    # Their own room: Mend gives the ticket, Janus lets them in.
    own = ticket(by_name[someone], first)
    assert own["janus_room"] == tokens.breakout_room(first)
    # Another room, or the main room while theirs is open: Mend refuses.
    for room in (second, None):
        ack = by_name[someone].call("video:ticket", {"room": room})
        assert not ack["ok"] and ack["error"]["code"] == "video_not_your_room"
    # A token for their own room does not open the other one: Janus refuses.
    theirs = ticket(by_name[other], second)
    intruder = visitor(janus, own)
    guest = visitor(janus, theirs)
    try:
        with pytest.raises(JanusRefused, match="Unauthorized"):
            intruder.join(theirs["janus_room"], own["room_token"], own["feed"])
        assert guest.join(theirs["janus_room"], theirs["room_token"], theirs["feed"], other)["videoroom"] == "joined"
        assert in_room(janus, theirs["janus_room"]) == {other}
    finally:
        intruder.close()
        guest.close()

    # The facilitator drops in to any room, and its members are told.
    drop_in = ticket(console, second)
    assert drop_in["janus_room"] == tokens.breakout_room(second) and drop_in["display"] == "Demo Facilitator"
    member = by_name[other]
    wait_until(lambda: any(e == "video:visitor" and p["here"] for e, p in member.received))
    assert not any(e == "video:visitor" for e, _ in by_name[someone].received)
    assert console.call("video:leave", {"room": second})["ok"]
    wait_until(lambda: any(e == "video:visitor" and not p["here"] for e, p in member.received))

    # Closing the rooms destroys them in Janus; everyone's ticket is for the main room again.
    state = console.call("snapshot")["state"]
    assert console.call("breakout:close", {"version": state["version"], "round": round_["id"]})["ok"]
    wait_until(
        lambda: (
            not admin(janus).exists(tokens.breakout_room(first))
            and not admin(janus).exists(tokens.breakout_room(second))
        )
    )
    assert ticket(by_name[someone])["janus_room"] == tokens.main_room(group.cohort_id)


def test_a_removed_participant_is_dropped_from_the_media_room_and_cannot_come_back(server, demo_login, clients, janus):
    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo"))
    use_janus(group)
    ash_ticket = ticket(people[0])
    ash = visitor(janus, ash_ticket)
    try:
        ash.join(ash_ticket["janus_room"], ash_ticket["room_token"], ash_ticket["feed"], "Ash")
        assert "Ash" in in_room(janus, ash_ticket["janus_room"])
        # A participant's feed is 2 × their id + 1 (sessions/video/janus.py).
        participant = (ash_ticket["feed"] - 1) // 2
        assert console.call("participant:remove", {"participant": participant})["ok"]
        wait_until(lambda: "Ash" not in in_room(janus, ash_ticket["janus_room"]))
    finally:
        ash.close()
    # Their token, still signed and unexpired, no longer opens the room.
    again = visitor(janus, ash_ticket)
    try:
        with pytest.raises(JanusRefused, match="Unauthorized"):
            again.join(ash_ticket["janus_room"], ash_ticket["room_token"], ash_ticket["feed"])
    finally:
        again.close()

    # The session ends: its main room goes from Janus.
    assert admin(janus).exists(ash_ticket["janus_room"])
    version = console.call("snapshot")["state"]["version"]
    assert console.call("session:end", {"version": version})["ok"]
    wait_until(lambda: not admin(janus).exists(ash_ticket["janus_room"]))


def test_a_jitsi_organisation_gives_each_person_their_rooms_address_with_a_token(server, demo_login, clients):
    import jwt

    group, console, people = started_group(server, demo_login, clients, names=("Ash", "Bo"))
    settings = {"provider": "jitsi", "link_template": "meet.example.org/{room}", "jitsi_app_id": "mend"}
    refused = group.facilitator.post_form("/settings/video", settings, token_from="/settings")
    assert refused.status_code == 400 and "starting with https://" in refused.text
    secret = "a-jitsi-application-secret-of-32-bytes-or-more"
    settings |= {"link_template": "https://meet.example.org/{room}", "jitsi_secret": secret}
    assert group.facilitator.post_form("/settings/video", settings, token_from="/settings").status_code == 302
    meets_online(group)
    # The secret is kept sealed: the settings page never shows it again.
    assert secret not in group.facilitator.get("/settings").text

    tickets = [ticket(client) for client in (people[0], people[1], console)]
    addresses = {t["url"].split("?jwt=")[0] for t in tickets}
    assert len(addresses) == 1 and all(t["embed"] for t in tickets)
    claims = [jwt.decode(t["url"].split("?jwt=")[1], secret, algorithms=["HS256"], audience="jitsi") for t in tickets]
    assert [c["context"]["user"]["name"] for c in claims] == ["Ash", "Bo", "Demo Facilitator"]
    assert [c["moderator"] for c in claims] == [False, False, True]
    assert {c["room"] for c in claims} == {addresses.pop().rsplit("/", 1)[1]}
    page = group.participants[0].get(f"/g/{group.public_id}")
    assert "frame-src https://meet.example.org" in page.headers["Content-Security-Policy"]
