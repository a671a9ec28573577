"""Who may see and hear whom: the video room each person is in now, the ticket that lets them into
it, and what Mend tells Janus when rooms close or someone is removed.

A participant is in their breakout room while its round runs (from the notice until everyone is
back), and in the cohort's main room otherwise; a facilitator is in the main room, or drops into any
room of the open round. A ticket names one room: asking for any other room is refused by Mend, and a
token for another room is refused by Janus. Functions here read rows and call Janus; they change no
row, so nothing is committed for them. Janus is called after a change is committed (`after_commit`),
never inside it.
"""

import logging

from flask import current_app

from extensions import db
from facilitation import mail
from facilitation.models import Cohort, Participant, User
from refusals import Refusal
from sessions.breakouts import operations as breakouts
from sessions.breakouts.models import BreakoutRound
from sessions.live.models import LiveSession
from sessions.realtime.plumbing import Caller
from sessions.video import janus, linkout
from sessions.video.models import VideoCohort, VideoSetting

log = logging.getLogger(__name__)


def setting_of(organisation_id: int) -> VideoSetting | None:
    return db.session.get(VideoSetting, organisation_id)


def meets_online(cohort: Cohort) -> bool:
    """Whether the cohort's facilitators said it meets online (its page on the dashboard)."""
    return db.session.get(VideoCohort, cohort.id) is not None


def organisation_provider(organisation_id: int) -> str:
    """off, janus, jitsi or bbb: what the organisation chose (Janus only when Mend is set up to drive one)."""
    setting = setting_of(organisation_id)
    provider = setting.provider if setting is not None else "off"
    if provider == "janus" and not janus_configured():
        return "off"
    return provider


def provider_of(cohort: Cohort) -> str:
    """The organisation's provider for a cohort that meets online; off for one that meets in person."""
    return organisation_provider(cohort.organisation_id) if meets_online(cohort) else "off"


def janus_configured() -> bool:
    config = current_app.config
    return bool(config.get("MEND_JANUS_ADMIN_URL") and config.get("MEND_JANUS_TOKEN_SECRET"))


def admin() -> janus.VideoRoomAdmin:
    config = current_app.config
    return janus.VideoRoomAdmin(
        admin_url=config["MEND_JANUS_ADMIN_URL"],
        admin_secret=config.get("MEND_JANUS_ADMIN_SECRET") or "",
        admin_key=config.get("MEND_JANUS_ADMIN_KEY") or "",
        secret_key=config["SECRET_KEY"],
    )


def _open_round(live: LiveSession) -> BreakoutRound | None:
    round_ = breakouts.current_round(live) if live.status == "live" else None
    if round_ is None or round_.status != "running" or breakouts.phase(round_, breakouts.now()) == "ended":
        return None
    return round_


def place_of(live: LiveSession, participant_id: int) -> int | None:
    """The breakout room a participant is in now (its id), or None for the main room."""
    round_ = _open_round(live)
    room = breakouts.room_of(round_, participant_id) if round_ is not None else None
    return room.id if room is not None else None


def _where(caller: Caller, live: LiveSession, room_id: int | None) -> tuple[int, str, int]:
    """The Janus room `caller` may enter for `room_id` (None: the main room), its description and the
    number of people who may publish in it."""
    cohort = db.session.get_one(Cohort, caller.cohort_id)
    everyone = len(cohort.participants) + 8
    if caller.role == "participant":
        here = place_of(live, caller.joined_participant_id)
        if here != room_id:
            raise Refusal("video_not_your_room")
    if room_id is None:
        return janus.main_room(cohort.id), "Main room", everyone
    round_ = _open_round(live)
    room = next((room for room in round_.rooms if room.id == room_id), None) if round_ is not None else None
    if round_ is None or room is None:
        raise Refusal("no_room")
    return janus.breakout_room(room.id), f"Room {room.number}", round_.group_size + 6


def ticket(caller: Caller, live: LiveSession, room_id: int | None) -> dict:
    """What the caller's browser needs to join their video room now (see the module's docstring)."""
    cohort = db.session.get_one(Cohort, caller.cohort_id)
    provider = provider_of(cohort)
    if provider == "off":
        raise Refusal("video_off")
    if caller.role == "participant":
        person = db.session.get_one(Participant, caller.joined_participant_id)
        name, feed = person.display_name, janus.participant_feed(person.id)
    else:
        user = db.session.get_one(User, caller.signed_in_user_id)
        name, feed = user.name, janus.facilitator_feed(user.id)
    if provider != "janus":
        setting = setting_of(cohort.organisation_id)
        assert setting is not None
        place = _link_place(caller, live, room_id)
        return linkout.ticket(
            provider,
            setting.link_template or "",
            linkout.room_name(current_app.config["SECRET_KEY"], cohort.public_id, place),
            name,
            setting.jitsi_app_id,
            mail.open_password(setting.jitsi_secret_sealed),
            moderator=caller.role == "facilitator",
        ) | {"room": room_id}
    room, description, publishers = _where(caller, live, room_id)
    config = current_app.config
    secret = config["MEND_JANUS_TOKEN_SECRET"]
    expiry = janus.expiry_for(janus.now())
    token = janus.room_token(secret, expiry, room, feed)
    server = admin()
    try:
        server.ensure_room(room, description, publishers)
        server.allow(room, [token])
    except janus.JanusError:
        log.exception("Janus refused a room")
        raise Refusal("video_unavailable") from None
    return {
        "provider": "janus",
        "server": config.get("MEND_JANUS_PUBLIC_URL") or config["MEND_JANUS_ADMIN_URL"],
        "token": janus.core_token(secret, expiry),
        "janus_room": room,
        "room": room_id,
        "room_token": token,
        "feed": feed,
        "display": name,
        "expires_at": expiry * 1000,
        "ice_servers": ice_servers(expiry, feed),
    }


def _link_place(caller: Caller, live: LiveSession, room_id: int | None) -> str:
    """The name of a link-out room: `main`, or `room-<id>` for a breakout room the caller may enter."""
    if caller.role == "participant" and place_of(live, caller.joined_participant_id) != room_id:
        raise Refusal("video_not_your_room")
    if room_id is None:
        return "main"
    round_ = _open_round(live)
    if round_ is None or all(room.id != room_id for room in round_.rooms):
        raise Refusal("no_room")
    return f"room-{room_id}"


def ice_servers(expiry: int, feed: int) -> list[dict]:
    """STUN and TURN servers for the browser: coturn with time-limited credentials, when configured."""
    config = current_app.config
    servers: list[dict] = []
    if config.get("MEND_STUN_URLS"):
        servers.append({"urls": config["MEND_STUN_URLS"]})
    if config.get("MEND_TURN_URLS") and config.get("MEND_TURN_SECRET"):
        username, credential = janus.turn_credentials(config["MEND_TURN_SECRET"], expiry, feed)
        servers.append({"urls": config["MEND_TURN_URLS"], "username": username, "credential": credential})
    return servers


# Closing rooms and removing people: after the change is committed --------------------------------------


def close_breakout_rooms(room_ids: list[int]) -> None:
    """Destroy the Janus rooms of a round's rooms: everyone in them is sent back by their page."""
    if not janus_configured():
        return
    server = admin()
    for room_id in room_ids:
        try:
            server.destroy(janus.breakout_room(room_id))
        except janus.JanusError:
            log.exception("Janus did not destroy a room")


def close_if_over(round_id: int, room_ids: list[int]) -> None:
    """After a recall's deadline: destroy the rooms unless the round was given more time meanwhile."""
    round_ = db.session.get(BreakoutRound, round_id)
    if round_ is None or breakouts.phase(round_, breakouts.now()) == "ended":
        close_breakout_rooms(room_ids)


def close_main_room(cohort_id: int) -> None:
    if not janus_configured():
        return
    try:
        admin().destroy(janus.main_room(cohort_id))
    except janus.JanusError:
        log.exception("Janus did not destroy a room")


def drop(cohort_id: int, participant_id: int, room_ids: list[int]) -> None:
    """Someone was removed: every token Mend may have given them stops working in the main room and in
    `room_ids`, and they are kicked from each (with what they subscribed to)."""
    if not janus_configured():
        return
    secret = current_app.config["MEND_JANUS_TOKEN_SECRET"]
    feed = janus.participant_feed(participant_id)
    server = admin()
    for room in [janus.main_room(cohort_id), *(janus.breakout_room(room_id) for room_id in room_ids)]:
        tokens = [janus.room_token(secret, expiry, room, feed) for expiry in janus.expiries_valid_at(janus.now())]
        try:
            server.disallow(room, tokens)
            server.kick(room, feed)
        except janus.JanusError:
            log.exception("Janus did not drop a removed participant")
