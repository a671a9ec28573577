"""What one person's arrival costs the server, step by step: milliseconds and SQL statements, in-process.

    python -m bench.join_cost [--people 200] [--profile PATH]

Each person, with a test client of their own (threading mode, SQLite in a temporary folder): the
join page, the name post, the group page, the socket connect with the rejoin cookie and, when
the group page did not carry the first state, the `snapshot` a browser then asks for. It prints
the mean milliseconds and statements of each step. The arrivals benchmark (`bench.arrivals`)
measures what people see; this one explains it.
"""

import os

os.environ["MEND_ASYNC_MODE"] = "threading"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.arrivals import FIRST_STATE, TOKEN, join_code_of  # noqa: E402
from bench.live import prepare  # noqa: E402

STEPS = ("join_page", "name_post", "group_page", "connect", "snapshot")


def measure(people: int, profile: str | None = None, show_statements: bool = False) -> dict:
    from sqlalchemy import event

    from app import create_app
    from extensions import db, socketio
    from sessions.realtime.schemas import NAMESPACE

    instance = Path(tempfile.mkdtemp(prefix="mend-join-cost-"))
    database_url = f"sqlite:///{instance / 'mend.db'}"
    # Prepared in a child process: Flask-SocketIO registers handlers on the first app a process creates.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        prepared = pool.apply(prepare, (instance, database_url, 0, 1, 1))
    code = join_code_of(database_url, prepared.cohorts[0])
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": prepared.secret_key,
            "MEND_DEMO": False,
            "SOCKETIO_MESSAGE_QUEUE": None,
            "RATELIMIT_ENABLED": False,
            "MEND_CONNECTIONS_PER_ADDRESS": 10**6,
        }
    )
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    timings: dict[str, list[float]] = {step: [] for step in STEPS}
    counts: dict[str, list[int]] = {step: [] for step in STEPS}
    last: dict[str, list[str]] = {}
    profiler = cProfile.Profile() if profile else None
    sockets = []

    def timed(step: str, action):
        before, started = len(statements), time.perf_counter()
        if profiler:
            profiler.enable()
        try:
            return action()
        finally:
            if profiler:
                profiler.disable()
            timings[step].append((time.perf_counter() - started) * 1000)
            counts[step].append(len(statements) - before)
            last[step] = [" ".join(s.split())[:100] for s in statements[before:]]

    for number in range(people):
        browser = app.test_client()
        page = timed("join_page", lambda b=browser: b.get(f"/j/{code}"))
        token = TOKEN.search(page.text).group(1)
        form = {"csrf_token": token, "display_name": f"Person {number + 1}", "agree": "y"}
        answer = timed("name_post", lambda b=browser, f=form: b.post(f"/j/{code}", data=f))
        if answer.status_code != 302:
            raise RuntimeError(f"name post: HTTP {answer.status_code}")
        page = timed("group_page", lambda b=browser, to=answer.headers["Location"]: b.get(to))
        cohort = re.search(r'data-cohort="([^"]+)"', page.text).group(1)
        auth = {"cohort": cohort, "role": "participant"}
        client = timed(
            "connect",
            lambda b=browser, a=auth: socketio.test_client(app, namespace=NAMESPACE, flask_test_client=b, auth=a),
        )
        if FIRST_STATE.search(page.text) is None:
            ack = timed("snapshot", lambda c=client: c.emit("snapshot", {}, namespace=NAMESPACE, callback=True))
            if not ack.get("ok"):
                raise RuntimeError(f"snapshot refused: {ack}")
        sockets.append(client)
    if profiler:
        profiler.dump_stats(profile)
    # The first tenth warms caches and the database's pages up.
    skip = people // 10
    steps = {
        step: {
            "ms_mean": round(statistics.fmean(timings[step][skip:]), 2),
            "statements": round(statistics.fmean(counts[step][skip:]), 1),
        }
        for step in STEPS
        if timings[step][skip:]
    }
    results = {
        "people": people,
        "steps": steps,
        "ms_per_person": round(sum(step["ms_mean"] for step in steps.values()), 2),
        "statements_per_person": round(sum(step["statements"] for step in steps.values()), 1),
    }
    if show_statements:
        results["last_person_statements"] = last
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.join_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--profile", metavar="PATH", help="write cProfile statistics of the arrivals here")
    parser.add_argument("--statements", action="store_true", help="list the last person's statements, step by step")
    args = parser.parse_args(argv)
    results = measure(args.people, args.profile, args.statements)
    print(json.dumps(results, indent=2))  # noqa: T201 - the command's output
    return results


if __name__ == "__main__":
    main()
