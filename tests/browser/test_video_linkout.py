"""Video on a link-out provider in the browser: an administrator chooses Jitsi Meet (with token
authentication) or BigBlueButton on the settings page, the group's facilitator says it meets online,
and a participant on a phone gets their room's address: Jitsi's room in a frame, with a JWT for
this person and this room, that follows them into their breakout room and back; BigBlueButton's
room behind a link that opens a new tab. Reached from the keyboard only; axe finds nothing.

No Jitsi Meet or BigBlueButton server runs on this machine, and both must be https:// addresses:
the browser's requests to them are answered by a small stand-in page (Playwright's `route`), in
place of the third-party service an organisation would run. Mend's server, its pages, their
Content-Security-Policy and the browser are all real; only the other site is not."""

import re
from urllib.parse import parse_qs, urlsplit

import jwt
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, axe_violations, join, sign_in, start_session

SECRET = "a-jitsi-application-secret-of-32-bytes-or-more"
JITSI = "https://meet.example.org/{room}"
BBB = "https://bbb.example.org/rooms/{room}/join"
# What the stand-in answers: a page with a title, a heading and one control, and no script.
STAND_IN = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stand-in meeting</title></head>'
    "<body><h1>Stand-in meeting</h1><button type=button>Join meeting</button></body></html>"
)
ONLINE = "This group meets online, with audio and video"


def stand_in_for(page, address: str) -> list[str]:
    """Answer the browser's requests to `address`'s site with the stand-in page; the addresses asked for."""
    asked: list[str] = []
    site = re.compile("^" + re.escape(f"{urlsplit(address).scheme}://{urlsplit(address).netloc}/"))

    def answer(route) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=STAND_IN)

    page.context.route(site, answer)
    return asked


def choose_provider(page, provider: str, template: str, app_id: str = "", secret: str = "") -> None:
    page.goto("/settings")
    page.select_option("#provider", provider)
    page.fill("#link_template", template)
    page.fill("#jitsi_app_id", app_id)
    page.fill("#jitsi_secret", secret)
    page.get_by_role("button", name="Save video settings").click()
    expect(page.locator("body")).to_contain_text("The video settings are saved.")
    page.goto("/dashboard")
    page.click("text=Tuesday evening group")
    page.get_by_label(ONLINE).check()
    page.locator("#video-cohort-title + form").get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("This group meets online: its pages offer audio and video.")


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab from the top of the page until `selector` has the focus; fail if it never does."""
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached with Tab")


def join_video_from_the_keyboard(page) -> None:
    tab_to(page, ".video-panel button.primary")
    expect(page.locator(":focus")).to_have_text("Join video")
    page.keyboard.press("Enter")


def frame_address(page) -> tuple[str, dict]:
    """The embedded room's address without its token, and the token's claims (checked with the secret)."""
    src = page.locator("iframe.video-frame").get_attribute("src") or ""
    address, _, query = src.partition("?")
    (token,) = parse_qs(query)["jwt"]
    return address, jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")


def room_of(address: str) -> str:
    return address.rsplit("/", 1)[1]


def test_jitsi_meet_is_embedded_for_each_persons_room_and_follows_them_into_breakout_rooms(open_page, demo_login):
    admin = open_page(DESKTOP)
    sign_in(admin, *demo_login)
    stand_in_for(admin, JITSI)
    choose_provider(admin, "jitsi", JITSI, "mend", SECRET)
    join_url = admin.locator(".join-url").first.inner_text()
    robin, sasha = open_page(PHONE), open_page(DESKTOP)
    asked = stand_in_for(robin, JITSI)
    stand_in_for(sasha, JITSI)
    for page, name in ((robin, "Robin"), (sasha, "Sasha")):
        join(page, join_url, name)
    start_session(admin)

    # Nothing of the meeting loads until Robin asks for it.
    expect(robin.get_by_role("button", name="Join video")).to_be_visible()
    assert robin.locator("iframe").count() == 0 and asked == []
    join_video_from_the_keyboard(robin)
    frame = robin.locator("iframe.video-frame")
    # Camera and microphone are the meeting's own, in the frame: Mend offers no buttons that do nothing.
    expect(robin.get_by_role("button", name="Leave video")).to_be_visible()
    for name in ("Camera", "Microphone"):
        expect(robin.get_by_role("button", name=name)).to_have_count(0)
    expect(frame).to_have_attribute("title", "Video of the main room")
    main, claims = frame_address(robin)
    assert re.fullmatch(r"https://meet\.example\.org/mend-[0-9a-f]{20}", main)
    assert claims["context"]["user"]["name"] == "Robin" and claims["room"] == room_of(main)
    assert claims["iss"] == "mend" and claims["sub"] == "meet.example.org" and claims["moderator"] is False
    # The page's policy let the frame load (the stand-in answered it, with the token) ...
    expect(robin.frame_locator("iframe.video-frame").get_by_role("heading")).to_have_text("Stand-in meeting")
    assert [urlsplit(url).path for url in asked] == [urlsplit(main).path]
    # ... and the link beside it opens the same room in a new tab.
    link = robin.get_by_role("link", name="Open the video of the main room in a new tab")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    assert link.get_attribute("href") == frame.get_attribute("src")
    # Both are reached with Tab: the link, then the frame (and its own controls within it).
    tab_to(robin, ".video-panel a[target=_blank]")
    robin.keyboard.press("Tab")
    assert robin.evaluate("document.activeElement.matches('iframe.video-frame')")
    assert axe_violations(robin) == [], "Jitsi Meet embedded on a phone"
    # Sasha is in the same room, with a token of their own.
    join_video_from_the_keyboard(sasha)
    expect(sasha.locator("iframe.video-frame")).to_have_attribute("title", "Video of the main room")
    sashas, sasha_claims = frame_address(sasha)
    assert sashas == main and sasha_claims["context"]["user"]["name"] == "Sasha"
    # The facilitator joins the same room from the console, as its moderator.
    join_video_from_the_keyboard(admin)
    expect(admin.locator("iframe.video-frame")).to_have_attribute("title", "Video of the main room")
    console, console_claims = frame_address(admin)
    assert console == main and console_claims["context"]["user"]["name"] == "Demo Facilitator"
    assert console_claims["moderator"] is True
    assert axe_violations(admin) == [], "Jitsi Meet embedded on the console"

    # Into Room 1: the frame moves to the room's own address, with a token for that room.
    admin.locator("#agenda-list li:has(.kind:text-is('breakout')) button").first.click()
    admin.get_by_role("button", name="Propose rooms for this exercise").click()
    expect(admin.locator(".room-card")).to_have_count(1)
    admin.get_by_role("button", name="Open the rooms").click()
    expect(robin.locator("#video-title")).to_have_text("Video: Room 1", timeout=15_000)
    expect(frame).to_have_attribute("title", "Video of your room")
    room, claims = frame_address(robin)
    assert room != main and room.startswith("https://meet.example.org/mend-")
    assert claims["room"] == room_of(room) and claims["context"]["user"]["name"] == "Robin"
    expect(sasha.locator("iframe.video-frame")).to_have_attribute("title", "Video of your room", timeout=15_000)
    assert frame_address(sasha)[0] == room
    expect(robin.frame_locator("iframe.video-frame").get_by_role("heading")).to_have_text("Stand-in meeting")
    assert axe_violations(robin) == [], "Jitsi Meet in a breakout room on a phone"
    # The facilitator drops into Room 1 and out again.
    admin.get_by_role("button", name="Drop in to Room 1").click()
    expect(admin.locator("#video-title")).to_have_text("Video: Room 1")
    expect(admin.locator("iframe.video-frame")).to_have_attribute("title", "Video of your room")
    assert frame_address(admin)[0] == room
    admin.get_by_role("button", name="Main room").click()
    expect(admin.locator("iframe.video-frame")).to_have_attribute("title", "Video of the main room")
    assert frame_address(admin)[0] == main

    # Back at recall: the main room's address again.
    admin.get_by_role("button", name="Close rooms now").click()
    expect(robin.locator("#video-title")).to_have_text("Video: the main room", timeout=15_000)
    expect(frame).to_have_attribute("title", "Video of the main room")
    back, claims = frame_address(robin)
    assert back == main and claims["room"] == room_of(main)
    # The frame's new address is set before the browser has asked for it: wait for the request.
    for _ in range(100):
        if len(asked) >= 3:
            break
        robin.wait_for_timeout(100)
    assert [urlsplit(url).path for url in asked] == [urlsplit(address).path for address in (main, room, main)]

    # "Leave video" closes the meeting's frame and keeps Robin in the session.
    robin.get_by_role("button", name="Leave video").click()
    expect(frame).to_have_count(0)
    expect(robin.locator(".video-status")).to_contain_text("You are still in the session")


def test_bigbluebutton_opens_the_room_in_a_new_tab(open_page, demo_login):
    admin = open_page(DESKTOP)
    sign_in(admin, *demo_login)
    choose_provider(admin, "bbb", BBB)
    join_url = admin.locator(".join-url").first.inner_text()
    robin, sasha = open_page(PHONE), open_page(DESKTOP)
    asked = stand_in_for(robin, BBB)
    join(robin, join_url, "Robin")
    join(sasha, join_url, "Sasha")
    start_session(admin)

    join_video_from_the_keyboard(robin)
    link = robin.get_by_role("link", name="Open the video of the main room in a new tab")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    assert re.fullmatch(r"https://bbb\.example\.org/rooms/mend-[0-9a-f]{20}/join", link.get_attribute("href") or "")
    # No frame, and no frame is allowed: BigBlueButton's room is not embedded.
    assert robin.locator("iframe").count() == 0
    for name in ("Camera", "Microphone"):
        expect(robin.get_by_role("button", name=name)).to_have_count(0)
    assert "frame-src" not in (robin.request.get(robin.url).headers.get("content-security-policy") or "")
    assert axe_violations(robin) == [], "BigBlueButton's link on a phone"

    # From the keyboard: Tab to the link, Enter, and the room opens in a tab of its own.
    tab_to(robin, ".video-panel a[target=_blank]")
    with robin.context.expect_page() as opened:
        robin.keyboard.press("Enter")
    tab = opened.value
    expect(tab.get_by_role("heading")).to_have_text("Stand-in meeting")
    assert tab.url == link.get_attribute("href") and asked == [tab.url]
    # The new tab cannot reach back into Mend's page.
    assert tab.evaluate("window.opener") is None
    expect(robin.locator("#progress")).to_contain_text("Step")

    # In a breakout room the link is the room's own address.
    admin.locator("#agenda-list li:has(.kind:text-is('breakout')) button").first.click()
    admin.get_by_role("button", name="Propose rooms for this exercise").click()
    expect(admin.locator(".room-card")).to_have_count(1)
    admin.get_by_role("button", name="Open the rooms").click()
    expect(robin.locator("#video-title")).to_have_text("Video: Room 1", timeout=15_000)
    room = robin.get_by_role("link", name="Open the video of your room in a new tab")
    expect(room).to_have_attribute("href", re.compile(r"^https://bbb\.example\.org/rooms/mend-[0-9a-f]{20}/join$"))
    assert room.get_attribute("href") != tab.url
    assert axe_violations(robin) == [], "BigBlueButton's link in a breakout room on a phone"
