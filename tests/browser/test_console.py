"""The facilitator's console as a presenter view (issue 18): what the presenter view promises fits
the window, a pause request is on screen whatever is scrolled or open (and in the tab's title), and
a private message reaches only its person's phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, axe_violations, join, screenshot, sign_in, start_session

# What the presenter view promises without scrolling: what participants see, the next step, the
# presenter notes, the timer, the agenda and the step buttons.
PROMISED = ("#now", "#notes-title", "#preview", "#timer-display", "#agenda-list", "#next", "#prev")


def on_screen(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
          const box = document.querySelector(selector).getBoundingClientRect();
          return box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0
            && box.top < window.innerHeight && box.right <= window.innerWidth + 1;
        }""",
        selector,
    )


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (1024, 768)])
def test_the_presenter_view_needs_no_scrolling(open_page, demo_login, width, height):
    facilitator = open_page({"viewport": {"width": width, "height": height}})
    sign_in(facilitator, *demo_login)
    facilitator.click("text=Tuesday evening group")
    start_session(facilitator)
    facilitator.click("#next")
    expect(facilitator.locator("#position")).to_have_text(re.compile(r"^2 of "))
    for selector in PROMISED:
        assert on_screen(facilitator, selector), f"{selector} is not on screen at {width}×{height}"
    overflow = facilitator.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the console scrolls sideways at {width}×{height}"
    if width == 1440:
        # At 1440 × 900 the page itself does not scroll: each column scrolls on its own.
        assert facilitator.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight + 1")
    # The keyboard still steps.
    facilitator.locator("body").press("ArrowRight")
    expect(facilitator.locator("#position")).to_have_text(re.compile(r"^3 of "))
    assert axe_violations(facilitator) == [], f"presenter view at {width}×{height}"
    screenshot(facilitator, f"desktop-console-{width}x{height}")


def test_a_pause_request_cannot_be_missed_whatever_is_scrolled_or_open(open_page, demo_cohort):
    facilitator, phone, _join_url = demo_cohort
    start_session(facilitator)
    title = facilitator.title()
    expect(facilitator.locator("#chime")).not_to_be_checked()  # a sound is the facilitator's choice
    # The facilitator is busy elsewhere: the rooms tab open, the notes and the page scrolled.
    facilitator.click("#tab-rooms")
    facilitator.evaluate(
        "() => { document.querySelector('.presenter-notes').scrollTop = 10000; window.scrollTo(0, 10000); }"
    )

    phone.click("#pause-button")
    expect(facilitator.locator("#signals")).to_contain_text("Robin asked for a pause")
    assert on_screen(facilitator, "#signals .signal"), "the pause request is off screen"
    expect(facilitator.locator("#safety-alert")).to_have_text("Robin asked for a pause.")
    expect(facilitator).to_have_title(re.compile(r"^\(1\) Needs attention · "))
    assert facilitator.evaluate("() => document.querySelector('link[rel~=icon]').href.startsWith('data:image/svg')")
    assert axe_violations(facilitator) == [], "console with a pause request, rooms tab open"
    screenshot(facilitator, "desktop-console-attention")

    # It stays until a facilitator answers; then the title is the console's again.
    facilitator.click("#tab-poll")
    expect(facilitator.locator("#signals")).to_contain_text("Robin asked for a pause")
    facilitator.locator("#signals").get_by_role("button", name="Acknowledge").click()
    expect(facilitator).to_have_title(title)
    expect(phone.locator("#pause-panel")).to_contain_text("Demo Facilitator has seen it")

    # The chime switch is remembered on this device.
    facilitator.check("#chime")
    facilitator.reload()
    expect(facilitator.locator("#chime")).to_be_checked()


def test_a_private_message_reaches_only_its_persons_phone(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    other = open_page(PHONE)
    join(other, join_url, "Sasha")
    start_session(facilitator)
    expect(facilitator.locator("#presence-list")).to_contain_text("Sasha")
    facilitator.locator("#presence-list").get_by_role("button", name="Message Robin").click()
    dialog = facilitator.locator("#message-dialog")
    expect(dialog).to_contain_text("Private message to Robin")
    assert axe_violations(facilitator) == [], "message dialog"
    facilitator.fill("#message-text", "Checking in: take all the time you need.")
    dialog.get_by_role("button", name="Send").click()
    expect(facilitator.locator("#announcer")).to_contain_text("Sent to Robin (1 device)")

    expect(phone.locator("#messages")).to_contain_text("Demo Facilitator: Checking in: take all the time you need.")
    assert axe_violations(phone) == [], "a private message on a phone"
    screenshot(phone, "phone-private-message")
    expect(other.locator("#messages")).to_be_hidden()
    assert "Checking in" not in other.locator("body").inner_text()
    phone.locator("#messages").get_by_role("button", name="OK").click()
    expect(phone.locator("#messages")).to_be_hidden()
