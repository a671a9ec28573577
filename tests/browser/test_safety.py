"""Safety in the room in the browser: a pause asked for and answered privately, a grounding break
started and ended (and its reduced-motion form), a content-noted slide skipped, crisis support one
tap from every participant page, and a quick exit that leaves no way back to the group page."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, join, screenshot

NOTED_STEP = "When repair work is not the right place to start"


def open_lobby(facilitator) -> None:
    facilitator.click("text=Open in the lobby")
    facilitator.wait_for_url("**/console")


def test_a_pause_request_is_answered_privately(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    other = open_page(PHONE)
    join(other, join_url, "Sasha")
    open_lobby(facilitator)
    expect(phone.locator("#stage")).to_contain_text("Waiting for Demo Facilitator to begin")

    # One tap, from the lobby.
    phone.click("#pause-button")
    expect(phone.locator("#pause-panel")).to_contain_text("Your facilitators know you need a pause")
    expect(phone.locator("#pause-button")).to_be_hidden()
    expect(facilitator.locator("#signals")).to_contain_text("Robin asked for a pause")
    expect(facilitator.locator("#signals")).to_contain_text("in the lobby")
    expect(facilitator.locator("#safety-alert")).to_have_text("Robin asked for a pause.")
    assert axe_violations(facilitator) == [], "console with a pause request"
    screenshot(facilitator, "desktop-console-pause-request")

    facilitator.click("#signals >> text=Take your time; I'll check in with you after.")
    expect(phone.locator("#pause-panel")).to_contain_text(
        "Demo Facilitator has seen it: “Take your time; I'll check in with you after.”"
    )
    expect(facilitator.locator("#signals")).to_contain_text("Demo Facilitator answered privately")
    # Starting and moving on pushes new states, which leave signals and presence to their own events:
    # the console keeps both in view.
    facilitator.click("#start")
    expect(phone.locator("#stage")).not_to_contain_text("Waiting for Demo Facilitator to begin")
    facilitator.click("#next")
    expect(facilitator.locator("#position")).to_have_text(re.compile(r"^2 of "))
    expect(facilitator.locator("#signals")).to_contain_text("Demo Facilitator answered privately")
    expect(facilitator.locator("#presence-list")).to_contain_text("Robin")
    expect(facilitator.locator("#presence-list")).to_contain_text("Sasha")
    assert axe_violations(phone) == [], "pause request answered, on a phone"
    screenshot(phone, "phone-pause-answered")
    # A reload keeps the answer in view.
    phone.reload()
    expect(phone.locator("#pause-panel")).to_contain_text("Take your time; I'll check in with you after.")

    phone.click("text=I'm OK now")
    expect(phone.locator("#pause-button")).to_be_visible()
    expect(phone.locator("#pause-panel")).to_be_hidden()
    expect(facilitator.locator("#signals")).to_contain_text("No one has asked for a pause.")
    facilitator.click("text=Earlier today (1)")
    expect(facilitator.locator("#signals")).to_contain_text("Robin said they are OK now")
    # The rest of the group saw nothing of it.
    expect(other.locator("#pause-panel")).to_be_hidden()
    assert "Robin" not in other.locator("body").inner_text()
    assert "pause" not in other.locator("#stage").inner_text().lower()


def test_a_grounding_break_is_started_and_ended_on_every_screen(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    calm = open_page(PHONE, reduced_motion="reduce")
    join(calm, join_url, "Sasha")
    open_lobby(facilitator)
    facilitator.click("#start")
    slide = facilitator.locator("#agenda-list li:has(.kind:text-is('slide'))").nth(1).locator("button")
    step_title = slide.inner_text()
    slide.click()
    expect(phone.locator("#step-title")).to_have_text(step_title)
    projector = facilitator.context.new_page()
    projector.goto(facilitator.get_attribute("a:has-text('Projector view')", "href"))
    expect(projector.locator("#slide h2")).to_have_text(step_title)

    facilitator.click("#tab-break")
    facilitator.fill("#break-minutes", "2")
    facilitator.fill("#break-in", "3")
    facilitator.fill("#break-out", "5")
    facilitator.get_by_role("button", name="Start a grounding break").click()
    for page in (phone, calm, projector):
        expect(page.locator("#break-title")).to_have_text("Let's take a short pause together")
        expect(page.locator(".senses li")).to_have_count(5)
        expect(page.locator(".break-left")).to_contain_text("left")
    expect(phone.locator(".breath-circle")).to_be_visible()
    expect(phone.locator(".breath-cue")).to_have_text(re.compile(r"^Breathe (in|out)…$"))
    # With reduced motion: no animation, a calm count instead.
    expect(calm.locator(".breathing")).to_be_hidden()
    expect(calm.locator(".breath-cue")).to_have_text(re.compile(r"^Breathe (in|out)… [1-5](, [1-5])*$"))
    expect(calm.locator(".breath-cue")).to_have_text(re.compile(r"^Breathe in… 3, 2$"), timeout=10_000)
    expect(facilitator.locator("#break-running")).to_contain_text("left")
    assert axe_violations(phone) == [], "grounding break on a phone"
    assert axe_violations(calm) == [], "grounding break with reduced motion"
    screenshot(phone, "phone-grounding-break")
    screenshot(projector, "desktop-projector-grounding-break")

    # Someone who reloads during the break comes back into it.
    calm.reload()
    expect(calm.locator("#break-title")).to_be_visible()

    facilitator.get_by_role("button", name="End the break").click()
    for page in (phone, calm):
        expect(page.locator("#step-title")).to_have_text(step_title)
        expect(page.locator("#break-title")).to_have_count(0)
    expect(projector.locator("#slide h2")).to_have_text(step_title)
    expect(facilitator.locator("#break-form")).to_be_visible()


def test_a_grounding_break_ends_by_itself_when_its_time_is_up(open_page, demo_cohort):
    facilitator, phone, _ = demo_cohort
    open_lobby(facilitator)
    facilitator.click("#start")
    expect(facilitator.locator("#position")).to_contain_text("1 of")
    step_title = facilitator.locator("#now h2").inner_text()
    facilitator.click("#tab-break")
    facilitator.fill("#break-minutes", "0.5")
    facilitator.get_by_role("button", name="Start a grounding break").click()
    expect(phone.locator("#break-title")).to_be_visible()
    # No one ends it: at its deadline every screen returns to the step by itself.
    expect(phone.locator("#step-title")).to_have_text(step_title, timeout=40_000)
    expect(facilitator.locator("#break-form")).to_be_visible()


def test_a_participant_skips_a_content_noted_slide(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    other, third = open_page(PHONE), open_page(PHONE)
    join(other, join_url, "Sasha")
    join(third, join_url, "Ash")
    open_lobby(facilitator)
    facilitator.click("#start")
    facilitator.click(f"#agenda-list button:has-text('{NOTED_STEP}')")
    for page in (phone, other):
        expect(page.locator("#note-title")).to_have_text("Before this part: a content note")
        expect(page.locator(".content-note-gate")).to_contain_text("violence, abuse and control")
        assert page.locator("#step-title").count() == 0
    assert axe_violations(phone) == [], "content note on a phone"
    screenshot(phone, "phone-content-note")
    expect(facilitator.locator("#skipped")).to_have_text("0 skipped this part (content note)")

    phone.get_by_role("button", name="Skip this part").click()
    expect(phone.locator("#holding-title")).to_have_text("You're skipping this part")
    other.get_by_role("button", name="Continue").click()
    expect(other.locator("#step-title")).to_have_text(NOTED_STEP)
    # Two choices are fewer than k: the figure would say what one of them chose, so it stays.
    facilitator.wait_for_timeout(4500)
    expect(facilitator.locator("#skipped")).to_have_text("0 skipped this part (content note)")
    third.get_by_role("button", name="Continue").click()
    expect(facilitator.locator("#skipped")).to_have_text("1 skipped this part (content note)", timeout=10_000)
    assert "Robin" not in facilitator.locator("#skipped").inner_text()
    assert axe_violations(phone) == [], "holding screen on a phone"
    # A reload keeps the choice.
    phone.reload()
    expect(phone.locator("#holding-title")).to_be_visible()

    facilitator.click("#next")
    expect(phone.locator("#step-title")).not_to_have_text(NOTED_STEP)
    expect(phone.locator("#holding-title")).to_have_count(0)
    expect(facilitator.locator("#skipped")).to_be_hidden()


def test_crisis_support_is_one_tap_from_every_participant_page(open_page, demo_cohort, console_errors):
    facilitator, phone, join_url = demo_cohort
    # The demo facilitator administers the organisation and adds a line; a bad row is explained.
    facilitator.click("text=Crisis resources")
    facilitator.fill("#lines-0-country", "United Kingdom")
    facilitator.fill("#lines-0-name", "Samaritans")
    facilitator.fill("#lines-0-phone", "116 123")
    facilitator.fill("#lines-0-notes", "Free, day or night")
    facilitator.fill("#lines-1-name", "A line with no way to reach it")
    facilitator.click("text=Save crisis resources")
    expect(facilitator.locator("#lines-1-country-error")).to_contain_text("Say which country")
    expect(facilitator.locator("#lines-1-phone-error")).to_contain_text("at least a phone number")
    # The refused form is answered with 400 on purpose, which the browser logs.
    console_errors.remove("Failed to load resource: the server responded with a status of 400 (BAD REQUEST)")
    assert axe_violations(facilitator) == [], "crisis resources form with errors"
    facilitator.fill("#lines-1-name", "")
    facilitator.click("text=Save crisis resources")
    expect(facilitator.locator(".flash")).to_contain_text("The crisis resources are saved")

    # From the group page (and its lobby), one tap.
    phone.click(".safety-bar >> text=Crisis support")
    expect(phone.locator("h1")).to_have_text("Crisis support")
    expect(phone.locator(".emergency")).to_contain_text("Call your local emergency number")
    expect(phone.locator(".crisis-line")).to_contain_text("Samaritans")
    expect(phone.locator("a[href='tel:116123']")).to_have_text("116 123")
    assert axe_violations(phone) == [], "crisis support page on a phone"
    screenshot(phone, "phone-crisis-support")

    # Before joining (the start page and the join page) it is one tap away too.
    stranger = open_page(PHONE)
    stranger.goto(join_url)
    stranger.click(".safety-bar >> text=Crisis support")
    expect(stranger.locator(".crisis-line")).to_contain_text("Samaritans")
    stranger.goto("/")
    stranger.click(".safety-bar >> text=Crisis support")
    expect(stranger.locator(".emergency")).to_contain_text("112")


def test_quick_exit_leaves_no_way_back_to_the_group_page(open_page, demo_cohort):
    _, phone, _ = demo_cohort
    group_url = phone.url.split("?")[0]
    # A returning participant opens their group page in a tab.
    tab = phone.context.new_page()
    tab.goto(group_url)
    expect(tab.locator("#progress")).to_have_text("Between sessions")
    # Between sessions no one is there to answer a pause request, so the button waits for the lobby.
    expect(tab.locator("#pause-button")).to_be_hidden()
    tab.click("text=Quick exit")
    tab.wait_for_url("**/away")
    assert tab.title() == "New tab"
    assert "Mend" not in tab.content()
    tab.go_back()
    assert "/g/" not in tab.url

    # Escape three times does the same.
    again = phone.context.new_page()
    again.goto(group_url)
    expect(again.locator("#progress")).to_have_text("Between sessions")
    for _ in range(3):
        again.keyboard.press("Escape")
    again.wait_for_url("**/away")
    again.go_back()
    assert "/g/" not in again.url


def test_the_neutral_default_is_shown_when_an_organisation_has_no_lines(open_page, demo_cohort):
    _, phone, _ = demo_cohort
    phone.click(".safety-bar >> text=Crisis support")
    expect(phone.locator(".emergency")).to_contain_text("If you or someone else is in danger right now")
    expect(phone.locator(".crisis-line")).to_have_count(0)
    expect(phone.locator(".support")).to_contain_text("your doctor or a local helpline")
    phone.click("text=Back to the group")
    expect(phone.locator("#progress")).to_have_text("Between sessions")
    desktop = open_page(DESKTOP)
    desktop.goto("/support/not-a-group")
    expect(desktop.locator(".emergency")).to_be_visible()
