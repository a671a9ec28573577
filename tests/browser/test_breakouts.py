"""A paired exercise in the browser: the facilitator proposes and opens rooms, participants see their
room, partner, role and time, write shared notes together, switch roles, and come back to share."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, join, screenshot, start_session


def test_a_paired_exercise_with_roles_notes_and_recall(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    partner = open_page(DESKTOP)
    join(partner, join_url, "Sasha")
    start_session(facilitator)
    facilitator.locator("#agenda-list li:has(.kind:text-is('breakout')) button").first.click()
    expect(phone.locator("#stage")).to_contain_text("I'd rather sit this one out")
    expect(phone.locator("#stage")).to_contain_text("In groups of 2")

    facilitator.get_by_role("button", name="Propose rooms for this exercise").click()
    expect(facilitator.locator(".room-card")).to_have_count(1)
    expect(facilitator.locator(".room-card")).to_contain_text("Robin")
    expect(phone.locator("#stage")).to_contain_text("Rooms are being arranged")
    facilitator.get_by_role("button", name="Open the rooms").click()

    # A few seconds' notice, then the room: who, as whom, for how long.
    expect(phone.locator("#breakout-phase")).to_contain_text("Rooms open in")
    for page, other in ((phone, "Sasha"), (partner, "Robin")):
        expect(page.locator(".room-line")).to_contain_text(f"You're in Room 1 with {other}")
        expect(page.locator(".role-name")).to_contain_text("You are the")
    expect(phone.locator("#breakout-phase")).to_contain_text("left in the rooms", timeout=15_000)
    first_role = phone.locator(".role-name").inner_text()
    assert axe_violations(phone) == [], "breakout room on a phone"
    screenshot(phone, "phone-breakout-room")

    # Both type into the shared notes; each sees the other's words and keeps their own.
    phone.locator(".notes-pad textarea").click()
    phone.keyboard.type("Robin: reply C put the phone down. ")
    partner.locator(".notes-pad textarea").click()
    partner.keyboard.type("Sasha: reply A felt like a wall.")
    for page in (phone, partner):
        expect(page.locator(".notes-pad textarea")).to_have_value(
            re.compile(r"(?=[\s\S]*Robin: reply C put the phone down\.)(?=[\s\S]*Sasha: reply A felt like a wall\.)")
        )
        expect(page.locator(".notes-pad [role=status]")).to_have_text("Saved")
    facilitator.locator(".room-notes summary").click()
    expect(facilitator.locator(".room-notes")).to_contain_text("Sasha: reply A felt like a wall.")

    facilitator.get_by_role("button", name="Switch roles").click()
    expect(phone.locator(".role-name")).not_to_have_text(first_role)
    facilitator.fill("#breakout-message", "Two more minutes, then come back.")
    facilitator.get_by_role("button", name="Send to all rooms").click()
    expect(partner.locator(".breakout-message")).to_contain_text("Two more minutes, then come back.")

    partner.click("text=We need help")
    expect(facilitator.locator(".help-flag")).to_contain_text("This room asked for help")
    facilitator.click("text=I'm on my way")
    expect(partner.locator(".breakout-actions")).to_contain_text("A facilitator has seen your request")
    screenshot(facilitator, "desktop-console-breakout")
    assert axe_violations(facilitator) == [], "console with rooms open"

    facilitator.get_by_role("button", name="Recall everyone").click()
    expect(phone.locator("#breakout-phase")).to_contain_text("Returning to the main room in")
    facilitator.get_by_role("button", name="Close rooms now").click()
    expect(phone.locator("#stage")).to_contain_text("Welcome back")
    phone.click("text=Share our notes with the group")
    expect(phone.locator("#stage")).to_contain_text("1 of 2 so far")
    partner.click("text=Share our notes with the group")
    for page in (phone, partner):
        expect(page.locator(".shared-notes")).to_contain_text("Sasha: reply A felt like a wall.")
    # From the top of the page: axe counts a link scrolled under the sticky safety bar as too small.
    partner.evaluate("window.scrollTo(0, 0)")
    assert axe_violations(partner) == [], "back in the main room with shared notes"


def test_a_participant_can_sit_an_exercise_out_and_join_after_all(open_page, demo_cohort):
    """Joining after all keeps the exercise's shape: with the only room a full pair, Robin waits until the
    facilitator places them."""
    facilitator, phone, join_url = demo_cohort
    others = [open_page(PHONE), open_page(PHONE)]
    for page, name in zip(others, ("Sasha", "Kim"), strict=True):
        join(page, join_url, name)
    start_session(facilitator)
    facilitator.locator("#agenda-list li:has(.kind:text-is('breakout')) button").first.click()
    phone.click("text=I'd rather sit this one out")
    expect(phone.locator("#stage")).to_contain_text("You're sitting this one out")
    facilitator.get_by_role("button", name="Propose rooms for this exercise").click()
    expect(facilitator.locator(".main-room")).to_contain_text("Robin sitting this one out")
    facilitator.get_by_role("button", name="Open the rooms").click()
    expect(others[0].locator(".room-line")).to_contain_text("You're in Room 1 with Kim")
    expect(phone.locator("#stage")).to_contain_text("You're sitting this one out")
    # The only room is a full pair: Robin waits in the main room, and the console offers them a place.
    phone.click("text=Join a room after all")
    expect(phone.locator("#stage")).to_contain_text("You're in the main room")
    expect(facilitator.locator(".main-room")).to_contain_text("Robin waiting for a room: every room is full for pairs")
    facilitator.get_by_role("button", name="Put Robin in Room 1").click()
    expect(phone.locator(".room-line")).to_contain_text("You're in Room 1 with")
    expect(others[0].locator(".room-line")).to_contain_text("Robin")


def test_someone_left_alone_in_a_pair_is_moved_in_one_click_from_the_console(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    others = [open_page(PHONE) for _ in range(3)]
    for page, name in zip(others, ("Sasha", "Kim", "Lee"), strict=True):
        join(page, join_url, name)
    people = [phone, *others]
    start_session(facilitator)
    facilitator.locator("#agenda-list li:has(.kind:text-is('breakout')) button").first.click()
    facilitator.get_by_role("button", name="Propose rooms for this exercise").click()
    expect(facilitator.locator(".room-card")).to_have_count(2)
    facilitator.get_by_role("button", name="Open the rooms").click()
    for page in people:
        expect(page.locator(".room-line")).to_contain_text("You're in Room")

    # Robin taps "Sit this one out": their partner is told something true, and the console at once.
    robin_room = phone.locator(".room-line").inner_text()
    phone.get_by_role("button", name="Sit this one out").click()
    expect(phone.locator("#stage")).to_contain_text("You're sitting this one out")
    partner = next(page for page in others if page.locator(".room-line").inner_text()[:16] == robin_room[:16])
    expect(partner.locator(".room-line")).to_contain_text("Your partner stepped out")
    expect(partner.locator(".room-line")).to_contain_text("The facilitator knows and will move you in a moment")
    expect(partner.locator(".room-line")).not_to_contain_text("nobody yet")
    partner.evaluate("window.scrollTo(0, 0)")
    assert axe_violations(partner) == [], "alone in a room, on a phone"

    expect(facilitator.locator(".alone-flag")).to_contain_text("is alone in Room")
    call = facilitator.locator("#help-calls .alone-call")
    expect(call).to_contain_text("is alone in Room")
    expect(facilitator).to_have_title(re.compile(r"Needs attention"))
    assert axe_violations(facilitator) == [], "console with someone alone in a room"
    screenshot(facilitator, "desktop-console-alone")
    screenshot(partner, "phone-breakout-alone")
    fix = call.get_by_role("button", name=re.compile(r"^Move \w+ to Room \d$"))
    target = fix.inner_text().rsplit(" ", 1)[1]
    fix.click()

    expect(partner.locator(".room-line")).to_contain_text(f"You're in Room {target} with")
    expect(partner.locator(".room-line")).not_to_contain_text("stepped out")
    expect(facilitator.locator(".alone-flag")).to_have_count(0)
    expect(facilitator.locator("#help-calls .alone-call")).to_have_count(0)
    expect(facilitator).not_to_have_title(re.compile(r"Needs attention"))
    assert axe_violations(facilitator) == [], "console after the fix"
