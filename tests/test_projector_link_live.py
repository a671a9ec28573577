"""The projector link against a live server: a screen paired with it shows one cohort's projector view
and connects as its projector, and nothing else; revoking it (or making a new one) ends page and socket."""

import re

import socketio

from tests.live import Browser, LiveClient, make_group, wait_until

LINK = re.compile(r"https?://[^/\"]+(/s/[\w-]+)")


def make_projector_link(facilitator: Browser, cohort_id: int) -> str:
    made = facilitator.post_form(
        f"/cohorts/{cohort_id}/projector-link", {"back": "cohort"}, token_from=f"/cohorts/{cohort_id}"
    )
    assert made.status_code == 200, made.text
    assert made.headers["Cache-Control"] == "no-store"
    return LINK.search(made.text).group(1)


def revoke(facilitator: Browser, cohort_id: int):
    return facilitator.post_form(
        f"/cohorts/{cohort_id}/projector-link/revoke", {"back": "cohort"}, token_from=f"/cohorts/{cohort_id}"
    )


def paired_screen(server, link: str) -> Browser:
    screen = Browser(server)
    # A previewer or prefetcher fetching the link pairs nothing and learns no group's name.
    shown = screen.get(link)
    assert shown.status_code == 200 and "Live test group" not in shown.text
    assert not any(cookie.name.startswith("mend_s_") for cookie in screen.http.cookies)
    paired = screen.post_form(link, {})
    assert paired.status_code == 302, paired.text
    return screen


def refused(server, browser: Browser, cohort: str, role: str) -> bool:
    try:
        LiveClient(server, browser, cohort, role, reconnection=False).close()
    except socketio.exceptions.ConnectionError:
        return True
    return False


def test_a_paired_screen_shows_the_projector_and_nothing_else(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",), open_week=1)
    other = make_group(server, demo_login, names=("Bo",), open_week=None)
    link = make_projector_link(group.facilitator, group.cohort_id)
    screen = paired_screen(server, link)
    assert screen.http.cookies.get(f"mend_s_{group.public_id}")

    page = screen.get(f"/screen/{group.public_id}")
    shown_code = f"{group.join_code[:4]}-{group.join_code[4:]}"  # as the screen shows it, for reading aloud
    assert page.status_code == 200 and "data-live-projector" in page.text and shown_code in page.text
    projector = LiveClient(server, screen, group.public_id, "projector")
    clients.append(projector)
    state = projector.latest
    assert state["session"] and "presence" not in state and "you" not in state

    # Used once, the link is dead: a copy from the screen's history, a chat or a log pairs nothing.
    assert Browser(server).get(link).status_code == 404
    assert Browser(server).post_form(link, {}, token_from="/").status_code == 404
    # The screen is nobody: no console, no facilitator page, no other cohort, no other role.
    for path in (f"/live/{group.live_session_id}/console", f"/live/{group.live_session_id}/projector"):
        assert screen.get(path, allow_redirects=False).headers["Location"].startswith("/login")
    for path in ("/dashboard", f"/cohorts/{group.cohort_id}"):
        assert screen.get(path, allow_redirects=False).headers["Location"].startswith("/login")
    assert screen.get(f"/screen/{other.public_id}").status_code == 404
    assert screen.get(f"/g/{group.public_id}").status_code == 404
    assert refused(server, screen, group.public_id, "facilitator")
    assert refused(server, screen, group.public_id, "participant")
    assert refused(server, screen, other.public_id, "projector")
    command = projector.call("step:go", {"version": state["version"], "position": 1})
    assert command["ok"] is False and command["error"]["code"] == "forbidden"
    # Nor is anyone without the cookie the projector.
    assert Browser(server).get(f"/screen/{group.public_id}").status_code == 404
    assert refused(server, Browser(server), group.public_id, "projector")


def test_revoking_ends_the_screen_at_once_but_not_the_facilitators_own_view(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",), open_week=1)
    screen = paired_screen(server, make_projector_link(group.facilitator, group.cohort_id))
    projector = LiveClient(server, screen, group.public_id, "projector")
    own_view = LiveClient(server, group.facilitator, group.public_id, "projector")
    clients.extend([projector, own_view])

    assert revoke(group.facilitator, group.cohort_id).status_code == 302
    wait_until(lambda: not projector.client.connected, timeout=5)
    assert screen.get(f"/screen/{group.public_id}").status_code == 404
    assert refused(server, screen, group.public_id, "projector")
    # The facilitator's own projector view is theirs, not the link's.
    assert own_view.client.connected
    assert group.facilitator.get(f"/live/{group.live_session_id}/projector").status_code == 200
    assert group.facilitator.get(f"/screen/{group.public_id}").status_code == 200


def test_a_new_link_unpairs_the_old_screen(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",), open_week=1)
    first = make_projector_link(group.facilitator, group.cohort_id)
    old_screen = paired_screen(server, first)
    projector = LiveClient(server, old_screen, group.public_id, "projector")
    clients.append(projector)
    unused = make_projector_link(group.facilitator, group.cohort_id)
    wait_until(lambda: not projector.client.connected, timeout=5)
    assert old_screen.get(f"/screen/{group.public_id}").status_code == 404
    newest = make_projector_link(group.facilitator, group.cohort_id)
    assert Browser(server).get(unused).status_code == 404
    paired_screen(server, newest)


def test_only_the_cohorts_facilitators_make_or_revoke_its_link(server, demo_login):
    group = make_group(server, demo_login, names=("Ash",), open_week=None)
    ash = group.participants[0]
    token = ash.token(f"/g/{group.public_id}")
    for path in (f"/cohorts/{group.cohort_id}/projector-link", f"/cohorts/{group.cohort_id}/projector-link/revoke"):
        answer = ash.http.post(server.url + path, data={"csrf_token": token}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
