"""End to end in Chromium: a facilitator runs week 1 with three participants, one on a phone."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, join, screenshot, sign_in

REFUSED = "This connection could not be identified. Open your group link again."


def create_cohort(page) -> str:
    """Create a cohort from the built-in course through the form; return its join link."""
    page.goto("/cohorts/new")
    page.fill("#name", "Browser group")
    page.fill("#start_date", "2026-11-02")
    page.select_option("#weekday", "0")
    page.fill("#start_time", "18:30")
    zone = page.get_by_role("combobox", name="Time zone (type a city to search)")
    zone.fill("Dublin")
    zone.press("Enter")
    page.click("text=Create cohort")
    expect(page.locator("h1")).to_have_text("Browser group")
    return page.locator(".join-url").first.inner_text()


def open_week_one(page) -> None:
    page.click("text=Open in the lobby")
    page.wait_for_url("**/console")
    expect(page.locator("#status")).to_contain_text("Lobby")


def test_a_facilitator_and_three_participants_run_week_one(open_page, demo_login):
    facilitator = open_page(DESKTOP)
    sign_in(facilitator, *demo_login)
    screenshot(facilitator, "desktop-dashboard")
    join_url = create_cohort(facilitator)
    expect(facilitator.locator(".qr svg")).to_be_visible()
    screenshot(facilitator, "desktop-cohort")

    phone = open_page(PHONE)
    phone.goto(join_url)
    screenshot(phone, "phone-join")
    join(phone, join_url, "Robin")
    others = [open_page(DESKTOP), open_page(DESKTOP)]
    for page, name in zip(others, ("Sasha", "Kim"), strict=True):
        join(page, join_url, name)
    people = [phone, *others]
    for page in people:
        # A marker that a reload would wipe: participants must never need one.
        page.evaluate("window.__stayed = true")

    open_week_one(facilitator)
    for page in people:
        expect(page.locator("#stage")).to_contain_text("Waiting for Demo Facilitator to begin")
    expect(facilitator.locator("#presence-counts")).to_contain_text("3 online")
    screenshot(phone, "phone-lobby")

    facilitator.click("#start")
    expect(facilitator.locator("#status")).to_have_text("Live")
    titles = []
    for step in range(1, 5):
        expect(facilitator.locator("#position")).to_have_text(f"{step} of 18")
        title = facilitator.locator("#now h2").inner_text()
        titles.append(title)
        for page in people:
            expect(page.locator("#progress")).to_have_text(f"Step {step} of 18")
            expect(page.locator("#stage h2")).to_have_text(title)
        if step == 2:
            screenshot(phone, "phone-slide")
            screenshot(facilitator, "desktop-console")
        facilitator.keyboard.press("ArrowRight")
    assert len(set(titles)) == 4
    for page in people:
        assert page.evaluate("window.__stayed") is True

    projector = facilitator.context.new_page()
    projector.goto(facilitator.get_attribute("a:has-text('Projector view')", "href"))
    expect(projector.locator("#slide h2")).to_have_text(facilitator.locator("#now h2").inner_text())
    expect(projector.locator("#online")).to_have_text("3 joined")
    assert "Robin" not in projector.content()
    screenshot(projector, "desktop-projector")

    facilitator.click("text=End session…")
    facilitator.click("#end-confirm")
    facilitator.wait_for_url("**/cohorts/*")
    expect(facilitator.locator(".runs")).to_contain_text("Week 1: Welcome and safety")
    for page in people:
        expect(page.locator("#stage")).to_contain_text("This session has ended")


def test_a_participant_who_drops_offline_comes_back_to_the_current_step(demo_cohort):
    facilitator, phone, _ = demo_cohort
    open_week_one(facilitator)
    facilitator.click("#start")
    expect(phone.locator("#progress")).to_have_text("Step 1 of 18")

    phone.context.set_offline(True)
    expect(phone.locator("#connection-banner")).to_be_visible()
    expect(phone.locator("#connection-banner")).to_contain_text("Reconnecting")
    screenshot(phone, "phone-reconnecting")
    for position in ("2 of 18", "3 of 18"):
        facilitator.keyboard.press("ArrowRight")
        # On a loaded machine a step change took over 5 s to come back while the phone's socket went.
        expect(facilitator.locator("#position")).to_have_text(position, timeout=15000)
    phone.context.set_offline(False)
    expect(phone.locator("#connection-banner")).to_be_hidden()
    expect(phone.locator("#progress")).to_have_text("Step 3 of 18")

    phone.reload()
    expect(phone.locator("#progress")).to_have_text("Step 3 of 18")
    expect(phone.locator(".live-bar .eyebrow")).to_contain_text("Robin")
    expect(facilitator.locator("#presence-list")).to_contain_text("Robin")


def test_a_participant_whose_cookie_is_gone_is_told_to_open_their_link_again(demo_cohort):
    """A reconnection the server refuses says why, and stops, instead of "Reconnecting…" for ever."""
    facilitator, phone, _ = demo_cohort
    open_week_one(facilitator)
    expect(phone.locator("#stage")).to_contain_text("Waiting for Demo Facilitator to begin")
    banner = phone.locator("#connection-banner")

    phone.context.set_offline(True)
    expect(banner).to_contain_text("Reconnecting")
    phone.context.clear_cookies(name=re.compile(r"^mend_p_"))
    assert [c["name"] for c in phone.context.cookies() if c["name"].startswith("mend_p_")] == []
    phone.context.set_offline(False)
    expect(banner).to_have_text(REFUSED)
    expect(banner).to_be_visible()
    assert axe_violations(phone) == [], "refused connection, on a phone"
    screenshot(phone, "phone-connection-refused")

    # Nothing retries a refusal: not the socket, not the network coming back.
    phone.wait_for_timeout(500)
    attempts = []
    phone.on("request", lambda request: attempts.append(request.url) if "/socket.io/" in request.url else None)
    phone.context.set_offline(True)
    phone.context.set_offline(False)
    phone.wait_for_timeout(3000)
    assert attempts == []
    expect(banner).to_have_text(REFUSED)


def test_a_crowd_arriving_at_once_is_told_they_will_be_in_shortly(demo_cohort, console_errors):
    """A first connection the server cannot take yet is tried again, politely, instead of failing."""
    facilitator, phone, _ = demo_cohort
    open_week_one(facilitator)
    group_url = phone.url
    attempts = []

    def busy(route) -> None:
        # As a server whose listen queue is full looks to the browser: the connection fails.
        attempts.append(route.request.url)
        route.abort("connectionrefused")

    phone.route("**/socket.io/**", busy)
    phone.goto(group_url)
    banner = phone.locator("#connection-banner")
    expect(banner).to_have_text("Lots of people are arriving. You'll be in shortly.")
    expect(banner).to_be_visible()
    assert axe_violations(phone) == [], "arriving, on a phone"
    screenshot(phone, "phone-arriving")
    # It keeps trying, with pauses between the attempts rather than a flood of them.
    phone.wait_for_timeout(4000)
    assert 2 <= len(attempts) <= 6, attempts

    phone.unroute("**/socket.io/**")
    expect(banner).to_be_hidden(timeout=15000)
    expect(phone.locator("#stage")).to_contain_text("Waiting for Demo Facilitator to begin")
    facilitator.click("#start")
    expect(phone.locator("#progress")).to_have_text("Step 1 of 18")
    # The refused attempts are the browser's own console lines; nothing else failed.
    refused = [error for error in console_errors if "ERR_CONNECTION_REFUSED" in error]
    assert len(refused) == len(attempts)
    assert all("/socket.io/" in address for address in console_errors.addresses[refused[0]])
    console_errors[:] = [error for error in console_errors if error not in refused]
