"""WCAG 2.2 AA in practice: axe-core on every main page, keyboard-only joining, live regions,
target sizes, reflow at 200% zoom and reduced motion."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, axe_violations, screenshot

# Positions of each kind of step in week 1 of the built-in course.
WEEK_ONE = {"poll": 0, "slide": 1, "breakout": 10, "reflection": 12}


@pytest.fixture
def running(demo_cohort):
    """The demo cohort's week 1 open in the console, with one participant on a phone."""
    facilitator, phone, join_url = demo_cohort
    facilitator.click("text=Open in the lobby")
    facilitator.wait_for_url("**/console")
    expect(phone.locator("#stage")).to_contain_text("Waiting for")
    return facilitator, phone, join_url


def go_to(facilitator, position: int) -> None:
    facilitator.locator("#agenda-list li").nth(position).locator("button").click()
    expect(facilitator.locator("#position")).to_have_text(f"{position + 1} of 18")


def test_no_serious_violations_on_any_main_page(open_page, running):
    facilitator, phone, join_url = running
    assert axe_violations(phone) == [], "participant lobby"
    facilitator.click("#start")
    for kind, position in WEEK_ONE.items():
        if position:
            go_to(facilitator, position)
        expect(phone.locator("#progress")).to_have_text(f"Step {position + 1} of 18")
        assert axe_violations(phone) == [], f"participant {kind} step"
        screenshot(phone, f"phone-step-{kind}")
    assert axe_violations(facilitator) == [], "console"
    projector = facilitator.context.new_page()
    projector.goto(facilitator.get_attribute("a:has-text('Projector view')", "href"))
    expect(projector.locator("#slide h2")).to_be_visible()
    assert axe_violations(projector) == [], "projector"
    visitor = open_page(PHONE)
    visitor.goto(join_url)
    assert axe_violations(visitor) == [], "join page"
    for path in ("/", "/login"):
        visitor.goto(path)
        assert axe_violations(visitor) == [], path
    for path in ("/dashboard", "/programmes", "/cohorts/new"):
        facilitator.goto(path)
        assert axe_violations(facilitator) == [], path


def test_joining_and_following_with_the_keyboard_alone(open_page, running):
    facilitator, _, join_url = running
    page = open_page(PHONE)
    page.goto(join_url)
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "display_name":
            break
    page.keyboard.type("Kai")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "agree"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/g/**")
    expect(page.locator(".live-bar .eyebrow")).to_contain_text("Kai")
    facilitator.click("#start")
    expect(page.locator("#progress")).to_have_text("Step 1 of 18")
    # The agenda opens from the keyboard.
    page.focus("#agenda summary")
    page.keyboard.press("Enter")
    expect(page.locator("#agenda-list")).to_be_visible()


def test_step_changes_and_timers_are_announced_to_screen_readers(running):
    facilitator, phone, _ = running
    announcer = phone.locator("#announcer")
    assert announcer.get_attribute("aria-live") == "polite"
    facilitator.click("#start")
    expect(announcer).to_have_text("Now step 1 of 18: How settled do I feel right now?")
    go_to(facilitator, 1)
    expect(announcer).to_contain_text("Now step 2 of 18")
    facilitator.fill("#timer-minutes", "1")
    facilitator.locator("#timer-form").get_by_role("button", name="Start").click()
    expect(announcer).to_have_text("1 minute left.")
    expect(phone.locator("#timer")).to_contain_text("left")
    assert phone.locator("#connection-banner").get_attribute("role") == "status"


def test_targets_are_at_least_24_pixels(running):
    facilitator, phone, _ = running
    facilitator.click("#start")
    expect(phone.locator("#progress")).to_have_text("Step 1 of 18")
    small = phone.evaluate(
        """() => [...document.querySelectorAll('button, input, select, textarea, summary, a')]
            .filter(el => el.offsetParent !== null && !el.closest('p, li, .prose'))
            .map(el => [el.outerHTML.slice(0, 60), el.getBoundingClientRect()])
            .filter(([, r]) => r.width < 24 || r.height < 24)
            .map(([html]) => html)"""
    )
    assert small == []


def test_pages_reflow_at_200_percent_zoom(open_page, running):
    _, phone, join_url = running
    # 200% zoom on a 640-pixel-wide window leaves 320 CSS pixels: WCAG's reflow width.
    narrow = open_page({"viewport": {"width": 320, "height": 640}, "device_scale_factor": 2})
    for path in (join_url, "/"):
        narrow.goto(path)
        assert narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    phone.set_viewport_size({"width": 320, "height": 640})
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(narrow, "phone-320-home")


def test_reduced_motion_is_respected(open_page, running):
    _, _, join_url = running
    page = open_page(PHONE, reduced_motion="reduce")
    page.goto(join_url)
    assert page.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
    durations = page.evaluate(
        "[...document.querySelectorAll('*')].map(el => getComputedStyle(el).transitionDuration).filter(d => d !== '0s')"
    )
    assert durations == []
