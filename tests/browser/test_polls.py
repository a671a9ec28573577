"""A poll in the browser: participants answer anonymously (or pass), the facilitator sees results
live, closes, and reveals them to the room."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, join, screenshot, start_session


def test_a_check_in_poll_is_answered_and_revealed(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    others = [open_page(DESKTOP), open_page(PHONE)]
    for page, name in zip(others, ("Sasha", "Kim"), strict=True):
        join(page, join_url, name)
    people = [phone, *others]
    start_session(facilitator)
    expect(phone.locator("#stage")).to_contain_text("The poll opens when the facilitator starts it")

    facilitator.get_by_role("button", name="Open this poll").click()
    for page in people:
        expect(page.locator(".poll-form legend")).to_have_text("How settled do I feel right now?")
        expect(page.locator("#poll-title")).to_be_visible()
    assert axe_violations(phone) == [], "open poll on a phone"
    screenshot(phone, "phone-poll-open")

    phone.click("label[for$='-v4']")
    phone.click("text=Send my answer")
    expect(phone.locator(".poll-status")).to_contain_text("You chose 4.")
    phone.click("label[for$='-v6']")
    phone.click("text=Change my answer")
    expect(phone.locator(".poll-status")).to_contain_text("You chose 6.")
    others[0].click("label[for$='-v6']")
    others[0].click("text=Send my answer")
    others[1].click("text=Pass")
    expect(others[1].locator(".poll-status")).to_have_text(
        "You passed. Received. It will be counted together with other people's answers, at the latest when the poll closes."
    )
    expect(facilitator.locator("#poll-responded")).to_have_text("3 of 3 have responded")
    expect(phone.locator("#poll-progress")).to_have_text("3 of 3 have responded")
    # Three answers are counted together at close, not one by one: the console shows no figure yet.
    expect(facilitator.locator(".poll-results")).to_contain_text("Results are shown once at least 3 have answered")
    assert phone.locator(".poll-results").count() == 0

    facilitator.get_by_role("button", name="Close the poll").click()
    expect(phone.locator("#stage")).to_contain_text("The poll is closed")
    expect(facilitator.locator(".poll-results")).to_contain_text("2 answered · 1 passed")
    expect(facilitator.locator("#poll-panel")).to_contain_text("at least 3 people have answered; 2 did")
    facilitator.get_by_role("button", name="Show results to the room").click()
    expect(facilitator.locator("#command-error")).to_contain_text("Results are shown only when at least 3 people")
    assert phone.locator(".poll-results").count() == 0

    # The next step's poll is a text poll: open it, let three answer, reveal.
    facilitator.locator("#agenda-list li").nth(9).locator("button").click()
    facilitator.get_by_role("button", name="Open this poll").click()
    for page, text in zip(people, ("Being listened to", "Knowing I can pass", "<i>Kindness</i>"), strict=True):
        page.fill("textarea", text)
        page.click("text=Send my answer")
        expect(page.locator(".poll-status")).to_contain_text("You wrote")
    facilitator.get_by_role("button", name="Close the poll").click()
    facilitator.get_by_role("button", name="Show results to the room").click()
    for page in people:
        expect(page.locator(".poll-results .texts li")).to_have_count(3)
    expect(phone.locator(".poll-results")).to_contain_text("<i>Kindness</i>")  # shown as text, not markup
    assert axe_violations(phone) == [], "revealed results on a phone"
    screenshot(phone, "phone-poll-results")
    screenshot(facilitator, "desktop-console-poll")


def test_a_quick_single_choice_poll_from_the_console_reaches_the_projector(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    others = [open_page(PHONE), open_page(PHONE)]
    for page, name in zip(others, ("Sasha", "Kim"), strict=True):
        join(page, join_url, name)
    start_session(facilitator)
    facilitator.locator("#agenda-list li").nth(2).locator("button").click()
    # Wait for the console to show the new step, so the click is not on a page still moving.
    expect(facilitator.locator("#position")).to_have_text(re.compile(r"^3 of"))
    facilitator.click("details.quick-poll > summary")
    facilitator.select_option("#quick-kind", "single")
    facilitator.fill("#quick-question", "Which part of today helped most?")
    facilitator.fill("#quick-options", "The slides\nThe exercise\nThe quiet moments")
    facilitator.click("text=Open quick poll")
    projector = facilitator.context.new_page()
    projector.goto(facilitator.get_attribute("a:has-text('Projector view')", "href"))
    expect(projector.locator("#slide h2")).to_have_text("Which part of today helped most?")
    for page, choice in zip([phone, *others], ("The exercise", "The exercise", "The slides"), strict=True):
        expect(page.locator(".poll h2")).to_have_text("Which part of today helped most?")
        page.click(f"label:has-text('{choice}')")
        page.click("text=Send my answer")
        expect(page.locator(".poll-status")).to_contain_text(f"You chose: {choice}.")
    expect(projector.locator("#poll-progress")).to_have_text("3 responded")
    facilitator.get_by_role("button", name="Close the poll").click()
    facilitator.get_by_role("button", name="Show results to the room").click()
    expect(projector.locator(".bar")).to_have_count(3)
    expect(projector.locator(".bar").nth(1)).to_contain_text("The exercise")
    expect(projector.locator(".bar .bar-count").nth(1)).to_have_text("2")
    assert axe_violations(projector) == [], "projector results"
    screenshot(projector, "desktop-projector-results")
