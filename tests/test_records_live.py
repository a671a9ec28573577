"""What two weeks of a group leave behind, over a real server and real clients: every figure of the
session report against what happened, the attendance grid, the trend (no figure below k), the
missed-two-weeks cue, the PDF, the CSV, the archive, the calendar file, the catch-up, and canaries
(ballots, journals, private room notes) that no report or export may ever contain."""

import csv
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from diff_match_patch import diff_match_patch
from icalendar import Calendar
from pypdf import PdfReader

from tests.live import Browser, Group, LiveClient, create_facilitator, make_group, open_session, wait_until

CONTENT = Path(__file__).resolve().parent.parent / "facilitation/content/repairing-attachment-injuries"
NAMES = ("Ash", "Bo", "Cy", "Di", "Ed")
CHECK_IN_1 = {"Ash": 3, "Bo": 5, "Cy": 6, "Di": 8}
CHECK_OUT_1 = {"Ash": 6, "Bo": 7, "Cy": 8, "Di": 9}
CHECK_IN_2 = {"Ash": 4, "Bo": 6}
SHARED_NOTES = "Turning towards starts with noticing the bid."
EXCERPT = "What helped: someone simply stayed."
SESSION_NOTES = "Ash asked for a pause during the agreement; follow up before week 2."


def canary(label: str) -> str:
    return f"canary-{label}-{time.monotonic_ns()}"


@dataclass
class Weeks:
    group: Group
    people: dict[str, Browser]
    week_ids: list[int]
    canaries: list[str] = field(default_factory=list)


def paced(client, event: str, payload: dict | None = None) -> dict:
    """A whole session driven faster than a person clicks: wait out the per-connection limit."""
    for _ in range(5):
        ack = client.call(event, payload if payload is not None else {})
        if ack.get("ok") or ack["error"]["code"] != "rate_limited":
            return ack
        time.sleep(1)
    return ack


def state(client) -> dict:
    return paced(client, "snapshot")["state"]


def versioned(client, event: str, **payload) -> dict:
    ack = paced(client, event, {"version": state(client)["version"], **payload})
    assert ack["ok"], (event, ack)
    return ack


def positions(console, kind: str) -> list[int]:
    return [item["position"] for item in state(console)["agenda"] if item["kind"] == kind]


def run_poll(console, position: int, answers: dict, clients: dict, reveal: bool) -> None:
    versioned(console, "step:go", position=position)
    versioned(console, "poll:open")
    poll = state(console)["poll"]["id"]
    for name, answer in answers.items():
        assert paced(clients[name], "poll:answer", {"poll": poll, "answer": answer})["ok"]
    versioned(console, "poll:close")
    if reveal:
        versioned(console, "poll:reveal")


def save_entry(browser: Browser, public_id: str, text: str) -> dict:
    token = browser.token(f"/g/{public_id}/journal")
    response = browser.http.post(
        f"{browser.server.url}/g/{public_id}/journal/entries",
        json={"kind": "free", "text": text},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["entry"]


def write_notes(room_member: LiveClient, round_id: int, text: str) -> None:
    merger = diff_match_patch()
    patch = merger.patch_toText(merger.patch_make("", text))
    assert paced(room_member, "breakout:notes", {"round": round_id, "revision": 0, "patch": patch})["ok"]


@pytest.fixture(scope="module")
def weeks(server, demo_login) -> Weeks:
    group = make_group(server, demo_login, names=NAMES, open_week=1)
    people = dict(zip(NAMES, group.participants, strict=True))
    ran = Weeks(group, people, [])
    opened: list[LiveClient] = []
    try:
        console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
        # Ed joined but never comes: two meetings missed in a row.
        clients = {name: LiveClient(server, people[name], group.public_id, "participant") for name in NAMES[:4]}
        opened += [console, *clients.values()]
        versioned(console, "session:start")
        polls = positions(console, "poll")
        run_poll(console, polls[0], {n: {"value": v} for n, v in CHECK_IN_1.items()}, clients, reveal=True)
        # Everyone's journal holds words that no report may ever show.
        for name in NAMES[:4]:
            words = canary(f"journal-{name}")
            ran.canaries.append(words)
            save_entry(people[name], group.public_id, f"{EXCERPT} {words}" if name == "Bo" else words)
        # A pause and a grounding break.
        assert paced(clients["Ash"], "pause:raise")["ok"]
        wait_until(lambda: console.events("safety:signals"))
        signal = console.events("safety:signals")[-1]["signals"][0]
        assert paced(console, "pause:acknowledge", {"signal": signal["id"], "reply": "Here when you need us"})["ok"]
        versioned(console, "break:start", seconds=60, breathe_in=4, breathe_out=6)
        versioned(console, "break:end")
        # An open-text poll, never revealed: its answers are ballots, and stay out of every report.
        ballots = {name: canary(f"ballot-{name}") for name in NAMES[:4]}
        ran.canaries += ballots.values()
        run_poll(console, polls[1], {n: {"text": t} for n, t in ballots.items()}, clients, reveal=False)
        # A breakout in pairs: one room shares its notes, the other keeps them.
        versioned(console, "step:go", position=positions(console, "breakout")[0])
        versioned(console, "breakout:propose")
        round_id = state(console)["breakout"]["id"]
        versioned(console, "breakout:start", round=round_id)
        rooms: dict[int, list[str]] = {}
        for name, client in clients.items():
            room = state(client)["you"]["breakout"]["room"]
            rooms.setdefault(room["number"], []).append(name)
        sharing, keeping = rooms[1], rooms[2]
        write_notes(clients[sharing[0]], round_id, SHARED_NOTES)
        private_notes = canary("room-notes")
        ran.canaries.append(private_notes)
        write_notes(clients[keeping[0]], round_id, private_notes)
        versioned(console, "breakout:close", round=round_id)
        for name in sharing:
            assert paced(clients[name], "breakout:share", {"round": round_id, "agree": True})["ok"]
        # An excerpt Bo shared, shown to the room.
        entry = save_entry(people["Bo"], group.public_id, "draft")
        shared = people["Bo"].post_form(
            f"/g/{group.public_id}/journal/entries/{entry['id']}/share",
            {"excerpt": EXCERPT},
            token_from=f"/g/{group.public_id}/journal/entries/{entry['id']}/share",
        )
        assert shared.status_code == 302
        wait_until(lambda: console.events("excerpt:queue") and console.events("excerpt:queue")[-1]["pending"])
        excerpt = console.events("excerpt:queue")[-1]["pending"][0]["id"]
        versioned(console, "excerpt:approve", excerpt=excerpt)
        run_poll(console, polls[-1], {n: {"value": v} for n, v in CHECK_OUT_1.items()}, clients, reveal=False)
        versioned(console, "session:end")
        ran.week_ids.append(group.live_session_id)
        for client in opened:
            client.close()
        opened.clear()

        # Week 2: only Ash and Bo come, too few for a check-in figure.
        open_session(group, 2)
        console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
        clients = {name: LiveClient(server, people[name], group.public_id, "participant") for name in ("Ash", "Bo")}
        opened += [console, *clients.values()]
        versioned(console, "session:start")
        run_poll(
            console, positions(console, "poll")[0], {n: {"value": v} for n, v in CHECK_IN_2.items()}, clients, False
        )
        versioned(console, "session:end")
        ran.week_ids.append(group.live_session_id)
    finally:
        for client in opened:
            client.close()
    return ran


def report_url(ran: Weeks, week: int, tail: str = "report") -> str:
    return f"/cohorts/{ran.group.cohort_id}/sessions/{ran.week_ids[week - 1]}/{tail}"


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_report_of_week_1_shows_what_happened(weeks):
    facilitator = weeks.group.facilitator
    page = facilitator.get(report_url(weeks, 1))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = visible(page.text)
    assert re.search(r'data-figure="attended">4<', page.text) and re.search(r'data-figure="late">0<', page.text)
    attendance = csv_rows(facilitator.get(report_url(weeks, 1, "attendance.csv")).text)
    assert [row["name"] for row in attendance] == ["Ash", "Bo", "Cy", "Di"]
    assert all(row["late"] == "no" and row["left early"] == "no" for row in attendance)
    # The check-in, revealed, and the check-out, seen by the team only: both as counts, never as who.
    polls = csv_rows(facilitator.get(report_url(weeks, 1, "polls.csv")).text)
    check_in = {r["answer"]: r["count"] for r in polls if r["kind"] == "check-in"}
    assert check_in["responded"] == "4"
    assert [int(check_in[str(v)]) for v in range(11)] == [list(CHECK_IN_1.values()).count(v) for v in range(11)]
    check_out = {r["answer"]: r["count"] for r in polls if r["kind"] == "check-out"}
    assert [int(check_out[str(v)]) for v in range(11)] == [list(CHECK_OUT_1.values()).count(v) for v in range(11)]
    assert "average 5.5" in text and "average 7.5" in text
    # The open-text poll was never revealed: how many responded, and nothing of what.
    [text_poll] = [r for r in polls if r["kind"] == "text"]
    assert text_poll["answer"] == "responded" and text_poll["count"] == "4"
    assert "The results were not revealed to the room" in text
    safety = csv_rows(facilitator.get(report_url(weeks, 1, "safety.csv")).text)
    assert [(r["what"], r["who or how many"]) for r in safety] == [("pause", "Ash"), ("grounding break", "")]
    assert re.search(r'data-figure="pauses">1<', page.text) and re.search(r'data-figure="breaks">1<', page.text)
    assert "Demo Facilitator" in safety[0]["answered by"]
    breakouts = csv_rows(facilitator.get(report_url(weeks, 1, "breakouts.csv")).text)
    assert breakouts[0]["rooms"] == "2" and [r["shared notes"] for r in breakouts[1:]] == [SHARED_NOTES]
    assert SHARED_NOTES in text and EXCERPT in text


def test_the_teams_notes_are_kept_beside_the_report_and_a_stale_save_changes_nothing(weeks):
    facilitator = weeks.group.facilitator
    url = report_url(weeks, 1)
    saved = facilitator.post_form(report_url(weeks, 1, "notes"), {"text": SESSION_NOTES, "revision": "0"}, url)
    assert saved.status_code == 302
    assert SESSION_NOTES in facilitator.get(url).text
    stale = facilitator.post_form(report_url(weeks, 1, "notes"), {"text": "overwritten", "revision": "0"}, url)
    assert stale.status_code == 400 and "A colleague saved these notes" in stale.text
    huge = facilitator.post_form(report_url(weeks, 1, "notes"), {"text": "x" * 20_001, "revision": "1"}, url)
    assert huge.status_code == 400
    page = facilitator.get(url).text
    assert SESSION_NOTES in page and "overwritten" not in page
    assert SESSION_NOTES in pdf_text(facilitator.get(report_url(weeks, 1, "report.pdf")).content)


def test_the_pdf_says_what_the_page_says(weeks):
    response = weeks.group.facilitator.get(report_url(weeks, 1, "report.pdf"))
    assert response.headers["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for words in ("week 1, Welcome and safety", "Ash", "Di", "average 5.5", "average 7.5", SHARED_NOTES, EXCERPT):
        assert words in text, words
    assert "1 pause request(s), 1 grounding break(s)" in text
    assert "Not revealed, so no results are shown" in " ".join(text.split())


def test_the_cohort_across_the_weeks_grid_trend_and_cue(weeks):
    facilitator = weeks.group.facilitator
    page = facilitator.get(f"/cohorts/{weeks.group.cohort_id}/record").text
    cue = re.search(r'id="missed-cue".*?</section>', page, re.S).group(0)
    assert "Ed" in cue and not any(name in cue for name in ("Ash", "Bo", "Cy", "Di"))
    assert "<svg" in page and 'role="img"' in page and 'id="trend-table"' in page
    archive = zipfile.ZipFile(io.BytesIO(facilitator.get(f"/cohorts/{weeks.group.cohort_id}/export.zip").content))
    grid = {row["name"]: list(row.values())[1:] for row in csv_rows(archive.read("attendance-grid.csv").decode())}
    assert grid == {
        "Ash": ["Came", "Came"],
        "Bo": ["Came", "Came"],
        "Cy": ["Came", "Missed"],
        "Di": ["Came", "Missed"],
        "Ed": ["Missed", "Missed"],
    }
    trend = csv_rows(archive.read("check-in-trend.csv").decode())
    assert [(r["week"], r["check-in responded"], r["check-in average"]) for r in trend] == [
        ("1", "4", "5.5"),
        ("2", "2", ""),
    ]
    assert trend[0]["check-out average"] == "7.5"
    table = re.search(r'id="trend-table".*?</table>', page, re.S).group(0)
    assert "no figure (fewer than 3 answered)" in table and "5.5" in table
    # No figure of week 2 is drawn: the chart has exactly the two points of week 1.
    chart = re.search(r'<svg[^>]*class="chart trend".*?</svg>', page, re.S).group(0)
    assert ">5.5<" in chart and ">7.5<" in chart and "no figure" in chart


def test_the_archive_holds_every_session_as_pdf_and_csv_and_the_cli_makes_the_same(weeks, server, tmp_path):
    import os
    import subprocess
    import sys

    from tests.live import PROJECT_ROOT

    facilitator = weeks.group.facilitator
    data = facilitator.get(f"/cohorts/{weeks.group.cohort_id}/export.zip").content
    names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    tables = ("attendance", "breakouts", "measures", "polls", "report", "safety")
    expected = ["attendance-grid.csv", "check-in-trend.csv", "measures-trend.csv"] + [
        f"session-{n:02d}-week-{n:02d}/{t}.{'pdf' if t == 'report' else 'csv'}" for n in (1, 2) for t in tables
    ]
    assert names == sorted(expected)
    out = tmp_path / "record.zip"
    command = [sys.executable, "-m", "flask", "--app", "app", "mend", "export-cohort"]
    env = {**os.environ, **server.env, "MEND_INSTANCE_PATH": server.instance}
    done = subprocess.run(
        [*command, str(weeks.group.cohort_id), "--to", str(out)], cwd=PROJECT_ROOT, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert sorted(zipfile.ZipFile(out).namelist()) == names
    # The command's export is in the audit trail like the browser's.
    trail = facilitator.get(f"/admin/audit.csv?cohort={weeks.group.cohort_id}&action=records.export").text
    assert "command line" in trail
    missing = subprocess.run([*command, "999999", "--to", str(tmp_path / "x.zip")], cwd=PROJECT_ROOT, env=env)
    assert missing.returncode != 0 and not (tmp_path / "x.zip").exists()


def everything_exported(weeks) -> dict[str, str]:
    """Every report, page and file the team or a participant can get, as text."""
    facilitator, cohort = weeks.group.facilitator, weeks.group.cohort_id
    found = {"record": facilitator.get(f"/cohorts/{cohort}/record").text}
    for week in (1, 2):
        found[f"report {week}"] = facilitator.get(report_url(weeks, week)).text
        found[f"pdf {week}"] = pdf_text(facilitator.get(report_url(weeks, week, "report.pdf")).content)
        for table in ("attendance", "polls", "safety", "breakouts"):
            found[f"{table} {week}"] = facilitator.get(report_url(weeks, week, f"{table}.csv")).text
    archive = zipfile.ZipFile(io.BytesIO(facilitator.get(f"/cohorts/{cohort}/export.zip").content))
    for name in archive.namelist():
        body = archive.read(name)
        found[name] = pdf_text(body) if name.endswith(".pdf") else body.decode()
    found["calendar"] = weeks.people["Ash"].get(f"/g/{weeks.group.public_id}/calendar.ics").text
    return found


def test_no_report_or_export_holds_a_ballot_or_any_journal_text(weeks):
    exported = everything_exported(weeks)
    for name, text in exported.items():
        for words in weeks.canaries:
            assert words not in text, f"{words} in {name}"
    # The tables of answers name nobody.
    for name, text in exported.items():
        if name.endswith("polls.csv") or re.fullmatch(r"polls \d|check-in-trend.csv", name):
            assert not any(person in row for row in csv.reader(io.StringIO(text)) for person in NAMES), name


def test_the_calendar_file_lists_the_meetings_under_a_neutral_title(weeks):
    response = weeks.people["Cy"].get(f"/g/{weeks.group.public_id}/calendar.ics")
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 12
    assert {str(event["SUMMARY"]) for event in events} == {"Group meeting"}
    assert "Live test group" not in response.text and "attachment" not in response.text.lower()
    # Weeks 1 and 2 as they were run; weeks 3 to 12 on the Mondays at 18:00 that follow.
    starts = [event.decoded("DTSTART") for event in events]
    assert starts == sorted(starts)
    assert all((s.weekday(), s.hour, s.minute, str(s.tzinfo)) == (0, 18, 0, "Europe/London") for s in starts[2:])
    assert starts[2].date() > starts[1].date() and (starts[3] - starts[2]).days == 7
    assert Browser(weeks.group.facilitator.server).get(f"/g/{weeks.group.public_id}/calendar.ics").status_code == 404


def slide_titles(number: int) -> list[str]:
    [path] = CONTENT.glob(f"{number:02d}-*.md")
    return re.findall(r"::: slide\ntitle: (.+)\n", path.read_text())


def test_a_missed_week_has_a_private_catch_up_with_nothing_of_other_people(weeks):
    cy = weeks.people["Cy"]
    url = f"/g/{weeks.group.public_id}/weeks/2"
    page = cy.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = visible(page.text)
    for title in slide_titles(2):
        assert title.replace("'", "&#39;") in page.text or title in text, title
    assert "What a bond gives me" in text  # the week's reflection prompt
    for other in ("Ash", "Bo", "Di", "Ed"):
        assert not re.search(rf"\b{other}\b", text), other
    for words in [*weeks.canaries, SHARED_NOTES, EXCERPT]:
        assert words not in page.text
    # Cy writes the missed reflection; it goes to Cy's journal only.
    mine = canary("catch-up")
    form = re.search(r'name="(reflection-\d+)-position"[^>]*value="(\d+)"', page.text)
    prefix, position = form.groups()
    saved = cy.post_form(f"{url}/reflection", {f"{prefix}-text": mine, f"{prefix}-position": position}, url)
    assert saved.status_code == 302
    assert mine in cy.get(url).text and mine in cy.get(f"/g/{weeks.group.public_id}/journal").text
    weeks.canaries.append(mine)
    group_page = cy.get(f"/g/{weeks.group.public_id}").text
    assert re.search(r"Week 1.*?You came", group_page, re.S) and f'href="{url}"' in group_page


def test_bad_catch_up_and_report_requests_get_a_clear_error_and_change_nothing(weeks, server, demo_login):
    ash, public = weeks.people["Ash"], weeks.group.public_id
    came = ash.get(f"/g/{public}/weeks/2")
    assert came.status_code == 400 and "You were there that week" in came.text
    for week in ("3", "99999999999999999999999"):
        response = ash.get(f"/g/{public}/weeks/{week}")
        assert response.status_code == 400 and "the group has not met for it" in response.text
    assert ash.get(f"/g/{public}/weeks/-1").status_code == 404
    assert Browser(server).get(f"/g/{public}/weeks/2").status_code == 404
    # Ash cannot write into Cy's missed week either.
    refused = ash.post_form(
        f"/g/{public}/weeks/2/reflection", {"reflection-0-text": "x", "reflection-0-position": "0"}, f"/g/{public}"
    )
    assert refused.status_code == 400
    facilitator = weeks.group.facilitator
    before = facilitator.get(report_url(weeks, 1)).text
    other = make_group(server, demo_login, names=("Fay",), open_week=1)
    other_live = other.live_session_id
    assert facilitator.get(f"/cohorts/{weeks.group.cohort_id}/sessions/{other_live}/report").status_code == 404
    assert facilitator.get(report_url(weeks, 1, "ballots.csv")).status_code == 404
    stranger = create_facilitator(server, "stranger@elsewhere.example", "a long enough password", "Elsewhere")
    assert stranger.get(report_url(weeks, 1)).status_code == 404
    assert stranger.get(f"/cohorts/{weeks.group.cohort_id}/export.zip").status_code == 404
    notes = stranger.post_form(report_url(weeks, 1, "notes"), {"text": "x", "revision": "1"}, "/dashboard")
    assert notes.status_code == 404
    assert "x" * 3 not in facilitator.get(report_url(weeks, 1)).text
    assert re.findall(r"<textarea.*?</textarea>", facilitator.get(report_url(weeks, 1)).text, re.S) == re.findall(
        r"<textarea.*?</textarea>", before, re.S
    )
