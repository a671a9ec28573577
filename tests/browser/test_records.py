"""The records in Chromium, axe clean: a session's report, the cohort's trend across the weeks, the
archive download with its progress line, and a participant's catch-up of a missed week. Three weeks are
run with real clients first; the screenshots of the report and the trend are the README's."""

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, screenshot, sign_in
from tests.live import LiveClient, make_group, open_session
from tests.test_records_live import paced, positions, run_poll, versioned

NAMES = ("Ash", "Bo", "Cy", "Di")
# Each week: who came, and their check-in and check-out. Week 3 has too few answers for a figure.
WEEKS = {
    1: {"Ash": (3, 6), "Bo": (5, 7), "Cy": (6, 8), "Di": (4, 6)},
    2: {"Ash": (5, 7), "Bo": (6, 8), "Di": (5, 6)},
    3: {"Ash": (6, 8), "Bo": (7, 8)},
}


def run_weeks(server, demo_login):
    group = make_group(server, demo_login, names=NAMES, open_week=None)
    people = dict(zip(NAMES, group.participants, strict=True))
    runs = []
    for week, came in WEEKS.items():
        open_session(group, week)
        console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
        clients = {name: LiveClient(server, people[name], group.public_id, "participant") for name in came}
        try:
            versioned(console, "session:start")
            polls = positions(console, "poll")
            run_poll(console, polls[0], {n: {"value": v[0]} for n, v in came.items()}, clients, len(came) >= 3)
            if week == 1:
                assert paced(clients["Bo"], "pause:raise")["ok"]
            run_poll(console, polls[-1], {n: {"value": v[1]} for n, v in came.items()}, clients, False)
            versioned(console, "session:end")
        finally:
            for client in [console, *clients.values()]:
                client.close()
        runs.append(group.live_session_id)
    return group, people, runs


def test_the_report_the_trend_and_the_catch_up_in_the_browser(open_page, server, demo_login):
    group, people, runs = run_weeks(server, demo_login)
    facilitator = open_page(DESKTOP)
    sign_in(facilitator, *demo_login)
    facilitator.goto(f"/cohorts/{group.cohort_id}")
    facilitator.get_by_role("link", name="Week 1: Welcome and safety report").click()
    facilitator.wait_for_url(f"**/sessions/{runs[0]}/report")
    expect(facilitator.locator("#attendance tbody tr")).to_have_count(4)
    expect(facilitator.locator("#scales-title + p + .charts svg")).to_have_count(2)
    expect(facilitator.locator("body")).to_contain_text("1 pause request")
    facilitator.get_by_role("textbox", name="Session notes").fill(
        "A settled first week; Bo asked for a pause after the check-in."
    )
    facilitator.click("text=Save notes")
    expect(facilitator.locator(".flash")).to_contain_text("Session notes saved")
    assert axe_violations(facilitator) == [], "the session report"
    screenshot(facilitator, "session-report")

    facilitator.click("text=Across the weeks")
    facilitator.wait_for_url(f"**/cohorts/{group.cohort_id}/record")
    expect(facilitator.locator("#attendance-grid tbody tr")).to_have_count(4)
    expect(facilitator.locator("#missed-cue")).to_contain_text("Cy missed the last 2 meetings")
    trend = facilitator.locator("#trend-table tbody tr")
    expect(trend).to_have_count(3)
    expect(trend.nth(2)).to_contain_text("no figure")
    assert axe_violations(facilitator) == [], "the cohort across the weeks"
    screenshot(facilitator, "cohort-trend")
    with facilitator.expect_download() as downloaded:
        facilitator.click("text=Download the archive")
    assert downloaded.value.suggested_filename == f"cohort-{group.cohort_id}-record.zip"
    expect(facilitator.locator("#archive-status")).to_have_text("The archive is downloaded.")

    # Cy missed weeks 2 and 3: the group page says so and leads to a catch-up of each.
    phone = open_page(PHONE)
    phone.context.add_cookies(
        [
            {"name": cookie.name, "value": cookie.value, "url": f"http://localhost:{server.port}"}
            for cookie in people["Cy"].http.cookies
        ]
    )
    phone.goto(f"/g/{group.public_id}")
    weeks = phone.locator(".my-weeks li")
    expect(weeks).to_have_count(3)
    expect(weeks.nth(0)).to_contain_text("You came")
    phone.get_by_role("link", name="Catch up on week 2").click()
    phone.wait_for_url("**/weeks/2")
    expect(phone.locator("h1")).to_contain_text("Catch up on week 2")
    expect(phone.locator(".slide").first).to_be_visible()
    for other in ("Ash", "Bo", "Di"):
        expect(phone.locator("main")).not_to_contain_text(other)
    phone.get_by_label("Your private journal").fill("What I take from the week I missed.")
    phone.click("text=Save to my journal")
    expect(phone.get_by_label("Your private journal")).to_have_value("What I take from the week I missed.")
    assert axe_violations(phone) == [], "the catch-up"
