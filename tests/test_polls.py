"""Anonymous polls over a real server and real Socket.IO clients: exact counts under load,
receipts, the k threshold, nothing before reveal, and a database that cannot link anyone to an answer."""

import re
import sqlite3
import threading
import time
from pathlib import Path

from tests.live import command, open_quick, started_group, wait_until
from tests.live import team_results as results
from tests.services import SCALED

# Each test runs on the embedded default and on PostgreSQL with the Redis message queue.
BACKENDS = ("sqlite", SCALED)

NAMES = [f"Person {n}" for n in range(1, 21)]
SINGLE = {"kind": "single", "question": "Which feels closest today?", "options": ["Calm", "Tense", "Tired"]}


def room(server, demo_login, clients, count: int):
    """A started session with a console and `count` connected participants."""
    return started_group(server, demo_login, clients, NAMES[:count])


def counted_receipts(person, poll: int) -> list[dict]:
    return [m["receipt"] for m in person.events("poll:counted") if m["poll"] == poll and "receipt" in m]


def test_twenty_people_answering_at_once_are_all_counted(server, demo_login, clients):
    _, console, people = room(server, demo_login, clients, 20)
    poll = open_quick(console, SINGLE)
    barrier = threading.Barrier(len(people))
    acks = [None] * len(people)

    def answer(index, person):
        barrier.wait()
        acks[index] = person.call("poll:answer", {"poll": poll, "answer": {"picks": [index % 3]}})

    threads = [threading.Thread(target=answer, args=(n, p)) for n, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(ack["ok"] for ack in acks), [a for a in acks if not a["ok"]]
    # Received at once, counted later and together: nobody's ack says what was counted.
    assert all(ack["counted"] is False and ack["receipt"]["stage"] == "received" for ack in acks)
    # A batch is counted within seconds, leaving k waiting; closing counts the rest.
    wait_until(lambda: sum(len(counted_receipts(p, poll)) for p in people) == 20 - 3)
    assert command(console, "poll:close")["ok"]
    wait_until(lambda: all(len(counted_receipts(p, poll)) == 1 for p in people))
    counted = results(console)
    assert [o["count"] for o in counted["options"]] == [7, 7, 6]
    assert counted["answers"] == 20 and counted["passes"] == 0
    # Everyone sees the count arrive, coalesced: far fewer pushes than answers.
    person = people[0]
    wait_until(lambda: any(p.get("responded") == 20 for p in person.events("poll:progress")))
    assert len(person.events("poll:progress")) < 20


def test_changing_an_answer_needs_its_receipt_and_a_receipt_works_once(server, demo_login, clients):
    _, console, people = room(server, demo_login, clients, 7)
    poll = open_quick(console, SINGLE)
    first = people[0].call("poll:answer", {"poll": poll, "answer": {"picks": [0]}})
    receipt = first["receipt"]
    again = people[0].call("poll:answer", {"poll": poll, "answer": {"picks": [1]}})
    assert again["error"]["code"] == "already_answered"
    forged = {**receipt, "choice": '{"picks":[2]}'}
    assert (
        people[0].call("poll:answer", {"poll": poll, "answer": {"picks": [1]}, "previous": forged})["error"]["code"]
        == "bad_receipt"
    )
    # While it waits to be counted, the answer is replaced: it is counted once, as the new one.
    changed = people[0].call("poll:answer", {"poll": poll, "answer": {"picks": [1]}, "previous": receipt})
    assert changed["ok"]
    replayed = people[0].call("poll:answer", {"poll": poll, "answer": {"picks": [2]}, "previous": receipt})
    assert replayed["error"]["code"] == "bad_receipt"
    # A receipt is no key for someone who has not answered: they just answer once.
    stolen = people[1].call("poll:answer", {"poll": poll, "answer": {"pass": True}, "previous": changed["receipt"]})
    assert stolen["ok"]
    for person in people[2:]:
        assert person.call("poll:answer", {"poll": poll, "answer": {"picks": [2]}})["ok"]
    # 7 wait (2k = 6): a batch of 4 is counted. A counted answer changes with its counted receipt.
    wait_until(lambda: sum(len(counted_receipts(p, poll)) for p in people) == 4)
    voter = next(p for p in people[2:] if counted_receipts(p, poll))
    spent = counted_receipts(voter, poll)[0]
    assert spent["stage"] == "counted"
    assert voter.call("poll:answer", {"poll": poll, "answer": {"picks": [0]}, "previous": spent})["ok"]
    assert command(console, "poll:close")["ok"]
    counted = results(console)
    assert [o["count"] for o in counted["options"]] == [1, 1, 4] and counted["passes"] == 1
    # Once the poll closes its signing key is gone: no change is possible any more.
    late = people[0].call("poll:answer", {"poll": poll, "answer": {"picks": [0]}, "previous": changed["receipt"]})
    assert late["error"]["code"] == "poll_state"


def test_reveal_is_refused_below_k_and_allowed_at_k(server, demo_login, clients):
    _, console, people = room(server, demo_login, clients, 4)
    poll = open_quick(console, SINGLE)
    for person in people[:2]:
        assert person.call("poll:answer", {"poll": poll, "answer": {"picks": [0]}})["ok"]
    people[2].call("poll:answer", {"poll": poll, "answer": {"pass": True}})
    assert command(console, "poll:reveal")["error"]["code"] == "poll_state"  # close first
    command(console, "poll:close")
    refused = command(console, "poll:reveal")
    assert refused["error"]["code"] == "below_threshold"
    assert "at least 3 people" in refused["error"]["message"] and "2 answered" in refused["error"]["message"]
    assert people[0].call("snapshot")["state"]["poll"].get("results") is None

    second = open_quick(console, {**SINGLE, "question": "And now?"})
    for person in people[:3]:
        person.call("poll:answer", {"poll": second, "answer": {"picks": [2]}})
    command(console, "poll:close")
    assert command(console, "poll:reveal")["ok"]
    revealed = people[3].wait_for(lambda s: s.get("poll") and s["poll"]["status"] == "revealed")
    assert [o["count"] for o in revealed["poll"]["results"]["options"]] == [0, 0, 3]


def test_participants_receive_no_results_before_reveal(server, demo_login, clients):
    _, console, people = room(server, demo_login, clients, 3)
    watcher = people[2]
    poll = open_quick(console, {"kind": "scale", "question": "How settled?", "labels": ["Not at all", "Very"]})
    for n, person in enumerate(people):
        person.call("poll:answer", {"poll": poll, "answer": {"value": 3 + n}})
    command(console, "poll:close")
    wait_until(lambda: any(p.get("responded") == 3 for p in watcher.events("poll:progress")))
    assert not any("results" in repr(event) for event in watcher.received), "results leaked before reveal"
    assert watcher.events("poll:results") == []
    command(console, "poll:reveal")
    state = watcher.wait_for(lambda s: s.get("poll") and s["poll"]["status"] == "revealed")
    assert state["poll"]["results"]["scale"] == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0]
    assert watcher.events("poll:results") == []  # live results are for facilitators only


def test_words_and_texts_are_moderated_before_reveal(server, demo_login, clients):
    group, console, people = room(server, demo_login, clients, 3)
    poll = open_quick(console, {"kind": "words", "question": "One word for today"})
    for person, words in zip(people, (["Hopeful"], ["hopeful", "tired"], ["Jordan"]), strict=True):
        assert person.call("poll:answer", {"poll": poll, "answer": {"words": words}})["ok"]
    command(console, "poll:close")
    assert console.call("poll:moderate", {"target": "jordan", "hidden": True})["ok"]
    command(console, "poll:reveal")
    shown = people[0].wait_for(lambda s: s.get("poll") and s["poll"]["status"] == "revealed")["poll"]["results"]
    assert shown["words"] == [{"word": "hopeful", "count": 2}, {"word": "tired", "count": 1}]
    assert console.call("poll:moderate", {"target": "tired", "hidden": True})["error"]["code"] == "poll_revealed"

    text_poll = open_quick(console, {"kind": "text", "question": "What helps?"})
    texts = ["<b>Being heard</b>", "Tea with Sam from the office", "Walking"]
    for person, text in zip(people, texts, strict=True):
        assert person.call("poll:answer", {"poll": text_poll, "answer": {"text": text}})["ok"]
    # Three answers wait to be counted: the team sees no text until at least k are counted.
    assert results(console).get("below_threshold") is True
    command(console, "poll:close")
    team = results(console)["texts"]
    assert sorted(t["text"] for t in team) == sorted(texts)  # HTML is kept as plain text
    naming = next(t["id"] for t in team if "Sam" in t["text"])
    console.call("poll:moderate", {"target": naming, "hidden": True})
    command(console, "poll:reveal")
    shown = people[1].wait_for(
        lambda s: s.get("poll") and s["poll"]["id"] == text_poll and s["poll"]["status"] == "revealed"
    )
    assert sorted(t["text"] for t in shown["poll"]["results"]["texts"]) == ["<b>Being heard</b>", "Walking"]
    assert all(set(t) == {"text"} for t in shown["poll"]["results"]["texts"])  # no ids, no authors


def test_bad_answers_and_commands_change_nothing(server, demo_login, clients):
    _, console, people = room(server, demo_login, clients, 3)
    person = people[0]
    poll = open_quick(console, {**SINGLE, "kind": "multiple", "max_picks": 2})
    cases = [
        ({"poll": poll, "answer": {"picks": [7]}}, "bad_answer"),
        ({"poll": poll, "answer": {"picks": [0, 1, 2]}}, "bad_answer"),
        ({"poll": poll, "answer": {"picks": []}}, "bad_answer"),
        ({"poll": poll, "answer": {"value": 3}}, "bad_answer"),
        ({"poll": poll, "answer": {"picks": [0], "pass": True}}, "bad_payload"),
        ({"poll": poll, "answer": {"text": "x" * 3000}}, "bad_payload"),
        ({"poll": poll + 999, "answer": {"picks": [0]}}, "no_poll"),
        ({"poll": poll, "answer": "Calm"}, "bad_payload"),
    ]
    for payload, code in cases:
        time.sleep(0.06)  # stay under the per-connection flood limit
        ack = person.call("poll:answer", payload)
        assert ack["error"]["code"] == code, (payload, ack)
    for event in ("poll:open", "poll:close", "poll:reveal"):
        assert person.call(event, {"version": 1})["error"]["code"] == "forbidden"
    assert person.call("poll:moderate", {"target": "x", "hidden": True})["error"]["code"] == "forbidden"
    counted = results(console)
    assert counted["answers"] == 0 and counted["passes"] == 0
    assert person.call("poll:answer", {"poll": poll, "answer": {"picks": [0, 2]}})["ok"]

    command(console, "poll:close")
    scale = open_quick(console, {"kind": "scale", "question": "How settled?", "labels": ["No", "Yes"]})
    time.sleep(1)
    for value in (-1, 11, True):
        assert person.call("poll:answer", {"poll": scale, "answer": {"value": value}})["error"]["code"] in (
            "bad_answer",
            "bad_payload",
        )
    command(console, "poll:close")
    text = open_quick(console, {"kind": "text", "question": "Say it", "max_length": 280})
    time.sleep(1)
    for bad in ("", "   ", "y" * 281, "\u202e\u200b"):
        assert person.call("poll:answer", {"poll": text, "answer": {"text": bad}})["error"]["code"] == "bad_answer"
    words = {"kind": "words", "question": "Words"}
    command(console, "poll:close")
    word_poll = open_quick(console, words)
    time.sleep(1)
    for bad in (["a" * 25], ["one", "two", "three", "four"], ["two words"], []):
        ack = person.call("poll:answer", {"poll": word_poll, "answer": {"words": bad}})
        assert ack["error"]["code"] in ("bad_answer", "bad_payload"), bad
    assert results(console)["answers"] == 0
    # A poll of another session is unknown here.
    assert console.call("poll:open", {"version": 0, "quick": SINGLE})["error"]["code"] == "stale_version"


def test_the_database_cannot_link_anyone_to_an_answer(server, demo_login, clients):
    _, console, people = room(server, demo_login, clients, 10)
    poll = open_quick(console, {"kind": "text", "question": "What would help?"})
    written = [f"answer number {n}" for n in range(10)]
    for person, text in zip(people, written, strict=True):
        assert person.call("poll:answer", {"poll": poll, "answer": {"text": text}})["ok"]
    choice = open_quick(console, SINGLE) if command(console, "poll:close")["ok"] else None
    for n, person in enumerate(reversed(people)):
        person.call("poll:answer", {"poll": choice, "answer": {"picks": [n % 3]}})

    # Ten answers wait (2k = 6): seven are counted in one batch.
    wait_until(lambda: sum(len(counted_receipts(p, choice)) for p in people) == 7)
    if server.env.get("DATABASE_URL"):
        tables, voters, closed = postgres_layout(server.env["DATABASE_URL"], choice, poll)
    else:
        tables, voters, closed, dump, without_rowid = sqlite_layout(Path(server.instance) / "mend.db", choice, poll)
    # Once closed, who responded is only a number.
    assert closed == (None, 10)
    # Only the set of who responded names participants, and nothing there names a choice.
    assert [name for name, columns in tables.items() if any("participant" in c for c in columns)] == [
        "poll_participation"
    ]
    assert tables["poll_participation"] == ["poll_id", "participant_ids"]
    # No time on anything an answer touches.
    for name in ("poll_participation", "poll_tally", "poll_text_answer", "spent_receipt"):
        assert not [c for c in tables[name] if c.endswith("_at")], name
    # The voter set is sorted, whatever the order of arrival.
    ids = [int(i) for i in re.findall(r"\d+", str(voters))]
    assert ids == sorted(ids) and len(ids) == 7
    if server.env.get("DATABASE_URL"):
        # PostgreSQL stores rows in the order they were written, so what follows holds on SQLite only
        # (docs/privacy.md, "What Mend cannot promise").
        return
    assert set(without_rowid) >= {"poll_text_answer", "spent_receipt"}
    # Texts come out of a dump in the order of their random keys, not the order they were written.
    dumped = [
        line
        for line in dump
        if line.startswith('INSERT INTO "poll_text_answer"') and any(f"'{t}'" in line for t in written)
    ]
    order = [next(n for n, t in enumerate(written) if f"'{t}'" in line) for line in dumped]
    assert sorted(order) == list(range(10)) and order != list(range(10))


def sqlite_layout(database: Path, poll: int, closed: int) -> tuple[dict, object, tuple, list, list]:
    """Columns of the poll tables, the open poll's voter set, the closed poll's (voter set, count of
    responses), a dump, and the tables stored without row ids."""
    with sqlite3.connect(database) as connection:
        tables = {
            name: [column[1] for column in connection.execute(f"PRAGMA table_info('{name}')")]
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name.startswith(("poll", "spent"))
        }
        dump = list(connection.iterdump())
        voters = connection.execute(
            "SELECT participant_ids FROM poll_participation WHERE poll_id = ?", (poll,)
        ).fetchone()[0]
        closed_row = connection.execute(
            "SELECT poll_participation.participant_ids, poll.responded FROM poll "
            "LEFT JOIN poll_participation ON poll_participation.poll_id = poll.id WHERE poll.id = ?",
            (closed,),
        ).fetchone()
        without_rowid = [
            name
            for (name, sql) in connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            if sql and "WITHOUT ROWID" in sql
        ]
    return tables, voters, tuple(closed_row), dump, without_rowid


def postgres_layout(url: str, poll: int, closed: int) -> tuple[dict, object, tuple]:
    """Columns of the poll tables (in table order), the open poll's voter set and the closed poll's
    (voter set, count of responses), read from PostgreSQL."""
    import psycopg2

    with psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://")) as connection:
        cursor = connection.cursor()
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND (table_name LIKE 'poll%' OR table_name LIKE 'spent%') ORDER BY table_name, ordinal_position"
        )
        tables: dict[str, list[str]] = {}
        for table, column in cursor.fetchall():
            tables.setdefault(table, []).append(column)
        cursor.execute("SELECT participant_ids FROM poll_participation WHERE poll_id = %s", (poll,))
        voters = cursor.fetchone()[0]
        cursor.execute(
            "SELECT poll_participation.participant_ids, poll.responded FROM poll "
            "LEFT JOIN poll_participation ON poll_participation.poll_id = poll.id WHERE poll.id = %s",
            (closed,),
        )
        closed_row = tuple(cursor.fetchone())
    connection.close()
    return tables, voters, closed_row
