"""The shared screen in the browser (issue 18): a 16:9 presentation at 1920×1080 and 1280×720 with
slide text of at least 32 px and nothing wider than the screen, the join code in a corner while
enrolment is open, a holding screen for content-noted steps, charts and a word cloud whose sizes
follow the counts, three themes, and excerpts that leave with their step."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, axe_violations, join, screenshot, start_session

SCREENS = {"1080p": {"width": 1920, "height": 1080}, "720p": {"width": 1280, "height": 720}}
NOTED_STEP = "When repair work is not the right place to start"

# Everything on the page that reaches past the right edge of the window (there should be nothing).
WIDER_THAN_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll("body *")].filter((node) => {
    const box = node.getBoundingClientRect();
    return box.width > 0 && box.right > width + 0.5;
  }).map((node) => node.tagName + "." + node.className);
  if (document.documentElement.scrollWidth > width) out.push("document " + document.documentElement.scrollWidth);
  return out;
}"""
FONT_SIZES = """(selector) => [...document.querySelectorAll(selector)]
  .filter((node) => node.getClientRects().length)
  .map((node) => parseFloat(getComputedStyle(node).fontSize))"""


def open_projector(facilitator, screen: str):
    projector = facilitator.context.new_page()
    projector.set_viewport_size(SCREENS[screen])
    projector.goto(facilitator.get_attribute("a:has-text('Projector view')", "href"))
    projector.wait_for_load_state("load")
    expect(projector.locator("html")).to_have_attribute("data-theme", re.compile(r"\w"))
    return projector


def use_theme(projector, name: str) -> None:
    projector.mouse.move(40, projector.viewport_size["height"] - 40)
    projector.get_by_role("button", name=name).click()
    assert axe_violations(projector) == [], f"projector with its theme buttons, {name}"
    # They go away by themselves a moment later (the keyboard's focus leaves them first).
    projector.evaluate("document.activeElement.blur()")
    expect(projector.locator(".theme-control")).to_be_hidden()


@pytest.mark.parametrize("screen", ["1080p", "720p"])
def test_a_slide_fills_the_screen_in_large_type_with_the_join_code_in_a_corner(demo_cohort, screen):
    facilitator, phone, _join_url = demo_cohort
    start_session(facilitator)
    projector = open_projector(facilitator, screen)
    expect(projector.locator("#slide h2")).to_have_text("How settled do I feel right now?")
    facilitator.click("#next")
    expect(facilitator.locator("#position")).to_have_text(re.compile(r"^2 of"))
    expect(projector.locator("#slide h2")).to_have_text(facilitator.locator("#now h2").inner_text())
    expect(projector.locator("#slide .prose li").first).to_be_visible()

    sizes = projector.evaluate(FONT_SIZES, "#slide .prose p, #slide .prose li")
    assert sizes and min(sizes) >= 32, sizes
    assert projector.evaluate(FONT_SIZES, "#slide h2")[0] > min(sizes)
    assert projector.evaluate(WIDER_THAN_THE_SCREEN) == []
    # A presentation, not a web page: no site header, no "Slide · step 2 of 18".
    assert projector.locator(".site-header").count() == 0
    expect(projector.locator("body")).not_to_contain_text(re.compile(r"step \d+ of \d+", re.IGNORECASE))
    corner = projector.locator("#join-corner")
    expect(corner).to_be_visible()
    expect(corner).to_contain_text(re.compile(r"[A-Z0-9]{3,}"))
    assert corner.locator("svg").bounding_box()["width"] >= 120

    for theme, name in (("light", "Light"), ("dark", "Dark"), ("contrast", "High contrast")):
        use_theme(projector, name)
        expect(projector.locator("html")).to_have_attribute("data-theme", theme)
        assert axe_violations(projector) == [], f"projector, {theme} theme, {screen}"
        screenshot(projector, f"projector-{theme}-{screen}")
    # The screen remembers its theme.
    projector.reload(wait_until="load")
    expect(projector.locator("html")).to_have_attribute("data-theme", "contrast")
    expect(projector.locator("#slide h2")).to_be_visible()

    # Enrolment closed: the code leaves the wall; opened again, it comes back.
    facilitator.uncheck("#enrolment-open")
    expect(corner).to_be_hidden()
    facilitator.check("#enrolment-open")
    expect(corner).to_be_visible()


def test_a_content_noted_step_is_held_on_the_projector_until_the_group_moves_on(demo_cohort):
    facilitator, phone, _join_url = demo_cohort
    start_session(facilitator)
    projector = open_projector(facilitator, "720p")
    facilitator.click(f"#agenda-list button:has-text('{NOTED_STEP}')")
    expect(phone.locator("#note-title")).to_have_text("Before this part: a content note")

    holding = projector.locator(".projector-holding")
    expect(holding).to_contain_text("violence, abuse and control")
    expect(holding).to_contain_text("We'll continue together in a moment.")
    expect(projector.locator("#slide")).not_to_contain_text(NOTED_STEP)
    assert projector.locator("#slide .prose").count() == 0
    assert projector.evaluate(FONT_SIZES, ".holding-note")[0] >= 32
    assert projector.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert axe_violations(projector) == [], "content-note holding screen"
    screenshot(projector, "projector-content-note")

    position = facilitator.locator("#position").inner_text()
    facilitator.click("#next")
    expect(facilitator.locator("#position")).not_to_have_text(position)
    expect(holding).to_have_count(0)
    expect(projector.locator("#slide h2")).to_have_text(facilitator.locator("#now h2").inner_text())


def answer_all(people, answer) -> None:
    for page, choice in zip(people, answer, strict=True):
        choice(page)
        page.click("text=Send my answer")
        expect(page.locator(".poll-status")).to_contain_text("You ")


def reveal(facilitator) -> None:
    facilitator.get_by_role("button", name="Close the poll").click()
    facilitator.get_by_role("button", name="Show results to the room").click()


def quick_poll(facilitator, kind: str, question: str, options: str = "") -> None:
    if facilitator.locator("details.quick-poll").get_attribute("open") is None:
        facilitator.click("details.quick-poll > summary")
    facilitator.select_option("#quick-kind", kind)
    facilitator.fill("#quick-question", question)
    if options:
        facilitator.fill("#quick-options", options)
    facilitator.click("text=Open quick poll")


def test_results_are_charts_and_a_word_cloud_on_the_projector_and_the_phones(open_page, demo_cohort):
    facilitator, phone, join_url = demo_cohort
    others = [open_page(PHONE), open_page(PHONE)]
    for page, name in zip(others, ("Sasha", "Kim"), strict=True):
        join(page, join_url, name)
    people = [phone, *others]
    start_session(facilitator)
    projector = open_projector(facilitator, "1080p")

    # The check-in scale: a 0–10 distribution with its counts.
    facilitator.get_by_role("button", name="Open this poll").click()
    answer_all(people, [lambda p, v=v: p.click(f"label[for$='-v{v}']") for v in (4, 6, 6)])
    reveal(facilitator)
    columns = projector.locator(".chart-scale .chart-column")
    expect(columns).to_have_count(11)
    assert [columns.nth(v).locator(".chart-count").text_content() for v in range(11)] == (
        ["0"] * 4 + ["1", "0", "2"] + ["0"] * 4
    )
    heights = [columns.nth(v).locator("rect").bounding_box()["height"] for v in (4, 6)]
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.05)
    expect(phone.locator(".poll-results .chart-scale")).to_be_visible()
    assert projector.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert axe_violations(projector) == [], "projector, scale results"
    screenshot(projector, "projector-scale-results")

    # A quick single-choice poll: bars with counts and percentages.
    facilitator.locator("#agenda-list li").nth(2).locator("button").click()
    expect(facilitator.locator("#position")).to_have_text(re.compile(r"^3 of"))
    quick_poll(facilitator, "single", "Which part of today helped most?", "The slides\nThe exercise\nThe quiet moments")
    answer_all(
        people,
        [lambda p, c=c: p.click(f"label:has-text('{c}')") for c in ("The exercise", "The exercise", "The slides")],
    )
    reveal(facilitator)
    bars = projector.locator(".chart-choices .bar")
    expect(bars).to_have_count(3)
    expect(bars.nth(0)).to_contain_text("1")
    expect(bars.nth(0).locator(".bar-share")).to_have_text("33%")
    expect(bars.nth(1).locator(".bar-count")).to_have_text("2")
    expect(bars.nth(1).locator(".bar-share")).to_have_text("67%")
    expect(bars.nth(2).locator(".bar-share")).to_have_text("0%")
    widths = [bars.nth(n).locator(".bar-fill").bounding_box()["width"] for n in (0, 1)]
    assert widths[1] == pytest.approx(2 * widths[0], rel=0.05)
    expect(phone.locator(".poll-results .chart-choices .bar")).to_have_count(3)
    screenshot(projector, "projector-choice-results")
    screenshot(phone, "phone-poll-chart")

    # A quick words poll: a word cloud whose words are larger the more people wrote them.
    facilitator.locator("#agenda-list li").nth(3).locator("button").click()
    expect(facilitator.locator("#position")).to_have_text(re.compile(r"^4 of"))
    quick_poll(facilitator, "words", "One word for how you arrived")
    words = (["calm", "tired"], ["calm"], ["calm", "hopeful", "tired"])

    def write(page, chosen):
        for n, word in enumerate(chosen, start=1):
            page.fill(f"input[id$='-w{n}']", word)

    answer_all(people, [lambda p, w=w: write(p, w) for w in words])
    reveal(facilitator)
    cloud = projector.locator(".word-cloud-chart .cloud-word")
    expect(cloud).to_have_count(3)
    sizes = {}
    for n in range(3):
        word = cloud.nth(n)
        sizes[word.text_content()] = (int(word.get_attribute("data-count")), word.bounding_box()["height"])
    assert {word: count for word, (count, _) in sizes.items()} == {"calm": 3, "tired": 2, "hopeful": 1}
    assert sizes["calm"][1] > sizes["tired"][1] > sizes["hopeful"][1]
    expect(phone.locator(".poll-results .word-cloud-chart .cloud-word")).to_have_count(3)
    expect(facilitator.locator(".poll-results .word-cloud-chart .cloud-word")).to_have_count(3)
    assert projector.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert axe_violations(projector) == [], "projector, word cloud"
    assert axe_violations(phone) == [], "phone, word cloud"
    screenshot(projector, "projector-word-cloud")
    screenshot(phone, "phone-word-cloud")


def test_a_shared_excerpt_leaves_the_projector_and_the_phones_on_the_next_step(demo_cohort):
    facilitator, phone, _join_url = demo_cohort
    start_session(facilitator)
    phone.click("text=Open my journal")
    phone.click("text=Write an entry")
    phone.get_by_label("What I want to write").fill("Someone stayed with me when I was scared.")
    expect(phone.locator(".save-status")).to_have_text("Saved")
    phone.click("text=Back to my journal")
    phone.click("text=Share an excerpt")
    phone.get_by_label("What to share").fill("Someone stayed with me when I was scared.")
    phone.click("text=Send to the facilitator without my name")
    phone.click("text=Back to my group")
    projector = open_projector(facilitator, "720p")
    expect(projector.locator("#slide h2")).to_be_visible()
    facilitator.click("#tab-journal")
    facilitator.locator("#excerpt-queue button", has_text="Show to the room").click()
    for page in (projector, phone):
        expect(page.locator("#shared")).to_contain_text("Someone stayed with me when I was scared.")
    assert projector.evaluate(WIDER_THAN_THE_SCREEN) == []
    screenshot(projector, "projector-excerpt")

    facilitator.click("#next")

    expect(facilitator.locator("#position")).to_have_text(re.compile(r"^2 of"))
    expect(projector.locator("#slide h2")).to_have_text(facilitator.locator("#now h2").inner_text())
    for page in (projector, phone):
        expect(page.locator("#shared")).to_be_hidden()
