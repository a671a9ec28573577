"""Safety at hand on a phone, as people in a group hold it: the safety bar in one row, a grounding
break that comes into view wherever the page was scrolled, emergency numbers one tap from a call,
"I need a pause" from the journal too, and "Forget me on this device" that says what it does first."""

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, axe_violations, screenshot
from tests.browser.test_privacy_words import check_screen

FORGET = "Forget me on this device"
FORGET_WITH_LINK = "Forget me on this device, with a personal link"
FORGET_WITHOUT_LINK = "Forget me on this device, without a personal link"


def open_lobby(facilitator) -> None:
    facilitator.click("text=Open in the lobby")
    facilitator.wait_for_url("**/console")


def one_row(page) -> None:
    """The safety bar's controls sit side by side, none on a row of its own."""
    boxes = [page.locator(selector).bounding_box() for selector in ("#pause-button", ".support-link", ".quick-exit")]
    tops = {round(box["y"]) for box in boxes}
    assert len(tops) == 1, f"the safety bar wraps at {page.viewport_size['width']} px: {boxes}"
    bar = page.locator(".safety-bar").bounding_box()
    assert bar["height"] <= 64, f"the safety bar is {bar['height']} px tall"
    assert all(box["x"] + box["width"] <= page.viewport_size["width"] for box in boxes)


def test_the_safety_bar_is_one_row_on_a_phone(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    open_lobby(facilitator)
    expect(phone.locator("#pause-button")).to_be_visible()
    one_row(phone)
    # Each control keeps its words on one line at 390 px.
    for selector in ("#pause-button", ".support-link", ".quick-exit"):
        assert phone.locator(selector).bounding_box()["height"] <= 48, selector
    # A narrower phone keeps one row too.
    phone.set_viewport_size({"width": 320, "height": 640})
    one_row(phone)
    assert axe_violations(phone) == [], "safety bar at 320 px"
    phone.set_viewport_size(PHONE["viewport"])
    screenshot(phone, "phone-safety-bar")


def test_a_grounding_break_comes_into_view_on_a_scrolled_phone(open_page, demo_cohort):
    facilitator, phone, _ = demo_cohort
    open_lobby(facilitator)
    facilitator.click("#start")
    expect(phone.locator("#step-title")).to_be_visible()
    # Someone reading further down the page (their weeks, the agreement) when the break starts.
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert phone.evaluate("window.scrollY") > 300
    facilitator.click("#tab-break")
    facilitator.get_by_role("button", name="Start a grounding break").click()
    title = phone.locator("#break-title")
    expect(title).to_be_in_viewport()
    # Below the sticky safety bar, not under it, once the (smooth) scroll has settled.
    phone.wait_for_function(
        """() => {
          const top = document.getElementById("break-title").getBoundingClientRect().top;
          const bar = document.querySelector(".safety-bar").getBoundingClientRect().bottom;
          return top >= bar && top < window.innerHeight / 2;
        }""",
        timeout=5_000,
    )
    expect(phone.locator(".breath-cue")).to_be_in_viewport()
    expect(title).to_be_focused()


def test_emergency_numbers_and_lines_are_one_tap_from_a_call(open_page, demo_cohort):
    facilitator, phone, _ = demo_cohort
    facilitator.click("text=Crisis resources")
    facilitator.fill("#lines-0-country", "United Kingdom")
    facilitator.fill("#lines-0-name", "Samaritans")
    facilitator.fill("#lines-0-phone", "116 123")
    facilitator.fill("#lines-1-country", "Anywhere")
    facilitator.fill("#lines-1-name", "A line written as people say it")
    facilitator.fill("#lines-1-phone", "+44 (0) 800-111.222")
    facilitator.click("text=Save crisis resources")
    expect(facilitator.locator(".flash")).to_contain_text("The crisis resources are saved")

    phone.click(".safety-bar >> text=Crisis support")
    for number in ("112", "999", "911", "000"):
        expect(phone.locator(f".emergency a[href='tel:{number}']")).to_contain_text(number)
    expect(phone.locator("a[href='tel:116123']")).to_have_text("116 123")
    # Dialled as digits, with the country code and without the trunk zero written in brackets.
    expect(phone.locator("a[href='tel:+44800111222']")).to_have_text("+44 (0) 800-111.222")
    # Big enough to tap in a hurry.
    for link in phone.locator(".emergency a[href^='tel:'], .crisis-line a[href^='tel:']").all():
        assert link.bounding_box()["height"] >= 44, link.inner_text()
    assert axe_violations(phone) == [], "crisis support with tappable numbers"
    screenshot(phone, "phone-crisis-support")


def test_forget_me_on_this_device_says_what_it_does_before_it_does_it(open_page, demo_cohort):
    _, phone, _ = demo_cohort
    group_url = phone.url.split("?")[0]
    phone.click("text=Forget me on this device")
    expect(phone.locator("h1")).to_have_text("Forget me on this device?")
    # Without a personal link, forgetting costs the journal: the page says so and offers one first.
    expect(phone.locator("main")).to_contain_text("You have no personal link.")
    check_screen(phone, (FORGET, FORGET_WITHOUT_LINK), every_sentence=True)
    assert axe_violations(phone) == [], "forget page, without a personal link"
    screenshot(phone, "phone-forget-device")
    # Changing one's mind changes nothing.
    phone.click("text=Keep me signed in here")
    expect(phone.locator("#progress")).to_have_text("Between sessions")

    # From the journal, locking asks the same.
    phone.click("text=Open my journal")
    phone.click("text=Lock my journal on this device")
    expect(phone.locator("h1")).to_have_text("Forget me on this device?")
    phone.click("text=Make a personal link first")
    expect(phone.locator("h1")).to_have_text("Your personal link")
    phone.click("text=Back to my group")
    phone.click("text=Forget me on this device")
    check_screen(phone, (FORGET, FORGET_WITH_LINK), every_sentence=True)
    assert axe_violations(phone) == [], "forget page, with a personal link"

    phone.locator("main").get_by_role("button", name="Forget me on this device").click()
    phone.wait_for_url("**/")
    # (Asked for in the background: a page that loads with 404 counts as a console error.)
    assert phone.request.get(group_url).status == 404


def test_a_journal_page_can_ask_for_a_pause_without_losing_what_is_written(open_page, demo_cohort):
    facilitator, phone, _ = demo_cohort
    phone.click("text=Open my journal")
    # Between sessions no one is there to answer.
    expect(phone.locator("#pause-button")).to_have_count(0)
    open_lobby(facilitator)
    phone.click("text=Write an entry")
    words = phone.get_by_label("What I want to write")
    words.fill("It got loud in my head when the slide came up.")
    one_row(phone)
    url = phone.url

    phone.click("#pause-button")
    panel = phone.locator("#pause-panel")
    expect(panel).to_contain_text("Your facilitators know you need a pause")
    expect(phone.locator("#pause-button")).to_be_hidden()
    expect(panel.get_by_role("button", name="I'm OK now")).to_be_focused()
    expect(facilitator.locator("#signals")).to_contain_text("Robin asked for a pause")
    # Asked in place: still on the entry, with what was written.
    assert phone.url == url
    expect(words).to_have_value("It got loud in my head when the slide came up.")
    assert axe_violations(phone) == [], "journal page with a pause request"
    screenshot(phone, "phone-journal-pause")

    # The answer reaches the page the person is on, and is said aloud to a screen reader.
    facilitator.click("#signals >> text=Take your time; I'll check in with you after.")
    expect(facilitator.locator("#signals")).to_contain_text("Demo Facilitator answered privately")
    expect(phone.locator("#pause-panel")).to_contain_text("Demo Facilitator has seen it", timeout=15_000)
    expect(phone.locator("#pause-said")).to_contain_text("Take your time; I'll check in with you after.")
    assert phone.url == url
    expect(words).to_have_value("It got loud in my head when the slide came up.")
    assert axe_violations(phone) == [], "journal page with a facilitator's answer"
    # And it is there on the next page of the journal (loaded first: the entry's page says so too).
    phone.click("text=Back to my journal")
    phone.wait_for_url("**/journal")
    phone.wait_for_load_state("load")
    expect(phone.locator("#pause-panel")).to_contain_text("Demo Facilitator has seen it")

    phone.click("text=I'm OK now")
    expect(phone.locator("#pause-button")).to_be_focused()
    expect(phone.locator("#pause-panel")).to_be_hidden()
    expect(facilitator.locator("#signals")).to_contain_text("No one has asked for a pause.")
