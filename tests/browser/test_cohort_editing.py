"""Editing the demo cohort in Chromium with the keyboard alone: its name, its time zone and its
facilitators through the searchable pickers (static/js/picker.js, a WAI-ARIA combobox), then archiving
it and bringing it back. axe clean at every step."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, axe_violations, screenshot, sign_in
from tests.live import create_facilitator

CASEY = ("casey@mend.example", "casey-facilitator-password")
DEMO = "Tuesday evening group"
RENAMED = "Tuesday evening circle"
FACILITATORS = re.compile(r"· (Casey, Demo Facilitator|Demo Facilitator, Casey)$")
COHORT_PAGE = re.compile(r"/cohorts/\d+$")


def tab_to(page, target, presses: int = 40) -> None:
    """Press Tab until `target` has the focus: it is reachable in the page's order, and nothing before
    it keeps the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("node => node === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def active_option(page, combobox):
    """The option the combobox names as active (aria-activedescendant), as a screen reader reads it."""
    active = combobox.get_attribute("aria-activedescendant")
    assert active, "no active option"
    return page.locator(f"#{active}")


def meeting_tuesday(page) -> None:
    """The demo's first week is the day its instance was made, but the group meets on Tuesdays: the
    Tuesday on or before it, so that the form is valid on any day of the week."""
    today = date.today()
    page.get_by_label("First week starts on").fill((today - timedelta(days=(today.weekday() - 1) % 7)).isoformat())


def add_casey(page) -> None:
    """On the edit page: Casey added as a facilitator, saved."""
    page.get_by_role("combobox", name="Facilitators (type a name or email to add one)").fill("casey")
    page.keyboard.press("Enter")
    meeting_tuesday(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".page-head .quiet")).to_contain_text(FACILITATORS)


def test_the_name_zone_and_facilitators_change_with_the_keyboard_alone(open_page, server, demo_login):
    create_facilitator(server, *CASEY, "Demo organisation", name="Casey")
    page = open_page(DESKTOP)
    sign_in(page, *demo_login)
    page.get_by_role("link", name=DEMO).click()
    page.get_by_role("link", name="Edit cohort").click()
    expect(page.get_by_role("heading", name=f"Edit {DEMO}")).to_be_visible()
    assert axe_violations(page) == []

    name = page.get_by_label("Group name")
    tab_to(page, name)
    page.keyboard.press("Control+a")
    page.keyboard.type(RENAMED)

    # Facilitators: a combobox whose chosen people are listed, each with a button to remove them.
    people = page.get_by_role("combobox", name="Facilitators (type a name or email to add one)")
    chosen = page.get_by_role("list", name="Chosen facilitators")
    expect(chosen).to_contain_text("Demo Facilitator")
    expect(people).to_have_attribute("aria-expanded", "false")
    tab_to(page, people)
    listbox = page.get_by_role("listbox", name="Facilitators (type a name or email to add one)")
    expect(listbox).to_be_hidden()
    page.keyboard.type("cas")
    expect(people).to_have_attribute("aria-expanded", "true")
    expect(listbox).to_be_visible()
    expect(listbox).to_have_attribute("aria-multiselectable", "true")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(active_option(page, people)).to_have_text("Casey (casey@mend.example)")
    expect(active_option(page, people)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("Enter")
    # With several to choose, the list stays open; the choice is said and listed.
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option", name="Casey")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".picker [aria-live=polite]").first).to_have_text("Casey (casey@mend.example) added.")
    expect(chosen.get_by_role("listitem")).to_have_count(2)
    expect(chosen).to_contain_text("Casey (casey@mend.example)")
    expect(page.get_by_role("button", name="Remove Casey (casey@mend.example)")).to_be_visible()
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(people).to_have_attribute("aria-expanded", "false")
    assert people.get_attribute("aria-activedescendant") is None
    page.keyboard.press("Escape")
    expect(people).to_have_value("")

    meeting_tuesday(page)

    # Time zone: one to choose, the chosen one's name in the text box.
    zone = page.get_by_role("combobox", name="Time zone (type a city to search)")
    expect(zone).to_have_value("London (Europe)")
    tab_to(page, zone)
    zones = page.get_by_role("listbox", name="Time zone (type a city to search)")
    page.keyboard.press("ArrowDown")
    expect(zones).to_be_visible()
    # Opened without typing: the likely zones, the current one active.
    expect(active_option(page, zone)).to_have_text("London (Europe)")
    expect(active_option(page, zone)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(zones).to_be_hidden()
    expect(zone).to_have_attribute("aria-expanded", "false")
    expect(zone).to_have_value("London (Europe)")

    page.keyboard.press("Control+a")
    page.keyboard.type("tor")
    expect(zones).to_be_visible()
    expect(zones.get_by_role("option").first).to_have_text("Toronto (America)")
    expect(active_option(page, zone)).to_have_text("Toronto (America)")
    page.keyboard.press("ArrowDown")
    expect(active_option(page, zone)).not_to_have_text("Toronto (America)")
    page.keyboard.press("ArrowUp")
    expect(active_option(page, zone)).to_have_text("Toronto (America)")
    screenshot(page, "cohort-edit-picker-open")
    assert axe_violations(page) == [], "the time-zone list open"
    page.keyboard.press("Enter")
    expect(zones).to_be_hidden()
    expect(zone).to_have_value("Toronto (America)")
    expect(page.locator("#timezone")).to_have_value("America/Toronto")
    expect(page.locator(".picker [aria-live=polite]").last).to_have_text("Toronto (America) chosen.")

    save = page.get_by_role("button", name="Save changes")
    tab_to(page, save)
    page.keyboard.press("Enter")
    page.wait_for_url(COHORT_PAGE)
    expect(page.locator(".flash")).to_have_text(f"{RENAMED} is saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(RENAMED)
    expect(page.locator(".page-head .quiet")).to_contain_text(FACILITATORS)
    expect(page.locator("#schedule-title + p + p")).to_contain_text("America/Toronto")
    assert axe_violations(page) == []

    # Casey sees the cohort on their own dashboard now.
    colleague = open_page(DESKTOP)
    sign_in(colleague, *CASEY)
    expect(colleague.get_by_role("link", name=RENAMED)).to_be_visible()


def test_removing_every_facilitator_is_refused_and_the_picker_says_why(open_page, demo_login, console_errors):
    page = open_page(DESKTOP)
    sign_in(page, *demo_login)
    page.get_by_role("link", name=DEMO).click()
    page.get_by_role("link", name="Edit cohort").click()
    remove = page.get_by_role("button", name="Remove Demo Facilitator (demo@mend.example)")
    tab_to(page, remove)
    page.keyboard.press("Enter")
    people = page.get_by_role("combobox", name="Facilitators (type a name or email to add one)")
    expect(people).to_be_focused()
    expect(page.get_by_role("list", name="Chosen facilitators")).to_have_text("Nobody chosen yet.")
    meeting_tuesday(page)
    page.get_by_role("button", name="Save changes").click()

    people = page.get_by_role("combobox", name="Facilitators (type a name or email to add one)")
    expect(page.locator("#facilitators-error")).to_have_text("Choose at least one facilitator.")
    expect(people).to_have_attribute("aria-invalid", "true")
    expect(people).to_have_accessible_description(re.compile(r"open the console\. Choose at least one facilitator\.$"))
    assert axe_violations(page) == []
    console_errors.remove("Failed to load resource: the server responded with a status of 400 (BAD REQUEST)")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator(".page-head .quiet")).to_contain_text("· Demo Facilitator")


def test_an_archived_cohort_is_read_only_turns_joiners_away_and_an_admin_brings_it_back(
    open_page, server, demo_login, console_errors
):
    create_facilitator(server, *CASEY, "Demo organisation", name="Casey")
    page = open_page(DESKTOP)
    sign_in(page, *demo_login)
    page.get_by_role("link", name=DEMO).click()
    join_url = page.locator(".join-url").inner_text()
    cohort_url = page.url
    page.get_by_role("link", name="Edit cohort").click()
    add_casey(page)
    page.get_by_role("link", name="Edit cohort").click()
    page.get_by_role("button", name=f"Archive {DEMO}").click()
    page.wait_for_url(cohort_url)
    expect(page.locator(".flash")).to_contain_text(f"{DEMO} is archived")
    expect(page.locator(".archived-note")).to_contain_text("this cohort is read-only")
    for gone in ("Open in the lobby", "Make a new code", "Save agreement"):
        expect(page.get_by_role("button", name=gone)).to_have_count(0)
    assert axe_violations(page) == [], "the archived cohort's page"
    page.get_by_role("link", name="Archived: details").click()
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.locator(".archived-note")).to_contain_text("bring it back to change it")
    assert axe_violations(page) == [], "the archived cohort's details"

    # Off the dashboard's cohorts, listed apart as archived.
    page.get_by_role("link", name="My cohorts").click()
    expect(page.locator("ul.cards")).to_have_count(0)
    archived = page.get_by_role("region", name="Archived")
    expect(archived.get_by_role("link", name=DEMO)).to_be_visible()
    assert axe_violations(page) == [], "the dashboard"

    # Nobody joins by its link: the page says so at once and offers no form.
    visitor = open_page(DESKTOP)
    visitor.goto(join_url)
    expect(visitor.locator("main")).to_contain_text(
        "This group is not taking new members. If you were invited, ask your facilitator."
    )
    expect(visitor.locator("#display_name")).to_have_count(0)

    # A facilitator who is not an administrator cannot bring it back.
    colleague = open_page(DESKTOP)
    sign_in(colleague, *CASEY)
    colleague.goto(f"{cohort_url}/edit")
    expect(colleague.locator(".archived-note")).to_contain_text("an administrator can bring it back")
    expect(colleague.get_by_role("button", name=f"Bring back {DEMO}")).to_have_count(0)

    page.get_by_role("link", name=DEMO).click()
    page.get_by_role("link", name="Bring it back").click()
    page.get_by_role("button", name=f"Bring back {DEMO}").click()
    page.wait_for_url(cohort_url)
    expect(page.locator(".flash")).to_have_text(f"{DEMO} is back: it can be changed and run again.")
    expect(page.locator(".archived-note")).to_have_count(0)
    expect(page.get_by_role("button", name="Open in the lobby")).to_be_visible()
    page.get_by_role("link", name="My cohorts").click()
    expect(page.locator("ul.cards").get_by_role("link", name=DEMO)).to_be_visible()
