"""Personal links in the browser: a participant makes one, copies it, and opens it on another device,
which signs the first one out; a used link is dead. Forgetting the device and deleting everything leave
no poll answers or receipts in the browser's storage."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_privacy_words import check_screen

MADE = "Your personal link, just made"
OPENING = "Opening a personal link"
DIDNT_WORK = "A link that didn't work"
NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
# What polls.js keeps on this device for a poll it answered (see static/js/polls.js).
KEPT_ANSWER = """() => localStorage.setItem("mend.poll.1", JSON.stringify({answer: {value: 4}, receipt: {nonce: "ab"},
  counted: null, waiting: true}))"""
KEPT_KEYS = "() => Object.keys(localStorage).filter((key) => key.startsWith('mend.poll.'))"


def make_link(phone) -> str:
    button = phone.get_by_role("button", name="Make a personal link")
    if not button.is_visible():
        phone.click("#link-title")
    button.click()
    expect(phone.locator("h1")).to_have_text("Your personal link")
    return phone.locator("#personal-url").input_value()


def test_a_personal_link_moves_the_group_to_another_device_once(open_page, demo_cohort, console_errors):
    _facilitator, phone, _join_url = demo_cohort
    cohort = re.search(r"/g/([\w-]+)", phone.url).group(1)
    group_url = phone.url
    expect(phone.locator("body")).not_to_contain_text("/p/")
    link = make_link(phone)
    assert "/p/" in link
    check_screen(phone, (MADE,), every_sentence=True)
    assert axe_violations(phone) == [], "personal link, just made"
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    phone.click("text=Copy my link")
    expect(phone.locator(".copy-status")).to_have_text("Copied.")
    assert phone.evaluate("navigator.clipboard.readText()") == link
    screenshot(phone, "phone-personal-link")

    laptop = open_page()
    laptop.goto(link)
    expect(laptop.locator("h1")).to_have_text("Open your group on this device?")
    check_screen(laptop, (OPENING,), every_sentence=True)
    assert axe_violations(laptop) == [], "opening a personal link"
    laptop.click("text=Open my group on this device")
    laptop.wait_for_url(f"**/g/{cohort}")
    expect(laptop.locator("#stage")).to_contain_text("Welcome back, Robin")
    expect(laptop.locator("#progress")).not_to_have_text("Connecting…")

    # The phone is signed out of the group, and the link from the laptop's history is dead.
    phone.goto(group_url)
    expect(phone.locator("h1")).to_have_text("This link didn't work")
    check_screen(phone, (DIDNT_WORK,))
    assert axe_violations(phone) == [], "a link that didn't work"
    laptop.goto(link)
    expect(laptop.locator("h1")).to_have_text("This link didn't work")
    # Both 404 pages are logged as failed loads: expected here, and nothing else may be.
    # (Each console error names the address it came from: tests/browser/conftest.py.)
    not_found = [error for error in console_errors if error.startswith(NOT_FOUND)]
    assert len(not_found) >= 2
    console_errors[:] = [error for error in console_errors if error not in not_found]


def test_forgetting_the_device_leaves_no_poll_answers(demo_cohort):
    _facilitator, phone, _join_url = demo_cohort
    phone.evaluate(KEPT_ANSWER)
    # Storage, not cookies: another group on the same device stays signed in.
    phone.context.add_cookies([{"name": "mend_p_other", "value": "kept", "url": phone.url}])
    phone.click("text=Forget me on this device")
    # A confirmation says what forgetting costs; the person confirms.
    expect(phone.locator("h1")).to_have_text("Forget me on this device?")
    phone.get_by_role("button", name="Forget me on this device").click()
    phone.wait_for_url("**/")
    assert phone.evaluate(KEPT_KEYS) == []
    assert any(cookie["name"] == "mend_p_other" for cookie in phone.context.cookies())


def test_deleting_everything_leaves_no_poll_answers(demo_cohort):
    _facilitator, phone, _join_url = demo_cohort
    phone.evaluate(KEPT_ANSWER)
    phone.context.add_cookies([{"name": "mend_p_other", "value": "kept", "url": phone.url}])
    phone.click("text=Open my journal")
    phone.click("text=Delete my journal and leave the group…")
    # The confirmation page runs no script: the server's Clear-Site-Data is what empties the storage.
    phone.click("text=Delete my journal and my place in the group")
    phone.wait_for_url("**/")
    expect(phone.locator(".flash")).to_be_visible()
    assert phone.evaluate(KEPT_KEYS) == []
    assert any(cookie["name"] == "mend_p_other" for cookie in phone.context.cookies())
