"""The organisation overview in Chromium, axe clean: an administrator sees every cohort (the running
ones first, then the archived) with its facilitators, status and what needs attention; a facilitator
who is not an administrator is refused it."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, axe_violations, screenshot, sign_in
from tests.live import Browser, create_facilitator

CASEY = ("casey@mend.example", "casey-facilitator-password")


def thursday_group_of_caseys(admin: Browser) -> int:
    """A second cohort, run by Casey alone, archived: its id."""
    form = admin.get("/cohorts/new").text
    programme = re.search(r'<option (?:selected )?value="(\d+)"', form).group(1)
    casey = re.search(r'<option (?:selected )?value="(\d+)"[^>]*>Casey', form).group(1)
    created = admin.post_form(
        "/cohorts/new",
        {
            "name": "Thursday group",
            "programme": programme,
            "facilitators": casey,
            "start_date": "2026-12-03",
            "weekday": "3",
            "start_time": "18:30",
            "timezone": "Europe/London",
        },
    )
    cohort_id = int(created.headers["Location"].rsplit("/", 1)[1])
    archived = admin.post_form(
        f"/cohorts/{cohort_id}/archive", {"archive": "1"}, token_from=f"/cohorts/{cohort_id}/edit"
    )
    assert archived.status_code == 302, archived.text
    return cohort_id


def someone_waiting_in_the_demo_cohort(server, admin: Browser) -> None:
    cohort = re.search(r'href="(/cohorts/\d+)">Tuesday evening group<', admin.get("/dashboard").text).group(1)
    page = admin.get(cohort).text
    waiting = admin.post_form(f"{cohort}/enrolment", {"enrolment_open": "y", "waiting_room": "y"}, token_from=cohort)
    assert waiting.status_code == 302, waiting.text
    Browser(server).join(re.search(r"/j/([A-Z0-9]{8})", page).group(1), "Robin")


def row_of(page, cohort: str):
    return page.locator(".overview-table tbody tr").filter(has=page.get_by_role("link", name=cohort, exact=True))


def test_an_administrator_sees_every_cohort_and_what_needs_attention(open_page, server, demo_login):
    create_facilitator(server, *CASEY, "Demo organisation", name="Casey")
    admin = Browser(server).sign_in(*demo_login)
    thursday_group_of_caseys(admin)
    someone_waiting_in_the_demo_cohort(server, admin)

    page = open_page(DESKTOP)
    sign_in(page, *demo_login)
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Every cohort of Demo organisation")).to_be_visible()
    table = page.get_by_role("table", name="Cohorts, their facilitators, status, attendance and what needs attention")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Cohort", "Facilitators", "Status", "Attendance", "Needs attention"]
    )
    expect(table.locator("tbody tr")).to_have_count(2)
    # Running first, then archived.
    expect(table.locator("tbody th a")).to_have_text(["Tuesday evening group", "Thursday group"])

    tuesday = row_of(page, "Tuesday evening group").get_by_role("cell")
    expect(tuesday.nth(0)).to_have_text("Demo Facilitator")
    expect(tuesday.nth(1)).to_contain_text(re.compile(r"Week 1 of \d+ next"))
    expect(tuesday.nth(2)).to_have_text("No session yet")
    expect(tuesday.nth(3).get_by_role("listitem")).to_have_text(["1 waiting to be let in"])

    thursday = row_of(page, "Thursday group").get_by_role("cell")
    expect(thursday.nth(0)).to_have_text("Casey")
    expect(thursday.nth(1)).to_have_text("Archived")
    expect(thursday.nth(3)).to_have_text("Nothing")
    assert axe_violations(page) == []
    screenshot(page, "overview")

    # Each cohort's name opens it.
    page.get_by_role("link", name="Thursday group").click()
    expect(page.locator(".archived-note")).to_contain_text("this cohort is read-only")


def test_a_facilitator_who_is_not_an_administrator_cannot_open_the_overview(open_page, server, console_errors):
    create_facilitator(server, *CASEY, "Demo organisation", name="Casey")
    page = open_page(DESKTOP)
    sign_in(page, *CASEY)
    expect(page.get_by_role("link", name="My cohorts")).to_be_visible()
    expect(page.get_by_role("link", name="Overview")).to_have_count(0)
    response = page.goto("/overview")
    assert response.status == 403
    expect(page.get_by_role("main")).to_contain_text(
        "Only your organisation's administrators see the overview of every cohort."
    )
    expect(page.get_by_role("table")).to_have_count(0)
    assert axe_violations(page) == []
    console_errors.remove("Failed to load resource: the server responded with a status of 403 (FORBIDDEN)")
