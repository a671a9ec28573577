"""Signing out and changing the password end sessions, against a real server: a cookie copied before
sign-out opens nothing after it, a password change ends every other session, and a signed-out
facilitator's sockets are closed at once and hear nothing more."""

import time

import pytest
import socketio

from tests.live import Browser, LiveClient, create_facilitator, make_group, wait_until
from tests.services import SCALED

# Closing a socket held by another process goes through the message queue: both backends.
BACKENDS = ("sqlite", SCALED)


def copy_of(browser: Browser) -> Browser:
    """Another browser holding the same cookies, as someone who copied them would."""
    copy = Browser(browser.server)
    copy.http.cookies.update(browser.http.cookies)
    copy.http.headers["User-Agent"] = browser.http.headers["User-Agent"]
    return copy


def dashboard_status(browser: Browser) -> int:
    return browser.get("/dashboard", allow_redirects=False).status_code


def sign_out(browser: Browser) -> None:
    response = browser.post_form("/logout", {}, token_from="/dashboard")
    assert response.status_code == 302


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(server, demo_login):
    browser = Browser(server).sign_in(*demo_login)
    copied = copy_of(browser)
    assert dashboard_status(copied) == 200
    sign_out(browser)
    assert dashboard_status(browser) == 302
    assert dashboard_status(copied) == 302
    # Signing in again starts a new session; the copy stays dead.
    Browser(server).sign_in(*demo_login)
    assert dashboard_status(copied) == 302


def test_a_password_change_ends_every_other_session(server):
    email, old, new = "pat@mend.example", "pat's first password", "pat's second password"
    here = create_facilitator(server, email, old, "Demo organisation", name="Pat")
    elsewhere = Browser(server).sign_in(email, old)
    copied = copy_of(here)
    response = here.post_form("/account/password", {"current": old, "new": new, "confirm": new})
    assert response.status_code == 302
    assert dashboard_status(here) == 200
    assert dashboard_status(elsewhere) == 302
    # The browser that changed it holds a new cookie: a copy of the one before no longer works.
    assert dashboard_status(copied) == 302
    assert Browser(server).post_form("/login", {"email": email, "password": old}).status_code == 401
    Browser(server).sign_in(email, new)


def test_a_signed_out_facilitators_sockets_close_at_once_and_hear_nothing(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash", "Bo"))
    console = LiveClient(server, group.facilitator, group.public_id, "facilitator", reconnection=False)
    projector = LiveClient(server, group.facilitator, group.public_id, "projector", reconnection=False)
    ash = LiveClient(server, group.participants[0], group.public_id, "participant")
    clients.extend([console, projector, ash])

    # Signing out on another device ends this browser's session too, sockets and all.
    sign_out(Browser(server).sign_in(*demo_login))
    wait_until(lambda: not console.client.connected and not projector.client.connected, timeout=2)
    heard = len(console.received), len(projector.received)

    # A facilitator who is still signed in hears what follows: a pause signal and a new name.
    still_in = LiveClient(server, Browser(server).sign_in(*demo_login), group.public_id, "facilitator")
    clients.append(still_in)
    assert ash.call("pause:raise", {})["ok"]
    cy = LiveClient(server, Browser(server).join(group.join_code, "Cy"), group.public_id, "participant")
    clients.append(cy)
    wait_until(lambda: still_in.events("safety:signals"))
    wait_until(lambda: any("Cy" in str(people) for people in still_in.events("presence")))
    time.sleep(1)
    assert (len(console.received), len(projector.received)) == heard

    # The old cookie cannot open a socket again either.
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(server, group.facilitator, group.public_id, "facilitator", reconnection=False)
