"""Who is in the room, in the browser (issue 17): the facilitator turns the waiting room on from the
console, sees a newcomer arrive and lets them in; later removes someone, whose phone says so and
stops; enrolment closed from the cohort page turns the join page away."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, join, screenshot, start_session


def test_the_waiting_room_an_arrival_and_letting_someone_in(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    start_session(facilitator)
    expect(facilitator.locator("#presence-list")).to_contain_text("Robin")
    facilitator.check("#enrolment-waiting")
    expect(facilitator.locator("#announcer")).to_contain_text("The waiting room is on")

    newcomer = open_page(PHONE)
    join(newcomer, join_url, "Sasha")
    # The newcomer's page says where they are, and shows nothing of the session.
    expect(newcomer.locator("#connection-banner")).to_contain_text("You're in the waiting room")
    expect(newcomer.locator("#stage")).not_to_contain_text("Step 1")
    # The console says at once that someone new is waiting.
    expect(facilitator.locator("#arrivals")).to_contain_text("Sasha is waiting to be let in.")
    expect(facilitator.locator("#waiting-list")).to_contain_text("Sasha")
    assert axe_violations(facilitator) == [], "console with someone waiting"
    screenshot(facilitator, "desktop-console-waiting-room")

    facilitator.locator("#waiting-list").get_by_role("button", name="Let in").click()
    expect(facilitator.locator("#presence-list")).to_contain_text("Sasha", timeout=10_000)
    expect(facilitator.locator("#presence-list")).to_contain_text("new")
    # Their page opens by itself, without a reload.
    expect(newcomer.locator("#connection-banner")).to_be_hidden(timeout=10_000)
    expect(newcomer.locator("#progress")).to_contain_text(re.compile(r"Step 1 of \d+"))
    assert axe_violations(newcomer) == [], "let in, on a phone"


def test_removing_someone_ends_their_page_and_keeps_the_room_going(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    other = open_page(PHONE)
    join(other, join_url, "Sasha")
    start_session(facilitator)
    expect(facilitator.locator("#presence-list")).to_contain_text("Sasha")

    row = facilitator.locator("#presence-list li", has_text="Sasha")
    row.get_by_role("button", name="Remove Sasha").click()
    dialog = facilitator.locator("#remove-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Remove Sasha from this group?")
    expect(dialog).to_contain_text("their journal for this group is deleted")
    assert axe_violations(facilitator) == [], "removal dialog"
    facilitator.click("#remove-confirm")

    expect(other.locator("#connection-banner")).to_contain_text("You are no longer part of this group")
    expect(facilitator.locator("#presence-list")).not_to_contain_text("Sasha")
    expect(facilitator.locator("#presence-list")).to_contain_text("Robin")
    assert axe_violations(other) == [], "removed, on a phone"
    screenshot(other, "phone-removed")
    # Robin's session goes on.
    facilitator.click("#next")
    expect(phone.locator("#progress")).to_contain_text(re.compile(r"Step 2 of \d+"))
    # The removed person's page cannot come back: with the same cookies, the group page is not found.
    assert other.context.request.get(other.url).status == 404


def test_enrolment_closed_from_the_cohort_page_turns_the_join_link_away(open_page, demo_cohort):
    facilitator, _phone, join_url = demo_cohort
    facilitator.uncheck("#enrolment_open")
    facilitator.get_by_role("button", name="Save").first.click()
    expect(facilitator.locator("main")).to_contain_text("Enrolment is closed")
    assert axe_violations(facilitator) == [], "cohort page with enrolment closed"
    stranger = open_page(DESKTOP)
    stranger.goto(join_url)
    expect(stranger.locator("main")).to_contain_text("This group is not taking new members")
    expect(stranger.locator("#display_name")).to_have_count(0)
    assert axe_violations(stranger) == [], "join page of a closed group"
