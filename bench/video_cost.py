"""What video adds to Mend's own server, per participant, measured in-process against a real Janus.

    python -m bench.video_cost [--participants 10] [--rounds 30]

Media never passes through Mend: a browser's audio and video go to Janus. What Mend does for video is
hand out a ticket when someone joins video or moves room (the main room, their breakout room, back),
which costs two requests to Janus's admin API, and, when rooms close or someone is removed, tell
Janus. This starts Janus on loopback (tests/janus.py), connects N participants through
Flask-SocketIO's in-process test clients (threading mode, SQLite), and measures, in the same
process and minutes: a ticket against a snapshot (the request every connect makes), the SQL
statements and bytes of each, a step change with video off and on (video adds nothing to the state
pushed), and the memory Mend keeps per participant once everyone has a ticket (it keeps none: a
ticket is a pure function of the room, the person and the hour).
"""

import os

os.environ["MEND_ASYNC_MODE"] = "threading"

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.live import PASSWORD, PROJECT_ROOT, prepare  # noqa: E402


def _ms(timings: list[float]) -> dict:
    return {"p50": round(statistics.median(timings), 2), "mean": round(statistics.fmean(timings), 2)}


def measure(participants: int, rounds: int) -> dict:
    sys.path.insert(0, str(PROJECT_ROOT))
    from sqlalchemy import event, select

    from app import create_app
    from extensions import db, socketio
    from facilitation.models import Cohort, Organisation
    from sessions.realtime import plumbing
    from sessions.realtime.schemas import NAMESPACE
    from sessions.video.models import VideoCohort, VideoSetting
    from tests.janus import running_janus

    plumbing.EventBudget.BURST = plumbing.EventBudget.PER_SECOND = 10**9
    plumbing.TimeBudget.BUSY = dict.fromkeys(plumbing.TimeBudget.BUSY, (10.0**9, 10.0**9))
    plumbing.TimeBudget.SHARE = dict.fromkeys(plumbing.TimeBudget.SHARE, 1.0)
    instance = Path(tempfile.mkdtemp(prefix="mend-video-cost-"))
    database_url = f"sqlite:///{instance / 'mend.db'}"
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        prepared = pool.apply(prepare, (instance, database_url, participants, 1, 1))
    with running_janus() as janus:
        app = create_app(
            {
                "INSTANCE_PATH": str(instance),
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": prepared.secret_key,
                "MEND_DEMO": False,
                "SOCKETIO_MESSAGE_QUEUE": None,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                **janus.settings(),
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
        version = team.emit("session:start", {"version": state["version"]}, namespace=NAMESPACE, callback=True)[
            "version"
        ]
        statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *_args: statements.append("."))

        def step_changes() -> list[float]:
            nonlocal version
            timings = []
            for change in range(rounds):
                started = time.perf_counter()
                ack = team.emit(
                    "step:go", {"version": version, "position": 1 + change % 2}, namespace=NAMESPACE, callback=True
                )
                timings.append((time.perf_counter() - started) * 1000)
                version = ack["version"]
                for client in (team, *room):
                    client.get_received(NAMESPACE)
            return timings

        def each(event_name: str, payload: dict) -> tuple[list[float], int, int]:
            timings, before, size = [], len(statements), 0
            for _ in range(rounds):
                for client in room:
                    started = time.perf_counter()
                    ack = client.emit(event_name, payload, namespace=NAMESPACE, callback=True)
                    timings.append((time.perf_counter() - started) * 1000)
                    if not ack.get("ok"):
                        raise RuntimeError(f"{event_name} refused: {ack}")
                    size = len(json.dumps(ack))
            return timings, (len(statements) - before) // (rounds * len(room)), size

        with app.app_context():
            organisation_id = db.session.scalar(select(Organisation.id).order_by(Organisation.id.desc()))
            db.session.add(VideoSetting(organisation_id=organisation_id, provider="off"))
            # The group meets online: the organisation's provider decides, off or Janus, in turns below.
            db.session.add(
                VideoCohort(cohort_id=db.session.scalar(select(Cohort.id).where(Cohort.public_id == cohort)))
            )
            db.session.commit()

        def provider(chosen: str) -> None:
            with app.app_context():
                db.session.get_one(VideoSetting, organisation_id).provider = chosen
                db.session.commit()

        # Step changes with video off and on, in turns, so that a busy machine weighs on both alike.
        step_changes()  # warm-up: the first changes of a process are the slowest
        steps_off, steps_on = [], []
        for _ in range(4):
            provider("off")
            steps_off += step_changes()
            provider("janus")
            steps_on += step_changes()
        each("video:ticket", {"room": None})  # warm-up: connections to Janus, caches

        def kept_by(event_name: str, payload: dict) -> tuple[list[float], int, int, int]:
            tracemalloc.start()
            before = tracemalloc.take_snapshot()
            timings, sql, size = each(event_name, payload)
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
            return timings, sql, size, sum(stat.size_diff for stat in after.compare_to(before, "filename"))

        snapshot, snapshot_sql, snapshot_bytes, snapshot_kept = kept_by("snapshot", {})
        ticket, ticket_sql, ticket_bytes, kept = kept_by("video:ticket", {"room": None})
        return {
            "participants": participants,
            "rounds": rounds,
            "snapshot_ms": _ms(snapshot),
            "ticket_ms": _ms(ticket),
            "ticket_over_snapshot_p50": round(statistics.median(ticket) / statistics.median(snapshot), 2),
            "snapshot_sql": snapshot_sql,
            "ticket_sql": ticket_sql,
            "snapshot_bytes": snapshot_bytes,
            "ticket_bytes": ticket_bytes,
            "step_change_ms_video_off": _ms(steps_off),
            "step_change_ms_video_on": _ms(steps_on),
            "step_change_ratio_on_over_off_p50": round(statistics.median(steps_on) / statistics.median(steps_off), 2),
            "memory_after_tickets_per_participant_bytes": round(kept / participants),
            "memory_after_snapshots_per_participant_bytes": round(snapshot_kept / participants),
        }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.video_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    results = measure(args.participants, args.rounds)
    print(json.dumps(results, indent=2))  # noqa: T201 - the command's output
    return results


if __name__ == "__main__":
    main()
