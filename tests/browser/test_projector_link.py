"""The projector link in the browser: a facilitator makes one on the cohort page, a screen in the room
opens it and shows the projector view, and revoking it clears that screen at once."""

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, axe_violations, screenshot, start_session


def test_a_screen_paired_by_link_shows_the_room_until_revoked(open_page, demo_cohort):
    facilitator, _phone, _join_url = demo_cohort
    cohort_page = facilitator.url
    facilitator.click("text=Make a projector link")
    expect(facilitator.locator("h1")).to_have_text("Projector link")
    link = facilitator.locator("#projector-url").input_value()
    assert "/s/" in link
    assert axe_violations(facilitator) == [], "projector link, just made"

    screen = open_page(DESKTOP)
    screen.goto(link)
    expect(screen.locator("h1")).to_have_text("Use this screen as the projector?")
    assert axe_violations(screen) == [], "opening a projector link"
    screen.click("text=Show the projector view here")
    screen.wait_for_url("**/screen/**")
    expect(screen.locator("#lobby")).to_be_hidden()
    expect(screen.locator("#online")).to_contain_text("joined")
    expect(screen.locator(".site-header nav")).to_have_count(0)

    facilitator.goto(cohort_page)
    start_session(facilitator)
    expect(screen.locator("#slide")).not_to_be_empty()
    assert axe_violations(screen) == [], "paired projector"
    screenshot(screen, "projector-paired")

    facilitator.goto(cohort_page)
    expect(facilitator.locator("#projector-link-state")).to_have_text("A projector link is active.")
    facilitator.click("text=Revoke the projector link")
    expect(facilitator.locator(".flash")).to_contain_text("The projector link is revoked")
    expect(screen.locator("#connection-banner")).to_have_text(
        "This screen no longer shows the group. A facilitator can make a new projector link for it."
    )
    expect(screen.locator("#slide")).to_be_empty()
