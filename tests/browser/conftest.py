"""Browser fixtures: Debian's chromium driven by Playwright, a live Mend per test, console-error
checks, screenshots and axe-core accessibility checks."""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.live import live_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text()


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; the test command installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(tmp_path):
    with live_server(tmp_path / "instance") as running:
        yield running


@pytest.fixture
def demo_login(server) -> tuple[str, str]:
    return re.search(r"Demo sign-in: (\S+) / (\S+)", server.text).groups()


class ConsoleErrors(list):
    """The console errors of every page opened through `open_page` (their text, which tests may take
    out as expected), and the address each came from, for the failure's message."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: dict[str, list[str]] = {}

    def described(self) -> list[str]:
        return [f"{text} ({', '.join(self.addresses.get(text, [])) or 'no address'})" for text in self]


@pytest.fixture
def console_errors():
    """Every page opened through `open_page` reports its console errors here; none are allowed."""
    errors = ConsoleErrors()
    yield errors
    assert list(errors) == [], f"console errors: {errors.described()}"


# Engine.IO answers 400 to a long poll that reaches the server just after its session closed (the
# page closed a refused connection, or the server closed one that never joined): the client reads it
# as the end of that transport, and nobody sees it. Every other failed request is an error.
CLOSED_SESSION_POLL = re.compile(r"status of 400 .* http://[^/]+/socket\.io/\?EIO=4&transport=polling&t=\w+&sid=")


def _console_error(errors: ConsoleErrors, message) -> None:
    if message.type != "error":
        return
    url = (message.location or {}).get("url") or ""
    if CLOSED_SESSION_POLL.search(f"{message.text} {url}"):
        return
    errors.append(message.text)
    errors.addresses.setdefault(message.text, []).append(url)


@pytest.fixture
def open_page(chromium, server, console_errors):
    contexts = []

    def open_(device: dict | None = None, **options):
        context = chromium.new_context(base_url=f"http://localhost:{server.port}", **(device or DESKTOP), **options)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: _console_error(console_errors, message))
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        return page

    yield open_
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, scale="css")


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (WCAG 2.x A and AA rules) on the page as it is now, once its stylesheets have
    loaded: on a loaded machine a page's content can be there before its styles, and an unstyled
    header's links are smaller than the 24-pixel targets axe asks for."""
    page.wait_for_load_state("load")
    page.evaluate(AXE)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")


def join(page, join_url: str, name: str) -> None:
    page.goto(join_url)
    page.fill("#display_name", name)
    page.check("#agree")
    page.click("button[type=submit]")
    page.wait_for_url("**/g/**")


def start_session(facilitator) -> None:
    """From the demo cohort's page: open the next week in the lobby, go to the console and start."""
    facilitator.click("text=Open in the lobby")
    facilitator.wait_for_url("**/console")
    facilitator.click("#start")


@pytest.fixture
def demo_cohort(open_page, demo_login):
    """The demo facilitator on the demo cohort's page, and a participant who joined it on a phone.

    Returns (facilitator page, phone page, join link)."""
    facilitator = open_page(DESKTOP)
    sign_in(facilitator, *demo_login)
    facilitator.click("text=Tuesday evening group")
    join_url = facilitator.locator(".join-url").first.inner_text()
    phone = open_page(PHONE)
    join(phone, join_url, "Robin")
    return facilitator, phone, join_url
