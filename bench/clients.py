"""One client process of the live benchmark: many real asyncio Socket.IO clients, acting as participants.

The driver (bench/live.py) tells each process what to do over a pipe: connect its
participants to Mend or to the baseline, answer polls all at once, disconnect, report.
Every message a participant receives is counted in a shared array per session (so the
driver can wait for delivery) and its arrival time is kept for the report.
"""

import asyncio
import time
from dataclasses import dataclass

NAMESPACE = "/live"
CONNECTS_AT_ONCE = 50


@dataclass
class Seat:
    """One participant: which session (index), which cohort, their cookie, which server."""

    session: int
    cohort: str
    cookie: str
    server: int


class Participant:
    def __init__(self, seat: Seat, counters, receipts: list):
        import socketio

        self.seat = seat
        self.counters = counters
        self.receipts = receipts
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("state", self.on_state, namespace=NAMESPACE)
        self.client.on("breakout:you", self.on_breakout, namespace=NAMESPACE)
        self.last_state: dict | None = None

    def _count(self) -> None:
        with self.counters.get_lock():
            self.counters[self.seat.session] += 1

    async def on_state(self, state) -> None:
        self.receipts.append((self.seat.session, state.get("version"), time.monotonic()))
        self.last_state = state
        self._count()

    async def on_breakout(self, _view) -> None:
        self._count()

    async def connect_to_mend(self, urls: list[str]) -> None:
        await self.client.connect(
            urls[self.seat.server],
            namespaces=[NAMESPACE],
            auth={"cohort": self.seat.cohort, "role": "participant"},
            headers={"Cookie": self.seat.cookie},
            transports=["websocket"],
            wait_timeout=60,
        )
        # As the browser does on every (re)connect.
        ack = await self.client.call("snapshot", {}, namespace=NAMESPACE, timeout=60)
        if not ack.get("ok"):
            raise RuntimeError(f"snapshot refused: {ack}")

    async def connect_to_baseline(self, url: str) -> None:
        await self.client.connect(
            url, namespaces=[NAMESPACE], auth={"room": self.seat.session}, transports=["websocket"], wait_timeout=60
        )

    async def answer(self, poll: int, pick: int) -> tuple[bool, float]:
        started = time.monotonic()
        ack = await self.client.call(
            "poll:answer", {"poll": poll, "answer": {"picks": [pick]}}, namespace=NAMESPACE, timeout=60
        )
        return bool(ack.get("ok")), (time.monotonic() - started) * 1000

    async def disconnect(self) -> None:
        await self.client.disconnect()


async def _serve(pipe, seats: list[Seat], counters) -> None:
    loop = asyncio.get_running_loop()
    receipts: list[tuple[int, int, float]] = []
    people: list[Participant] = []
    errors: list[str] = []
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def guarded(coroutine) -> None:
        async with gate:
            try:
                await coroutine
            except Exception as problem:  # noqa: BLE001 - every failure is counted and reported
                errors.append(f"{type(problem).__name__}: {problem}")

    while True:
        command, argument = await loop.run_in_executor(None, pipe.recv)
        if command == "connect":
            receipts.clear()
            people = [Participant(seat, counters, receipts) for seat in seats]
            if argument["target"] == "mend":
                jobs = [guarded(p.connect_to_mend(argument["urls"])) for p in people]
            else:
                jobs = [guarded(p.connect_to_baseline(argument["url"])) for p in people]
            await asyncio.gather(*jobs)
            pipe.send(("connected", len(errors)))
        elif command == "answer":
            polls = argument
            chosen = [p for p in people if p.seat.session in polls]
            results = await asyncio.gather(
                *(p.answer(polls[p.seat.session], n % 3) for n, p in enumerate(chosen)), return_exceptions=True
            )
            latencies, failed = [], 0
            for result in results:
                if isinstance(result, BaseException) or not result[0]:
                    failed += 1
                    errors.append(f"vote failed: {result}")
                else:
                    latencies.append(result[1])
            pipe.send(("answered", {"sent": len(chosen), "failed": failed, "ack_ms": latencies}))
        elif command == "disconnect":
            await asyncio.gather(*(guarded(p.disconnect()) for p in people))
            pipe.send(("disconnected", None))
        elif command == "report":
            sample = next((p.last_state for p in people if p.last_state), None)
            pipe.send(("report", {"receipts": list(receipts), "errors": list(errors), "sample_state": sample}))
            errors.clear()
        elif command == "stop":
            return


def run(pipe, seats: list[Seat], counters) -> None:
    """The body of a client process."""
    asyncio.run(_serve(pipe, seats, counters))
