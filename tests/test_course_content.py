"""The built-in course read as a facilitator runs it: roles that fit, notes on every step, and no
instruction the console cannot carry out. Also what a changed built-in course does to cohorts already
running it (facilitation/catalogue.py).

docs/protocol.md lists what the console can do: step through slides, timers, polls (revealed once at
least k answered), breakout rooms (propose, open, move people, switch roles, a message to every room,
recall), a private reply to a pause, a grounding break, content notes, journal excerpts, presence, the
waiting room, removing someone, and a private message to one person from the people list.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db
from facilitation import catalogue
from facilitation.models import Cohort, SessionPlan
from facilitation.programmes import StepSpec, load_programme
from sessions.breakouts.operations import OBSERVER
from tests.conftest import csrf_token

COURSE = Path(__file__).resolve().parent.parent / "facilitation" / "content" / "repairing-attachment-injuries"
CAST = ("Nadia", "Tom", "Priya", "Sam", "Ellis", "Jo")

# What a facilitator might be told to do that Mend does not do, and why. A sentence that matches the
# first pattern is allowed only if it also matches the second (when there is one).
NOT_A_CONSOLE_ACTION = [
    (r"\bcameras?\b|\bwebcam", None, "Mend has no video: nobody turns a camera on or off in it"),
    (r"\b(un)?mute\b|\bchat\b|\bplatform\b|raise (a|your) hand", None, "these belong to a video tool, not Mend"),
    (r"private message", r"people list", "a private message to one person is sent from the people list"),
    (r"message me\b|message you\b", None, "participants cannot message a facilitator; they can ask for a pause"),
    (r"check in privately", r"after the session|people list", "say when: after the session, or from the people list"),
    (r"message (the )?rooms\b", r"every room|all rooms", "the console sends one message to every room"),
    (r"\bvisit (pairs|groups|rooms)|\blook in\b|moving between rooms", r"in person", "rooms are not visited online"),
    (r"draw\b[^.]*\bscreen", None, "the shared screen shows the step; nothing can be drawn on it"),
    (r"word cloud build", None, "words reach the shared screen only once revealed"),
    (r"\btype it\b|names on screen", None, "Mend has no chat and no video grid"),
    (r"\b(soft|quiet) music\b", r"in person", "Mend plays no sound; music is for a room that meets in person"),
]


def course_steps():
    for session in load_programme(COURSE).sessions:
        for step in session.steps:
            yield session, step


def sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+|\n+", text) if part.strip()]


def instructions(step: StepSpec) -> list[str]:
    """Everything a facilitator or participant is told to do on this step."""
    texts = [step.notes_md or "", step.body_md or ""]
    texts += [role["prompt"] for role in step.settings.get("roles", [])]
    return [sentence for text in texts for sentence in sentences(text)]


def test_every_instruction_names_something_the_console_can_do() -> None:
    problems = []
    for session, step in course_steps():
        for sentence in instructions(step):
            for pattern, unless, why in NOT_A_CONSOLE_ACTION:
                if re.search(pattern, sentence, re.I) and not (unless and re.search(unless, sentence, re.I)):
                    problems.append(f"{session.file}: {step.title}: {why}: {sentence!r}")
    assert problems == []


def test_every_step_has_presenter_notes_check_in_and_check_out_too() -> None:
    missing = [f"{session.file}: {step.kind} {step.title!r}" for session, step in course_steps() if not step.notes_md]
    assert missing == []


def test_every_breakout_role_has_a_name_that_fits_what_it_does() -> None:
    problems = []
    for session, step in course_steps():
        if step.kind != "breakout":
            continue
        where = f"{session.file}: {step.title}"
        roles = step.settings["roles"]
        names = [role["name"] for role in roles]
        if len({name.casefold() for name in names}) != len(names):
            problems.append(f"{where}: two roles share a name: {names}")
        if len({role["prompt"] for role in roles}) != len(roles):
            problems.append(f"{where}: two roles share a prompt")
        if step.settings["group_size"] == 2 and OBSERVER["name"].casefold() in {n.casefold() for n in names}:
            # An odd one out joins a pair as the console's own Observer: the pair's roles need other names.
            problems.append(f"{where}: a pairs role is called {OBSERVER['name']}, like the odd one out's")
        for role in roles:
            prompt, name = role["prompt"], role["name"]
            # The console switches roles: each prompt is read by whoever holds the role now.
            if re.search(r"\bswap|\brotate|\bround \d,? you are\b|\byou are the\b", prompt, re.I):
                problems.append(f"{where}: {name}: the prompt plans its own role changes")
            voiced = {who for who in CAST if re.search(rf"\b{who}'s (lines|line|replies|reply)\b", prompt)}
            if len(voiced) == 1 and voiced.pop() not in name:
                problems.append(f"{where}: {name!r} reads a character's lines but is not named for them")
    assert problems == []


def test_week_one_names_johnsons_three_parts_and_asks_a_question_with_an_answer() -> None:
    week_one = load_programme(COURSE).sessions[0]
    text = "\n".join(f"{step.body_md}\n{step.notes_md}" for step in week_one.steps)
    assert "Reachable" not in text and "reachable" not in text
    for part in ("Accessible", "Responsive", "Engaged"):
        assert f"**{part}:**" in text
    breakout = next(step for step in week_one.steps if step.kind == "breakout")
    assert "Which reply was" not in breakout.body_md, "reply C is all three: no one reply per part"


def test_week_nine_says_a_first_reply_that_misses_is_normal() -> None:
    week_nine = load_programme(COURSE).sessions[8]
    slides = " ".join(step.body_md for step in week_nine.steps if step.kind == "slide")
    assert re.search(r"defensive", slides) and re.search(r"discount|brush", slides) and "normal" in slides


@pytest.fixture
def changed_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The built-in content with one sentence of week 1 edited, as the next release might ship it."""
    content = tmp_path / "content"
    shutil.copytree(catalogue.BUILTIN_CONTENT, content)
    week_one = content / COURSE.name / "01-welcome-and-safety.md"
    text = week_one.read_text(encoding="utf-8")
    assert "Welcome. Thank you for coming." in text
    week_one.write_text(text.replace("Welcome. Thank you for coming.", "Welcome, and thank you for coming."))
    monkeypatch.setattr(catalogue, "BUILTIN_CONTENT", content)
    return content


def plan_of_week_one(programme_id: int) -> SessionPlan:
    return db.session.scalars(
        select(SessionPlan).where(SessionPlan.programme_id == programme_id, SessionPlan.number == 1)
    ).one()


def welcome_of_week_one(programme_id: int) -> str:
    return next(step.body_md for step in plan_of_week_one(programme_id).steps if step.title == "Welcome")


def test_a_changed_built_in_course_is_a_new_version_and_cohorts_keep_theirs(
    app, signed_in, make_cohort, changed_course
):
    client, user = signed_in
    running = make_cohort(user, name="Running group")
    with app.app_context():
        old = db.session.get(Cohort, running.id).programme
        old_id, old_version = old.id, old.version
        added = catalogue.install_builtin_programmes()
        db.session.commit()
        assert [programme.version for programme in added] == [old_version + 1]
        new_id = added[0].id
        assert catalogue.install_builtin_programmes() == [], "an unchanged course adds nothing at the next start"
        # The running cohort keeps the version it started with, word for word.
        assert db.session.get(Cohort, running.id).programme_id == old_id
        assert welcome_of_week_one(old_id).startswith("Welcome. Thank you for coming.")
        assert welcome_of_week_one(new_id).startswith("Welcome, and thank you for coming.")
        # New cohorts are offered the new version only.
        built_in = [p.id for p in catalogue.programmes_for(running.organisation_id) if p.organisation_id is None]
        assert built_in == [new_id]
        old_plan, new_plan = plan_of_week_one(old_id).id, plan_of_week_one(new_id).id

    # The running cohort still opens its own week 1, and not the new version's.
    token = csrf_token(client, f"/cohorts/{running.id}")
    refused = client.post(f"/cohorts/{running.id}/live", data={"csrf_token": token, "session_plan_id": new_plan})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/cohorts/{running.id}")
    opened = client.post(f"/cohorts/{running.id}/live", data={"csrf_token": token, "session_plan_id": old_plan})
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/console")
    assert "Welcome. Thank you for coming." in client.get(f"/programmes/{old_id}").get_data(as_text=True)
    assert client.get(opened.headers["Location"]).status_code == 200
