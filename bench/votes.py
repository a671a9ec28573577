"""The vote benchmark: everyone in one live session answers a poll at the same moment, on real Mend
servers, against a bare Flask-SocketIO baseline that acknowledges the same calls in the same run.

    python -m bench.votes --participants N [--processes P] [--database-url URL]
                          [--message-queue URL] [--runs R] --json PATH

One cohort of N participants, spread over several client processes (so that the clients are not
the bottleneck) and over the P servers. Each run opens a new quick single-choice poll, and every
participant sends `poll:answer` at one shared start time (the machine's monotonic clock, shared by
all processes); each call's latency is from just before it is sent to its acknowledgement. Where
answers are counted in batches (the ack says `"counted": false`), each participant also records
when its own `poll:counted` push arrives. The facilitator then closes the poll, and the team's
results must count exactly N answers. Then the same clients make the same call, at one moment, to
the baseline. Every run is listed. See docs/benchmarks.md ("Votes") for the targets.
"""

import os

# The driver prepares the database in-process; eventlet belongs to the server processes only.
os.environ["MEND_ASYNC_MODE"] = "threading"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.clients import CONNECTS_AT_ONCE, NAMESPACE, Participant, Seat  # noqa: E402
from bench.live import (  # noqa: E402
    ClientProcesses,
    Run,
    Server,
    baseline_server,
    connect_facilitators,
    mend_servers,
    percentiles,
    prepare,
    sign_in,
)

CALL_TIMEOUT = 120  # seconds an answer may wait for its acknowledgement before it counts as an error
START_MARGIN = 1.0  # seconds between telling the client processes the start time and the start
QUICK_POLL = {"kind": "single", "question": "How settled do you feel?", "options": ["Calm", "Tense", "Tired"]}
STATES, PUSHES = 0, 1  # the shared counters: `state` messages, `poll:counted` pushes
COUNTED_QUIET = 2.5  # seconds without a new `poll:counted` push after which batched counting is taken as done
COUNTED_STALL = 10.0  # ... while more than a batch's remainder still waits (counting stalled)
COUNTED_TIMEOUT = 60.0
ONE_PROCESS_SCALE, ONE_PROCESS_RATIO = 1000, 2.0
TWO_PROCESS_SCALE, TWO_PROCESS_P99_MS = 2000, 2000.0


# The client processes --------------------------------------------------------------------------------


class Voter(Participant):
    """A participant of the live benchmark that also holds a socket to the baseline and hears its own
    `poll:counted` pushes."""

    def __init__(self, seat: Seat, counters, receipts: list):
        super().__init__(seat, counters, receipts)
        self.client.on("poll:counted", self.on_counted, namespace=NAMESPACE)
        self.baseline = Participant(seat, counters, [])
        self.pushes: list[tuple[int | None, float, str | None]] = []  # (poll, when, error code)

    async def on_counted(self, push) -> None:
        push = push if isinstance(push, dict) else {}
        code = (push.get("error") or {}).get("code") if isinstance(push.get("error"), dict) else None
        self.pushes.append((push.get("poll"), time.monotonic(), code))
        with self.counters.get_lock():
            self.counters[PUSHES] += 1

    async def vote(self, target: str, poll: int | None, pick: int) -> tuple[float, float, dict]:
        """One acknowledged call: (sent, acknowledged, ack), on the monotonic clock."""
        client = self.client if target == "mend" else self.baseline.client
        event = "poll:answer" if target == "mend" else "answer"
        payload = {"poll": poll, "answer": {"picks": [pick]}}
        sent = time.monotonic()
        ack = await client.call(event, payload, namespace=NAMESPACE, timeout=CALL_TIMEOUT)
        return sent, time.monotonic(), ack if isinstance(ack, dict) else {"ok": False, "error": {"code": "bad_ack"}}


def failure_code(result) -> str | None:
    """None for an accepted answer, else what went wrong: the ack's error code, or the exception."""
    if isinstance(result, BaseException):
        return "timeout" if isinstance(result, TimeoutError) else type(result).__name__
    ack = result[2]
    if ack.get("ok"):
        return None
    return (ack.get("error") or {}).get("code") or "refused"


async def _serve(pipe, seats: list[Seat], counters) -> None:
    loop = asyncio.get_running_loop()
    people: list[Voter] = []
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)
    errors: Counter = Counter()

    async def guarded(coroutine) -> None:
        async with gate:
            try:
                await coroutine
            except Exception as problem:  # noqa: BLE001 - every failure is counted and reported
                errors[f"{type(problem).__name__}: {problem}"[:200]] += 1

    while True:
        command, argument = await loop.run_in_executor(None, pipe.recv)
        if command == "connect":
            errors.clear()
            people = [Voter(seat, counters, []) for seat in seats]
            await asyncio.gather(*(guarded(p.connect_to_mend(argument["urls"])) for p in people))
            await asyncio.gather(*(guarded(p.baseline.connect_to_baseline(argument["baseline"])) for p in people))
            # One untimed call each, as Mend's clients ask for a snapshot on connect: the first burst
            # then meets a warm baseline too.
            await asyncio.gather(*(guarded(p.baseline.client.call("answer", {}, namespace=NAMESPACE)) for p in people))
            pipe.send(("connected", dict(errors)))
        elif command == "burst":
            for person in people:
                person.receipts.clear()
                person.pushes.clear()
            await asyncio.sleep(max(0.0, argument["start"] - time.monotonic()))
            woke = time.monotonic()
            results = await asyncio.gather(
                *(p.vote(argument["target"], argument.get("poll"), n % 3) for n, p in enumerate(people)),
                return_exceptions=True,
            )
            latencies, codes, acks = [], Counter(), Counter()
            first_sent = last_sent = None
            for result in results:
                code = failure_code(result)
                if code is not None:
                    codes[code] += 1
                    continue
                sent, acknowledged, ack = result
                latencies.append((acknowledged - sent) * 1000)
                first_sent = sent if first_sent is None else min(first_sent, sent)
                last_sent = sent if last_sent is None else max(last_sent, sent)
                acks["waiting" if ack.get("counted") is False else "counted"] += 1
            pipe.send(
                (
                    "burst",
                    {
                        "sent": len(people),
                        "ack_ms": latencies,
                        "errors": dict(codes),
                        "acks": dict(acks),
                        "woke": woke,
                        "first_sent": first_sent,
                        "last_sent": last_sent,
                        "last_ack": max((r[1] for r in results if failure_code(r) is None), default=None),
                    },
                )
            )
        elif command == "pushes":
            pushes = [(at, code) for p in people for poll, at, code in p.pushes if poll == argument]
            pipe.send(("pushes", pushes))
        elif command == "disconnect":
            await asyncio.gather(*(guarded(p.disconnect()) for p in people))
            await asyncio.gather(*(guarded(p.baseline.disconnect()) for p in people))
            pipe.send(("disconnected", dict(errors)))
        elif command == "stop":
            return


def run_voters(pipe, seats: list[Seat], counters) -> None:
    """The body of a client process."""
    asyncio.run(_serve(pipe, seats, counters))


class VoterProcesses(ClientProcesses):
    """The live benchmark's client processes, each running `run_voters` over its share of the seats."""

    def __init__(self, seats: list[Seat], count: int):
        context = multiprocessing.get_context("spawn")
        self.counters = context.Array("q", 2)
        self.pipes, self.processes = [], []
        for index in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=run_voters, args=(theirs, seats[index::count], self.counters), daemon=True)
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)


# The driver ---------------------------------------------------------------------------------------


def cpu_seconds(servers: list[Server]) -> float:
    """User and system time the servers have used so far."""
    total = 0
    for server in servers:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def burst(clients: VoterProcesses, target: str, poll: int | None, servers: list[Server]) -> dict:
    """Everyone's acknowledged call at one start time; the figures of all client processes together."""
    start = time.monotonic() + START_MARGIN
    cpu = cpu_seconds(servers)
    loop = asyncio.get_running_loop()
    # In a thread: the facilitator's socket must keep answering the server's pings meanwhile.
    reports = await loop.run_in_executor(None, clients.ask, "burst", {"target": target, "poll": poll, "start": start})
    latencies = [ms for report in reports for ms in report["ack_ms"]]
    errors = Counter()
    for report in reports:
        errors.update(report["errors"])
    acks = Counter()
    for report in reports:
        acks.update(report["acks"])
    sent = [r[key] for r in reports for key in ("first_sent", "last_sent") if r[key] is not None]
    last_ack = max((r["last_ack"] for r in reports if r["last_ack"] is not None), default=None)
    return {
        "start": start,
        "sent": sum(r["sent"] for r in reports),
        "acknowledged": len(latencies),
        "ack_ms": percentiles(latencies, ("p50", "p99", "max")),
        "errors": dict(errors),  # by code: the ack's error code, "timeout", or the exception's name
        "server_errors": errors["server_error"],
        "acks_waiting": acks["waiting"],
        "acks_counted": acks["counted"],
        # How the clients kept up: the latest wake-up after the start time, and the spread of the sends.
        "clients_late_ms": round(max(r["woke"] - start for r in reports) * 1000, 1),
        "send_spread_ms": round((max(sent) - min(sent)) * 1000, 1) if sent else None,
        "last_ack_ms": round((last_ack - start) * 1000, 1) if last_ack is not None else None,
        "server_cpu_seconds": round(cpu_seconds(servers) - cpu, 2),
    }


async def wait_for_pushes(clients: VoterProcesses, base: int, expected: int, remainder: int) -> None:
    """Until `expected` pushes arrived since `base`, or batched counting looks done: at least all but
    `remainder` arrived and none for COUNTED_QUIET seconds (a batch waits 1-2 s), or nothing moves."""
    deadline = time.monotonic() + COUNTED_TIMEOUT
    seen, changed = clients.received(PUSHES) - base, time.monotonic()
    while seen < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now, count = time.monotonic(), clients.received(PUSHES) - base
        if count != seen:
            seen, changed = count, now
        elif now - changed > (COUNTED_QUIET if seen >= expected - remainder else COUNTED_STALL):
            return


async def mend_run(run: Run, facilitator, clients: VoterProcesses, servers: list[Server], n: int) -> dict:
    """Open a new quick poll, everyone answers at once, wait for batched counting, close, read the results."""
    state = (await run.command(facilitator, "snapshot", {}))["state"]
    await run.command(facilitator, "poll:open", {"version": state["version"], "quick": QUICK_POLL})
    await run.delivered(0)
    poll = (await run.command(facilitator, "snapshot", {}))["state"]["poll"]
    threshold = (poll.get("results") or {}).get("threshold") or 3
    pushes_before = clients.received(PUSHES)

    figures = await burst(clients, "mend", poll["id"], servers)
    batched = figures["acks_waiting"] > 0
    if batched:
        # All but fewer than 2k are counted before the close (k = the poll's threshold).
        await wait_for_pushes(clients, pushes_before, figures["acknowledged"], 2 * threshold - 1)
    counted_before_close = clients.received(PUSHES) - pushes_before
    closing = time.monotonic()
    state = (await run.command(facilitator, "snapshot", {}))["state"]
    await run.command(facilitator, "poll:close", {"version": state["version"]})
    close_ms = (time.monotonic() - closing) * 1000
    await run.delivered(0)
    if batched:
        await wait_for_pushes(clients, pushes_before, figures["acknowledged"], 0)
    results = ((await run.command(facilitator, "snapshot", {}))["state"].get("poll") or {}).get("results") or {}

    pushes = [push for share in clients.ask("pushes", poll["id"]) for push in share]
    before = sorted(at for at, code in pushes if code is None and at < closing)
    push_errors = Counter(code for _, code in pushes if code is not None)
    figures.update(
        poll=poll["id"],
        threshold=threshold,
        counting="batched" if batched else "at once",
        counted=results.get("answers", 0) + results.get("passes", 0),
        close_ms=round(close_ms, 1),
        counted_pushes=len(pushes),
        counted_pushes_before_close=counted_before_close,
        counted_push_errors=dict(push_errors),
        # From the burst's start to each `poll:counted` push that came before the close.
        counted_push_ms=percentiles([(at - figures["start"]) * 1000 for at in before], ("p50", "max"))
        if before
        else None,
    )
    refused = sum(figures["errors"].values()) + sum(push_errors.values())
    figures["every_answer_counted"] = figures["counted"] == n and refused == 0
    return figures


def judge(args, runs: list[dict]) -> list[dict]:
    """The issue's targets, as they apply to this configuration."""
    every = all(r["mend"]["every_answer_counted"] for r in runs)
    targets = [{"target": "every answer counted and none refused, in every run", "met": every}]
    if args.processes == 1:
        ratios = [r["ack_p99_ratio"] for r in runs]
        targets.append(
            {
                "target": f"one process, {ONE_PROCESS_SCALE:,} at once: ack p99 <= {ONE_PROCESS_RATIO:g}x the "
                "baseline's, in every run",
                "met": all(ratio is not None and ratio <= ONE_PROCESS_RATIO for ratio in ratios),
                "measured": ratios,
            }
        )
        scale = ONE_PROCESS_SCALE
    else:
        p99s = [r["mend"]["ack_ms"]["p99"] for r in runs]
        targets.append(
            {
                "target": f"{args.processes} processes, {TWO_PROCESS_SCALE:,} at once: ack p99 < "
                f"{TWO_PROCESS_P99_MS / 1000:g} s, in every run",
                "met": all(p99 is not None and p99 < TWO_PROCESS_P99_MS for p99 in p99s),
                "measured": p99s,
            }
        )
        scale = TWO_PROCESS_SCALE
    if args.participants != scale:
        for target in targets[1:]:
            target["note"] = f"measured with {args.participants:,} participants; the target is stated for {scale:,}"
    return targets


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.votes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1, help="Mend server processes (several need a queue)")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    parser.add_argument("--message-queue", help="a Redis URL, shared by the server processes")
    parser.add_argument("--async-mode", default="eventlet", choices=("eventlet", "gevent"))
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1, help="bursts, each on a new poll; every one is listed")
    parser.add_argument("--json", required=True, help="where to write the results")
    args = parser.parse_args(argv)
    if args.processes > 1 and not args.message_queue:
        parser.error("several processes need --message-queue")

    workdir = Path(tempfile.mkdtemp(prefix="mend-votes-"))
    instance = workdir / "instance"
    database_url = args.database_url or f"sqlite:///{instance / 'mend.db'}"
    prepared = prepare(instance, database_url, args.participants, 1, args.processes)

    servers = mend_servers(args, instance, database_url, prepared.secret_key, workdir)
    baseline = baseline_server(args, workdir)
    clients = None
    try:
        for server in [*servers, baseline]:
            server.wait()
        urls = [server.url for server in servers]
        print(f"servers {[s.process.pid for s in servers]}, baseline {baseline.process.pid}", flush=True)  # noqa: T201
        headers = sign_in(urls[0], prepared.facilitator_email)
        clients = VoterProcesses(prepared.seats, args.client_processes)
        connect_errors = Counter()
        for share in clients.ask("connect", {"urls": urls, "baseline": baseline.url}):
            connect_errors.update(share)
        run = Run(clients, [args.participants], think=0, seed=1)

        async def runs() -> list[dict]:
            (facilitator,) = await connect_facilitators(urls, prepared.cohorts, headers)
            try:
                state = (await run.command(facilitator, "snapshot", {}))["state"]
                await run.command(facilitator, "session:start", {"version": state["version"]})
                await run.delivered(0)
                listed = []
                for number in range(args.runs):
                    mend = await mend_run(run, facilitator, clients, servers, args.participants)
                    await asyncio.sleep(1)  # let the close's pushes settle before the baseline's burst
                    base = await burst(clients, "baseline", None, [baseline])
                    ratio = (
                        round(mend["ack_ms"]["p99"] / base["ack_ms"]["p99"], 2)
                        if mend["ack_ms"]["p99"] and base["ack_ms"]["p99"]
                        else None
                    )
                    listed.append({"run": number + 1, "mend": mend, "baseline": base, "ack_p99_ratio": ratio})
                    print(json.dumps(listed[-1]), flush=True)  # noqa: T201 - progress, one line per run
                return listed
            finally:
                await facilitator.disconnect()

        listed = asyncio.run(runs())
        for share in clients.ask("disconnect"):
            connect_errors.update(share)
        results = {
            "command": " ".join(["python -m bench.votes", *(argv if argv is not None else sys.argv[1:])]),
            "participants": args.participants,
            "processes": args.processes,
            "async_mode": args.async_mode,
            "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
            "message_queue": bool(args.message_queue),
            "client_processes": args.client_processes,
            "runs": listed,
            "connect_errors": dict(connect_errors),
            "delivery_errors": run.errors,
        }
        results["targets"] = judge(args, listed)
        if connect_errors or run.errors:
            results["targets"][0]["met"] = False
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        report(results)
        return results
    finally:
        if clients is not None:
            clients.stop()
        for server in [*servers, baseline]:
            server.stop()


def report(results: dict) -> None:
    """A table of the runs and the targets, for people (the JSON has everything)."""
    lines = [
        f"{results['participants']:,} participants, {results['processes']} process(es), {results['database']}"
        f"{', Redis' if results['message_queue'] else ''}, {results['async_mode']}",
        "run | Mend ack p50 / p99 / max ms | baseline p50 / p99 / max ms | p99 ratio | counted | errors "
        "| counting | last poll:counted before close ms | close ms",
    ]
    for r in results["runs"]:
        mend, base = r["mend"], r["baseline"]
        pushed = (mend["counted_push_ms"] or {}).get("max")
        lines.append(
            " | ".join(
                str(part)
                for part in (
                    r["run"],
                    " / ".join(str(mend["ack_ms"][k]) for k in ("p50", "p99", "max")),
                    " / ".join(str(base["ack_ms"][k]) for k in ("p50", "p99", "max")),
                    r["ack_p99_ratio"],
                    f"{mend['counted']} of {results['participants']}",
                    {**mend["errors"], **{f"push {k}": v for k, v in mend["counted_push_errors"].items()}} or 0,
                    mend["counting"],
                    "-" if pushed is None else f"{pushed} ({mend['counted_pushes_before_close']} pushes)",
                    mend["close_ms"],
                )
            )
        )
    for target in results["targets"]:
        note = f" ({target['note']})" if target.get("note") else ""
        measured = f" measured {target['measured']}" if "measured" in target else ""
        lines.append(f"{'MET' if target['met'] else 'NOT MET'}: {target['target']}{measured}{note}")
    print("\n".join(lines))  # noqa: T201 - the command's output


if __name__ == "__main__":
    main()
