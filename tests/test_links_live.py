"""Links that can be taken back, against a live server: the one-time personal link (rotation and
replay), forgetting a device, and what the browser is told to clear."""

import re

import pytest
import socketio

from tests.live import Browser, LiveClient, make_group, wait_until

LINK = re.compile(r"https?://[^/\"]+(/p/[\w-]+)")


def make_personal_link(browser: Browser, public_id: str) -> str:
    """Press "Make a personal link" on the group page: the link's path, as the page shows it once."""
    made = browser.post_form(f"/g/{public_id}/link", {}, token_from=f"/g/{public_id}")
    assert made.status_code == 200, made.text
    assert made.headers["Cache-Control"] == "no-store"
    return LINK.search(made.text).group(1)


def use_link(browser: Browser, link: str, dead: bool = False):
    """Open a personal link and press its button, as a person does (or, for a `dead` link, which shows
    no button, post as a replay would)."""
    return browser.post_form(link, {}, token_from="/" if dead else link)


def rejoin_cookie(browser: Browser, public_id: str) -> str | None:
    return browser.http.cookies.get(f"mend_p_{public_id}")


def replaying(server, public_id: str, secret: str) -> Browser:
    """Another browser holding a copy of a rejoin cookie."""
    copy = Browser(server)
    copy.http.cookies.set(f"mend_p_{public_id}", secret)
    return copy


def test_the_group_page_never_shows_the_cookies_secret(server, demo_login):
    group = make_group(server, demo_login, names=("Ash",), open_week=None)
    ash = group.participants[0]
    secret = rejoin_cookie(ash, group.public_id)
    page = ash.get(f"/g/{group.public_id}").text
    assert secret not in page and "/p/" not in page
    link = make_personal_link(ash, group.public_id)
    assert secret not in link


def test_a_used_link_is_dead_and_signs_out_the_old_cookie(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",), open_week=1)
    phone = group.participants[0]
    old_secret = rejoin_cookie(phone, group.public_id)
    on_phone = LiveClient(server, phone, group.public_id, "participant")
    clients.append(on_phone)
    link = make_personal_link(phone, group.public_id)

    # A link previewer fetching the link uses nothing up and learns no name.
    preview = Browser(server).get(link)
    assert preview.status_code == 200 and "Ash" not in preview.text and "Live test group" not in preview.text

    laptop = Browser(server)
    opened = use_link(laptop, link)
    assert opened.status_code == 302 and opened.headers["Location"] == f"/g/{group.public_id}"
    new_secret = rejoin_cookie(laptop, group.public_id)
    assert new_secret and new_secret != old_secret
    assert "Welcome back, Ash" in laptop.get(f"/g/{group.public_id}").text

    # Used once, the link is dead: a replay from history, a log or a previewer gets the 404 page.
    assert Browser(server).get(link).status_code == 404
    assert use_link(Browser(server), link, dead=True).status_code == 404
    assert laptop.get(link).status_code == 404
    # The phone's cookie, and any copy of it, opens nothing any more, and its socket is closed.
    wait_until(lambda: not on_phone.client.connected)
    assert phone.get(f"/g/{group.public_id}").status_code == 404
    assert replaying(server, group.public_id, old_secret).get(f"/g/{group.public_id}/journal").status_code == 404
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(server, phone, group.public_id, "participant", reconnection=False)
    # The laptop is the one that is in now.
    clients.append(LiveClient(server, laptop, group.public_id, "participant"))


def test_an_old_link_dies_when_a_new_one_is_made(server, demo_login):
    group = make_group(server, demo_login, names=("Ash",), open_week=None)
    ash = group.participants[0]
    first = make_personal_link(ash, group.public_id)
    second = make_personal_link(ash, group.public_id)
    assert first != second
    assert Browser(server).get(first).status_code == 404
    assert use_link(Browser(server), first, dead=True).status_code == 404
    assert rejoin_cookie(ash, group.public_id) is not None
    assert Browser(server).get(second).status_code == 200


def test_forgetting_the_device_leaves_nothing_replayable(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",), open_week=1)
    ash = group.participants[0]
    # Ash came to this device with a personal link: it is in this browser's history.
    used = make_personal_link(ash, group.public_id)
    assert use_link(ash, used).status_code == 302
    secret = rejoin_cookie(ash, group.public_id)
    kept = make_personal_link(ash, group.public_id)
    socket = LiveClient(server, ash, group.public_id, "participant")
    clients.append(socket)

    forgotten = ash.post_form(f"/g/{group.public_id}/forget", {}, token_from=f"/g/{group.public_id}")
    assert forgotten.status_code == 302
    assert forgotten.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert rejoin_cookie(ash, group.public_id) is None
    wait_until(lambda: not socket.client.connected)
    # Nothing from this device's history or cookie jar opens the group or the journal again.
    assert ash.get(used).status_code == 404
    assert ash.get(f"/p/{secret}").status_code == 404
    copy = replaying(server, group.public_id, secret)
    assert copy.get(f"/g/{group.public_id}").status_code == 404
    assert copy.get(f"/g/{group.public_id}/journal").status_code == 404
    # The link Ash made and kept before forgetting brings them back, once.
    assert use_link(Browser(server), kept).status_code == 302


def test_deleting_everything_tells_the_browser_to_clear_its_storage(server, demo_login):
    group = make_group(server, demo_login, names=("Ash",), open_week=None)
    ash = group.participants[0]
    link = make_personal_link(ash, group.public_id)
    deleted = ash.post_form(f"/g/{group.public_id}/journal/delete", {})
    assert deleted.status_code == 302
    # Storage and cache, not every cookie: the person's other groups on this device stay signed in.
    assert deleted.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert Browser(server).get(link).status_code == 404
