"""Janus, driven from Mend's server: its VideoRoom plugin's rooms for a cohort's main room and for
each breakout room, and the signed tokens that let one person into one room.

Janus runs in signed-token mode (`token_auth_secret`, docs/deployment.md): every request a browser
sends carries a core token, and every join a room token that names the room, both signed by the
secret Janus and Mend share and both with an expiry that Janus checks itself. Rooms are created with
`signed_tokens` (a token for another room is refused), `require_pvtid` (only someone who joined can
subscribe, and kicking them ends their subscriptions too) and an `allowed` list, from which Mend
takes a removed participant's tokens before it kicks them, so that theirs stop working at once.

Tokens are a pure function of the room, the person and an hourly expiry: Mend stores none, and can
name every token it may have given someone when it has to take them back. Room secrets are derived
the same way from Mend's own secret key. Server-side requests go to Janus's admin API
(`message_plugin`), which answers synchronously.
"""

import base64
import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests

VIDEOROOM = "janus.plugin.videoroom"
# A token is valid for at least this long (a session and then some), and at most an hour more.
TOKEN_HOURS = 6
# Room ids: a cohort's main room and a breakout room live in two ranges of Janus's numeric ids.
MAIN_ROOMS = 10**12
BREAKOUT_ROOMS = 2 * 10**12
# Janus's VideoRoom error codes that Mend expects.
NO_SUCH_ROOM = 426
ROOM_EXISTS = 427
NO_SUCH_FEED = 428


class JanusError(Exception):
    """Janus refused a request, or could not be reached."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def main_room(cohort_id: int) -> int:
    return MAIN_ROOMS + cohort_id


def breakout_room(room_id: int) -> int:
    return BREAKOUT_ROOMS + room_id


def participant_feed(participant_id: int) -> int:
    """The id a participant publishes under in every room (Mend gives it, so Mend can kick it)."""
    return 2 * participant_id + 1


def facilitator_feed(user_id: int) -> int:
    return 2 * user_id


def expiry_for(moment: float) -> int:
    """The expiry of tokens issued at `moment`: the next full hour, plus TOKEN_HOURS."""
    return (math.floor(moment / 3600) + 1 + TOKEN_HOURS) * 3600


def expiries_valid_at(moment: float) -> list[int]:
    """Every expiry a token issued up to `moment` may carry and still be valid at `moment`."""
    latest = expiry_for(moment)
    return [latest - hours * 3600 for hours in range(TOKEN_HOURS + 1)]


def sign(secret: str, expiry: int, realm: str, *descriptors: str) -> str:
    """A Janus signed token: `expiry,realm,descriptors:base64(HMAC-SHA1(secret, that))`."""
    data = ",".join([str(expiry), realm, *descriptors])
    signature = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(signature).decode()}"


def core_token(secret: str, expiry: int) -> str:
    """What a browser sends with every request to Janus: it may use the VideoRoom plugin."""
    return sign(secret, expiry, "janus", VIDEOROOM)


def room_token(secret: str, expiry: int, room: int, feed: int) -> str:
    """What a browser sends to join `room` as `feed` (the VideoRoom checks `room=` itself)."""
    return sign(secret, expiry, VIDEOROOM, f"room={room}", f"feed={feed}")


def room_secret(key: str, room: int) -> str:
    return hmac.new(key.encode(), f"janus-room:{room}".encode(), hashlib.sha256).hexdigest()


def turn_credentials(secret: str, expiry: int, feed: int) -> tuple[str, str]:
    """Time-limited TURN credentials in coturn's `use-auth-secret` scheme (the TURN REST API)."""
    username = f"{expiry}:mend-{feed}"
    password = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    return username, password


@dataclass
class VideoRoomAdmin:
    """Requests to the VideoRoom plugin through Janus's admin API."""

    admin_url: str
    admin_secret: str
    # Janus's `admin_key` of the VideoRoom (only who knows it may create rooms).
    admin_key: str
    # What room secrets are derived from (Mend's secret key).
    secret_key: str
    timeout: float = 5.0

    def request(self, body: dict) -> dict:
        message: dict[str, Any] = {
            "janus": "message_plugin",
            "plugin": VIDEOROOM,
            "transaction": secrets.token_hex(8),
            "admin_secret": self.admin_secret,
            "request": body,
        }
        try:
            answer = requests.post(self.admin_url, json=message, timeout=self.timeout).json()
        except (requests.RequestException, ValueError) as failure:
            raise JanusError(f"Janus could not be reached: {failure}") from None
        if answer.get("janus") != "success":
            error = answer.get("error", {})
            raise JanusError(error.get("reason", "Janus refused the request"), error.get("code"))
        response = answer.get("response", {})
        if "error_code" in response:
            raise JanusError(response.get("error", "VideoRoom refused the request"), response["error_code"])
        return response

    def _secret(self, room: int) -> str:
        return room_secret(self.secret_key, room)

    def ensure_room(self, room: int, description: str, publishers: int) -> None:
        """Create the room unless it exists: tokens checked, private ids required, nothing recorded."""
        try:
            self.request(
                {
                    "request": "create",
                    "admin_key": self.admin_key,
                    "room": room,
                    "description": description,
                    "secret": self._secret(room),
                    "is_private": True,
                    "publishers": publishers,
                    "allowed": [],
                    "signed_tokens": True,
                    "require_pvtid": True,
                    "notify_joining": True,
                    "record": False,
                    "bitrate": 256000,
                    "audiolevel_event": False,
                }
            )
        except JanusError as failure:
            if failure.code != ROOM_EXISTS:
                raise

    def allow(self, room: int, tokens: list[str]) -> None:
        self.request(
            {"request": "allowed", "secret": self._secret(room), "room": room, "action": "add", "allowed": tokens}
        )

    def disallow(self, room: int, tokens: list[str]) -> None:
        try:
            self.request(
                {
                    "request": "allowed",
                    "secret": self._secret(room),
                    "room": room,
                    "action": "remove",
                    "allowed": tokens,
                }
            )
        except JanusError as failure:
            if failure.code != NO_SUCH_ROOM:
                raise

    def kick(self, room: int, feed: int) -> bool:
        """Drop `feed` from the room (and, the room requiring private ids, what it subscribed to)."""
        try:
            self.request({"request": "kick", "secret": self._secret(room), "room": room, "id": feed})
        except JanusError as failure:
            if failure.code in (NO_SUCH_ROOM, NO_SUCH_FEED):
                return False
            raise
        return True

    def participants(self, room: int) -> list[dict]:
        try:
            return self.request({"request": "listparticipants", "room": room}).get("participants", [])
        except JanusError as failure:
            if failure.code == NO_SUCH_ROOM:
                return []
            raise

    def exists(self, room: int) -> bool:
        return bool(self.request({"request": "exists", "room": room}).get("exists"))

    def destroy(self, room: int) -> None:
        try:
            self.request({"request": "destroy", "secret": self._secret(room), "room": room})
        except JanusError as failure:
            if failure.code != NO_SUCH_ROOM:
                raise


def now() -> float:
    return time.time()
