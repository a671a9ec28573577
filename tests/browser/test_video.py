"""Video in the browser, on a real Janus (tests/janus.py): people with a fake camera and microphone
join the main room and receive each other's frames (WebRTC statistics), move into their breakout
room at open and back at recall without a reload, control camera and microphone from the keyboard,
and quick exit stops their tracks at once."""

import re
import shutil

import pytest
from playwright.sync_api import expect

from sessions.video import janus as tokens
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    _console_error,
    axe_violations,
    join,
    screenshot,
    sign_in,
    start_session,
)
from tests.janus import running_janus
from tests.live import live_server

# A fake camera and microphone, granted without asking; small frames, for a machine with few cores.
MEDIA_ARGS = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# Every peer connection and camera stream a page makes, so the test can read WebRTC's statistics.
WATCH_MEDIA = """
window.__pcs = [];
window.__streams = [];
const Original = window.RTCPeerConnection;
window.RTCPeerConnection = class extends Original {
  constructor(...args) { super(...args); window.__pcs.push(this); }
};
const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  const stream = await getUserMedia(constraints);
  window.__streams.push(stream);
  return stream;
};
"""
FRAMES_DECODED = """async () => {
  let frames = 0;
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0; });
  }
  return frames;
}"""
TRACK_STATES = "() => window.__streams.flatMap((s) => s.getTracks().map((t) => t.readyState))"


# janus.js long-polls its session; the poll still open when a session is destroyed (leaving video,
# quick exit) is answered 404, and janus.js reads that as the end of the session.
CLOSED_JANUS_POLL = re.compile(r"status of 404 .*/janus/\d+\?rid=\d+&maxev=")


def _media_console_error(errors: list[str], message) -> None:
    if message.type == "error" and CLOSED_JANUS_POLL.search(f"{message.text} {(message.location or {}).get('url')}"):
        return
    _console_error(errors, message)


@pytest.fixture(scope="module")
def janus():
    with running_janus() as running:
        yield running


@pytest.fixture
def server(tmp_path, janus):
    with live_server(tmp_path / "instance", **janus.settings()) as running:
        yield running


@pytest.fixture
def media_browser(chromium):
    """A second chromium with fake media devices (the suite's own has none)."""
    browser = chromium.browser_type.launch(executable_path=shutil.which("chromium"), args=MEDIA_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def open_media_page(media_browser, server, console_errors):
    contexts = []

    def open_(device: dict):
        context = media_browser.new_context(base_url=f"http://localhost:{server.port}", **device)
        context.add_init_script(WATCH_MEDIA)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: _media_console_error(console_errors, message))
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        return page

    yield open_
    for context in contexts:
        context.close()


def frames(page) -> int:
    return page.evaluate(FRAMES_DECODED)


def tile_names(page) -> set[str]:
    return {name.split(":")[0] for name in page.locator(".video-tile:not(.own) figcaption").all_inner_texts()}


def press(page, name: str, key: str = "Enter") -> None:
    """Activate a button from the keyboard only."""
    page.get_by_role("button", name=name).focus()
    page.keyboard.press(key)


def join_video_with_camera(page) -> None:
    press(page, "Join video")
    expect(page.locator(".video-status")).to_contain_text("You are in the video of the main room", timeout=15_000)
    press(page, "Camera", "Space")
    expect(page.get_by_role("button", name="Camera")).to_have_attribute("aria-pressed", "true")
    press(page, "Microphone")
    expect(page.get_by_role("button", name="Microphone")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".video-tile.own figcaption")).to_have_text(re.compile(r"camera on, microphone on$"))


def receiving(page, more_than: int = 0, timeout: float = 30) -> int:
    """Wait until the page has decoded more video frames than `more_than`; how many it has."""
    page.wait_for_function(
        f"async () => (await ({FRAMES_DECODED})()) > {more_than}", timeout=timeout * 1000, polling=500
    )
    return frames(page)


def test_video_in_the_main_room_into_breakout_rooms_and_back(open_page, open_media_page, demo_login, janus):
    facilitator = open_page(DESKTOP)
    facilitator.context.add_init_script(WATCH_MEDIA)
    sign_in(facilitator, *demo_login)
    facilitator.goto("/settings")
    expect(facilitator.locator("#provider")).to_have_value("off")
    facilitator.select_option("#provider", "janus")
    facilitator.get_by_role("button", name="Save video settings").click()
    expect(facilitator.locator("body")).to_contain_text("The video settings are saved.")
    assert axe_violations(facilitator) == [], "settings with video"
    facilitator.goto("/dashboard")
    facilitator.click("text=Tuesday evening group")
    # The group meets in person until its facilitator says otherwise, on its page.
    expect(facilitator.get_by_label("This group meets online, with audio and video")).not_to_be_checked()
    facilitator.get_by_label("This group meets online, with audio and video").check()
    facilitator.locator("#video-cohort-title + form").get_by_role("button", name="Save").click()
    expect(facilitator.locator("body")).to_contain_text("This group meets online: its pages offer audio and video.")
    assert axe_violations(facilitator) == [], "a cohort that meets online"
    join_url = facilitator.locator(".join-url").first.inner_text()
    cohort = int(re.search(r"/cohorts/(\d+)", facilitator.url).group(1))

    robin, sasha, kim = open_media_page(PHONE), open_media_page(DESKTOP), open_media_page(PHONE)
    for page, name in ((robin, "Robin"), (sasha, "Sasha"), (kim, "Kim")):
        join(page, join_url, name)
    start_session(facilitator)

    # Camera and microphone are off until each person turns them on.
    for page in (robin, sasha):
        expect(page.get_by_role("button", name="Join video")).to_be_visible()
        assert page.evaluate(TRACK_STATES) == []
        join_video_with_camera(page)
    press(kim, "Join video")
    expect(kim.locator(".video-status")).to_contain_text("You are in the video of the main room", timeout=15_000)
    assert kim.evaluate(TRACK_STATES) == []
    for page, other in ((robin, "Sasha"), (sasha, "Robin")):
        expect(page.locator(".video-tile:not(.own)")).to_contain_text(other, timeout=20_000)
        receiving(page)
    expect(kim.locator(".video-tile:not(.own)")).to_have_count(2, timeout=20_000)
    assert tile_names(kim) == {"Robin", "Sasha"}
    assert axe_violations(robin) == [], "video in the main room on a phone"

    # Kim sits the exercise out; Robin and Sasha go into Room 1, and their video goes with them.
    facilitator.locator("#agenda-list li:has(.kind:text-is('breakout')) button").first.click()
    kim.get_by_role("button", name="I'd rather sit this one out").click()
    facilitator.get_by_role("button", name="Propose rooms for this exercise").click()
    expect(facilitator.locator(".room-card")).to_have_count(1)
    facilitator.get_by_role("button", name="Open the rooms").click()
    for page in (robin, sasha):
        expect(page.locator("#video-title")).to_have_text("Video: Room 1", timeout=15_000)
        expect(page.locator(".video-status")).to_contain_text("You are in the video of your room", timeout=15_000)
    admin = tokens.VideoRoomAdmin(janus.admin_url, janus.admin_secret, janus.admin_key, "unused")
    for page, other in ((robin, "Sasha"), (sasha, "Robin")):
        expect(page.locator(".video-tile:not(.own)")).to_contain_text(other, timeout=20_000)
        assert tile_names(page) == {other}
        receiving(page)
    # Asking for help works the same while video runs.
    sasha.get_by_role("button", name="We need help").click()
    expect(facilitator.locator(".help-flag")).to_contain_text("This room asked for help")

    # The facilitator drops into Room 1 and sees and hears it; the room is told, and told again at leaving.
    facilitator.get_by_role("button", name="Drop in to Room 1").click()
    expect(facilitator.locator("#video-title")).to_have_text("Video: Room 1")
    expect(facilitator.locator(".video-tile:not(.own)")).to_have_count(2, timeout=20_000)
    assert tile_names(facilitator) == {"Robin", "Sasha"}
    expect(facilitator.locator(".video-tile:not(.own)").first).to_contain_text("camera on, microphone on")
    receiving(facilitator)
    expect(robin.locator(".video-visitor")).to_have_text("Demo Facilitator joined your room's video.")
    assert axe_violations(facilitator) == [], "console with video in a breakout room"
    screenshot(facilitator, "desktop-console-video")
    facilitator.get_by_role("button", name="Main room").click()
    expect(robin.locator(".video-visitor")).to_have_text("Demo Facilitator left your room's video.")
    expect(facilitator.locator("#video-title")).to_have_text("Video: the main room")
    expect(facilitator.locator(".video-tile:not(.own)")).to_have_count(0, timeout=15_000)

    # The camera kept its choice; Kim, in the main room, no longer receives either of them.
    expect(robin.get_by_role("button", name="Camera")).to_have_attribute("aria-pressed", "true")
    expect(kim.locator(".video-tile:not(.own)")).to_have_count(0, timeout=15_000)
    main = {p["display"] for p in admin.participants(tokens.main_room(cohort))}
    assert "Robin" not in main and "Sasha" not in main and "Kim" in main
    assert axe_violations(robin) == [], "video beside the breakout room on a phone"
    screenshot(robin, "phone-breakout-video")

    # Back to the main room without a reload, with everyone again.
    facilitator.get_by_role("button", name="Close rooms now").click()
    for page in (robin, sasha):
        expect(page.locator("#video-title")).to_have_text("Video: the main room", timeout=15_000)
    expect(kim.locator(".video-tile:not(.own)")).to_have_count(2, timeout=20_000)
    expect(robin.locator(".video-tile:not(.own)")).to_contain_text("Sasha", timeout=20_000)
    receiving(robin)

    # "Leave video" keeps the person in the session, and lets go of camera and microphone.
    press(sasha, "Leave video")
    expect(sasha.locator(".video-status")).to_contain_text("You are still in the session")
    assert set(sasha.evaluate(TRACK_STATES)) == {"ended"}
    expect(sasha.locator("#progress")).to_contain_text("Step")

    # Quick exit stops the camera and microphone at once: in the same moment as the press.
    assert "live" in robin.evaluate(TRACK_STATES)
    at_once = robin.evaluate(
        "() => { document.querySelector('[data-quick-exit]').click();"
        " return window.__streams.flatMap((s) => s.getTracks().map((t) => t.readyState)); }"
    )
    assert set(at_once) == {"ended"}
    robin.wait_for_url("**/away")
