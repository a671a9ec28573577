"""Link-out providers: an organisation that already runs Jitsi Meet or BigBlueButton gives a room
address template, and Mend hands each person the address of the room they are in now.

Room names are derived from Mend's secret key, so they cannot be guessed from a cohort's public
address. For Jitsi Meet with token authentication (prosody's `token` auth, an application id and
secret), each address carries a JWT for that person and that room only, with the claims Jitsi
checks (`aud`, `iss`, `sub`, `room`, `exp`) and the person's pseudonym. Jitsi allows itself to be
embedded in a frame; a BigBlueButton room opens in a new tab.
"""

import hashlib
import hmac
import time
from urllib.parse import quote, urlsplit

import jwt

# How long a Jitsi token lets someone in (a meeting and then some; Jitsi checks `exp` at joining).
JITSI_TOKEN_SECONDS = 4 * 3600


def room_name(key: str, cohort_key: str, place: str) -> str:
    """`mend-` and 20 letters and digits: the same for everyone in the room, unguessable outside it."""
    digest = hmac.new(key.encode(), f"video-room:{cohort_key}:{place}".encode(), hashlib.sha256).hexdigest()
    return f"mend-{digest[:20]}"


def room_url(template: str, name: str) -> str:
    """The template with `{room}` replaced by the room's name (added at the end without one)."""
    if "{room}" in template:
        return template.replace("{room}", quote(name, safe=""))
    return template.rstrip("/") + "/" + quote(name, safe="")


def jitsi_token(
    app_id: str, secret: str, room: str, display_name: str, domain: str, moderator: bool, issued: float | None = None
) -> str:
    """A JWT for one person in one Jitsi room, signed HS256 with the application's secret."""
    moment = int(time.time() if issued is None else issued)
    claims = {
        "aud": "jitsi",
        "iss": app_id,
        "sub": domain,
        "room": room,
        "iat": moment,
        "nbf": moment - 10,
        "exp": moment + JITSI_TOKEN_SECONDS,
        "context": {"user": {"name": display_name}},
        "moderator": moderator,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def ticket(
    provider: str,
    template: str,
    name: str,
    display_name: str,
    app_id: str | None,
    secret: str | None,
    moderator: bool,
) -> dict:
    """Where to send someone: the room's address (with a token for Jitsi when one is configured), and
    whether the page may embed it in a frame."""
    url = room_url(template, name)
    if provider == "jitsi" and app_id and secret:
        domain = urlsplit(url).hostname or "*"
        token = jitsi_token(app_id, secret, name, display_name, domain, moderator)
        url += ("&" if "?" in url else "?") + f"jwt={token}"
    return {"provider": provider, "url": url, "embed": provider == "jitsi"}
