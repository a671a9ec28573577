"""Measures over a real server and real clients (docs/measures.md): nine people answer the session
rating over three weeks; the facilitators' aggregates equal the answers' distribution and are absent
below k; no socket but the author's receives a person's scores; each person's own trend over HTTP
equals what they answered; sharing and withdrawing; the risk item's check-in."""

import csv
import io
import json
import time
import zipfile
from dataclasses import dataclass, field

import pytest

from tests.live import Browser, Group, LiveClient, create_facilitator, make_group, open_session, wait_until
from tests.services import SCALED
from tests.test_forensics import query
from tests.test_records_live import paced, state, versioned

BACKENDS = ("sqlite", SCALED)
NAMES = tuple(f"Person {n}" for n in range(1, 10))
K = 3
# Week by week, each person's four answers to the session rating (None: passed that item); a person
# missing from a week passed the whole measure. Every vector is different, so that a leak is seen.
RATINGS = {
    # Week 1 suits the group (a mean total near 35 of 40); week 2 falls below the band of 30.
    1: {name: [10 - n % 3, 6 + n // 3, 8 + n % 3, 9] for n, name in enumerate(NAMES, start=1)},
    2: {name: [10 - n, n, None if n == 4 else 7, (n + 5) % 11] for n, name in enumerate(NAMES, start=1)},
    # Week 3: only two answer, fewer than k.
    3: {NAMES[0]: [2, 2, 2, 2], NAMES[1]: [1, 3, 0, 4]},
}
PHQ_WEEK_1 = {name: [n % 4, (n + 1) % 4, (n + 2) % 4, 3 if n == 9 else n % 3] for n, name in enumerate(NAMES, start=1)}


def measure_positions(console) -> dict[str, int]:
    """The position of each measure step of the session on screen, by instrument."""
    steps = state(console)["agenda"]
    found = {}
    for item in steps:
        if item["kind"] == "measure":
            versioned(console, "step:go", position=item["position"])
            found[state(console)["step"]["settings"]["instrument"]] = item["position"]
    return found


def run_measure(console, position: int, answers: dict, clients: dict) -> int:
    versioned(console, "step:go", position=position)
    versioned(console, "poll:open")
    poll = state(console)["poll"]["id"]
    for name, client in clients.items():
        values = answers.get(name)
        answer = {"items": values} if values is not None else {"pass": True}
        assert paced(client, "poll:answer", {"poll": poll, "answer": answer})["ok"]
    versioned(console, "poll:close")
    return poll


@dataclass
class Weeks:
    group: Group
    people: dict[str, Browser]
    polls: dict[int, int] = field(default_factory=dict)
    phq_poll: int = 0
    team: list = field(default_factory=list)  # every event the consoles received
    room: dict[str, list] = field(default_factory=dict)  # every event each participant received
    closed_results: dict[int, dict] = field(default_factory=dict)
    live_ids: dict[int, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def weeks(server, demo_login) -> Weeks:
    group = make_group(server, demo_login, names=NAMES, open_week=1)
    ran = Weeks(group, dict(zip(NAMES, group.participants, strict=True)))
    ran.room = {name: [] for name in NAMES}
    opened: list[LiveClient] = []
    try:
        for week in (1, 2, 3):
            if week > 1:
                open_session(group, week)
            console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
            clients = {name: LiveClient(server, ran.people[name], group.public_id, "participant") for name in NAMES}
            opened += [console, *clients.values()]
            versioned(console, "session:start")
            where = measure_positions(console)
            if week == 1:
                ran.phq_poll = run_measure(console, where["phq-4"], PHQ_WEEK_1, clients)
            ran.polls[week] = run_measure(console, where["session-rating"], RATINGS[week], clients)
            ran.closed_results[week] = state(console)["poll"]["results"]
            versioned(console, "session:end")
            ran.live_ids[week] = group.live_session_id
            wait_until(lambda console=console: console.events("measures:group"))
            ran.team += console.received
            for name, client in clients.items():
                ran.room[name] += client.received
            for client in opened:
                client.close()
            opened.clear()
    finally:
        for client in opened:
            client.close()
    return ran


def distribution(answers: dict, item: int, low: int = 0, high: int = 10) -> list[int]:
    values = [vector[item] for vector in answers.values() if vector[item] is not None]
    return [values.count(value) for value in range(low, high + 1)]


def totals(answers: dict) -> list[list[float]]:
    sums = [sum(vector) for vector in answers.values() if None not in vector]
    return [[float(total), sums.count(total)] for total in sorted(set(sums))]


def test_the_facilitators_aggregates_equal_the_answers_distribution(weeks):
    for week in (1, 2):
        results = weeks.closed_results[week]
        answers = RATINGS[week]
        assert results["answers"] == len(answers) and results["passes"] == 0
        for n, item in enumerate(results["items"]):
            assert item["counts"] == distribution(answers, n), (week, n)
            given = [v[n] for v in answers.values() if v[n] is not None]
            assert item["answered"] == len(given) and item["mean"] == round(sum(given) / len(given), 2)
        total = next(score for score in results["scores"] if score["id"] == "total")
        assert total["distribution"] == totals(answers)
        # Week 2: one person passed an item, so their total is left out (it would not mean 0 to 40).
        assert total["answered"] == len(answers) - (1 if week == 2 else 0)


def test_the_phq_4_s_subscales_are_counted_from_complete_answers(weeks):
    measures = json.loads(weeks.group.facilitator.get(f"/cohorts/{weeks.group.cohort_id}/measures.json").text)
    phq = next(m for m in measures["measures"] if m["instrument"] == "phq-4")
    [week] = phq["weeks"]
    scores = {score["id"]: score for score in week["scores"]}
    anxiety = sorted(float(v[0] + v[1]) for v in PHQ_WEEK_1.values())
    assert sum(count for _value, count in scores["anxiety"]["distribution"]) == 9
    assert scores["anxiety"]["mean"] == round(sum(anxiety) / 9, 2)
    assert scores["total"]["band"]["meaning"] in ("Normal", "Mild", "Moderate", "Severe")


def test_below_k_the_facilitators_see_how_many_answered_and_nothing_else(weeks):
    results = weeks.closed_results[3]
    assert results == {"answers": 2, "passes": 7, "threshold": K, "below_threshold": True}
    measures = json.loads(weeks.group.facilitator.get(f"/cohorts/{weeks.group.cohort_id}/measures.json").text)
    rating = next(m for m in measures["measures"] if m["instrument"] == "session-rating")
    assert [week["week"] for week in rating["weeks"]] == [1, 2, 3]
    assert rating["weeks"][2] == {"week": 3, "poll": weeks.polls[3], **results}
    assert "items" in rating["weeks"][1] and "items" not in rating["weeks"][2]
    # Only the cohort's team reads them: a participant's browser is sent to sign in, and gets no figure.
    asked = weeks.people[NAMES[0]].get(f"/cohorts/{weeks.group.cohort_id}/measures.json", allow_redirects=False)
    assert asked.status_code in (302, 404) and b"scores" not in asked.content
    outsider = create_facilitator(
        weeks.group.facilitator.server, "other@elsewhere.example", "a long password 1", "Elsewhere"
    )
    assert outsider.get(f"/cohorts/{weeks.group.cohort_id}/measures.json").status_code == 404


def test_the_cue_says_when_the_group_s_rating_fell_and_what_to_ask(weeks):
    measures = json.loads(weeks.group.facilitator.get(f"/cohorts/{weeks.group.cohort_id}/measures.json").text)
    rating = next(m for m in measures["measures"] if m["instrument"] == "session-rating")
    mean = {w["week"]: next(s for s in w["scores"] if s["id"] == "total")["mean"] for w in rating["weeks"][:2]}
    assert mean[1] >= 30 > mean[2] and mean[1] - mean[2] >= 4
    cue = rating["cue"]
    assert cue["week"] == 2
    assert cue["reasons"] == [
        f"The group's mean total in week 2 is {mean[2]:g}: Below 30 of 40 (an average under 7.5 a question): worth "
        "asking the group, without singling anyone out, what would suit them better next week.",
        f"The group's mean total fell from {mean[1]:g} in week 1 to {mean[2]:g} in week 2.",
    ]
    # The question rated least well in week 2 (by its mean), named so the team knows what to ask about.
    items = rating["weeks"][1]["items"]
    lowest = min(items, key=lambda item: item["mean"])
    assert f"“{lowest['text']}”" in cue["suggestion"] and "without asking anyone how they answered" in cue["suggestion"]
    # The same measures reached the team's consoles, and nobody else.
    assert any(event == "measures:group" for event, _ in weeks.team)
    assert not any(event.startswith("measures:") for events in weeks.room.values() for event, _ in events)


def test_the_reports_hold_the_week_s_aggregates_and_the_trend_and_nobody_s_answers(weeks):
    group = weeks.group
    report = group.facilitator.get(f"/cohorts/{group.cohort_id}/sessions/{weeks.live_ids[1]}/report").text
    assert "Measures" in report and "Session rating" in report and "PHQ-4" in report
    given = [v[0] for v in RATINGS[1].values()]
    assert f"{sum(given) / len(given):g} (0 to 10)" in report.replace("&nbsp;", " ")
    rows = csv.reader(
        io.StringIO(group.facilitator.get(f"/cohorts/{group.cohort_id}/sessions/{weeks.live_ids[1]}/measures.csv").text)
    )
    counts = {(r[0], r[1], r[2]): r[3] for r in rows}
    first = "I felt heard and respected today"
    assert [int(counts[("Session rating", first, str(v))]) for v in range(11)] == distribution(RATINGS[1], 0)
    below = group.facilitator.get(f"/cohorts/{group.cohort_id}/sessions/{weeks.live_ids[3]}/report").text
    assert "fewer than 3 answered, so no figure is kept" in below
    below_csv = group.facilitator.get(f"/cohorts/{group.cohort_id}/sessions/{weeks.live_ids[3]}/measures.csv").text
    assert below_csv.splitlines()[1:] == ["Session rating,,responded,9"]
    record = group.facilitator.get(f"/cohorts/{group.cohort_id}/record").text
    assert "Measures, week by week" in record and "no figure (fewer than 3)" in record
    # The organisation's export: aggregates only; no file in it holds one person's answers.
    archive = zipfile.ZipFile(io.BytesIO(group.facilitator.get(f"/cohorts/{group.cohort_id}/export.zip").content))
    trend = list(csv.reader(io.StringIO(archive.read("measures-trend.csv").decode())))
    rating = [row for row in trend[1:] if row[0] == "Session rating"]
    assert [row[:4] for row in rating] == [
        ["Session rating", "1", "9", "0"],
        ["Session rating", "2", "9", "0"],
        ["Session rating", "3", "2", "7"],
    ]
    assert rating[1][4] != "" and rating[2][4] == ""  # week 3: fewer than k, no figure
    everything = b"\n".join(archive.read(name) for name in archive.namelist())
    for answers in (*RATINGS.values(), PHQ_WEEK_1):
        for values in answers.values():
            assert json.dumps(values).encode() not in everything
            assert ",".join(map(str, values)).encode() not in everything


def test_no_socket_but_the_author_s_receives_their_scores(weeks):
    for week, answers in [*RATINGS.items(), (1, PHQ_WEEK_1)]:
        for author, values in answers.items():
            canonical = json.dumps({"items": values}, separators=(",", ":"))
            for name, events in weeks.room.items():
                seen = json.dumps(events)
                # Receipts carry the answer as canonical JSON inside a string: escaped quotes.
                carried = canonical.replace('"', '\\"') in seen
                assert carried == (name == author), (week, author, name)
            assert canonical.replace('"', '\\"') not in json.dumps(weeks.team), (week, author)


def test_each_person_s_own_trend_over_http_equals_what_they_answered(weeks):
    for name in NAMES:
        trend = weeks.people[name].get(f"/g/{weeks.group.public_id}/journal/trend.json").json()
        by_instrument = {measure["instrument"]: measure for measure in trend["trend"]}
        rating = [(w["week"], w["values"]) for w in by_instrument["session-rating"]["weeks"]]
        assert rating == [(week, RATINGS[week][name]) for week in (1, 2, 3) if name in RATINGS[week]]
        phq = by_instrument["phq-4"]["weeks"]
        assert [(w["week"], w["values"]) for w in phq] == [(1, PHQ_WEEK_1[name])]
        assert phq[0]["scores"]["total"] == sum(PHQ_WEEK_1[name])
        # Exported with the journal.
        exported = weeks.people[name].get(f"/g/{weeks.group.public_id}/journal/export.md").text
        assert "## My answers: Session rating" in exported and "## My answers: PHQ-4" in exported
        week_one = exported.split("## My answers: Session rating", 1)[1].split("### Week 1", 1)[1].split("###")[0]
        assert [line.rsplit(": ", 1)[1] for line in week_one.splitlines() if line.startswith("- ")] == [
            str(v) for v in RATINGS[1][name]
        ]
    # Another person's link, or none, is refused like a page that does not exist.
    assert (
        Browser(weeks.people[NAMES[0]].server).get(f"/g/{weeks.group.public_id}/journal/trend.json").status_code == 404
    )


def test_sharing_a_trend_shows_it_by_name_and_withdrawing_deletes_the_copy(weeks, server):
    group, sharer = weeks.group, weeks.people[NAMES[2]]
    console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    try:
        path = f"/g/{group.public_id}/journal/trend"
        before = json.loads(group.facilitator.get(f"/cohorts/{group.cohort_id}/measures.json").text)
        assert before["shared"] == []
        shared = sharer.post_form(f"{path}/share", {}, token_from=f"/g/{group.public_id}/journal")
        assert shared.status_code == 302
        after = json.loads(group.facilitator.get(f"/cohorts/{group.cohort_id}/measures.json").text)
        [entry] = after["shared"]
        assert entry["name"] == NAMES[2]
        rating = next(m for m in entry["trend"] if m["instrument"] == "session-rating")
        assert [w["values"] for w in rating["weeks"]] == [RATINGS[1][NAMES[2]], RATINGS[2][NAMES[2]]]
        wait_until(lambda: console.events("measures:shared") and console.events("measures:shared")[-1]["shared"])
        withdrawn = sharer.post_form(f"{path}/withdraw", {}, token_from=f"/g/{group.public_id}/journal")
        assert withdrawn.status_code == 302
        assert json.loads(group.facilitator.get(f"/cohorts/{group.cohort_id}/measures.json").text)["shared"] == []
        wait_until(lambda: console.events("measures:shared")[-1]["shared"] == [])
    finally:
        console.close()


def test_a_check_in_after_a_risk_item_reaches_both_facilitators_by_name_and_no_participant(weeks, server):
    group = weeks.group
    open_session(group, 4)
    first = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    second = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    people = {name: LiveClient(server, weeks.people[name], group.public_id, "participant") for name in NAMES[:3]}
    try:
        versioned(first, "session:start")
        # Without a yes, nothing reaches anyone.
        time.sleep(0.5)
        assert not first.events("safety:signals")
        ack = paced(people[NAMES[0]], "measure:check_in")
        assert ack["ok"] and ack["pause"]["status"] == "raised"
        for console in (first, second):
            wait_until(lambda console=console: console.events("safety:signals"))
            [signal] = console.events("safety:signals")[-1]["signals"]
            assert signal["name"] == NAMES[0] and signal["reason"] == "check_in"
        for name, client in people.items():
            assert not client.events("safety:signals"), name
            assert NAMES[0] not in json.dumps([p for e, p in client.received if e != "presence"]) or name == NAMES[0]
        versioned(first, "session:end")
    finally:
        for client in (first, second, *people.values()):
            client.close()


def test_deleting_the_journal_deletes_the_kept_answers_with_it(weeks, server):
    group, leaver = weeks.group, weeks.people[NAMES[8]]
    [(participant_id,)] = query(
        server, "SELECT id FROM participant WHERE cohort_id = ? AND display_name = ?", (group.cohort_id, NAMES[8])
    )
    kept = query(server, "SELECT count(*) FROM journal_score WHERE participant_id = ?", (participant_id,))
    assert kept == [(3,)]  # two session ratings and the PHQ-4
    response = leaver.post_form(f"/g/{group.public_id}/journal/delete", {})
    assert response.status_code == 302

    # The copy of the SQLite files is taken while the server scrubs them (a checkpoint, a VACUUM), so a
    # copy of the main file from before and the log from after reads the old rows: look again.
    def kept_now() -> list:
        return query(server, "SELECT count(*) FROM journal_score WHERE participant_id = ?", (participant_id,))

    wait_until(lambda: kept_now() == [(0,)])
    assert query(server, "SELECT count(*) FROM journal_key WHERE participant_id = ?", (participant_id,)) == [(0,)]
    assert leaver.get(f"/g/{group.public_id}/journal/trend.json").status_code == 404


def test_bad_measure_answers_are_refused_and_change_nothing(weeks, server):
    group = weeks.group
    open_session(group, 5)
    console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    person = LiveClient(server, weeks.people[NAMES[0]], group.public_id, "participant")
    try:
        versioned(console, "session:start")
        position = measure_positions(console)["session-rating"]
        versioned(console, "step:go", position=position)
        versioned(console, "poll:open")
        poll = state(console)["poll"]["id"]
        for answer, words in [
            ({"items": [1, 2, 3]}, "Answer or pass each of the 4 questions."),
            ({"items": [1, 2, 3, 11]}, "Choose a number from 0 to 10, or pass."),
            ({"items": [1, 2, 3, True]}, None),
            ({"value": 3}, "Answer or pass each of the 4 questions."),
        ]:
            ack = paced(person, "poll:answer", {"poll": poll, "answer": answer})
            assert not ack["ok"] and ack["error"]["code"] in ("bad_answer", "bad_payload"), ack
            if words:
                assert ack["error"]["message"] == words
        assert paced(person, "poll:answer", {"poll": poll, "answer": {"items": [None] * 4}})["ok"]
        versioned(console, "poll:close")
        assert state(console)["poll"]["results"] == {"answers": 0, "passes": 1, "threshold": K, "below_threshold": True}
        refused = paced(console, "poll:reveal", {"version": state(console)["version"]})
        assert refused["error"]["code"] == "measure_private"
        versioned(console, "session:end")
    finally:
        console.close()
        person.close()
