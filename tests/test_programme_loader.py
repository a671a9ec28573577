"""Tests for the Markdown programme loader (facilitation/programmes.py, docs/programme-format.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from facilitation.programmes import ProgrammeError, load_programme, render_markdown

COURSE = Path(__file__).resolve().parent.parent / "facilitation" / "content" / "repairing-attachment-injuries"

PROGRAMME_YAML = """\
slug: small-course
title: A small course
summary: Two short sessions for the tests.
"""

FRONT = """\
---
number: {number}
title: Session {number}
duration: 60
summary: What session {number} is about.
---
"""

SESSION_ONE = (
    FRONT.format(number=1)
    + """
::: poll
kind: scale
question: How settled do I feel right now?
labels: [Not at all settled, Completely settled]
:::

<!-- psychoeducation first -->
::: slide
title: What an attachment bond is
content_note: This slide mentions loss.
---
A bond is **who we turn to**. See [the notes](https://example.org/bonds).

- closeness
- safety
???
Ask what "turning to" looks like.
:::

::: poll
kind: multiple
question: Which of these do you recognise?
options:
  - Needing reassurance
  - Pulling away
  - Going quiet
max_picks: 2
:::

::: breakout
title: Hearing the hurt
group_size: 2
minutes: 12
roles:
  - name: Speaker
    prompt: Read Maya's lines.
  - name: Listener
    prompt: Answer as Sam.
---
Maya waited at the hospital; Sam did not come.
:::

::: reflection
title: Where I am starting from
---
When did someone you relied on *show up* for you?
:::
"""
)

SESSION_TWO = (
    FRONT.format(number=2)
    + """
::: poll
kind: text
question: What would help you feel safe in this group?
:::

::: slide
title: Closing
---
Thank you for today.
:::
"""
)


def write_programme(folder: Path, files: dict[str, str | bytes | None]) -> Path:
    """Write a good two-session programme into folder, with files replaced (or removed when None)."""
    contents: dict[str, str | bytes | None] = {
        "programme.yaml": PROGRAMME_YAML,
        "01-welcome.md": SESSION_ONE,
        "02-closing.md": SESSION_TWO,
    }
    contents.update(files)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        elif content is not None:
            (folder / name).write_text(textwrap.dedent(content), encoding="utf-8")
    return folder


def issues_for(folder: Path) -> list[str]:
    with pytest.raises(ProgrammeError) as raised:
        load_programme(folder)
    return [str(issue) for issue in raised.value.issues]


def session_with(steps: str, number: int = 1) -> str:
    return FRONT.format(number=number) + "\n" + textwrap.dedent(steps)


def test_good_programme_loads_sessions_steps_and_settings(tmp_path: Path) -> None:
    programme = load_programme(write_programme(tmp_path, {}))

    assert (programme.slug, programme.title, programme.language) == ("small-course", "A small course", "en")
    assert programme.summary == "Two short sessions for the tests."
    assert [s.number for s in programme.sessions] == [1, 2]
    first = programme.sessions[0]
    assert (first.title, first.duration, first.file) == ("Session 1", 60, "01-welcome.md")
    assert [step.kind for step in first.steps] == ["poll", "slide", "poll", "breakout", "reflection"]

    scale, slide, multiple, breakout, reflection = first.steps
    assert scale.title == "How settled do I feel right now?"
    assert scale.line == 8
    assert scale.settings == {
        "kind": "scale",
        "question": "How settled do I feel right now?",
        "labels": ["Not at all settled", "Completely settled"],
    }
    assert multiple.settings["options"] == ["Needing reassurance", "Pulling away", "Going quiet"]
    assert multiple.settings["max_picks"] == 2
    assert slide.title == "What an attachment bond is"
    assert slide.content_note == "This slide mentions loss."
    assert slide.settings == {}
    assert "<strong>who we turn to</strong>" in slide.body_html
    assert '<a href="https://example.org/bonds" rel="noopener noreferrer">the notes</a>' in slide.body_html
    assert "<li>closeness</li>" in slide.body_html
    assert breakout.settings == {
        "group_size": 2,
        "minutes": 12,
        "roles": [
            {"name": "Speaker", "prompt": "Read Maya's lines."},
            {"name": "Listener", "prompt": "Answer as Sam."},
        ],
    }
    assert breakout.body_md == "Maya waited at the hospital; Sam did not come."
    assert reflection.body_html == "<p>When did someone you relied on <em>show up</em> for you?</p>\n"
    assert reflection.content_note is None
    text_poll = programme.sessions[1].steps[0]
    assert text_poll.settings == {
        "kind": "text",
        "question": "What would help you feel safe in this group?",
        "max_length": 280,
    }


def test_defaults_fill_in_max_picks_and_language(tmp_path: Path) -> None:
    steps = """\
    ::: poll
    kind: multiple
    question: Which?
    options: [One, Two, Three]
    :::
    """
    programme = load_programme(write_programme(tmp_path, {"02-closing.md": session_with(steps, 2)}))
    assert programme.sessions[1].steps[0].settings["max_picks"] == 3
    assert programme.language == "en"


def test_presenter_notes_are_kept_apart_from_the_text(tmp_path: Path) -> None:
    slide = load_programme(write_programme(tmp_path, {})).sessions[0].steps[1]
    assert "turning to" not in slide.body_md and "turning to" not in slide.body_html
    assert slide.notes_md == 'Ask what "turning to" looks like.'
    assert slide.notes_html == '<p>Ask what "turning to" looks like.</p>\n'


def test_poll_may_have_notes_without_a_text_part(tmp_path: Path) -> None:
    steps = """\
    ::: poll
    kind: words
    question: One word for how you arrive
    ???
    Read the question aloud twice.
    :::
    """
    programme = load_programme(write_programme(tmp_path, {"02-closing.md": session_with(steps, 2)}))
    poll = programme.sessions[1].steps[0]
    assert poll.settings == {"kind": "words", "question": "One word for how you arrive"}
    assert (poll.body_md, poll.notes_md) == ("", "Read the question aloud twice.")


def test_raw_html_and_scripts_are_removed() -> None:
    html = render_markdown(
        'Hello <script>alert("x")</script><b onclick="steal()">there</b> <img src=x onerror=alert(1)>\n\n'
        '[bad](javascript:alert(1)) <a href="https://example.org" onclick="steal()">ok</a>'
    )
    assert "<script" not in html and 'alert("x")' not in html
    assert "onclick" not in html and "onerror" not in html and "<img" not in html and "<b>" not in html
    assert "there" in html
    assert 'href="javascript' not in html


def test_html_in_a_slide_is_sanitised(tmp_path: Path) -> None:
    steps = """\
    ::: slide
    title: Unsafe
    ---
    Text <script>document.cookie</script><span onclick="x()">kept words</span>
    :::
    """
    programme = load_programme(write_programme(tmp_path, {"02-closing.md": session_with(steps, 2)}))
    assert programme.sessions[1].steps[0].body_html == "<p>Text kept words</p>\n"


def test_content_hash_is_stable_and_follows_the_files(tmp_path: Path) -> None:
    first = load_programme(write_programme(tmp_path / "a", {})).content_hash
    again = load_programme(write_programme(tmp_path / "b", {})).content_hash
    changed = load_programme(write_programme(tmp_path / "c", {"02-closing.md": SESSION_TWO + "\n"})).content_hash
    assert first == again != changed
    assert len(first) == 64


def test_bad_yaml_in_front_matter_names_the_line(tmp_path: Path) -> None:
    bad = SESSION_TWO.replace("title: Session 2", "title: [Session 2")
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": bad}))
    assert len(issues) == 1
    assert issues[0].startswith("02-closing.md:4: front matter is not valid YAML")


def test_front_matter_keys_are_checked(tmp_path: Path) -> None:
    bad = SESSION_TWO.replace("duration: 60", "duration: 5\nfacilitator: Ana")
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": bad}))
    assert "02-closing.md:4: duration: must be at least 15" in issues
    assert any(issue.startswith("02-closing.md:5: facilitator: unknown setting") for issue in issues)


def test_unknown_step_kind(tmp_path: Path) -> None:
    bad = SESSION_TWO.replace("::: slide", "::: slid")
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": bad}))
    assert issues == [
        "02-closing.md:13: unknown step kind 'slid' (expected slide, poll, breakout, reflection, measure)"
    ]


def test_missing_required_setting(tmp_path: Path) -> None:
    bad = SESSION_TWO.replace("title: Closing\n", "")
    assert issues_for(write_programme(tmp_path, {"02-closing.md": bad})) == [
        "02-closing.md:13: slide: title: is required"
    ]


def test_misspelt_setting_points_at_its_line(tmp_path: Path) -> None:
    bad = SESSION_ONE.replace("minutes: 12", "minutse: 12")
    issues = issues_for(write_programme(tmp_path, {"01-welcome.md": bad}))
    assert "01-welcome.md:37: breakout: minutes: is required" in issues
    assert any(
        issue.startswith("01-welcome.md:40: breakout: minutse: unknown setting (expected one of:") for issue in issues
    )
    assert len(issues) == 2


def test_poll_with_one_option(tmp_path: Path) -> None:
    steps = """\
    ::: poll
    kind: single
    question: Ready?
    options: [Yes please]
    :::
    """
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": session_with(steps, 2)}))
    assert issues == ["02-closing.md:11: poll: options: at least 2 options are needed"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            "kind: single\nquestion: Q\noptions: [" + ", ".join("ABCDEFGHIJK") + "]",
            "11: poll: options: at most 10 options are allowed",
        ),
        ("kind: single\nquestion: Q\noptions: [A, a]", "11: poll: options: each option may appear only once"),
        ("kind: single\nquestion: Q\noptions: [A, Pass]", "11: poll: options: every poll offers 'pass' by itself"),
        ("kind: multiple\nquestion: Q\noptions: [A, B]\nmax_picks: 3", "12: poll: max_picks: must be from 1 to"),
        ("kind: scale\nquestion: Q\nlabels: [Low]", "11: poll: labels: needs at least 2 items"),
        ("kind: scale\nquestion: Q\nlabels: [A, B]\noptions: [A, B]", "12: poll: options: unknown setting"),
        ("kind: text\nquestion: Q\nmax_length: 900", "11: poll: max_length: must be at most 500"),
        ("kind: vote\nquestion: Q", "8: poll: kind: must be one of single, multiple, scale, words, text"),
        ("kind: words\nquestion: " + "x" * 201, "10: poll: question: at most 200 characters"),
    ],
)
def test_poll_rules(tmp_path: Path, settings: str, message: str) -> None:
    session = FRONT.format(number=2) + f"\n::: poll\n{settings}\n:::\n"
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": session}))
    assert len(issues) == 1
    assert issues[0].startswith(f"02-closing.md:{message}")


def test_poll_has_no_text_part(tmp_path: Path) -> None:
    session = FRONT.format(number=2) + "\n::: poll\nkind: words\nquestion: Q\n---\nSome text\n:::\n"
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": session}))
    assert issues == [
        "02-closing.md:8: poll: a poll has settings only; put words for the facilitator after ??? as notes"
    ]


@pytest.mark.parametrize("kind", ["slide", "reflection"])
def test_slide_and_reflection_need_text(tmp_path: Path, kind: str) -> None:
    session = FRONT.format(number=2) + f"\n::: {kind}\ntitle: Empty\n:::\n"
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": session}))
    assert len(issues) == 1
    assert issues[0].startswith(f"02-closing.md:8: {kind}: ") and "is missing" in issues[0]


def test_breakout_roles_must_match_group_size(tmp_path: Path) -> None:
    bad = SESSION_ONE.replace("group_size: 2", "group_size: 3")
    issues = issues_for(write_programme(tmp_path, {"01-welcome.md": bad}))
    assert issues == ["01-welcome.md:41: breakout: roles: 2 roles for a group of 3; give one role per person"]


def test_text_outside_a_step(tmp_path: Path) -> None:
    bad = SESSION_TWO.replace("::: slide", "Some loose words\nover two lines\n\n# A heading\n\n::: slide")
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": bad}))
    assert issues == [
        "02-closing.md:13: text outside a step; put it inside a step or in a <!-- comment -->",
        "02-closing.md:16: text outside a step; put it inside a step or in a <!-- comment -->",
    ]


def test_stray_closing_marker(tmp_path: Path) -> None:
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": SESSION_TWO + "\n:::\n"}))
    assert issues == ["02-closing.md:19: this ::: closes no step; a step opens with a line like '::: slide'"]


def test_unclosed_step_at_the_end(tmp_path: Path) -> None:
    bad = SESSION_TWO.removesuffix(":::\n")
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": bad}))
    assert issues == ["02-closing.md:13: slide: this step is not closed; end it with a line that is exactly :::"]


def test_unclosed_step_before_the_next_one(tmp_path: Path) -> None:
    bad = SESSION_TWO.replace(
        "question: What would help you feel safe in this group?\n:::\n",
        "question: What would help you feel safe in this group?\n",
    )
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": bad}))
    assert issues == [
        "02-closing.md:8: poll: this step is not closed before line 12; end it with a line that is exactly :::"
    ]


def test_duplicate_session_number(tmp_path: Path) -> None:
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": SESSION_TWO.replace("number: 2", "number: 1")}))
    assert issues == ["02-closing.md:2: number: 1 is already used by 01-welcome.md"]


def test_session_numbers_have_no_gaps(tmp_path: Path) -> None:
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": SESSION_TWO.replace("number: 2", "number: 3")}))
    assert len(issues) == 1
    assert issues[0].startswith("02-closing.md:2: number: sessions are numbered 1 to 2 with no gaps")


def test_session_needs_front_matter_and_a_step(tmp_path: Path) -> None:
    no_front = "::: slide\ntitle: T\n---\nText\n:::\n"
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": no_front, "03-empty.md": FRONT.format(number=3)}))
    assert issues == [
        "02-closing.md:1: the file must start with front matter: number, title, duration and summary between two --- lines",
        "03-empty.md:1: a session needs at least one step",
    ]


def test_missing_programme_yaml(tmp_path: Path) -> None:
    issues = issues_for(write_programme(tmp_path, {"programme.yaml": None}))
    assert len(issues) == 1
    assert issues[0].startswith("programme.yaml:1: missing")


def test_programme_yaml_is_validated(tmp_path: Path) -> None:
    bad = "slug: Small Course\ntitle: A small course\nsumary: typo\n"
    issues = issues_for(write_programme(tmp_path, {"programme.yaml": bad}))
    assert issues[0] == "programme.yaml:1: slug: must be lowercase letters, digits and dashes"
    assert issues[1].startswith("programme.yaml:1: summary: is required")
    assert issues[2].startswith("programme.yaml:3: sumary: unknown setting")


def test_empty_and_missing_folders(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert issues_for(empty) == [
        ".:1: no session files: write one .md file per session",
        "programme.yaml:1: missing: every programme folder needs a programme.yaml with slug, title and summary",
    ]
    assert issues_for(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}:1: programme folder not found"]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    issues = issues_for(write_programme(tmp_path, {"02-closing.md": SESSION_TWO.encode("utf-16")}))
    assert issues == ["02-closing.md:1: not UTF-8 text; save the file as UTF-8"]


def test_every_issue_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    folder = write_programme(
        tmp_path,
        {
            "programme.yaml": PROGRAMME_YAML.replace("title: A small course\n", ""),
            "01-welcome.md": SESSION_ONE.replace("minutes: 12", "minutes: 90").replace("::: reflection", "::: reflect"),
            "02-closing.md": SESSION_TWO.replace("::: slide", "stray words\n\n::: slide"),
        },
    )
    with pytest.raises(ProgrammeError) as raised:
        load_programme(folder)
    assert [str(issue) for issue in raised.value.issues] == [
        "01-welcome.md:40: breakout: minutes: must be at most 60",
        "01-welcome.md:50: unknown step kind 'reflect' (expected slide, poll, breakout, reflection, measure)",
        "02-closing.md:13: text outside a step; put it inside a step or in a <!-- comment -->",
        "programme.yaml:1: title: is required",
    ]
    assert str(raised.value).splitlines() == [str(issue) for issue in raised.value.issues]


def test_complete_example_in_the_docs_loads(tmp_path: Path) -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "programme-format.md").read_text()
    example = docs.split("## A complete example", 1)[1].split("```markdown\n", 1)[1].split("\n```", 1)[0]
    programme = load_programme(write_programme(tmp_path, {"01-welcome.md": example + "\n"}))
    kinds = [step.kind for step in programme.sessions[0].steps]
    assert kinds == ["poll", "slide", "poll", "breakout", "reflection"]


def test_built_in_course_has_the_shape_of_every_session() -> None:
    """COURSE.md: check-in scale, 4-8 teaching slides, a topical poll, a breakout, a journal prompt,
    home practice, a check-out scale, and a last word on where to find individual help."""
    programme = load_programme(COURSE)

    assert programme.slug == "repairing-attachment-injuries"
    assert [session.number for session in programme.sessions] == list(range(1, 13))
    for session in programme.sessions:
        steps = session.steps
        kinds = [step.kind for step in steps]
        assert set(kinds) == {"slide", "poll", "breakout", "reflection", "measure"}, session.file
        # The session rating ends every week, before the last word; the PHQ-4 comes just before it in
        # weeks 1, 6 and 12 (docs/measures.md).
        instruments = [step.settings["instrument"] for step in steps if step.kind == "measure"]
        assert steps[-2].kind == "measure" and steps[-2].settings["instrument"] == "session-rating", session.file
        if session.number in (1, 6, 12):
            assert instruments == ["phq-4", "session-rating"] and steps[-3].kind == "measure", session.file
        else:
            assert instruments == ["session-rating"], session.file
        polls = [n for n, step in enumerate(steps) if step.kind == "poll"]
        assert steps[polls[0]].settings["kind"] == "scale" and polls[0] == 0, f"{session.file}: check-in"
        assert steps[polls[-1]].settings["kind"] == "scale", f"{session.file}: check-out"
        assert steps[polls[1]].settings["kind"] != "scale", f"{session.file}: topical poll"
        # Between check-in and topical poll: a welcome slide, then the teaching slides.
        teaching = kinds[polls[0] + 1 : polls[1]].count("slide") - 1
        assert 4 <= teaching <= 8, f"{session.file}: {teaching} teaching slides"
        breakouts = [step for step in steps if step.kind == "breakout"]
        assert len(breakouts) == 1 and breakouts[0].settings["group_size"] in (2, 3), session.file
        assert all(step.notes_md for step in steps if step.kind == "slide"), f"{session.file}: presenter notes"
        closing = [step for step in steps if step.kind == "slide"][-1]
        assert "emergency" in closing.body_md.lower(), f"{session.file}: closing slide points to help"
    assert sum(1 for s in programme.sessions for step in s.steps if step.content_note) >= 12
