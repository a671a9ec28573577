"""The measure step and its instruments in the programme format (facilitation/measures.py,
docs/programme-format.md, docs/measures.md): every field, every error with its file and line, and
the scoring of one person's answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from facilitation import measures
from facilitation.programmes import load_programme
from tests.test_programme_loader import COURSE, FRONT, issues_for, write_programme

INSTRUMENT = """\
name: A small check
short_name: Check
purpose: So that the facilitators know how the group is.
stem: Over the last week,
source: Written for the tests.
licence: Free to use.
scale:
  min: 0
  max: 3
  anchors:
    0: Never
    3: Always
items:
  - id: calm
    text: I felt calm
    reverse: true
  - id: worried
    text: I worried
  - id: low
    text: I felt low
    risk:
      at_least: 3
      meaning: Feeling low all the time is worth a private word.
scoring:
  method: sum
  higher_is: worse
  bands:
    - {min: 0, max: 4, meaning: Fine}
    - {min: 5, max: 9, meaning: Worth asking, concern: true}
  subscales:
    - id: mood
      name: Mood
      items: [worried, low]
      bands:
        - {min: 4, max: 6, meaning: High, concern: true}
"""

SESSION = (
    FRONT.format(number=1)
    + """
::: measure
instrument: check
---
Why we ask, this week.
???
Say that pass is fine.
:::
"""
)


def with_instrument(tmp_path: Path, text: str = INSTRUMENT, session: str = SESSION) -> Path:
    folder = write_programme(tmp_path, {"01-welcome.md": session})
    (folder / "measures").mkdir()
    (folder / "measures" / "check.yaml").write_text(text)
    return folder


def test_a_measure_step_carries_its_whole_instrument(tmp_path: Path) -> None:
    programme = load_programme(with_instrument(tmp_path))
    step = programme.sessions[0].steps[0]
    assert step.kind == "measure" and step.title == "A small check"
    assert step.body_html == "<p>Why we ask, this week.</p>\n" and step.notes_md == "Say that pass is fine."
    settings = step.settings
    assert settings["instrument"] == "check" and settings["short_name"] == "Check"
    assert [item["id"] for item in settings["items"]] == ["calm", "worried", "low"]
    assert settings["items"][0]["reverse"] is True and settings["items"][2]["risk"]["at_least"] == 3
    assert settings["scale"] == {"min": 0, "max": 3, "anchors": {0: "Never", 3: "Always"}}
    assert settings["scoring"]["subscales"][0]["items"] == ["worried", "low"]
    assert settings["source"] == "Written for the tests." and settings["licence"] == "Free to use."


def test_a_measure_step_may_name_its_own_title_and_needs_no_text(tmp_path: Path) -> None:
    session = FRONT.format(number=1) + "\n::: measure\ninstrument: check\ntitle: This week's check\n:::\n"
    step = load_programme(with_instrument(tmp_path, session=session)).sessions[0].steps[0]
    assert step.title == "This week's check" and step.body_md == ""


def test_an_instrument_changes_the_programme_s_content_hash(tmp_path: Path) -> None:
    before = load_programme(with_instrument(tmp_path / "a")).content_hash
    after = load_programme(with_instrument(tmp_path / "b", INSTRUMENT.replace("I felt calm", "I was calm")))
    assert before != after.content_hash


def test_a_step_naming_no_instrument_file_says_which_exist(tmp_path: Path) -> None:
    session = SESSION.replace("instrument: check", "instrument: chek")
    assert issues_for(with_instrument(tmp_path, session=session)) == [
        "01-welcome.md:9: measure: instrument: no file measures/chek.yaml (instruments in this programme: check)"
    ]


def test_a_step_without_instrument_or_with_unknown_settings(tmp_path: Path) -> None:
    session = SESSION.replace("instrument: check", "instrumnet: check")
    assert issues_for(with_instrument(tmp_path, session=session)) == [
        "01-welcome.md:8: measure: instrument: is required",
        "01-welcome.md:9: measure: instrumnet: unknown setting (expected one of: instrument, title)",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("name: A small check\n", ""), "measures/check.yaml:1: name: is required"),
        (("source: Written for the tests.\n", ""), "measures/check.yaml:1: source: is required"),
        (("licence: Free to use.\n", ""), "measures/check.yaml:1: licence: is required"),
        (("purpose: So that", "purpos: So that"), "measures/check.yaml:3: purpos: unknown setting"),
        (("short_name: Check", "short_name: " + "x" * 41), "measures/check.yaml:2: short_name: at most 40 characters"),
        (("  max: 3\n", "  max: 11\n"), "measures/check.yaml:9: scale: max: must be at most 10"),
        (("  max: 3\n", "  max: 0\n"), "measures/check.yaml:9: scale: max: must be above min (0)"),
        (("    3: Always\n", ""), "measures/check.yaml:10: scale: anchors: the max value (3) needs its words"),
        (
            ("    3: Always\n", "    3: Always\n    7: Too far\n"),
            "measures/check.yaml:10: scale: anchors: 7 is outside the scale (0 to 3)",
        ),
        (
            ("  - id: worried", "  - id: calm"),
            "measures/check.yaml:17: items: item 2: id: 'calm' is used by another item",
        ),
        (
            ("  - id: worried", "  - id: Worried"),
            "measures/check.yaml:17: items: item 2: id: must be lowercase letters, digits and dashes",
        ),
        (
            ("    reverse: true", "    reverse: maybe"),
            "measures/check.yaml:16: items: item 1: reverse: must be true or false",
        ),
        (
            ("      at_least: 3", "      at_least: 4"),
            "measures/check.yaml:22: items: item 3: risk: at_least: must be above 0 and at most 3",
        ),
        (("  method: sum", "  method: median"), "measures/check.yaml:25: scoring: method: must be 'sum' or 'mean'"),
        (("  higher_is: worse\n", ""), "measures/check.yaml:24: scoring: higher_is: is required"),
        (
            ("{min: 5, max: 9,", "{min: 5, max: 10,"),
            "measures/check.yaml:29: scoring: bands: item 2: must lie within the score's range (0 to 9)",
        ),
        (
            ("{min: 5, max: 9,", "{min: 4, max: 9,"),
            "measures/check.yaml:29: scoring: bands: item 2: min: overlaps the band from 0 to 4",
        ),
        (
            ("{min: 0, max: 4,", "{min: 4, max: 0,"),
            "measures/check.yaml:28: scoring: bands: item 1: max: must be at least min (4)",
        ),
        (
            ("items: [worried, low]", "items: [worried, sad]"),
            "measures/check.yaml:33: scoring: subscales: item 1: items: no item has the id 'sad'",
        ),
        (
            ("{min: 4, max: 6,", "{min: 4, max: 7,"),
            "measures/check.yaml:35: scoring: subscales: item 1: bands: item 1: must lie within the score's range (0 to 6)",
        ),
        (
            ("items:\n  - id: calm", "items: []\nold:\n  - id: calm"),
            "measures/check.yaml:13: items: needs at least 1 items",
        ),
    ],
)
def test_every_instrument_setting_is_checked_with_its_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in INSTRUMENT
    issues = issues_for(with_instrument(tmp_path, INSTRUMENT.replace(old, new, 1)))
    assert expected in issues, issues


def test_an_item_needs_a_scale_of_its_own_or_the_instrument_s(tmp_path: Path) -> None:
    text = INSTRUMENT.replace("scale:\n  min: 0\n  max: 3\n  anchors:\n    0: Never\n    3: Always\n", "")
    issues = issues_for(with_instrument(tmp_path, text))
    assert (
        "measures/check.yaml:8: items: item 1: needs a scale (or give the instrument one scale for every item)"
        in issues
    )


def test_an_instrument_file_that_is_not_yaml_or_wrongly_named(tmp_path: Path) -> None:
    folder = with_instrument(tmp_path, "name: [unclosed\n")
    (folder / "measures" / "Other Name.yml").write_text(INSTRUMENT)
    issues = issues_for(folder)
    assert issues[0] == "measures/Other Name.yml:1: an instrument file is named like session-rating.yaml"
    assert issues[1].startswith("measures/check.yaml:2: not valid YAML")


def test_the_shipped_instruments_load_with_their_sources_and_licences() -> None:
    found, issues = measures.load_instruments(COURSE / "measures")
    assert issues == [] and sorted(found) == ["phq-4", "session-rating"]
    phq = found["phq-4"]
    assert "Kroenke" in phq["source"] and "Psychosomatics. 2009;50(6):613–621" in phq["source"]
    assert "No permission is required" in phq["licence"]
    assert [item_scale["max"] for item_scale in (measures.item_scale(phq, item) for item in phq["items"])] == [3] * 4
    rating = found["session-rating"]
    assert len(rating["items"]) == 4 and measures.score_range(rating) == (0, 40)
    assert "own words" in rating["source"]


def test_scoring_sums_reverses_and_leaves_out_scores_with_a_passed_item(tmp_path: Path) -> None:
    instrument = load_programme(with_instrument(tmp_path)).sessions[0].steps[0].settings
    # calm is reversed: 0 scores 3.
    assert measures.scores(instrument, [0, 2, 3]) == {"total": 8.0, "mood": 5.0}
    assert measures.scores(instrument, [None, 2, 3]) == {"mood": 5.0}
    assert measures.scores(instrument, [1, None, 3]) == {}
    assert measures.risk_items(instrument, [0, 2, 3]) == [2] and measures.risk_items(instrument, [0, 2, 2]) == []
    assert measures.band_of(instrument["scoring"]["bands"], 8.0)["concern"] is True


def test_an_instrument_needs_no_bands_subscales_or_stem(tmp_path: Path) -> None:
    text = INSTRUMENT.split("  bands:")[0].replace("stem: Over the last week,\n", "")
    instrument = load_programme(with_instrument(tmp_path, text)).sessions[0].steps[0].settings
    assert instrument["scoring"]["bands"] == [] and instrument["scoring"]["subscales"] == []
    assert instrument["stem"] is None and measures.scores(instrument, [0, 0, 0]) == {"total": 3.0}


def test_mean_scoring_divides_by_the_items(tmp_path: Path) -> None:
    text = INSTRUMENT.replace("method: sum", "method: mean").replace("max: 9,", "max: 3,").replace("max: 4,", "max: 1,")
    text = text.replace("{min: 5,", "{min: 1.5,").replace("{min: 4, max: 6,", "{min: 2, max: 3,")
    instrument = load_programme(with_instrument(tmp_path, text)).sessions[0].steps[0].settings
    assert measures.scores(instrument, [0, 2, 3]) == {"total": pytest.approx(8 / 3), "mood": 2.5}


def test_the_instrument_example_in_the_docs_loads(tmp_path: Path) -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "programme-format.md").read_text()
    example = docs.split("#### Measure: a short questionnaire", 1)[1].split("```yaml\n", 1)[1].split("\n```", 1)[0]
    step = load_programme(with_instrument(tmp_path, example + "\n")).sessions[0].steps[0]
    assert [item["id"] for item in step.settings["items"]] == ["worried", "calm", "hopeless"]
    assert measures.risk_items(step.settings, [0, 0, 3]) == [2]
