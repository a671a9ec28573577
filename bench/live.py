"""The live benchmark: real Mend servers, real Socket.IO clients, scripted sessions, and a bare
Flask-SocketIO baseline measured in the same run.

    python -m bench.live --participants N --sessions S [--processes P] [--database-url URL]
                         [--message-queue URL] --json PATH

Each of S sessions runs: everyone joins, 20 step changes, a poll that everyone answers at
the same moment and its reveal, a breakout round and its recall. Participants are spread
over several client processes so that the clients are not the bottleneck. Fan-out is the
time from a facilitator's step change to each participant's receipt, on the same machine's
monotonic clock. The baseline then relays the same payload to the same clients. See
docs/benchmarks.md for the figures and how to read them.
"""

import os

# The driver prepares the database in-process; eventlet belongs to the server processes only.
os.environ["MEND_ASYNC_MODE"] = "threading"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib
import json  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date  # noqa: E402
from datetime import time as clock  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.clients import NAMESPACE, Seat  # noqa: E402
from bench.clients import run as run_client_process  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STEP_CHANGES = 20
DELIVERY_TIMEOUT = 60
PASSWORD = "benchmark facilitator password"
USER_AGENT = "mend-bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentiles(values: list[float], names=("p50", "p95", "p99", "max")) -> dict:
    if not values:
        return {name: None for name in names}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]

    quantiles = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
    return {name: round(ordered[-1] if name == "max" else rank(quantiles[name]), 2) for name in names}


@dataclass
class Prepared:
    database_url: str
    secret_key: str
    facilitator_email: str
    cohorts: list[str] = field(default_factory=list)  # public ids, one per session
    seats: list[Seat] = field(default_factory=list)


def prepare(instance: Path, database_url: str, participants: int, sessions: int, processes: int) -> Prepared:
    """Migrate, then create a facilitator, S cohorts with their participants and an open week-1 session each."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from sqlalchemy import select

    from app import create_app
    from config import postgres_driver
    from extensions import db
    from facilitation.cohorts import create_cohort, join_cohort
    from facilitation.instance import prepare_instance
    from facilitation.models import Organisation, Programme, User
    from sessions.live import operations as engine

    secret_key = secrets.token_urlsafe(32)
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": postgres_driver(database_url),
            "SECRET_KEY": secret_key,
            "MEND_DEMO": False,
            "SOCKETIO_MESSAGE_QUEUE": None,
        }
    )
    prepare_instance(app)
    token = secrets.token_hex(4)
    prepared = Prepared(database_url, secret_key, f"bench-{token}@mend.example")
    with app.app_context():
        organisation = Organisation(name=f"Benchmark {token}")
        facilitator = User(organisation=organisation, email=prepared.facilitator_email, name="Bench", role="admin")
        facilitator.set_password(PASSWORD)
        db.session.add_all([organisation, facilitator])
        course = db.session.scalars(
            select(Programme).where(Programme.organisation_id.is_(None)).order_by(Programme.version.desc())
        ).first()
        plan = next(plan for plan in course.sessions if plan.number == 1)
        for index in range(sessions):
            cohort = create_cohort(
                organisation=organisation,
                programme=course,
                name=f"Benchmark group {index + 1}",
                facilitators=[facilitator],
                start_date=date.today(),
                weekday=1,
                start_time=clock(19, 0),
                timezone="Europe/London",
            )
            db.session.flush()
            prepared.cohorts.append(cohort.public_id)
            size = participants // sessions + (1 if index < participants % sessions else 0)
            for number in range(size):
                _, secret = join_cohort(cohort, f"Person {number + 1}")
                seat_number = len(prepared.seats)
                prepared.seats.append(
                    Seat(index, cohort.public_id, f"mend_p_{cohort.public_id}={secret}", seat_number % processes)
                )
            engine.open_session(cohort, plan, facilitator)
        db.session.commit()
        db.engine.dispose()
    return prepared


class Server:
    """A server subprocess with its output in a log file."""

    def __init__(self, command: list[str], env: dict, log: Path, port: int, ready: str):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.ready = ready
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()[-3000:]}")
            if self.ready in self.log.read_text():
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()[-3000:]}")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class MemoryWatch:
    """Samples the servers' resident memory ten times a second; the peak is the largest sum seen."""

    def __init__(self, servers: list[Server]):
        self.servers = servers
        self.peak = 0.0
        self._running = True
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while self._running:
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, sum(server.rss_mb() for server in self.servers))
            time.sleep(0.1)

    def stop(self) -> float:
        self._running = False
        self._thread.join()
        return self.peak


class ClientProcesses:
    def __init__(self, seats: list[Seat], count: int, sessions: int):
        context = multiprocessing.get_context("spawn")
        self.counters = context.Array("q", sessions)
        self.pipes = []
        self.processes = []
        for index in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=run_client_process, args=(theirs, seats[index::count], self.counters), daemon=True
            )
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    def ask(self, command: str, argument=None) -> list:
        for pipe in self.pipes:
            pipe.send((command, argument))
        return [pipe.recv()[1] for pipe in self.pipes]

    def received(self, session: int) -> int:
        return self.counters[session]

    def reset(self) -> None:
        with self.counters.get_lock():
            for index in range(len(self.counters)):
                self.counters[index] = 0

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.send(("stop", None))
        for process in self.processes:
            process.join(timeout=30)


def sign_in(url: str, email: str) -> dict:
    """The facilitator's headers (session cookie and the same user agent, as a browser sends) after a real
    sign-in."""
    import requests

    browser = requests.Session()
    browser.headers["User-Agent"] = USER_AGENT
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', browser.get(f"{url}/login", timeout=30).text)
    response = browser.post(
        f"{url}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError("the benchmark facilitator could not sign in")
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in browser.cookies), "User-Agent": USER_AGENT}


class Run:
    """The scripted sessions, driven from here: one facilitator client per session."""

    def __init__(self, clients: ClientProcesses, sizes: list[int], think: float, seed: int):
        self.clients = clients
        self.sizes = sizes
        self.think = think
        self.random = random.Random(seed)
        # Per session: how many messages each participant should have had so far.
        self.expected = [0] * len(sizes)
        self.changes: dict[tuple[int, int], float] = {}  # (session, version) of a step change -> when sent
        self.errors: list[str] = []
        self.delivery_timeouts = 0

    async def delivered(self, session: int, more: int = 1) -> None:
        """Wait until every participant of `session` has `more` new messages."""
        self.expected[session] += more
        target = self.expected[session] * self.sizes[session]
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while self.clients.received(session) < target:
            if time.monotonic() > deadline:
                self.delivery_timeouts += 1
                self.errors.append(f"session {session}: not delivered within {DELIVERY_TIMEOUT}s")
                return
            # Coarse on purpose: this process shares the machine with the server it measures.
            await asyncio.sleep(0.02)

    async def pause(self) -> None:
        """A facilitator's moment between two step changes: uniform in [0, 2 x think] seconds, the same
        sequence for Mend and the baseline, so that sessions do not all change step in the same millisecond."""
        if self.think:
            await asyncio.sleep(self.random.uniform(0, 2 * self.think))

    async def command(self, facilitator, event: str, payload: dict) -> dict:
        ack = await facilitator.call(event, payload, namespace=NAMESPACE, timeout=120)
        if not ack.get("ok"):
            raise RuntimeError(f"{event} refused: {ack}")
        return ack


async def connect_facilitators(urls: list[str], cohorts: list[str], headers: dict) -> list:
    import socketio

    facilitators = []
    for index, cohort in enumerate(cohorts):
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            urls[index % len(urls)],
            namespaces=[NAMESPACE],
            auth={"cohort": cohort, "role": "facilitator"},
            # A copy: the client takes the cookie out of the dict it is given.
            headers=dict(headers),
            transports=["websocket"],
            wait_timeout=60,
        )
        facilitators.append(client)
    return facilitators


async def mend_sessions(run: Run, facilitators: list, clients: ClientProcesses) -> dict:
    """Start, step 20 times, poll with everyone answering at once, reveal, a breakout round, recall."""
    versions = {}

    async def opening(session: int, facilitator) -> None:
        state = (await run.command(facilitator, "snapshot", {}))["state"]
        ack = await run.command(facilitator, "session:start", {"version": state["version"]})
        await run.delivered(session)
        slides = [item["position"] for item in state["agenda"] if item["kind"] == "slide"]
        version = ack["version"]
        for change in range(STEP_CHANGES):
            await run.pause()
            sent = time.monotonic()
            ack = await run.command(
                facilitator, "step:go", {"version": version, "position": slides[change % len(slides)]}
            )
            version = ack["version"]
            run.changes[(session, version)] = sent
            await run.delivered(session)
        quick = {"kind": "single", "question": "How settled do you feel?", "options": ["Calm", "Tense", "Tired"]}
        version = (await run.command(facilitator, "poll:open", {"version": version, "quick": quick}))["version"]
        await run.delivered(session)
        versions[session] = (version, state["agenda"])

    await asyncio.gather(*(opening(n, f) for n, f in enumerate(facilitators)))
    polls = {}
    for session, facilitator in enumerate(facilitators):
        polls[session] = (await run.command(facilitator, "snapshot", {}))["state"]["poll"]["id"]
    # Everyone answers at the same moment, in every session.
    answered = clients.ask("answer", polls)

    async def closing(session: int, facilitator) -> None:
        version, agenda = versions[session]
        version = (await run.command(facilitator, "poll:close", {"version": version}))["version"]
        await run.delivered(session)
        version = (await run.command(facilitator, "poll:reveal", {"version": version}))["version"]
        await run.delivered(session)
        exercise = next(item["position"] for item in agenda if item["kind"] == "breakout")
        version = (await run.command(facilitator, "step:go", {"version": version, "position": exercise}))["version"]
        await run.delivered(session)
        version = (await run.command(facilitator, "breakout:propose", {"version": version}))["version"]
        await run.delivered(session)
        round_id = (await run.command(facilitator, "snapshot", {}))["state"]["breakout"]["id"]
        version = (await run.command(facilitator, "breakout:start", {"version": version, "round": round_id}))["version"]
        await run.delivered(session, more=2)  # the new state, and each person's own room
        version = (await run.command(facilitator, "breakout:recall", {"version": version, "round": round_id}))[
            "version"
        ]
        await run.delivered(session)
        await run.command(facilitator, "breakout:close", {"version": version, "round": round_id})
        await run.delivered(session)

    await asyncio.gather(*(closing(n, f) for n, f in enumerate(facilitators)))
    return {"polls": list(polls.values()), "answered": answered}


async def baseline_sessions(run: Run, baseline_url: str, sessions: int, payload: dict) -> None:
    import socketio

    async def relay(session: int) -> None:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            baseline_url, namespaces=[NAMESPACE], auth={"room": -1 - session}, transports=["websocket"]
        )
        for change in range(STEP_CHANGES):
            await run.pause()
            state = {**payload, "version": 1000 + change}
            sent = time.monotonic()
            await client.call("broadcast", {"room": session, "state": state}, namespace=NAMESPACE, timeout=120)
            run.changes[(session, 1000 + change)] = sent
            await run.delivered(session)
        await client.disconnect()

    await asyncio.gather(*(relay(n) for n in range(sessions)))


def fanout(receipts: list, changes: dict) -> list[float]:
    return [(at - changes[(s, v)]) * 1000 for s, v, at in receipts if (s, v) in changes]


def votes_counted(database_url: str, polls: list[int]) -> int:
    from sqlalchemy import bindparam, create_engine, text

    from config import postgres_driver

    engine = create_engine(postgres_driver(database_url))
    query = text("SELECT COALESCE(SUM(answers), 0) FROM poll_tally WHERE poll_id IN :ids")
    with engine.connect() as connection:
        counted = connection.execute(query.bindparams(bindparam("ids", expanding=True)), {"ids": polls}).scalar()
    engine.dispose()
    return int(counted)


def mend_servers(args, instance: Path, database_url: str, secret_key: str, workdir: Path) -> list[Server]:
    """`args.processes` real `python app.py` servers on the prepared data (not started yet), with the
    message queue when one is given and a Redis prefix of this run's own."""
    env = {
        **os.environ,
        "MEND_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "MEND_DEMO": "0",
        "MEND_ASYNC_MODE": args.async_mode,
        "HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        "MEND_REDIS_PREFIX": f"mend-bench-{secrets.token_hex(4)}",
        # Every simulated person connects from 127.0.0.1: the per-address cap would refuse all but 200.
        "MEND_CONNECTIONS_PER_ADDRESS": "1000000",
    }
    env.pop("SOCKETIO_MESSAGE_QUEUE", None)
    if args.message_queue:
        env["SOCKETIO_MESSAGE_QUEUE"] = args.message_queue
    servers = []
    for number in range(args.processes):
        port = free_port()
        log = workdir / f"server-{number}.log"
        servers.append(Server([sys.executable, "app.py"], {**env, "PORT": str(port)}, log, port, "is running at"))
    return servers


def baseline_server(args, workdir: Path) -> Server:
    """The bare Flask-SocketIO baseline (not started yet), in the same async mode as Mend's servers."""
    port = free_port()
    environment = {**os.environ, "MEND_ASYNC_MODE": args.async_mode, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "bench.baseline_server", str(port)]
    return Server(command, environment, workdir / "baseline.log", port, "baseline is running")


def node_reference(workdir: Path) -> Server:
    """Node's socket.io 4 doing the baseline's work (bench/node_reference), installed from its lock file
    into this run's folder (not started yet). Needs `node` and `npm`."""
    folder = workdir / "node"
    shutil.copytree(PROJECT_ROOT / "bench" / "node_reference", folder)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=folder, check=True, timeout=300)
    port = free_port()
    command = ["node", str(folder / "server.js"), str(port)]
    return Server(command, dict(os.environ), workdir / "node.log", port, "node reference is running")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, required=True)
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1, help="Mend server processes (several need a queue)")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    parser.add_argument("--message-queue", help="a Redis URL, shared by the server processes")
    parser.add_argument("--async-mode", default="eventlet", choices=("eventlet", "gevent"))
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a facilitator waits between step changes (0: every session changes at once)",
    )
    parser.add_argument("--node", action="store_true", help="also relay through Node's socket.io 4 (needs node, npm)")
    parser.add_argument("--json", required=True, help="where to write the results")
    args = parser.parse_args(argv)
    if args.processes > 1 and not args.message_queue:
        parser.error("several processes need --message-queue")

    workdir = Path(tempfile.mkdtemp(prefix="mend-bench-"))
    instance = workdir / "instance"
    database_url = args.database_url or f"sqlite:///{instance / 'mend.db'}"
    prepared = prepare(instance, database_url, args.participants, args.sessions, args.processes)
    sizes = [sum(1 for seat in prepared.seats if seat.session == n) for n in range(args.sessions)]

    servers = mend_servers(args, instance, database_url, prepared.secret_key, workdir)
    baseline = baseline_server(args, workdir)
    node = node_reference(workdir) if args.node else None
    references = [baseline] if node is None else [baseline, node]
    clients = None
    try:
        for server in [*servers, *references]:
            server.wait()
        urls = [server.url for server in servers]
        time.sleep(2)  # let start-up settle before measuring the idle servers
        idle = sum(server.rss_mb() for server in servers)
        facilitator_headers = sign_in(urls[0], prepared.facilitator_email)
        clients = ClientProcesses(prepared.seats, args.client_processes, args.sessions)
        watch = MemoryWatch(servers)

        started = time.monotonic()
        connect_errors = sum(clients.ask("connect", {"target": "mend", "urls": urls}))
        joined_seconds = time.monotonic() - started
        run = Run(clients, sizes, args.think, seed=1)

        async def mend_phase():
            facilitators = await connect_facilitators(urls, prepared.cohorts, facilitator_headers)
            try:
                return await mend_sessions(run, facilitators, clients)
            finally:
                for facilitator in facilitators:
                    await facilitator.disconnect()

        outcome = asyncio.run(mend_phase())
        script_seconds = time.monotonic() - started - joined_seconds
        reports = clients.ask("report")
        peak = max(watch.stop(), idle)
        mend_receipts = [r for report in reports for r in report["receipts"]]
        mend_fanout = fanout(mend_receipts, run.changes)
        messages_expected = sum(e * n for e, n in zip(run.expected, sizes, strict=True))
        messages_received = sum(clients.received(n) for n in range(args.sessions))
        client_errors = [e for report in reports for e in report["errors"]]
        sample = next(report["sample_state"] for report in reports if report["sample_state"])
        clients.ask("disconnect")

        # The baseline: the same clients, the same payload, a bare server.
        clients.reset()
        baseline_run = Run(clients, sizes, args.think, seed=1)
        baseline_idle = baseline.rss_mb()
        baseline_watch = MemoryWatch([baseline])
        baseline_errors = sum(clients.ask("connect", {"target": "baseline", "url": baseline.url}))
        asyncio.run(baseline_sessions(baseline_run, baseline.url, args.sessions, sample))
        baseline_reports = clients.ask("report")
        baseline_peak = max(baseline_watch.stop(), baseline_idle)
        baseline_fanout = fanout([r for rep in baseline_reports for r in rep["receipts"]], baseline_run.changes)
        clients.ask("disconnect")

        # And Node's socket.io, the transport's own speed, when asked for.
        node_fanout: list[float] = []
        node_errors = 0
        if node is not None:
            clients.reset()
            node_run = Run(clients, sizes, args.think, seed=1)
            node_errors = sum(clients.ask("connect", {"target": "baseline", "url": node.url}))
            asyncio.run(baseline_sessions(node_run, node.url, args.sessions, sample))
            node_fanout = fanout([r for rep in clients.ask("report") for r in rep["receipts"]], node_run.changes)
            node_errors += len(node_run.errors)
            clients.ask("disconnect")

        answered = outcome["answered"]
        results = {
            "participants": args.participants,
            "sessions": args.sessions,
            "processes": args.processes,
            "async_mode": args.async_mode,
            "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
            "message_queue": bool(args.message_queue),
            "client_processes": args.client_processes,
            "think_seconds": args.think,
            "fanout_ms": percentiles(mend_fanout),
            "baseline_fanout_ms": percentiles(baseline_fanout),
            "fanout_samples": len(mend_fanout),
            "baseline_fanout_samples": len(baseline_fanout),
            "votes_sent": sum(a["sent"] for a in answered),
            "votes_counted": votes_counted(database_url, outcome["polls"]),
            "vote_ack_ms": percentiles([ms for a in answered for ms in a["ack_ms"]], ("p50", "p99")),
            "messages_expected": messages_expected,
            "messages_received": messages_received,
            "server_rss_mb_idle": round(idle, 1),
            "server_rss_mb_peak": round(peak, 1),
            "rss_mb_per_participant": round((peak - idle) / args.participants, 4),
            "baseline_rss_mb_per_participant": round((baseline_peak - baseline_idle) / args.participants, 4),
            "join_seconds": round(joined_seconds, 2),
            "script_seconds": round(script_seconds, 2),
            "errors": connect_errors
            + baseline_errors
            + len(client_errors)
            + len(run.errors)
            + len(baseline_run.errors)
            + sum(a["failed"] for a in answered)
            + node_errors,
            "error_samples": (client_errors + run.errors + baseline_run.errors)[:10],
        }
        results["fanout_p99_ratio"] = (
            round(results["fanout_ms"]["p99"] / results["baseline_fanout_ms"]["p99"], 2)
            if results["baseline_fanout_ms"]["p99"]
            else None
        )
        if node is not None:
            results["node_fanout_ms"] = percentiles(node_fanout)
            results["node_fanout_samples"] = len(node_fanout)
            for name in ("p50", "p99"):
                results[f"fanout_{name}_ratio_to_node"] = round(
                    results["fanout_ms"][name] / results["node_fanout_ms"][name], 2
                )
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))  # noqa: T201 - the command's output
        return results
    finally:
        if clients is not None:
            clients.stop()
        for server in [*servers, *references]:
            server.stop()


if __name__ == "__main__":
    main()
