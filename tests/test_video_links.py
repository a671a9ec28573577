"""Link-out providers and Janus's signed tokens, without a server: the room addresses Mend gives, the
Jitsi JWT (decoded with PyJWT, its claims checked), and tokens in the form Janus verifies."""

import base64
import hashlib
import hmac
import time

import jwt
import pytest

from sessions.video import janus, linkout

SECRET = "a-jitsi-application-secret-of-32-bytes-or-more"


def test_room_names_are_the_same_for_everyone_in_a_room_and_differ_between_rooms_and_installations():
    main = linkout.room_name("key", "cohort-a", "main")
    assert main == linkout.room_name("key", "cohort-a", "main")
    assert main.startswith("mend-") and len(main) == 25
    others = {
        linkout.room_name("key", "cohort-a", "room-1"),
        linkout.room_name("key", "cohort-b", "main"),
        linkout.room_name("other-key", "cohort-a", "main"),
    }
    assert main not in others and len(others) == 3
    # Nothing of the cohort's public id is in the name.
    assert "cohort" not in main


def test_the_room_address_fills_the_template():
    assert linkout.room_url("https://meet.example.org/{room}", "mend-abc") == "https://meet.example.org/mend-abc"
    assert linkout.room_url("https://bbb.example.org/rooms/", "mend-abc") == "https://bbb.example.org/rooms/mend-abc"
    assert linkout.room_url("https://x.example.org/r/{room}?lang=en", "a b") == "https://x.example.org/r/a%20b?lang=en"


def test_a_jitsi_ticket_carries_a_jwt_for_that_person_and_room_only():
    name = linkout.room_name("key", "cohort-a", "room-7")
    ticket = linkout.ticket(
        "jitsi", "https://meet.example.org/{room}", name, "Robin", "mend-app", SECRET, moderator=False
    )
    assert ticket["provider"] == "jitsi" and ticket["embed"] is True
    address, token = ticket["url"].split("?jwt=")
    assert address == f"https://meet.example.org/{name}"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", issuer="mend-app")
    assert claims["room"] == name
    assert claims["sub"] == "meet.example.org"
    assert claims["context"] == {"user": {"name": "Robin"}}
    assert claims["moderator"] is False
    assert claims["nbf"] <= time.time() < claims["exp"] <= time.time() + linkout.JITSI_TOKEN_SECONDS + 5
    # Another secret does not verify it; an expired one is refused.
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "not-the-secret-but-as-long-as-the-real-one", algorithms=["HS256"], audience="jitsi")
    old = linkout.jitsi_token(
        "mend-app", SECRET, name, "Robin", "meet.example.org", False, issued=time.time() - 5 * 3600
    )
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(old, SECRET, algorithms=["HS256"], audience="jitsi")


def test_a_facilitator_is_a_jitsi_moderator():
    ticket = linkout.ticket(
        "jitsi", "https://meet.example.org/{room}", "mend-x", "Fran", "mend-app", SECRET, moderator=True
    )
    token = ticket["url"].split("?jwt=")[1]
    assert jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")["moderator"] is True


def test_without_token_authentication_jitsi_and_bigbluebutton_get_the_plain_address():
    jitsi = linkout.ticket("jitsi", "https://meet.example.org/{room}", "mend-x", "Robin", None, None, moderator=False)
    assert jitsi["url"] == "https://meet.example.org/mend-x"
    bbb = linkout.ticket(
        "bbb", "https://bbb.example.org/rooms/{room}/join", "mend-x", "Robin", "id", SECRET, moderator=False
    )
    assert bbb == {"provider": "bbb", "url": "https://bbb.example.org/rooms/mend-x/join", "embed": False}


def test_janus_tokens_are_signed_as_janus_checks_them():
    token = janus.room_token("s3cret", 1_900_000_000, janus.breakout_room(5), 11)
    data, signature = token.split(":")
    assert data == f"1900000000,janus.plugin.videoroom,room={janus.breakout_room(5)},feed=11"
    expected = base64.b64encode(hmac.new(b"s3cret", data.encode(), hashlib.sha1).digest()).decode()
    assert signature == expected
    assert janus.core_token("s3cret", 1_900_000_000).startswith("1900000000,janus,janus.plugin.videoroom:")


def test_token_expiries_are_hourly_so_mend_can_name_every_token_it_gave():
    moment = 1_900_000_123.0
    expiry = janus.expiry_for(moment)
    assert expiry % 3600 == 0
    assert moment + janus.TOKEN_HOURS * 3600 < expiry <= moment + (janus.TOKEN_HOURS + 1) * 3600
    # Every token issued in the last TOKEN_HOURS hours and still valid now is among those named.
    for hours_ago in range(janus.TOKEN_HOURS + 1):
        issued = janus.expiry_for(moment - hours_ago * 3600)
        if issued > moment:
            assert issued in janus.expiries_valid_at(moment)


def test_rooms_and_feeds_do_not_collide():
    assert janus.main_room(5) != janus.breakout_room(5)
    assert janus.participant_feed(3) != janus.facilitator_feed(3)
    assert len({janus.participant_feed(n) for n in range(50)} | {janus.facilitator_feed(n) for n in range(50)}) == 100


def test_turn_credentials_follow_coturns_rest_api():
    username, password = janus.turn_credentials("turn-secret", 1_900_000_000, 7)
    assert username == "1900000000:mend-7"
    assert password == base64.b64encode(hmac.new(b"turn-secret", username.encode(), hashlib.sha1).digest()).decode()
