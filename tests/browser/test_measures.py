"""Measures in the browser (docs/measures.md): a phone at 390×844 answers the session rating with the
keyboard only, passing a question; the console shows the group's aggregates and, on the Measures tab,
the trend as a chart; the phone's own answers are in its journal, as a chart only it can see."""

import os
import re
import subprocess
import sys

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, join, screenshot, sign_in, start_session
from tests.browser.test_privacy_words import GROUP_PAGE, ON_THE_GROUP_PAGE, SENT, check_screen
from tests.live import PROJECT_ROOT

# Week 1 of the built-in course: the PHQ-4 and then the session rating come before the last slide.
SESSION_RATING = 16


def test_a_phone_answers_the_session_rating_by_keyboard_and_sees_its_own_trend(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    others = [open_page(PHONE), open_page(PHONE)]
    for page, name in zip(others, ("Sasha", "Kim"), strict=True):
        join(page, join_url, name)
    start_session(facilitator)
    facilitator.locator("#agenda-list li").nth(SESSION_RATING).locator("button").click()
    expect(facilitator.locator("#position")).to_have_text(re.compile(rf"^{SESSION_RATING + 1} of"))
    expect(phone.locator("#stage")).to_contain_text("4 short questions")
    facilitator.get_by_role("button", name="Open these questions").click()

    form = phone.locator(".poll-form")
    expect(form.locator(".measure-item legend").first).to_have_text("1. I felt heard and respected today")
    expect(form).to_contain_text("the facilitators see only the group's totals, once enough people have answered")
    expect(form.locator(".measure-item")).to_have_count(4)
    assert axe_violations(phone) == [], "the session rating on a phone"
    # The words about who sees what are those docs/privacy.md lists for this screen, and no others.
    measure_screens = ("A measure, while it is open", "Said to screen readers when a measure opens")
    check_screen(phone, (GROUP_PAGE, measure_screens[0]), (*ON_THE_GROUP_PAGE, *measure_screens))
    screenshot(phone, "phone-measure-open")

    # Keyboard only: into the first question, Space picks 0, arrows move to 8; Tab to each next question.
    form.locator("input[name=item-0]").first.focus()
    phone.keyboard.press("Space")
    for _ in range(8):
        phone.keyboard.press("ArrowRight")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Space")
    for _ in range(6):
        phone.keyboard.press("ArrowRight")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Space")
    phone.keyboard.press("ArrowRight")
    # The fourth question is passed: left from its first value wraps round to "Pass this question".
    phone.keyboard.press("Tab")
    phone.keyboard.press("ArrowLeft")
    expect(phone.locator("input[name=item-3][value=pass]")).to_be_checked()
    phone.keyboard.press("Tab")  # "Keep my answers in my private journal", on by default
    expect(phone.locator("input[name=keep]")).to_be_focused()
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("button", name="Send my answer")).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone.locator(".poll-status")).to_contain_text("You answered 3 questions and passed 1. Received.")
    check_screen(phone, (GROUP_PAGE, measure_screens[0], SENT), (*ON_THE_GROUP_PAGE, *measure_screens))

    for page, values in zip(others, ((6, 7, 8, 9), (5, 5, 5, 5)), strict=True):
        for item, value in enumerate(values):
            page.click(f"label[for$='-{item}-{value}']")
        page.click("text=Send my answer")
        expect(page.locator(".poll-status")).to_contain_text("You answered 4 questions.")
    expect(facilitator.locator("#poll-responded")).to_have_text("3 of 3 have responded")
    facilitator.get_by_role("button", name="Close the questions").click()

    results = facilitator.locator(".measure-results")
    expect(results).to_contain_text("3 answered · 0 passed · for the facilitators only")
    expect(results.locator(".measure-item-result").first).to_contain_text("Mean 6.3 (0 to 10) · 3 answered")
    # Two answered the fourth question, fewer than k: it is not shown.
    expect(results.locator(".measure-item-result").nth(3)).to_contain_text("Too few answered this question")
    expect(phone.locator("#stage")).to_contain_text("Thank you. The questions are closed.")
    assert facilitator.get_by_role("button", name="Show results to the room").count() == 0

    # The Measures tab: the group's trend as a chart, week 1 below k for the total (two completed it).
    facilitator.get_by_role("tab", name="Measures").click()
    trend = facilitator.locator("#measures-group .measure-trend").first
    expect(trend.locator("h3")).to_have_text("Session rating")
    expect(trend.locator(".chart-trend")).to_be_visible()
    expect(trend.locator("table")).to_contain_text("fewer than 3 answered")
    expect(facilitator.locator("#measures-shared")).to_contain_text("Nobody has shared their answers with you.")
    assert axe_violations(facilitator) == [], "the Measures tab"
    screenshot(facilitator, "desktop-console-measures")

    # The phone's own answers, in its journal: a chart and every answer, passed included.
    phone.click("text=See my answers over the weeks")
    mine = phone.locator("#my-answers")
    expect(mine.locator("h3")).to_have_text("Session rating")
    expect(mine.locator(".chart-trend")).to_be_visible()
    expect(mine.locator("tbody tr")).to_have_text(re.compile(r"^1\s*8\s*6\s*1\s*passed\s*–$"))
    assert axe_violations(phone) == [], "my answers in my journal"
    check_screen(phone, (), ("My journal", "My answers over the weeks", "On every journal page"))
    screenshot(phone, "phone-journal-my-answers")

    # Sharing them by name, and withdrawing: the console's row for Robin says so, then no more.
    phone.get_by_role("button", name="Share my answers with my facilitators").click()
    expect(phone.locator("#my-answers")).to_contain_text("You share these with your facilitators, with your name.")
    robin = facilitator.locator("#presence-list li", has_text="Robin")
    expect(robin.locator(".tag.shared")).to_have_text("shared their answers")
    expect(facilitator.locator("#measures-shared")).to_contain_text("Robin")
    phone.get_by_role("button", name="Stop sharing (their copy is deleted)").click()
    expect(robin.locator(".tag.shared")).to_have_count(0)
    expect(facilitator.locator("#measures-shared")).to_contain_text("Nobody has shared their answers with you.")


def test_the_projector_shows_a_measure_without_anyone_s_answers(open_page, demo_cohort):
    facilitator, phone, _join_url = demo_cohort
    start_session(facilitator)
    facilitator.locator("#agenda-list li").nth(SESSION_RATING).locator("button").click()
    facilitator.get_by_role("button", name="Open these questions").click()
    projector = facilitator.context.new_page()
    projector.goto(facilitator.get_attribute("a:has-text('Projector view')", "href"))
    expect(projector.locator("body")).to_contain_text("Answer on your phone")
    expect(phone.locator(".measure-item")).to_have_count(4)


RISK_PROGRAMME = {
    "programme.yaml": "slug: a-weekly-check\ntitle: A weekly check\nsummary: One session with a short check.\n",
    "01-check.md": """---
number: 1
title: Checking in
duration: 30
summary: A short check.
---

::: measure
instrument: weekly-check
???
Say that pass is fine.
:::
""",
    "measures/weekly-check.yaml": """name: A weekly check
short_name: Weekly check
purpose: So that you can see how you are over the weeks.
source: Written for Mend's tests.
licence: Free to use.
scale:
  min: 0
  max: 3
  anchors: {0: Never, 3: Always}
items:
  - id: worried
    text: I worried
  - id: hopeless
    text: I felt hopeless
    risk:
      at_least: 3
      meaning: Feeling hopeless all the time is worth a private word.
scoring:
  higher_is: worse
""",
}


def import_programme(server, folder) -> None:
    """Import a programme folder into the running server's data with `mend import-programme`."""
    for name, text in RISK_PROGRAMME.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    command = [sys.executable, "-m", "flask", "--app", "app", "mend", "import-programme", str(folder)]
    env = {**os.environ, **server.env, "MEND_INSTANCE_PATH": server.instance}
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)


def test_a_risk_answer_shows_crisis_support_at_once_and_only_a_yes_reaches_the_facilitators(
    open_page, server, demo_login, tmp_path
):
    import_programme(server, tmp_path / "programme")
    facilitator = open_page(DESKTOP)
    sign_in(facilitator, *demo_login)
    facilitator.goto("/cohorts/new")
    facilitator.fill("#name", "Check group")
    facilitator.select_option("#programme", label="A weekly check")
    facilitator.fill("#start_date", "2026-11-02")
    facilitator.select_option("#weekday", "0")
    facilitator.fill("#start_time", "18:30")
    facilitator.click("text=Create cohort")
    expect(facilitator.locator("h1")).to_have_text("Check group")
    join_url = facilitator.locator(".join-url").first.inner_text()
    phones = [open_page(PHONE), open_page(PHONE)]
    for page, name in zip(phones, ("Robin", "Sasha"), strict=True):
        join(page, join_url, name)
    start_session(facilitator)
    facilitator.get_by_role("button", name="Open these questions").click()
    robin, sasha = phones

    # Sasha's answers are under the threshold: nothing is shown, nothing is sent.
    sasha.click("label[for$='-0-2']")
    sasha.click("label[for$='-1-2']")
    sasha.click("text=Send my answer")
    expect(sasha.locator(".poll-status")).to_contain_text("You answered 2 questions.")
    assert sasha.locator(".risk-panel").count() == 0

    # Robin's second answer is past it: crisis support at once, on Robin's phone only.
    robin.click("label[for$='-0-1']")
    robin.click("label[for$='-1-3']")
    robin.click("text=Send my answer")
    panel = robin.locator(".risk-panel")
    expect(panel).to_contain_text("If you or someone else is in danger right now, call your local emergency number.")
    expect(panel.locator("a.support-link")).to_be_visible()
    expect(panel.locator(".emergency")).to_be_visible()  # the organisation's page, read into this one
    expect(panel).to_contain_text("Would you like Demo Facilitator to check in with you?")
    expect(panel.locator("h3")).to_be_focused()
    assert axe_violations(robin) == [], "the crisis panel on a phone"
    screenshot(robin, "phone-measure-risk")
    # Until Robin says yes, the console has nothing.
    expect(facilitator.locator("#signals-card")).not_to_contain_text("Robin")
    panel.get_by_role("button", name="Yes, please").click()
    expect(panel).to_contain_text(
        "Demo Facilitator will check in with you privately. Nobody else in the group is told."
    )
    expect(facilitator.locator("#signals-card")).to_contain_text("Robin would like a check-in")
    assert "Robin" not in sasha.locator("main").inner_text()
