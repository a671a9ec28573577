"""Personal links in the browser: a participant makes one, copies it, and opens it on another device,
which signs the first one out; a used link is dead."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_privacy_words import check_screen

MADE = "Your personal link, just made"
OPENING = "Opening a personal link"
DIDNT_WORK = "A link that didn't work"
NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (NOT FOUND)"


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
    for _ in range(2):
        console_errors.remove(NOT_FOUND)
