"""The worst-payload benchmark: one abusive participant against a real Mend server, and what a
bystander session sees meanwhile.

    python -m bench.worst_payload [--seconds 8] [--bystanders 8] [--json PATH] [--only NAME ...]

A real `python app.py` (eventlet, SQLite) serves two groups. In the bystander's, a facilitator
changes step over and over while eight participants receive each change (`fanout_ms`: from just
before `step:go` to each receipt), and a probe asks `/healthz` twenty times a second
(`healthz_ms`). In the other, an abuser (a real python-socketio client, in a process of its own)
sits in an open breakout room and sends, event after event, the most expensive payload it can
build for each event of the protocol, as fast as the answers come back, 20 at a time (the event
budget's burst). Every phase lasts `--seconds`; the bystander's figures while idle (before and after
the abuse) are the baseline of the ratios. See docs/benchmarks.md, "Worst payloads".
"""

import os

# The driver prepares the database in-process; eventlet belongs to the server process only.
os.environ["MEND_ASYNC_MODE"] = "threading"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from bench.live import NAMESPACE, mend_servers, percentiles, prepare, sign_in  # noqa: E402

IN_FLIGHT = 20
LETTERS = "klmnopqrstuvwxyz"
# What the abuser writes into the room's notes first: the text the worst edits are made against.
NOTES = "ab" * 2400


def pieces_that_fit_nowhere(count: int) -> str:
    """`count` pieces deleting 28 letters that are nowhere in the notes (fuzzy matching searched for each)."""
    return "".join(
        f"@@ -{18 * n + 1},28 +{18 * n + 1},0 @@\n-{''.join(LETTERS[(n + i) % 16] for i in range(28))}\n"
        for n in range(count)
    )


def monster_deletions(notes: str) -> str:
    """Two pieces deleting text as long as the notes whose ends are the notes' own and whose middles are
    not (diff-match-patch found both ends, then diffed the middle for up to a second)."""
    size = 2900
    middle = "".join(LETTERS[n % 16] for n in range(size - 64))
    piece = f"@@ -1,{size} +1,0 @@\n-{notes[:32]}{middle}{notes[size - 32 : size]}\n"
    return piece * 2


def payloads(round_id: int, room_revision: int, poll: int) -> dict[str, list]:
    """The worst payload this abuser can build for each event, as (event, payload) lists sent in turn."""
    big = "é🙂" * 900  # under the 16 KB message limit as JSON, the most characters to normalise
    notes = NOTES
    # Against revision 1 while the notes are at a later one: every edit is merged, diffing periodic text.
    scrambled = "".join("ab"[(n * n + n // 3) % 2] for n in range(len(notes)))
    merge = f"@@ -1,{len(notes)} +1,{len(notes)} @@\n-{notes}\n+{scrambled}\n"
    return {
        "snapshot": [("snapshot", {})],
        "poll:answer": [("poll:answer", {"poll": poll, "answer": {"text": big[:2000]}})],
        "poll:answer (words)": [("poll:answer", {"poll": poll, "answer": {"words": [big[:600]] * 3}})],
        "breakout:notes (200 pieces)": [
            ("breakout:notes", {"round": round_id, "revision": 1, "patch": pieces_that_fit_nowhere(200)})
        ],
        "breakout:notes (100 pieces)": [
            ("breakout:notes", {"round": round_id, "revision": 1, "patch": pieces_that_fit_nowhere(100)})
        ],
        "breakout:notes (long deletions)": [
            ("breakout:notes", {"round": round_id, "revision": 1, "patch": monster_deletions(notes)})
        ],
        "breakout:notes (merge)": [("breakout:notes", {"round": round_id, "revision": 1, "patch": merge})],
        "breakout:help": [("breakout:help", {"round": round_id})],
        "breakout:sit_out": [("breakout:sit_out", {"sitting_out": True}), ("breakout:sit_out", {"sitting_out": False})],
        "breakout:share": [("breakout:share", {"round": round_id, "agree": True})],
        "pause:raise": [("pause:raise", {}), ("pause:resolve", {})],
        "content_note:choose": [("content_note:choose", {"position": 500, "choice": "skip"})],
        "facilitator events": [
            ("poll:open", {"version": 1, "quick": {"kind": "words", "question": big[:5000]}}),
            ("breakout:message", {"version": 1, "round": round_id, "text": big[:300]}),
            ("step:go", {"version": 1, "position": 500}),
        ],
        "unknown event": [("x" * 1000, {"payload": big[:5000]})],
    }


# The abuser, in a process of its own -------------------------------------------------------------


async def _send(client, sequence: list, offset: int, deadline: float, codes: dict[str, int]) -> None:
    """Send the sequence's events in turn, each as soon as the one before was answered, until `deadline`."""
    import socketio

    index = offset
    while time.monotonic() < deadline:
        event, payload = sequence[index % len(sequence)]
        index += 1
        try:
            ack = await client.call(event, payload, namespace=NAMESPACE, timeout=30)
        except socketio.exceptions.TimeoutError:
            ack = {"error": {"code": "timeout"}}
        code = "ok" if ack.get("ok") else ack.get("error", {}).get("code", "?")
        codes[code] = codes.get(code, 0) + 1


async def _connect_abuser(url: str, cohort: str, cookie: str):
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        url,
        namespaces=[NAMESPACE],
        auth={"cohort": cohort, "role": "participant"},
        headers={"Cookie": cookie},
        transports=["websocket"],
    )
    return client


async def _abuse(url: str, cohort: str, cookie: str, pipe) -> None:
    client = await _connect_abuser(url, cohort, cookie)
    pipe.send(("ready", None))
    loop = asyncio.get_running_loop()
    while True:
        command, argument = await loop.run_in_executor(None, pipe.recv)
        if command == "stop":
            break
        if command == "call":
            event, payload = argument
            pipe.send(("answer", await client.call(event, payload, namespace=NAMESPACE, timeout=60)))
            continue
        # A new connection for each event: a fresh budget, as a person who reconnects has.
        await client.disconnect()
        client = await _connect_abuser(url, cohort, cookie)
        sequence, seconds = argument
        codes: dict[str, int] = {}
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_send(client, sequence, n, deadline, codes) for n in range(IN_FLIGHT)))
        pipe.send(("done", {"sent": sum(codes.values()), "answers": codes}))
    await client.disconnect()


def wrong_passwords(url: str, attempts: int = 12):
    """Sign-in attempts with wrong passwords for emails that have no account, all at once from one
    address (each costs a password hash; the address's limit refuses the rest): their answers' codes."""
    import concurrent.futures

    import requests

    def attempt(number: int) -> int:
        browser = requests.Session()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', browser.get(f"{url}/login", timeout=30).text)
        data = {"email": f"guess{number}@example.org", "password": "not-the-password", "csrf_token": token.group(1)}
        return browser.post(f"{url}/login", data=data, allow_redirects=False, timeout=60).status_code

    def all_of_them() -> dict:
        with concurrent.futures.ThreadPoolExecutor(attempts) as pool:
            codes = list(pool.map(attempt, range(attempts)))
        return {"sent": len(codes), "answers": {str(code): codes.count(code) for code in sorted(set(codes))}}

    return concurrent.futures.ThreadPoolExecutor(1).submit(all_of_them)


def abuser_process(url: str, cohort: str, cookie: str, pipe) -> None:
    asyncio.run(_abuse(url, cohort, cookie, pipe))


# The bystander session and the probe ------------------------------------------------------------


class Probe:
    """Asks /healthz every 50 ms from a thread of its own; the latencies of the current phase."""

    def __init__(self, port: int):
        self.port = port
        self.samples: list[float] = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            started = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            self.samples.append((time.monotonic() - started) * 1000)
            time.sleep(0.05)

    def take(self) -> list[float]:
        taken, self.samples = self.samples, []
        return taken


class Bystanders:
    """A facilitator stepping back and forth while participants receive each change."""

    def __init__(self, facilitator, participants):
        self.facilitator = facilitator
        self.participants = participants
        self.received: dict[int, list[float]] = {}
        for client in participants:
            client.on("state", self._receipt, namespace=NAMESPACE)

    async def _receipt(self, state) -> None:
        self.received.setdefault(state["version"], []).append(time.monotonic())

    async def step_for(self, seconds: float, version: int, slides: list[int]) -> tuple[list[float], int]:
        fanout: list[float] = []
        deadline = time.monotonic() + seconds
        change = 0
        while time.monotonic() < deadline:
            sent = time.monotonic()
            ack = await self.facilitator.call(
                "step:go", {"version": version, "position": slides[change % len(slides)]}, namespace=NAMESPACE
            )
            if not ack.get("ok"):
                raise RuntimeError(f"step:go refused: {ack}")
            version, change = ack["version"], change + 1
            while len(self.received.get(version, [])) < len(self.participants):
                if time.monotonic() > sent + 60:
                    raise RuntimeError("a step change was not delivered within 60 s")
                await asyncio.sleep(0.002)
            fanout += [(at - sent) * 1000 for at in self.received.pop(version)]
            # Six changes a second: within a facilitator's event budget.
            await asyncio.sleep(max(0.0, sent + 1 / 6 - time.monotonic()))
        return fanout, version


async def connect(url: str, cohort: str, role: str, headers: dict):
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        url,
        namespaces=[NAMESPACE],
        auth={"cohort": cohort, "role": role},
        headers=dict(headers),
        transports=["websocket"],
    )
    return client


async def command(client, event: str, payload: dict) -> dict:
    ack = await client.call(event, payload, namespace=NAMESPACE, timeout=60)
    if not ack.get("ok"):
        raise RuntimeError(f"{event} refused: {ack}")
    return ack


def ask(pipe, command_: str, argument=None):
    pipe.send((command_, argument))
    return pipe.recv()[1]


async def measure(args, server, prepared) -> dict:
    url = server.url
    headers = sign_in(url, prepared.facilitator_email)
    bystander_cohort, abuser_cohort = prepared.cohorts
    seats = [seat for seat in prepared.seats if seat.session == 0]
    abuser_seat, partner_seat = [seat for seat in prepared.seats if seat.session == 1]

    # The abuser's group: a breakout round open with the abuser and a partner in one room, a text poll ready.
    team = await connect(url, abuser_cohort, "facilitator", headers)
    partner = await connect(url, abuser_cohort, "participant", {"Cookie": partner_seat.cookie})
    state = (await command(team, "snapshot", {}))["state"]
    version = (await command(team, "session:start", {"version": state["version"]}))["version"]
    exercise = next(item["position"] for item in state["agenda"] if item["kind"] == "breakout")
    version = (await command(team, "step:go", {"version": version, "position": exercise}))["version"]
    quick = {"kind": "text", "question": "Anything else?"}
    version = (await command(team, "poll:open", {"version": version, "quick": quick}))["version"]
    poll = (await command(team, "snapshot", {}))["state"]["poll"]["id"]

    context = multiprocessing.get_context("spawn")
    pipe, theirs = context.Pipe()
    abuser = context.Process(target=abuser_process, args=(url, abuser_cohort, abuser_seat.cookie, theirs), daemon=True)
    abuser.start()
    pipe.recv()
    version = (await command(team, "breakout:propose", {"version": version}))["version"]
    round_id = (await command(team, "snapshot", {}))["state"]["breakout"]["id"]
    await command(team, "breakout:start", {"version": version, "round": round_id})
    first = ask(
        pipe,
        "call",
        ("breakout:notes", {"round": round_id, "revision": 0, "patch": f"@@ -0,0 +1,{len(NOTES)} @@\n+{NOTES}\n"}),
    )
    if not first.get("ok"):
        raise RuntimeError(f"the abuser's first notes were refused: {first}")
    flipped = f"@@ -1,{len(NOTES)} +1,{len(NOTES)} @@\n-{NOTES}\n+{NOTES[1:]}a\n"
    second = ask(pipe, "call", ("breakout:notes", {"round": round_id, "revision": 1, "patch": flipped}))
    if not second.get("ok"):
        raise RuntimeError(f"the abuser's second notes were refused: {second}")

    # The bystanders' group, started.
    facilitator = await connect(url, bystander_cohort, "facilitator", headers)
    participants = [await connect(url, bystander_cohort, "participant", {"Cookie": seat.cookie}) for seat in seats]
    state = (await command(facilitator, "snapshot", {}))["state"]
    version = (await command(facilitator, "session:start", {"version": state["version"]}))["version"]
    slides = [item["position"] for item in state["agenda"] if item["kind"] == "slide"]
    bystanders = Bystanders(facilitator, participants)
    probe = Probe(server.port)

    phases = []

    async def phase(name: str, sequence: list | None, signing_in: bool = False) -> None:
        nonlocal version
        probe.take()
        if sequence is not None:
            pipe.send(("abuse", (sequence, args.seconds)))
        guesses = wrong_passwords(url) if signing_in else None
        fanout, version = await bystanders.step_for(args.seconds, version, slides)
        abuse = await asyncio.get_running_loop().run_in_executor(None, pipe.recv) if sequence else (None, None)
        if guesses is not None:
            abuse = (None, guesses.result())
        phases.append(
            {
                "phase": name,
                "fanout_ms": percentiles(fanout, ("p50", "p99", "max")),
                "fanout_samples": len(fanout),
                "healthz_ms": percentiles(probe.take(), ("p50", "p99", "max")),
                "abuser": abuse[1],
            }
        )
        print(json.dumps(phases[-1]), flush=True)  # noqa: T201 - progress of a long command

    await phase("idle", None)
    for name, sequence in payloads(round_id, 1, poll).items():
        if not args.only or any(part in name for part in args.only):
            await phase(name, sequence)
    if not args.only or any(part in "sign-in" for part in args.only):
        await phase("sign-in (wrong passwords)", None, signing_in=True)
    await phase("idle again", None)

    probe.running = False
    pipe.send(("stop", None))
    abuser.join(timeout=30)
    for client in [team, partner, facilitator, *participants]:
        await client.disconnect()

    idle = [p for p in phases if p["phase"].startswith("idle")]

    def baseline(figure: str, rank: str) -> float:
        return max(p[figure][rank] for p in idle)

    for entry in phases:
        for figure in ("fanout_ms", "healthz_ms"):
            for rank in ("p50", "p99"):
                entry[f"{figure.removesuffix('_ms')}_{rank}_ratio"] = round(
                    entry[figure][rank] / baseline(figure, rank), 2
                )
    return {"phases": phases}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.worst_payload", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each phase lasts")
    parser.add_argument("--bystanders", type=int, default=8, help="participants in the bystander session")
    parser.add_argument("--json", help="where to write the results")
    parser.add_argument("--only", action="append", help="run only the abuses whose name contains this (repeatable)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="mend-worst-"))
    instance = workdir / "instance"
    database_url = f"sqlite:///{instance / 'mend.db'}"
    # The bystanders' group first, then the abuser's group of two (the abuser and a partner).
    prepared = prepare(instance, database_url, 2 * args.bystanders, 2, 1)
    sizes = [args.bystanders, 2]
    prepared.seats = [
        *[seat for seat in prepared.seats if seat.session == 0][: sizes[0]],
        *[seat for seat in prepared.seats if seat.session == 1][: sizes[1]],
    ]
    settings = SimpleNamespace(processes=1, async_mode="eventlet", message_queue=None)
    (server,) = mend_servers(settings, instance, database_url, prepared.secret_key, workdir)
    try:
        server.wait()
        time.sleep(2)
        results = asyncio.run(measure(args, server, prepared))
    finally:
        server.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    results.update({"commit": commit, "date": time.strftime("%Y-%m-%d"), "seconds_per_phase": args.seconds})
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
