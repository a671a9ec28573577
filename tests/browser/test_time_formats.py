"""One way to write a time on every screen: 24-hour, as the server's pages write it, whatever the
device's locale would choose (a phone set to US English would otherwise say "07:26 PM" beside "19:00")."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import PHONE

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"
TWELVE_HOUR = re.compile(r"\b(AM|PM|am|pm)\b")


def test_the_next_meeting_reads_the_same_from_the_server_and_the_live_view(open_page, demo_cohort):
    _, _, join_url = demo_cohort
    american = open_page(PHONE, locale="en-US", timezone_id="America/New_York")
    american.goto(join_url)
    american.fill("#display_name", "Alex")
    american.check("#agree")
    american.click("button[type=submit]")
    american.wait_for_url("**/g/**")
    expect(american.locator("#progress")).to_have_text("Between sessions")
    live = american.locator("#stage").inner_text()
    when = re.search(r"Next meeting: week \d+, (\w+day \d{1,2} \w+ \d{4}, \d{2}:\d{2} \([\w/]+\))", live)
    assert when, live
    assert not TWELVE_HOUR.search(live), live
    # The same words as the server's meeting_time, which the page showed before the live view took over.
    american.route("**/static/js/participant.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
    american.reload()
    assert when.group(1) in american.locator(".when").inner_text()


def test_clock_times_are_24_hour_in_any_locale(open_page):
    american = open_page(PHONE, locale="en-US", timezone_id="UTC")
    american.goto("/")
    times = american.evaluate(
        """async () => {
          const { clockTime, meetingTime } = await import("/static/js/ticker.js");
          const evening = Date.UTC(2026, 11, 1, 19, 5);
          return [clockTime(evening), clockTime(Date.UTC(2026, 11, 1, 7, 26)), meetingTime(evening, "Europe/London")];
        }"""
    )
    assert times == ["19:05", "07:26", "Tuesday 1 December 2026, 19:05 (Europe/London)"]
    # Every time a script writes goes through that one function.
    for script in STATIC_JS.glob("*.js"):
        text = script.read_text()
        if script.name != "ticker.js":
            assert "toLocaleTimeString" not in text and "hour:" not in text, script.name
