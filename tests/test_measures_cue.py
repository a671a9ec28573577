"""The facilitators' private cue after a measure (sessions/measures/operations.py, docs/measures.md):
when the group's mean total lies in a band of concern, or got noticeably worse since the last week
it was asked, naming the question rated least well; never from a week below k."""

from sessions.measures.operations import cue

ITEMS = [
    {"id": "heard", "text": "I felt heard", "min": 0, "max": 10, "mean": 8.0},
    {"id": "mattered", "text": "We worked on what mattered", "min": 0, "max": 10, "mean": 5.5},
]


def week(number: int, mean: float | None, band: dict | None = None, items=ITEMS) -> dict:
    if mean is None:  # fewer than k answered: no figures at all
        return {"week": number, "answers": 2, "passes": 0, "threshold": 3, "below_threshold": True}
    total = {"id": "total", "mean": mean, "band": band}
    return {"week": number, "answers": 6, "passes": 0, "threshold": 3, "items": items, "scores": [total]}


def measure(*weeks: dict, higher_is: str = "better") -> dict:
    return {"higher_is": higher_is, "range": [0, 40], "weeks": list(weeks)}


CONCERN = {"meaning": "Worth asking the group.", "concern": True}
FINE = {"meaning": "Suited most people.", "concern": False}


def test_no_cue_while_the_rating_holds_or_only_below_k():
    assert cue(measure(week(1, 35, FINE), week(2, 33, FINE))) is None
    assert cue(measure(week(1, None), week(2, None))) is None


def test_a_fall_of_a_tenth_of_the_range_is_noticed_and_names_the_lowest_question():
    found = cue(measure(week(1, 36, FINE), week(2, 32, FINE)))
    assert found["week"] == 2
    assert found["reasons"] == ["The group's mean total fell from 36 in week 1 to 32 in week 2."]
    assert "“We worked on what mattered”" in found["suggestion"]


def test_a_week_below_k_is_skipped_when_comparing():
    found = cue(measure(week(1, 36, FINE), week(2, None), week(3, 31, FINE)))
    assert found["reasons"] == ["The group's mean total fell from 36 in week 1 to 31 in week 3."]


def test_a_band_of_concern_is_a_cue_by_itself():
    found = cue(measure(week(1, 25, CONCERN)))
    assert found["reasons"] == ["The group's mean total in week 1 is 25: Worth asking the group."]


def test_where_higher_is_worse_a_rise_is_the_cue_and_the_highest_question_is_named():
    items = [{**ITEMS[0], "mean": 2.0}, {**ITEMS[1], "mean": 7.0}]
    found = cue(measure(week(1, 10, FINE, items), week(2, 15, FINE, items), higher_is="worse"))
    assert found["reasons"] == ["The group's mean total rose from 10 in week 1 to 15 in week 2."]
    assert "“We worked on what mattered”" in found["suggestion"]
