"""A breakout room's call for help, as the room sees it: sent, then answered, and never "on its way"
before a facilitator has said so."""

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, axe_violations, join, start_session


def test_a_call_for_help_says_it_was_sent_until_a_facilitator_answers(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    partner = open_page(PHONE)
    join(partner, join_url, "Sasha")
    start_session(facilitator)
    facilitator.locator("#agenda-list li:has(.kind:text-is('breakout')) button").first.click()
    facilitator.get_by_role("button", name="Propose rooms for this exercise").click()
    facilitator.get_by_role("button", name="Open the rooms").click()
    expect(phone.locator("#breakout-phase")).to_contain_text("left in the rooms", timeout=15_000)

    phone.get_by_role("button", name="We need help").click()
    expect(facilitator.locator(".help-flag")).to_contain_text("This room asked for help")
    for page in (phone, partner):
        actions = page.locator(".breakout-actions")
        expect(actions.get_by_role("button", name="Your request was sent")).to_be_disabled()
        expect(actions).to_contain_text("The facilitators have your request.")
        expect(actions).not_to_contain_text("on its way")
    assert axe_violations(phone) == [], "a call for help, sent"

    facilitator.click("text=I'm on my way")
    for page in (phone, partner):
        expect(page.locator(".breakout-actions")).to_contain_text(
            "A facilitator has seen your request and will join you."
        )
        expect(page.locator(".breakout-actions")).not_to_contain_text("Your request was sent")
