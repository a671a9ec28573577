"""Issue 15, "Anonymous stays anonymous on disk", from the adversary's side: someone holding a copy of the
database's files (SQLite's main file, WAL and -shm; PostgreSQL's pages with every row version, live and
dead) taken while polls run, after they close, or after the server stops, reads them with
tests/forensics.py and tries to match people to answers. None of it may do better than chance. A deleted
journal leaves nothing behind; the team's live results move only in batches of at least k; the new
ballot paths refuse a replay, a forgery and a late answer without changing any count."""

import itertools
import json
import random
import sqlite3
import stat
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import forensics
from tests.live import command, free_port, make_group, open_quick, start_server, started_group, team_results
from tests.services import SCALED, redis_client

# Each test runs on the embedded default and on PostgreSQL with the Redis message queue.
BACKENDS = ("sqlite", SCALED)

K = 3  # every poll here has the minimum threshold, the organisation default
POLL_TABLES = ("poll_participation", "poll_tally", "poll_text_answer", "spent_receipt")
SINGLE = {"kind": "single", "question": "Which feels closest today?", "options": ["Calm", "Tense", "Tired"]}
SCALE = {"kind": "scale", "question": "How settled?", "labels": ["Not at all", "Very"]}
TEXT = {"kind": "text", "question": "What helps?"}
# The design counts a batch 1-2 s after it fills: this long after an answer, any batch due has been counted.
BATCH_SETTLED = 2.5
FIGURES = ("options", "scale", "words", "texts")


class Restartable:
    """The module's one real server, which a test may stop (to read its files at rest) and start again on
    the same data and port, so that browsers and clients find it where it was."""

    def __init__(self, instance: Path, env: dict):
        self._instance, self._env, self._port = instance, env, free_port()
        self.current = None

    def start(self) -> None:
        self.current = start_server(self._instance, self._port, **self._env)
        self.current.wait_until_serving(60)

    def stop(self) -> None:
        self.current.stop()

    def __getattr__(self, name):
        return getattr(self.current, name)


@pytest.fixture(scope="module")
def server(tmp_path_factory, backend):
    # A folder the server creates itself, so that its mode is the server's doing.
    served = Restartable(tmp_path_factory.mktemp("forensics") / "instance", backend.env)
    served.start()
    yield served
    served.stop()


def postgres_url(server) -> str | None:
    return server.env.get("DATABASE_URL")


def query(server, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the running server's database as its operator could (SQLite: on a copy of its files)."""
    if postgres_url(server):
        connection = forensics.postgres_connection(postgres_url(server))
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()]
        finally:
            connection.close()
    with tempfile.TemporaryDirectory() as scratch:
        copy = forensics.copy_database_files(server.instance, scratch)
        (copy / "mend.db-shm").unlink(missing_ok=True)  # SQLite rebuilds it from the WAL
        connection = sqlite3.connect(copy / "mend.db")
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()


def versions_of(server, tables=POLL_TABLES) -> dict[str, list[forensics.Version]]:
    connection = forensics.postgres_connection(postgres_url(server))
    try:
        return {table: forensics.row_versions(connection, table) for table in tables}
    finally:
        connection.close()


def pages_of(server, tables=None) -> dict[str, bytes]:
    """The raw pages of `tables` (with their indexes and TOAST), or of every table of the database."""
    connection = forensics.postgres_connection(postgres_url(server))
    try:
        return {name: forensics.raw_pages(connection, name) for name in forensics.relations_of(connection, tables)}
    finally:
        connection.close()


def redis_contents(server) -> dict[str, tuple[str, object]]:
    """Every key the server keeps in Redis under its prefix: {key: (type, value)}."""
    client = redis_client()
    readers = {
        "string": client.get,
        "hash": client.hgetall,
        "list": lambda key: client.lrange(key, 0, -1),
        "set": client.smembers,
        "zset": lambda key: client.zrange(key, 0, -1),
    }
    contents = {}
    try:
        for key in client.scan_iter(match=f"{server.env['MEND_REDIS_PREFIX']}*"):
            kind = client.type(key).decode()
            contents[key.decode()] = (kind, readers.get(kind, lambda _key: None)(key))
    finally:
        client.close()
    return contents


def redis_bytes(contents: dict) -> bytes:
    """Every key and value of `redis_contents`, as one run of bytes to search."""

    def flat(value) -> bytes:
        if isinstance(value, bytes):
            return value
        if isinstance(value, dict):
            return b"\n".join(flat(k) + b"\n" + flat(v) for k, v in value.items())
        if isinstance(value, (list, set, tuple)):
            return b"\n".join(flat(v) for v in value)
        return str(value).encode()

    return b"\n".join(key.encode() + b"\n" + flat(value) for key, (_kind, value) in contents.items())


def wait_for_scrub(server, still_there, timeout: float = 30) -> None:
    """Give the background scrub after a close or a deletion its moment: until `still_there()` is False
    (PostgreSQL) or the WAL has been emptied (SQLite), or `timeout` seconds. The test then looks anyway."""
    wal = Path(server.instance) / "mend.db-wal"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if postgres_url(server) and not still_there():
            return
        if not postgres_url(server) and (not wal.exists() or wal.stat().st_size == 0):
            return
        time.sleep(0.05)


# The ballots scenario: three polls answered one person after another, copies taken along the way ----------


@dataclass
class PollRun:
    poll: int
    kind: str
    # (participant id, answer) in the order they arrived.
    answers: list[tuple[int, dict]]
    receipt_key: bytes | None
    open_copy: Path | None = None  # SQLite: the instance's files, copied while the poll was open
    open_versions: dict | None = None  # PostgreSQL: every row version of the poll tables, then
    team_text_ids: set = field(default_factory=set)  # text ids the console was shown while open
    redis: dict = field(default_factory=dict)  # everything in Redis while the poll was open
    _observed: list | None = None

    def observed_while_open(self) -> list["Observation"]:
        """What the copy taken while the poll was open says about it, version by version."""
        if self._observed is None:
            if self.open_versions is not None:
                self._observed = postgres_observations(self.open_versions, self.poll)
            else:
                self._observed = sqlite_observations(self.open_copy, self.poll)
        return self._observed

    def ids_seen_while_open(self) -> set[str]:
        """Text answer ids the console was shown or the open copy held."""
        return self.team_text_ids | {i for o in self.observed_while_open() if o.texts for i in o.texts}


@dataclass
class Ballots:
    runs: list[PollRun]
    names: dict[int, str]  # participant id -> display name
    # After the last close, while the server runs; and after it stopped.
    copies: dict[str, Path] = field(default_factory=dict)
    versions: dict[str, dict] = field(default_factory=dict)
    pages: dict[str, dict] = field(default_factory=dict)
    redis_closed: dict = field(default_factory=dict)

    def run(self, kind: str) -> PollRun:
        return next(run for run in self.runs if run.kind == kind)


# Arrival orders in which options first appear out of order, so that a tally's key order would tell.
PLANS = {
    "single": (SINGLE, [{"picks": [p]} for p in (2, 0, 2, 1, 0, 2, 1, 1, 0, 2)]),
    "scale": (SCALE, [{"value": v} for v in (7, 3, 9, 0, 10, 5, 3, 7, 8, 1)]),
    "text": (TEXT, [{"text": f"what helps me is thing {n:02d}, said once"} for n in range(20)]),
    # Week 1's PHQ-4 (docs/measures.md), opened from its step: every person's four answers differ.
    "measure": (None, [{"items": [n % 4, (n // 4) % 4, (n + 1) % 4, 3 - n % 4]} for n in range(10)]),
}


def open_measure(console) -> int:
    """Go to the session's first measure step and open it; the poll's id."""
    state = console.call("snapshot")["state"]
    position = next(item["position"] for item in state["agenda"] if item["kind"] == "measure")
    assert console.call("step:go", {"version": state["version"], "position": position})["ok"]
    assert command(console, "poll:open")["ok"]
    return console.call("snapshot")["state"]["poll"]["id"]


@pytest.fixture(scope="module")
def ballots(server, demo_login, tmp_path_factory) -> Ballots:
    """A single-choice, a scale and a text poll, answered by 10, 10 and 20 people one after another
    (0.2-0.5 s apart: the easiest case to link), each copied while open, then closed; after the last
    close the files are copied while the server runs and again after it stopped."""
    folder = tmp_path_factory.mktemp("copies")
    opened: list = []
    names = [f"Voter {n}" for n in range(1, 21)]
    group, console, people = started_group(server, demo_login, opened, names)
    rows = query(server, "SELECT id, display_name FROM participant WHERE cohort_id = ?", (group.cohort_id,))
    ids = {name: pid for pid, name in rows}
    by_client = [ids[name] for name in names]
    runs = []
    try:
        for kind, (settings, plan) in PLANS.items():
            poll = open_measure(console) if settings is None else open_quick(console, settings)
            time.sleep(0.6)
            key = query(server, "SELECT receipt_key FROM poll WHERE id = ?", (poll,))[0][0]
            run = PollRun(poll, kind, [], bytes(key) if key is not None else None)
            for n, answer in zip(random.sample(range(len(people)), len(plan)), plan, strict=True):
                ack = people[n].call("poll:answer", {"poll": poll, "answer": answer})
                assert ack["ok"], ack
                run.answers.append((by_client[n], answer))
                time.sleep(random.uniform(0.2, 0.5))
            time.sleep(BATCH_SETTLED)
            if postgres_url(server):
                run.open_versions = versions_of(server)
                run.redis = redis_contents(server)
            else:
                run.open_copy = forensics.copy_database_files(server.instance, folder / f"open-{kind}")
            run.team_text_ids = {
                text["id"]
                for results in seen_results(console.received, poll)
                for text in results.get("texts", [])
                if "id" in text
            }
            assert command(console, "poll:close")["ok"]
            runs.append(run)
        polls = [run.poll for run in runs]
        record = Ballots(runs, {pid: name for name, pid in ids.items()})
        if postgres_url(server):

            def left() -> bool:
                held = versions_of(server, ("poll_participation",))["poll_participation"]
                return any(v.values.get("poll_id") in polls for v in held)

            wait_for_scrub(server, left)
            record.versions["closed"] = versions_of(server, (*POLL_TABLES, "poll"))
            record.pages["closed"] = pages_of(server, (*POLL_TABLES, "poll", "journal_score"))
            record.redis_closed = redis_contents(server)
        else:
            wait_for_scrub(server, None)
            record.copies["closed"] = forensics.copy_database_files(server.instance, folder / "closed")
    finally:
        for client in opened:
            client.close()
    server.stop()
    try:
        if postgres_url(server):
            record.versions["stopped"] = versions_of(server, (*POLL_TABLES, "poll"))
            record.pages["stopped"] = pages_of(server, (*POLL_TABLES, "poll", "journal_score"))
        else:
            record.copies["stopped"] = forensics.copy_database_files(server.instance, folder / "stopped")
    finally:
        server.start()
    return record


def seen_results(received: list, poll: int) -> list[dict]:
    """The team's results for `poll` in every event (and snapshot answer) the console received, in order."""
    found = []
    for event, payload in received:
        if not isinstance(payload, dict):
            continue
        view = payload if event == "poll:results" else payload.get("poll") if event in ("state", "snapshot") else None
        if isinstance(view, dict) and view.get("id") == poll and isinstance(view.get("results"), dict):
            found.append(view["results"])
    return found


@dataclass
class Observation:
    """What one stored version says about one poll: who had responded, how many responses were counted,
    the counters, the stored texts. None where that version does not show it."""

    source: str
    participants: frozenset | None = None
    participants_text: str | None = None
    responses: int | None = None
    counts: dict | None = None
    texts: frozenset | None = None


def _ids(text) -> frozenset | None:
    try:
        return frozenset(json.loads(text))
    except (TypeError, ValueError):
        return None  # a half-written value: nothing to read


def sqlite_observations(copy: Path, poll: int) -> list[Observation]:
    """One observation per version of the database the copy holds (main file, then WAL transactions)."""
    observations = []
    for state in forensics.SqliteCopy(copy).states(POLL_TABLES):
        seen = Observation(state.source)
        for row in state.rows.get("poll_participation", []):
            if row.values.get("poll_id") == poll:
                seen.participants = _ids(row.values.get("participant_ids"))
                seen.participants_text = row.values.get("participant_ids")
        for row in state.rows.get("poll_tally", []):
            if row.values.get("poll_id") == poll:
                seen.responses = (row.values.get("answers") or 0) + (row.values.get("passes") or 0)
                seen.counts = json.loads(row.values["counts"]) if row.values.get("counts") else {}
        if "poll_text_answer" in state.rows:
            seen.texts = frozenset(
                r.values["id"] for r in state.rows["poll_text_answer"] if r.values.get("poll_id") == poll
            )
        observations.append(seen)
    return observations


def postgres_observations(versions: dict, poll: int) -> list[Observation]:
    """One observation per transaction that wrote a version of the poll's rows (in xmin order): its
    participation and tally versions, and the texts stored once it had written."""
    ours = {table: [v for v in versions[table] if v.values.get("poll_id") == poll] for table in POLL_TABLES}
    observations = []
    for xid in sorted({v.xmin for table in ours.values() for v in table}):
        seen = Observation(f"transaction {xid}")
        for version in ours["poll_participation"]:
            if version.xmin == xid:
                seen.participants = _ids(version.values.get("participant_ids"))
                seen.participants_text = version.values.get("participant_ids")
        for version in ours["poll_tally"]:
            if version.xmin == xid:
                seen.responses = (version.values.get("answers") or 0) + (version.values.get("passes") or 0)
                seen.counts = json.loads(version.values["counts"]) if version.values.get("counts") else {}
        seen.texts = frozenset(
            v.values["id"] for v in ours["poll_text_answer"] if v.xmin <= xid and not (v.xmax and v.xmax <= xid)
        )
        observations.append(seen)
    return observations


def small_steps(sizes) -> list[int]:
    """Between the sizes observed (and 0, where every poll starts), the steps that add fewer than K."""
    distinct = sorted({0, *sizes})
    return [after - before for before, after in itertools.pairwise(distinct) if after - before < K]


def single_links(observations: list[Observation], names: dict, answers: dict) -> list[str]:
    """Consecutive versions between which exactly one person and one response were added: that person
    gave that answer. Described for the failure message."""
    links = []
    shown = [o for o in observations if o.participants is not None and o.responses is not None]
    for before, after in itertools.pairwise(shown):
        added = after.participants - before.participants
        if len(added) == 1 and after.responses - before.responses == 1 and before.participants <= after.participants:
            [person] = added
            changed = {k: v - before.counts.get(k, 0) for k, v in (after.counts or {}).items()}
            what = {k: v for k, v in changed.items() if v} or (after.texts - before.texts if after.texts else "?")
            links.append(f"{names.get(person, person)} (answered {answers.get(person)}) <- {after.source}: {what}")
    return links


def kendall_tau(items: list[tuple[int, object, int]]) -> float:
    """Rank correlation between arrival order and stored position, over pairs stored in the same group
    (page): 1 = stored in arrival order, -1 = in reverse, near 0 = unrelated."""
    concordant = discordant = 0
    for (a1, g1, p1), (a2, g2, p2) in itertools.combinations(items, 2):
        if g1 != g2:
            continue
        sign = (a1 - a2) * (p1 - p2)
        concordant += sign > 0
        discordant += sign < 0
    return (concordant - discordant) / max(concordant + discordant, 1)


def test_no_copy_taken_while_a_poll_is_open_links_anyone_to_an_answer(ballots):
    for run in ballots.runs:
        observations = run.observed_while_open()
        participants = [len(o.participants) for o in observations if o.participants is not None]
        # The readers found the poll's rows: otherwise the checks below would pass for nothing.
        assert participants, f"{run.kind}: no version of the poll's participation row was found"
        responses = [o.responses for o in observations if o.responses is not None]
        texts = [len(o.texts) for o in observations if o.texts is not None] if run.kind == "text" else []
        steps = {
            "who responded": small_steps(participants),
            "responses counted": small_steps(responses),
            "texts stored": small_steps(texts),
        }
        links = single_links(observations, ballots.names, dict((pid, a) for pid, a in run.answers))
        assert not any(steps.values()), (
            f"{run.kind} poll: writes that added fewer than {K} at a time: {steps}; "
            f"{len(links)} person-answer links, e.g. {links[:3]}"
        )
        # A copy of Redis is a copy too: the waiting answers are sealed.
        blob = redis_bytes(run.redis)
        for _pid, answer in run.answers:
            if "text" in answer:
                assert not forensics.find_forms(blob, answer["text"]), (
                    f"a waiting answer is in Redis in clear: {answer}"
                )


@pytest.mark.parametrize("moment", ["closed", "stopped"])
def hits_after_close(ballots: Ballots, moment: str, needle) -> list[forensics.Hit]:
    """Where `needle` is in the copy of that moment: every file (SQLite), or every page of the poll tables
    and the poll table, with their indexes and TOAST (PostgreSQL)."""
    if moment in ballots.copies:
        return forensics.search_files(ballots.copies[moment], needle)
    return [hit for name, data in ballots.pages[moment].items() for hit in forensics.find_forms(data, needle, name)]


def observed_after_close(ballots: Ballots, moment: str, run: PollRun) -> list[Observation]:
    if moment in ballots.copies:
        return sqlite_observations(ballots.copies[moment], run.poll)
    return postgres_observations(ballots.versions[moment], run.poll)


@pytest.mark.parametrize("moment", ["closed", "stopped"])
def test_after_close_no_copy_holds_who_answered_or_the_old_versions(ballots, moment):
    """After the close (the server still running, and again after it stopped): no participation row, one
    tally version, the texts under new ids only, and none of the voter lists seen while open anywhere."""
    # The participation values seen while the polls were open, and each poll's full list.
    lists = {o.participants_text for run in ballots.runs for o in run.observed_while_open() if o.participants}
    lists |= {json.dumps(sorted({pid for pid, _ in run.answers})) for run in ballots.runs}
    old_ids = ballots.run("text").ids_seen_while_open()
    assert old_ids, "no text answer id was seen while the poll was open"
    for run in ballots.runs:
        observations = observed_after_close(ballots, moment, run)
        held = [o.source for o in observations if o.participants is not None]
        assert not held, f"{run.kind}: who responded is still stored after the close, in {held[:5]}"
        tallies = {
            f"{json.dumps(o.counts, sort_keys=True)} {o.responses}" for o in observations if o.counts is not None
        }
        assert len(tallies) == 1, (
            f"{run.kind}: {len(tallies)} versions of the tally are readable: {sorted(tallies)[:4]}"
        )
        if run.kind == "text":
            stored = {i for o in observations if o.texts for i in o.texts}
            assert len(stored) == len(run.answers), (
                f"{len(stored)} text rows (any version) for {len(run.answers)} texts"
            )
            assert not stored & old_ids, "text answers kept the ids they had while the poll was open"
    for needle in sorted(lists) + sorted(old_ids):
        hits = hits_after_close(ballots, moment, needle)
        assert not hits, f"{needle!r} (stored while the poll was open) is still in {hits[:3]}"
    if moment == "closed" and ballots.versions:
        # Redis: whatever held the waiting answers (every key seen while a poll was open, but the
        # short-lived "push due" flags) is gone.
        boxes = {key for run in ballots.runs for key in run.redis if ":due:" not in key}
        assert ballots.runs[-1].redis, "nothing was seen in Redis while answers waited"
        left = sorted(boxes & set(ballots.redis_closed))
        assert not left, f"ballot boxes left in Redis after the close: {left}"


def test_a_closed_polls_receipt_key_is_in_no_copy(ballots):
    """The receipt key signs receipts and, with several processes, seals the waiting answers in Redis;
    the close destroys it, so no copy of the files may still hold it."""
    assert all(run.receipt_key and len(run.receipt_key) >= 16 for run in ballots.runs), "no receipt key read while open"
    for moment in ("closed", "stopped"):
        for run in ballots.runs:
            hits = hits_after_close(ballots, moment, run.receipt_key)
            if moment in ballots.versions:
                hits += [
                    forensics.Hit(f"poll row version written by transaction {v.xmin}", "decoded", v.lp_off)
                    for v in ballots.versions[moment]["poll"]
                    if v.values.get("id") == run.poll and v.values.get("receipt_key")
                ]
            assert not hits, f"{run.kind} poll's receipt key survives the close ({moment}): {hits[:3]}"


def test_text_answers_are_stored_in_no_order_of_arrival_under_new_ids(ballots):
    run = ballots.run("text")
    arrival = {answer["text"]: n for n, (_pid, answer) in enumerate(run.answers)}
    if "stopped" in ballots.copies:
        copy = forensics.SqliteCopy(ballots.copies["stopped"])
        rows = copy.states(["poll_text_answer"])[-1].rows["poll_text_answer"]
        stored = [
            (arrival[r.values["text"]], r.page, r.offset, r.values["id"])
            for r in rows
            if r.values["poll_id"] == run.poll
        ]
    else:
        versions = ballots.versions["stopped"]["poll_text_answer"]
        stored = [
            (arrival[v.values["text"]], 0, v.block * 10_000 + v.lp, v.values["id"])
            for v in versions
            if v.live and v.values["poll_id"] == run.poll
        ]
    assert sorted(a for a, *_ in stored) == list(range(len(run.answers))), "not every text is stored once"
    tau = kendall_tau([(a, group, position) for a, group, position, _id in stored])
    assert abs(tau) < 0.6, f"texts are stored in (or against) the order they arrived: Kendall tau {tau:.2f}"
    seen_open = run.ids_seen_while_open()
    assert seen_open, "no text answer id was seen while the poll was open"
    assert not {i for *_rest, i in stored} & seen_open, "the texts' ids did not change at the close"


def test_tallies_are_stored_with_their_keys_in_sorted_order(ballots):
    """Keys in the order options were first chosen would say which came first; the close rewrites them."""
    for kind in ("single", "scale"):
        run = ballots.run(kind)
        if "stopped" in ballots.copies:
            copy = forensics.SqliteCopy(ballots.copies["stopped"])
            rows = copy.states(["poll_tally"])[-1].rows["poll_tally"]
            [stored] = [r.values["counts"] for r in rows if r.values["poll_id"] == run.poll]
        else:
            live = [v for v in ballots.versions["stopped"]["poll_tally"] if v.live and v.values["poll_id"] == run.poll]
            [stored] = [v.values["counts"] for v in live]
        keys = [key for key, _ in json.loads(stored, object_pairs_hook=lambda pairs: pairs)]
        expected = {}
        for _pid, answer in run.answers:
            key = str(answer["picks"][0] if "picks" in answer else answer["value"])
            expected[key] = expected.get(key, 0) + 1
        assert json.loads(stored) == expected, f"{kind}: the stored tally is not what was answered"
        assert keys in (sorted(keys), sorted(keys, key=int)), f"{kind}: tally keys stored as {keys}"


def test_a_measure_is_stored_as_counters_and_each_person_s_own_copy_only_sealed(ballots):
    """A measure's answers are an anonymous poll's (the tests above ran on them too): after the close its
    tally is counters per question value and per score, in sorted order; the copy each person keeps in
    their journal holds none of their values in the clear, in any file."""
    run = ballots.run("measure")
    if "stopped" in ballots.copies:
        copy = forensics.SqliteCopy(ballots.copies["stopped"])
        rows = copy.states(["poll_tally"])[-1].rows["poll_tally"]
        [stored] = [r.values["counts"] for r in rows if r.values["poll_id"] == run.poll]
    else:
        live = [v for v in ballots.versions["stopped"]["poll_tally"] if v.live and v.values["poll_id"] == run.poll]
        [stored] = [v.values["counts"] for v in live]
    keys = [key for key, _ in json.loads(stored, object_pairs_hook=lambda pairs: pairs)]
    expected: dict[str, int] = {}
    for _pid, answer in run.answers:
        values = answer["items"]
        scores = {"total": sum(values), "anxiety": values[0] + values[1], "depression": values[2] + values[3]}
        for key in [f"item:{n}:{v}" for n, v in enumerate(values)] + [f"score:{k}:{v}" for k, v in scores.items()]:
            expected[key] = expected.get(key, 0) + 1
    assert json.loads(stored) == expected, "the stored tally is not what was answered"
    assert keys == sorted(keys), f"tally keys stored as {keys}"
    # As the kept copy and the answer's receipt would write them in the clear.
    needles = [f'"values": {json.dumps(answer["items"])}' for _pid, answer in run.answers]
    needles += [json.dumps({"items": answer["items"]}, separators=(",", ":")) for _pid, answer in run.answers]
    for moment in ("closed", "stopped"):
        for needle in needles:
            hits = hits_after_close(ballots, moment, needle)
            assert not hits, f"a person's own answers ({needle}) are in the clear in {hits[:3]}"
    if ballots.pages:
        assert any("journal_score" in name for name in ballots.pages["closed"]), "the kept copies were not read"


# Deleting a journal ------------------------------------------------------------------------------------


def journal_save(browser, group, text: str) -> dict:
    page = f"/g/{group.public_id}/journal"
    response = browser.http.post(
        browser.server.url + page + "/entries",
        json={"kind": "free", "text": text},
        headers={"X-CSRFToken": browser.token(page), "Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["ok"], response.text
    return response.json()["entry"]


def test_delete_everything_leaves_no_name_key_or_entry_in_any_file(server, demo_login):
    name = f"Wren {uuid.uuid4().hex[:12]}"
    canary = f"nightjar-{uuid.uuid4().hex} by the harbour"
    group = make_group(server, demo_login, names=(name, "Bo"), open_week=None)
    author = group.participants[0]
    journal_save(author, group, canary)
    journal_save(author, group, f"second thoughts {canary}")
    [(pid, key)] = query(server, "SELECT id, name_key FROM participant WHERE display_name = ?", (name,))
    [(wrapped,)] = query(server, "SELECT wrapped_key FROM journal_key WHERE participant_id = ?", (pid,))
    wrapped = bytes(wrapped)
    # The key is what Mend stores to compare names (a look-alike skeleton, facilitation/cohorts.py).
    needles = {"name": name, "name as a key": key, "wrapped data key": wrapped, "entry": canary}
    instance = Path(server.instance)
    # Before: the name and the wrapped key are found where they are stored (the search works).
    if postgres_url(server):
        before = pages_of(server, ("participant", "journal_key"))
        assert any(forensics.find_forms(data, name) for data in before.values())
        assert any(forensics.find_forms(data, wrapped) for data in before.values())
    else:
        assert forensics.search_files(instance, name) and forensics.search_files(instance, wrapped)

    response = author.post_form(f"/g/{group.public_id}/journal/delete", {})
    assert response.status_code == 302, response.text

    def left() -> bool:
        # Until every table the scrub rewrites is clean: it rewrites them one after another.
        versions = versions_of(server, ("participant", "journal_key", "journal_entry"))
        return any(
            v.values.get("id" if table == "participant" else "participant_id") == pid
            for table, table_versions in versions.items()
            for v in table_versions
        )

    wait_for_scrub(server, left)
    server.stop()
    try:
        hits = {label: forensics.search_files(instance, needle) for label, needle in needles.items()}
        if postgres_url(server):
            tables = ("participant", "journal_key", "journal_entry")
            versions = versions_of(server, tables)
            theirs = [
                f"{table} version written by transaction {v.xmin}"
                for table in tables
                for v in versions[table]
                if v.values.get("id" if table == "participant" else "participant_id") == pid
            ]
            assert not theirs, f"row versions of the deleted participant remain: {theirs[:5]}"
            pages = pages_of(server)
            for label, needle in needles.items():
                hits[label] += [
                    hit for relation, data in pages.items() for hit in forensics.find_forms(data, needle, relation)
                ]
    finally:
        server.start()
    found = {label: found[:3] for label, found in hits.items() if found}
    assert not found, f"after 'Delete everything' and a stop, still readable: {found}"


# Files ------------------------------------------------------------------------------------------------


def test_the_instance_folder_and_its_files_are_the_owners_alone(server):
    instance = Path(server.instance)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    files = [path for path in instance.rglob("*") if path.is_file()]
    if not postgres_url(server):
        assert {"mend.db", "mend.db-wal", "mend.db-shm"} <= {path.name for path in files}
    assert any("key" in path.name for path in files), [path.name for path in files]
    loose = {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in files if path.stat().st_mode & 0o077}
    assert not loose, f"readable by others than the owner: {loose}"
    for path in files:
        if path.name.startswith("mend.db") or "key" in path.name:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# What the team sees while answers arrive ----------------------------------------------------------------


def test_team_results_move_only_in_batches_of_k_and_hide_figures_below_k(server, demo_login, clients):
    _, console, people = started_group(server, demo_login, clients, [f"Timed {n}" for n in range(1, 7)])
    start = len(console.received)
    poll = open_quick(console, SINGLE)
    time.sleep(0.6)
    acks = []
    for n, person in enumerate(people):
        acks.append(person.call("poll:answer", {"poll": poll, "answer": {"picks": [n % 3]}}))
        assert acks[-1]["ok"], acks[-1]
        time.sleep(0.5)
        console.received.append(("snapshot", console.call("snapshot")["state"]))
        time.sleep(0.5)
    time.sleep(BATCH_SETTLED)
    assert command(console, "poll:close")["ok"]
    time.sleep(1)
    console.received.append(("snapshot", console.call("snapshot")["state"]))
    seen = seen_results(console.received[start:], poll)
    totals = [r["answers"] + r["passes"] for r in seen]
    changes = [b - a for a, b in itertools.pairwise(totals) if b != a]
    assert totals and totals[-1] == len(people), totals
    assert not [c for c in changes if abs(c) < K], f"the team's results moved by fewer than {K}: {totals}"
    for results in seen:
        if results["answers"] < K:
            shown = [key for key in FIGURES if key in results]
            assert not shown, f"per-option figures while fewer than {K} answered: {results}"
            # The design names the flag hidden_below_k; docs/protocol.md below_threshold.
            assert results.get("hidden_below_k") is True or results.get("below_threshold") is True, results
    # Progress says how many responded, never what.
    progress = [p for p in people[0].events("poll:progress") + console.events("poll:progress") if p.get("poll") == poll]
    assert progress and all(set(p) <= {"poll", "responded", "of"} for p in progress), progress[:3]
    assert max(p["responded"] for p in progress) == len(people)
    # The protocol: received at once, told when counted.
    for person, ack in zip(people, acks, strict=True):
        assert ack.get("counted") is False and ack["receipt"]["stage"] == "received", ack
        event = counted(person, ack)
        assert event["receipt"]["stage"] == "counted" and event["poll"] == poll, event


def counted(person, ack, timeout: float = 10) -> dict:
    """The `poll:counted` event that answers `ack`'s answer (its "received" receipt's nonce)."""
    nonce = ack["receipt"]["nonce"]

    def found():
        return next((e for e in person.events("poll:counted") if e.get("received") == nonce), None)

    deadline = time.monotonic() + timeout
    while found() is None:
        assert time.monotonic() < deadline, f"no poll:counted for the answer received with {ack}"
        time.sleep(0.05)
    return found()


def refusal(person, ack) -> str:
    """How an answer was refused: the ack's error code, or the one its `poll:counted` carries; "counted"
    if it was counted after all."""
    if not ack["ok"]:
        return ack["error"]["code"]
    event = counted(person, ack)
    return event["error"]["code"] if "error" in event else "counted"


def eventually(condition, failure: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{failure} within {timeout} s"
        time.sleep(0.05)


def counts_of(results: dict) -> list[int]:
    return [option["count"] for option in results["options"]]


# Bad input on the ballot paths -------------------------------------------------------------------------


def test_an_answer_resent_after_a_restart_is_counted_once(server, demo_login, clients):
    _, console, people = started_group(server, demo_login, clients, [f"Resent {n}" for n in range(1, 8)])
    poll = open_quick(console, SINGLE)
    time.sleep(0.6)
    acks = []
    for n, person in enumerate(people[:6]):
        acks.append(person.call("poll:answer", {"poll": poll, "answer": {"picks": [n % 3]}}))
        time.sleep(0.2)
    assert all(ack["ok"] for ack in acks), acks
    # Six wait: a batch counts all but k of them.
    eventually(lambda: sum(1 for p in people[:6] if p.events("poll:counted")) >= K, "no batch was counted")
    acks.append(people[6].call("poll:answer", {"poll": poll, "answer": {"picks": [0]}}))
    was_counted = [bool(person.events("poll:counted")) for person in people]
    server.stop()
    server.start()
    answers = []
    for n, (person, ack) in enumerate(zip(people, acks, strict=True)):
        deadline = time.monotonic() + 30
        while True:
            try:
                you = person.call("snapshot")["state"]["you"]["poll"]
                break
            except Exception:  # noqa: BLE001 - still reconnecting to the restarted server
                assert time.monotonic() < deadline, "a participant did not reconnect after the restart"
                time.sleep(0.2)
        answers.append(you["answer"])
        # The browser sends its unconfirmed answer again, with the receipt it holds from before.
        payload = {"poll": poll, "answer": {"picks": [n % 3]}, "previous": ack["receipt"]}
        again = person.call("poll:answer", payload)
        if not again["ok"] and again["error"]["code"] == "bad_receipt" and you["answer"] == "none":
            again = person.call("poll:answer", {"poll": poll, "answer": {"picks": [n % 3]}})
        if you["answer"] == "none":
            assert again["ok"], again
        if was_counted[n]:
            time.sleep(0.1)
            person.call("poll:answer", {"poll": poll, "answer": {"picks": [(n + 1) % 3]}})  # and once more, bare
    lost = "waiting" if postgres_url(server) else "none"  # Redis keeps the box; process memory does not
    expected = ["counted" if c else lost for c in was_counted]
    time.sleep(BATCH_SETTLED)
    assert command(console, "poll:close")["ok"]
    results = team_results(console)
    assert results["answers"] + results["passes"] == len(people) and counts_of(results) == [3, 2, 2], results
    assert answers == expected, f"state.you.poll after the restart: {answers}, expected {expected}"


def test_forged_reused_and_late_answers_change_nothing(server, demo_login, clients):
    _, console, people = started_group(server, demo_login, clients, [f"Tested {n}" for n in range(1, 9)])
    poll = open_quick(console, SINGLE)
    time.sleep(0.6)
    final = {}  # person -> the pick of their last accepted answer
    latest = {}  # person -> the newest receipt their browser holds
    refused = []  # (what, person, ack, acceptable codes)

    def answer(n, pick, previous=None):
        time.sleep(0.25)  # a person's pace, under the per-connection limit
        payload = {"poll": poll, "answer": {"picks": [pick]}, **({"previous": previous} if previous else {})}
        ack = people[n].call("poll:answer", payload)
        return ack

    def accepted(n, pick, previous=None):
        ack = answer(n, pick, previous)
        assert ack["ok"], ack
        final[n], latest[n] = pick, ack["receipt"]
        return ack

    def refresh() -> None:
        """A browser swaps its "received" receipt for the "counted" one when told."""
        for n, receipt in latest.items():
            for event in people[n].events("poll:counted"):
                if event.get("received") == receipt["nonce"] and "receipt" in event:
                    latest[n] = event["receipt"]

    # A "received" receipt replaced by a change, shown again; forged receipts.
    first = accepted(0, 0)
    accepted(0, 1, first["receipt"])
    refused.append(("a replaced received receipt shown again", 0, answer(0, 2, first["receipt"]), {"bad_receipt"}))
    own = accepted(1, 2)["receipt"]
    refused.append(("a forged mac", 1, answer(1, 0, {**own, "mac": "0" * 64}), {"bad_receipt"}))
    forged_choice = {**own, "choice": own["choice"].replace("2", "0")}
    refused.append(("a forged choice", 1, answer(1, 0, forged_choice), {"bad_receipt"}))
    for n in range(2, 6):
        accepted(n, n % 3)
    eventually(lambda: sum(1 for p in people[:6] if p.events("poll:counted")) >= K, "no batch was counted")
    refresh()
    # A counted receipt, spent by a change once that change is counted, then shown again.
    who = next(n for n, receipt in latest.items() if receipt["stage"] == "counted")
    spent = latest[who]
    change = accepted(who, (final[who] + 1) % 3, spent)["receipt"]
    deadline = time.monotonic() + 30
    while not any(e.get("received") == change["nonce"] and "receipt" in e for e in people[who].events("poll:counted")):
        assert time.monotonic() < deadline, "the change was never counted"
        # The others change their minds meanwhile, keeping at least 2k answers waiting so batches go on.
        refresh()
        for n in range(7):
            if n != who and (n not in latest or latest[n]["stage"] == "counted"):
                accepted(n, (final.get(n, 0) + 1) % 3, latest.get(n))
        time.sleep(0.5)
    refused.append(("a spent receipt shown again", who, answer(who, (final[who] + 1) % 3, spent), {"bad_receipt"}))
    time.sleep(0.3)
    assert command(console, "poll:close")["ok"]
    before = team_results(console)
    time.sleep(1)
    refresh()
    refused.append(("an answer to a closed poll", 7, answer(7, 0), {"poll_state"}))
    refused.append(("a change to a closed poll", who, answer(who, 0, latest[who]), {"poll_state"}))
    codes = {what: refusal(people[n], ack) for what, n, ack, _codes in refused}
    wrong = {what: codes[what] for what, _n, _ack, allowed in refused if codes[what] not in allowed}
    assert not wrong, f'not refused as they should be ("counted" = counted after all): {wrong}'
    time.sleep(BATCH_SETTLED)
    results = team_results(console)
    expected = [sum(1 for pick in final.values() if pick == option) for option in range(3)]
    assert results == before, "answers after the close changed the results"
    assert results["answers"] == len(final) and results["passes"] == 0, results
    assert counts_of(results) == expected, (results, final)
