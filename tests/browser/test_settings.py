"""The organisation's settings page in Chromium, axe clean: an administrator changes k, the default
time zone (with the keyboard, in the picker), the quick-exit address, the waiting room's default, the
calendar title and a retention period; bad input is marked beside its field and saves nothing; a
facilitator who is not an administrator is refused the page."""

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, axe_violations, join, screenshot, sign_in
from tests.live import create_facilitator

K = "Fewest answers before a poll's results are shown (k)"
QUICK_EXIT = "Quick exit goes to"
WAITING_ROOM = "New cohorts start with the waiting room on"
CALENDAR = "Calendar files participants download are titled"
RECORDS_KEPT = "Keep reports and attendance for (days after the last meeting)"
ZONE = "Time zone for new cohorts (type a city to search)"
NOTHING_SAVED = "Nothing was saved: please correct what is marked below."
ADDRESS = "https://www.example.org/weather"


def open_settings(open_page, demo_login):
    page = open_page(DESKTOP)
    sign_in(page, *demo_login)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings for Demo organisation")).to_be_visible()
    return page


def test_an_administrator_changes_every_setting(open_page, demo_login):
    page = open_settings(open_page, demo_login)
    assert axe_violations(page) == []
    page.get_by_label(K).fill("5")
    zone = page.get_by_role("combobox", name=ZONE)
    zone.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("toronto")
    expect(page.get_by_role("listbox", name=ZONE).get_by_role("option")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(zone).to_have_value("Toronto (America)")
    page.get_by_label(QUICK_EXIT).fill(ADDRESS)
    page.get_by_label(WAITING_ROOM).check()
    page.get_by_label(CALENDAR).select_option(label="The group's name")
    page.get_by_label(RECORDS_KEPT).fill("365")
    screenshot(page, "settings")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash")).to_have_text("The settings are saved.")

    page.reload()
    expect(page.get_by_label(K)).to_have_value("5")
    expect(zone).to_have_value("Toronto (America)")
    expect(page.locator("#default_timezone")).to_have_value("America/Toronto")
    expect(page.get_by_label(QUICK_EXIT)).to_have_value(ADDRESS)
    expect(page.get_by_label(WAITING_ROOM)).to_be_checked()
    expect(page.get_by_label(CALENDAR)).to_have_value("name")
    expect(page.get_by_label(RECORDS_KEPT)).to_have_value("365")
    assert axe_violations(page) == []

    # A new cohort starts in the organisation's zone, with the waiting room on.
    page.get_by_role("link", name="My cohorts").click()
    page.get_by_role("link", name="New cohort").click()
    expect(page.get_by_role("combobox", name="Time zone (type a city to search)")).to_have_value("Toronto (America)")
    page.get_by_label("Group name").fill("Thursday group")
    page.get_by_label("First week starts on").fill("2026-12-03")
    page.get_by_label("Meets on").select_option(label="Thursday")
    page.get_by_label("At", exact=True).fill("18:30")
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thursday group")
    expect(page.locator("#schedule-title + p + p")).to_contain_text("America/Toronto")
    expect(page.get_by_label("Newcomers wait until a facilitator lets them in")).to_be_checked()


def test_bad_input_is_marked_beside_its_field_and_changes_nothing(open_page, demo_login, console_errors):
    page = open_settings(open_page, demo_login)
    page.get_by_label(K).fill("2")
    page.get_by_label(QUICK_EXIT).fill("weather")
    page.get_by_label(RECORDS_KEPT).fill("365")
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("alert")).to_have_text(NOTHING_SAVED)
    k = page.get_by_label(K)
    expect(k).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#poll_reveal_threshold-error")).to_have_text(
        "k must be at least 3 (and at most 100): below 3, a result can give away what one person answered."
    )
    expect(k).to_have_accessible_description(
        "A poll's results are shown only once at least this many people answered. At least 3; more protects "
        "people in small groups better. k must be at least 3 (and at most 100): below 3, a result can give "
        "away what one person answered."
    )
    address = page.get_by_label(QUICK_EXIT)
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#quick_exit_url-error")).to_have_text(
        "Give a whole web address, starting with https://, for example https://www.bbc.co.uk/weather."
    )
    # What was typed stays, to be corrected.
    expect(k).to_have_value("2")
    expect(address).to_have_value("weather")
    assert axe_violations(page) == []
    console_errors.remove("Failed to load resource: the server responded with a status of 400 (BAD REQUEST)")

    # Nothing was saved, not even the good value typed beside the bad ones.
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label(K)).to_have_value("3")
    expect(page.get_by_label(QUICK_EXIT)).to_have_value("")
    expect(page.get_by_label(RECORDS_KEPT)).to_have_value("")


def test_the_participants_quick_exit_goes_to_the_address_set(open_page, demo_login):
    page = open_settings(open_page, demo_login)
    page.get_by_label(QUICK_EXIT).fill(ADDRESS)
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash")).to_have_text("The settings are saved.")
    page.get_by_role("link", name="My cohorts").click()
    page.get_by_role("link", name="Tuesday evening group").click()
    participant = open_page(DESKTOP)
    join(participant, page.locator(".join-url").inner_text(), "Robin")
    expect(participant.get_by_role("button", name="Quick exit")).to_have_attribute("data-exit-url", ADDRESS)


def test_a_facilitator_who_is_not_an_administrator_cannot_open_the_settings(open_page, server, console_errors):
    create_facilitator(server, "casey@mend.example", "casey-facilitator-password", "Demo organisation", "Casey")
    page = open_page(DESKTOP)
    sign_in(page, "casey@mend.example", "casey-facilitator-password")
    expect(page.get_by_role("link", name="My cohorts")).to_be_visible()
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    response = page.goto("/settings")
    assert response.status == 403
    expect(page.get_by_role("main")).to_contain_text("Only your organisation's administrators can change its settings.")
    expect(page.get_by_role("button", name="Save settings")).to_have_count(0)
    assert axe_violations(page) == []
    console_errors.remove("Failed to load resource: the server responded with a status of 403 (FORBIDDEN)")
