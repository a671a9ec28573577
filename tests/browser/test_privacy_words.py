"""The words Mend's screens say about anonymity, privacy and deletion are exactly those that
docs/privacy.md lists under "What the screens say": each screen shows the sentences listed for it,
every sentence on it that speaks of these things is listed for it, and every listed sentence is in
Mend's templates or code. The list is read from the doc, so the doc and the screens cannot drift apart."""

import re
from pathlib import Path

from playwright.sync_api import expect

from facilitation.models.organisations import MIN_REVEAL_THRESHOLD
from tests.browser.conftest import axe_violations, start_session
from tests.live import Browser, LiveClient, wait_until

ROOT = Path(__file__).resolve().parents[2]
PRIVACY = ROOT / "docs" / "privacy.md"
SECTION = "What the screens say"
# A listed sentence is a bullet whose text is between straight double quotes (braces mark a part
# filled in on the screen, such as `{group}`); anything after the closing quote describes it.
ITEM = re.compile(r'^- .*?"(.+)"')
PLACEHOLDER = re.compile(r"\{[^}]+\}")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z“{])")
# What makes a sentence a privacy claim, for the check that nothing such is on a screen unlisted.
CLAIM = re.compile(
    r"anonym|nobody|no one|not even|only you|only your|private|encrypt|delet|destroy|wipe|forget|recover"
    r"|undone|counted|\block|\bsafe|secret|backup|without (?:your |my )?names?|can (?:read|see)",
    re.IGNORECASE,
)
# Where the listed sentences may come from: what Mend renders and what it sends to be shown.
SOURCES = ("templates/**/*.html", "static/js/*.js", "sessions/**/*.py", "facilitation/**/*.py")

# The screens, by their headings in the doc.
GROUP_PAGE = "The group page"
EXCERPTS = "Excerpts shared with the group"
BEFORE_OPEN = "A poll step, before the poll opens"
OPEN_POLL = "An open poll"
SENT = "An open poll, after you send an answer"
COUNTED = "An open poll, once your answer is counted"
ANNOUNCED = "Said to screen readers when a poll opens"
EVERY_JOURNAL_PAGE = "On every journal page"
MY_JOURNAL = "My journal"
CONFLICT = "A conflict copy"
ENTRY_DELETED = "After deleting one entry"
DELETE_PAGE = "Delete my journal and leave the group"
ALL_DELETED = "After deleting everything"
SHARED_EXCERPT = "Sharing an excerpt"
# Always allowed on the group page, whether or not they are on it at that moment.
ON_THE_GROUP_PAGE = (GROUP_PAGE, EXCERPTS, ANNOUNCED)

# What the screen says, as a person sees it: every <details> open; buttons on lines of their own; the
# group agreement, slides, step titles, people's names and journal text (the group's, the programme's
# and the person's own words, not Mend's) left out.
READ_SCREEN = """() => {
  const main = document.querySelector("main");
  for (const details of main.querySelectorAll("details")) details.open = true;
  for (const own of main.querySelectorAll(".prose, #agenda-list, .eyebrow, .journal-text, .journal-entry h3")) {
    own.style.display = "none";
  }
  for (const control of main.querySelectorAll("button, a.button, summary")) control.style.display = "block";
  return main.innerText;
}"""


def listed() -> dict[str, list[str]]:
    """The sentences docs/privacy.md lists for each screen, by the screen's heading."""
    text = PRIVACY.read_text()
    assert f"\n## {SECTION}\n" in text, f'docs/privacy.md has no "{SECTION}" section'
    section = text.split(f"\n## {SECTION}\n", 1)[1].split("\n## ", 1)[0]
    screens: dict[str, list[str]] = {}
    items: list[str] | None = None
    for line in section.splitlines():
        if line.startswith("### "):
            name = line.removeprefix("### ").strip()
            assert name not in screens, f"two screens named {name!r} in docs/privacy.md"
            items = screens[name] = []
        elif (item := ITEM.match(line)) and items is not None:
            items.append(item.group(1))
    return screens


def pattern(words: str) -> re.Pattern:
    """A listed sentence as a pattern: its words exactly, each part in braces any text."""
    return re.compile(".+?".join(re.escape(part) for part in PLACEHOLDER.split(words)))


def sentences(text: str) -> list[str]:
    return [
        sentence
        for line in text.splitlines()
        if line.strip()
        for sentence in SENTENCE_BREAK.split(" ".join(line.split()))
    ]


def check_screen(page, shows: tuple[str, ...], may_show: tuple[str, ...] = (), every_sentence: bool = False) -> None:
    """The page shows every sentence listed for `shows`, and no privacy claim (with `every_sentence`,
    no sentence at all) that is not listed for `shows` or `may_show`."""
    doc = listed()
    for screen in (*shows, *may_show):
        assert doc.get(screen), f'docs/privacy.md lists nothing under "### {screen}"'
    lines = [" ".join(line.split()) for line in page.evaluate(READ_SCREEN).splitlines() if line.strip()]
    missing = [
        (screen, item)
        for screen in shows
        for item in doc[screen]
        if not any(pattern(item).search(line) for line in lines)
    ]
    assert missing == [], f"listed in docs/privacy.md but not on the screen at {page.url}: {missing}"
    allowed = [
        pattern(sentence) for screen in (*shows, *may_show) for item in doc[screen] for sentence in sentences(item)
    ]
    unlisted = [
        sentence
        for sentence in sentences("\n".join(lines))
        if (every_sentence or CLAIM.search(sentence)) and not any(p.fullmatch(sentence) for p in allowed)
    ]
    assert unlisted == [], f"on the screen at {page.url} but not listed for it in docs/privacy.md: {unlisted}"


def the(screen: str) -> str:
    """The one sentence listed for `screen`."""
    (item,) = listed()[screen]
    return item


def _source_text(path: Path) -> str:
    text = " ".join(path.read_text().split())
    if path.suffix == ".py":
        # Adjacent string literals are one string on screen.
        return re.sub(r'"\s*f?"', "", text)
    # A link inside a sentence is part of the sentence.
    return re.sub(r"<[^>]+>", "", text) if path.suffix == ".html" else text


def test_every_listed_sentence_is_in_mends_templates_or_code():
    sources = [_source_text(path) for glob in SOURCES for path in sorted(ROOT.glob(glob))]
    screens = listed()
    assert sum(len(items) for items in screens.values()) > 30, "the list in docs/privacy.md looks cut short"
    nowhere = [
        (screen, item)
        for screen, items in screens.items()
        for item in items
        if not any(pattern(item).search(source) for source in sources)
    ]
    assert nowhere == [], f"listed in docs/privacy.md but said nowhere in Mend: {nowhere}"


def test_the_poll_form_says_what_the_doc_says(demo_cohort, server, clients):
    facilitator, phone, join_url = demo_cohort
    start_session(facilitator)
    expect(phone.locator("#stage")).to_contain_text(the(BEFORE_OPEN))
    check_screen(phone, (GROUP_PAGE, BEFORE_OPEN), ON_THE_GROUP_PAGE)

    facilitator.get_by_role("button", name="Open this poll").click()
    expect(phone.locator(".poll-form")).to_be_visible()
    check_screen(phone, (GROUP_PAGE, OPEN_POLL), ON_THE_GROUP_PAGE)
    assert axe_violations(phone) == [], "open poll"

    phone.click("label[for$='-v4']")
    phone.click("text=Send my answer")
    expect(phone.locator(".poll-status")).to_contain_text(the(SENT))
    check_screen(phone, (GROUP_PAGE, OPEN_POLL, SENT), ON_THE_GROUP_PAGE)

    # More people answer until a batch counts this answer: nothing is counted while fewer than 2k
    # wait, then all but k of them, chosen at random.
    k = MIN_REVEAL_THRESHOLD
    code = join_url.rstrip("/").rsplit("/", 1)[1]
    cohort = re.search(r"/g/([\w-]+)", phone.url).group(1)
    others: list[LiveClient] = []

    def counted_here() -> bool:
        return the(COUNTED) in phone.locator(".poll-status").inner_text()

    def waiting() -> int:
        told = sum(1 for other in others if other.events("poll:counted"))
        return 1 + len(others) - told - int(counted_here())

    while not counted_here():
        assert len(others) < 40, "no batch counted this phone's answer"
        if waiting() >= 2 * k:
            wait_until(lambda: counted_here() or waiting() < 2 * k, timeout=10)
            continue
        person = Browser(server).join(code, f"Helper {len(others) + 1}")
        other = LiveClient(server, person, cohort, "participant")
        clients.append(other)
        poll = other.wait_for(lambda state: state.get("poll") and state["poll"]["status"] == "open")["poll"]
        ack = other.call("poll:answer", {"poll": poll["id"], "answer": {"value": 5}})
        assert ack["ok"], ack
        others.append(other)
    check_screen(phone, (GROUP_PAGE, OPEN_POLL, COUNTED), ON_THE_GROUP_PAGE)


def test_the_journal_pages_and_the_delete_page_say_what_the_doc_says(demo_cohort):
    _facilitator, phone, _join_url = demo_cohort
    phone.click("text=Open my journal")
    phone.click("text=Write an entry")
    check_screen(phone, (EVERY_JOURNAL_PAGE,), (CONFLICT,))
    phone.get_by_label("What I want to write").fill("The walk home was quieter than I expected.")
    phone.get_by_label("Title (optional)").fill("Thursday")
    expect(phone.locator(".save-status")).to_have_text("Saved")
    phone.click("text=Back to my journal")

    expect(phone.locator(".journal-entry")).to_have_count(1)
    assert axe_violations(phone) == [], "journal page"
    check_screen(phone, (EVERY_JOURNAL_PAGE, MY_JOURNAL), (ENTRY_DELETED, SHARED_EXCERPT))

    phone.click("text=Yes, delete “Thursday”")
    expect(phone.locator(".flash")).to_have_text(the(ENTRY_DELETED))
    check_screen(phone, (EVERY_JOURNAL_PAGE, ENTRY_DELETED), (MY_JOURNAL,))

    phone.click("text=Delete my journal and leave the group…")
    expect(phone.locator("h1")).to_have_text("Delete my journal and leave the group?")
    assert axe_violations(phone) == [], "delete page"
    check_screen(phone, (DELETE_PAGE,), every_sentence=True)


def test_the_page_after_deleting_everything_says_what_the_doc_says(demo_cohort):
    _facilitator, phone, _join_url = demo_cohort
    phone.click("text=Open my journal")
    phone.click("text=Delete my journal and leave the group…")
    phone.click("text=Delete my journal and my place in the group")
    phone.wait_for_url("**/")
    expect(phone.locator(".flash")).to_be_visible()
    check_screen(phone, (ALL_DELETED,))
