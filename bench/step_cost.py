"""What one step change costs the server: SQL statements and milliseconds, measured in-process.

    python -m bench.step_cost [--participants 10] [--changes 400] [--kind step|timer|poll|breakout]
        [--statements] [--profile PATH] [--garbage]

A facilitator and N participants connect through Flask-SocketIO's in-process test clients
(threading mode, SQLite in a temporary folder); the facilitator then changes step back and
forth. It prints the statements each change runs (from the handler's first query to the
team's state) and the mean, median, p99 and slowest time per change, as a whole and without
the time the in-process test clients take to decode what they are sent (`server_ms_*`, what a
real server spends). Closing a poll starts a scrub of the database's files in the background:
its time and statements are counted apart (`scrub_*`), and it is waited for before the next
command. With --statements it lists each command's statements in full; with --garbage, what
each change leaves for the cyclic garbage collector (whose pauses stop every session of the
process). The live benchmark (`bench.live`) measures what clients see; this one explains it,
and guards the count from creeping up.
"""

import os

os.environ["MEND_ASYNC_MODE"] = "threading"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.live import PASSWORD, prepare  # noqa: E402

QUICK_POLL = {"kind": "single", "question": "How settled do you feel?", "options": ["Calm", "Tense", "Tired"]}
# Each kind of live change, as a cycle of commands that the facilitator repeats (the version is added).
CYCLES = {
    "step": [("step:go", lambda change: {"position": 1 + change % 2})],
    "timer": [("timer:start", lambda _change: {"seconds": 60}), ("timer:clear", lambda _change: {})],
    "poll": [("poll:open", lambda _change: {"quick": QUICK_POLL}), ("poll:close", lambda _change: {})],
    "breakout": [
        ("breakout:propose", lambda _change: {}),
        ("breakout:start", lambda _change: {}),
        ("breakout:recall", lambda _change: {}),
        ("breakout:close", lambda _change: {}),
    ],
}


def measure(
    participants: int,
    changes: int,
    profile: str | None = None,
    garbage: bool = False,
    kind: str = "step",
    listed: bool = False,
) -> dict:
    from sqlalchemy import event

    from app import create_app
    from extensions import db, socketio
    from sessions import scrub
    from sessions.realtime import plumbing
    from sessions.realtime.schemas import NAMESPACE

    # Room for a facilitator far faster than any: the budget is still spent on every event.
    plumbing.EventBudget.BURST = plumbing.EventBudget.PER_SECOND = 10**9
    plumbing.TimeBudget.BUSY = dict.fromkeys(plumbing.TimeBudget.BUSY, (10.0**9, 10.0**9))
    plumbing.TimeBudget.SHARE = dict.fromkeys(plumbing.TimeBudget.SHARE, 1.0)

    instance = Path(tempfile.mkdtemp(prefix="mend-step-cost-"))
    database_url = f"sqlite:///{instance / 'mend.db'}"
    # Prepared in a child process: Flask-SocketIO registers handlers on the first app a process creates.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        prepared = pool.apply(prepare, (instance, database_url, participants, 1, 1))
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": prepared.secret_key,
            "MEND_DEMO": False,
            "SOCKETIO_MESSAGE_QUEUE": None,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    cohort = prepared.cohorts[0]
    browser = app.test_client()
    browser.post("/login", data={"email": prepared.facilitator_email, "password": PASSWORD})
    team = socketio.test_client(
        app, namespace=NAMESPACE, flask_test_client=browser, auth={"cohort": cohort, "role": "facilitator"}
    )
    room = []
    for seat in prepared.seats:
        phone = app.test_client()
        name, _, value = seat.cookie.partition("=")
        phone.set_cookie(name, value)
        room.append(
            socketio.test_client(
                app, namespace=NAMESPACE, flask_test_client=phone, auth={"cohort": cohort, "role": "participant"}
            )
        )
    state = team.emit("snapshot", {}, namespace=NAMESPACE, callback=True)["state"]
    version = team.emit("session:start", {"version": state["version"]}, namespace=NAMESPACE, callback=True)["version"]

    statements: list[str] = []
    # The test clients decode every packet a room is sent, once per recipient (json.loads of the whole
    # state), which a real server never does: it writes the packet it encoded once to each socket.
    # That time is counted apart, so that what is left is the server's own.
    deliver = socketio.server._send_eio_packet
    delivering = [0.0]

    def timed_delivery(eio_sid, eio_packet) -> None:
        started = time.perf_counter()
        deliver(eio_sid, eio_packet)
        delivering[0] += time.perf_counter() - started

    socketio.server._send_eio_packet = timed_delivery
    # Closing a poll starts a scrub of the database's files in the background (docs/privacy.md). Each
    # scrub is timed, and waited for before the next command, so that a command's time is its own and
    # not that of the previous close's checkpoint running beside it.
    run_scrub = scrub.scrub
    scrubs: list[float] = []
    scrubbing = threading.Semaphore(0)

    def timed_scrub(*arguments) -> bool:
        started = time.perf_counter()
        try:
            return run_scrub(*arguments)
        finally:
            scrubs.append((time.perf_counter() - started) * 1000)
            scrubbing.release()

    scrub.scrub = timed_scrub

    background: list[str] = []
    commands = threading.current_thread()

    def count(_conn, _cursor, statement, *_args) -> None:
        # The commands run in this thread; what another runs meanwhile is a scrub's.
        (statements if threading.current_thread() is commands else background).append(
            " ".join(statement.split()) if listed else statement.split(" WHERE ")[0][:90]
        )

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    timings = []
    deliveries = []
    per_change = []
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    if garbage:
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)

    def command(event: str, payload: dict) -> dict:
        ack = team.emit(event, payload, namespace=NAMESPACE, callback=True)
        if not ack.get("ok"):
            raise RuntimeError(f"{event} refused: {ack}")
        for client in (team, *room):
            client.get_received(NAMESPACE)
        return ack

    cycle = CYCLES[kind]
    if kind == "breakout":
        agenda = team.emit("snapshot", {}, namespace=NAMESPACE, callback=True)["state"]["agenda"]
        exercise = next(item["position"] for item in agenda if item["kind"] == "breakout")
        version = command("step:go", {"version": version, "position": exercise})["version"]
    round_id = None
    for change in range(changes):
        event, payload = cycle[change % len(cycle)]
        if event == "breakout:start" and round_id is None:
            round_id = team.emit("snapshot", {}, namespace=NAMESPACE, callback=True)["state"]["breakout"]["id"]
        payload = {**payload(change), "version": version}
        if event.startswith("breakout:") and event != "breakout:propose":
            payload["round"] = round_id
        before = len(statements)
        delivering[0] = 0.0
        started = time.perf_counter()
        ack = team.emit(event, payload, namespace=NAMESPACE, callback=True)
        timings.append((time.perf_counter() - started) * 1000)
        deliveries.append(delivering[0] * 1000)
        per_change.append(statements[before:])
        if not ack.get("ok"):
            raise RuntimeError(f"{event} refused: {ack}")
        version = ack["version"]
        if event == "breakout:close":
            round_id = None
        for client in (team, *room):
            client.get_received(NAMESPACE)
        if event == "poll:close" and not scrubbing.acquire(timeout=60):
            raise RuntimeError("the scrub after poll:close did not end within a minute")
    cyclic = {}
    if garbage:
        gc.collect()
        kinds = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
        cyclic = {kind: round(count / changes, 1) for kind, count in kinds.most_common(20)}
        gc.set_debug(0)
        gc.garbage.clear()
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    last = per_change[-1]
    measured = timings[changes // 10 :]
    own = [total - delivered for total, delivered in zip(timings, deliveries, strict=True)][changes // 10 :]
    last_cycle = per_change[-len(CYCLES[kind]) :]
    listing = {event: last_cycle[index] for index, (event, _) in enumerate(CYCLES[kind])} if listed else {}
    return {
        "kind": kind,
        "events": sorted({event for event, _ in CYCLES[kind]}),
        "statements_per_kind": {
            event: len(per_change[-len(CYCLES[kind]) + index]) for index, (event, _) in enumerate(CYCLES[kind])
        },
        "participants": participants,
        "changes": changes,
        "statements_per_change": len(last),
        "statements": dict(Counter(last)),
        **({"statements_listed": listing} if listed else {}),
        "cyclic_garbage_per_change": cyclic,
        "ms_mean": round(statistics.fmean(measured), 2),
        "ms_p50": round(statistics.median(measured), 2),
        "ms_p99": round(statistics.quantiles(measured, n=100)[98], 2),
        "ms_max": round(max(measured), 2),
        "test_clients_receiving_ms_mean": round(statistics.fmean(deliveries[changes // 10 :]), 2),
        "server_ms_mean": round(statistics.fmean(own), 2),
        "server_ms_p50": round(statistics.median(own), 2),
        "server_ms_p99": round(statistics.quantiles(own, n=100)[98], 2),
        "server_ms_max": round(max(own), 2),
        "scrubs": len(scrubs),
        "scrub_statements": dict(Counter(background)),
        **({"scrub_ms_mean": round(statistics.fmean(scrubs), 2)} if scrubs else {}),
        "server_ms_mean_per_event": {
            event: round(statistics.fmean(own[index :: len(CYCLES[kind])]), 2)
            for index, (event, _) in enumerate(_shifted(CYCLES[kind], changes // 10))
        },
    }


def _shifted(cycle: list, start: int) -> list:
    """The cycle's commands in the order of the measured changes, which begin at change `start`."""
    return cycle[start % len(cycle) :] + cycle[: start % len(cycle)]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.step_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--changes", type=int, default=400)
    parser.add_argument("--profile", metavar="PATH", help="write cProfile statistics of the step changes here")
    parser.add_argument(
        "--garbage", action="store_true", help="count what each change leaves for the cyclic garbage collector"
    )
    parser.add_argument(
        "--kind",
        choices=sorted(CYCLES),
        default="step",
        help="which live change: step changes, a timer started and cleared, a quick poll opened and closed, "
        "or a breakout round proposed, started, recalled and closed",
    )
    parser.add_argument(
        "--statements", action="store_true", help="list each command's statements in full, from the last cycle"
    )
    args = parser.parse_args(argv)
    results = measure(args.participants, args.changes, args.profile, args.garbage, args.kind, args.statements)
    print(json.dumps(results, indent=2))  # noqa: T201 - the command's output
    return results


if __name__ == "__main__":
    main()
