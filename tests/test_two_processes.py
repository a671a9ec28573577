"""Two Mend processes sharing PostgreSQL and Redis, behind a sticky proxy, as docs/deployment.md runs them.

The facilitator's console is on one process and the participants are on the other,
so every step, poll count, reveal and presence change has to cross through Redis.
Killing a process sends its people to the other, where they carry on; restarting
Redis loses nothing. Needs PostgreSQL and Redis (skipped without them, unless CI=true).
"""

import re
import shutil
import signal
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.failover_proxy import FailoverProxy
from tests.live import Browser, Group, LiveClient, LiveServer, free_port, live_servers, make_group, wait_until
from tests.services import SCALED, backend, unavailable

FACILITATOR_NODE, PARTICIPANT_NODE = 0, 1
# Heartbeats every second, so that a killed process is noticed within seconds rather than half a minute.
FAST_HEARTBEAT = {"MEND_HEARTBEAT_SECONDS": "1"}


@dataclass
class Pair:
    servers: list[LiveServer]
    proxy: FailoverProxy
    login: tuple[str, str]
    database_url: str


@contextmanager
def running_pair(instance, **env):
    proxy_port = free_port()
    # Pages are served through the proxy, so that is the origin browsers send (as with nginx's address).
    settings = {**FAST_HEARTBEAT, "MEND_ALLOWED_ORIGINS": f"http://127.0.0.1:{proxy_port}", **env}
    with backend(SCALED) as chosen, live_servers(instance, 2, **{**chosen.env, **settings}) as servers:
        proxy = FailoverProxy([server.port for server in servers], port=proxy_port)
        try:
            login = re.search(r"Demo sign-in: (\S+) / (\S+)", servers[0].text).groups()
            yield Pair(servers, proxy, login, chosen.env["DATABASE_URL"])
        finally:
            proxy.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with running_pair(tmp_path_factory.mktemp("pair")) as running:
        yield running


def console_and_people(
    pair: Pair, clients: list, names=("Ash", "Bo", "Cy"), week: int = 1
) -> tuple[Group, LiveClient, list]:
    """A group whose facilitator is on the first process and whose participants are on the second.
    People sign in and join over HTTP on the second process: cookies are good on both."""
    group = make_group(pair.servers[1], pair.login, names=names, open_week=week)
    console = LiveClient(
        pair.servers[0], group.facilitator, group.public_id, "facilitator", url=pair.proxy.url_for(FACILITATOR_NODE)
    )
    people = [
        LiveClient(pair.servers[1], p, group.public_id, "participant", url=pair.proxy.url_for(PARTICIPANT_NODE))
        for p in group.participants
    ]
    clients.extend([console, *people])
    return group, console, people


def online(console: LiveClient) -> int | None:
    return console.presence[-1]["counts"]["online"] if console.presence else None


def test_every_change_crosses_from_one_process_to_the_other(pair, clients):
    _, console, people = console_and_people(pair, clients)
    assert {(wanted, reached) for wanted, reached in pair.proxy.routed} == {(0, 0), (1, 1)}
    # Presence: participants arriving on the second process reach the console on the first.
    wait_until(lambda: online(console) == 3)

    version = console.latest["version"]
    moves = [("session:start", {}), ("step:go", {"position": 1}), ("step:go", {"position": 3})]
    for event, payload in moves:
        version = console.call(event, {"version": version, **payload})["version"]
    for person in people:
        person.wait_for(lambda s: s["version"] == version)
        assert [s["step"]["position"] for s in person.states if s["status"] == "live"] == [0, 1, 3]

    # A poll: answers on the second process, counts and results on the first, the reveal back to the room.
    ack = console.call(
        "poll:open",
        {"version": version, "quick": {"kind": "single", "question": "How now?", "options": ["Calm", "Tense"]}},
    )
    assert ack["ok"], ack
    poll = people[0].wait_for(lambda s: s.get("poll") is not None)["poll"]["id"]
    for n, person in enumerate(people):
        assert person.call("poll:answer", {"poll": poll, "answer": {"picks": [n % 2]}})["ok"]
    wait_until(lambda: any(p.get("responded") == 3 for p in people[2].events("poll:progress")))
    # Received on the second process, counted by the close on the first.
    version = console.call("poll:close", {"version": ack["version"]})["version"]
    assert console.call("snapshot")["state"]["poll"]["results"]["answers"] == 3
    version = console.call("poll:reveal", {"version": version})["version"]
    for person in people:
        revealed = person.wait_for(lambda s: s["version"] == version)["poll"]
        assert [o["count"] for o in revealed["results"]["options"]] == [2, 1]

    # Leaving on the second process shows on the first.
    people[0].close()
    wait_until(lambda: online(console) == 2)
    state = {p["name"]: p["state"] for p in console.presence[-1]["participants"]}
    assert state["Ash"] == "reconnecting" and state["Bo"] == "online"


def test_breakout_rooms_are_assigned_and_recalled_across_processes(pair, clients):
    names = [f"Person {n}" for n in range(1, 7)]
    _, console, people = console_and_people(pair, clients, names=names, week=3)  # week 3 practises in threes
    version = console.call("session:start", {"version": console.latest["version"]})["version"]
    exercise = next(item["position"] for item in console.latest["agenda"] if item["kind"] == "breakout")
    version = console.call("step:go", {"version": version, "position": exercise})["version"]
    proposed = console.call("breakout:propose", {"version": version})
    assert proposed["ok"], proposed
    round_ = console.wait_for(lambda s: s["version"] == proposed["version"])["breakout"]
    started = console.call("breakout:start", {"version": proposed["version"], "round": round_["id"]})
    assert started["ok"], started
    rooms = console.wait_for(lambda s: s["version"] == started["version"])["breakout"]["rooms_detail"]
    room_of_name = {m["name"]: room["id"] for room in rooms for m in room["members"]}
    # Each participant, on the other process, hears of their own room.
    for person, name in zip(people, names, strict=True):
        wait_until(lambda p=person: p.events("breakout:you"))
        assert person.events("breakout:you")[-1]["room"]["id"] == room_of_name[name]
    recalled = console.call("breakout:recall", {"version": started["version"], "round": round_["id"]})
    assert recalled["ok"], recalled
    for person in people:
        assert person.wait_for(lambda s: s["version"] == recalled["version"])["breakout"]["phase"] == "returning"
    closed = console.call("breakout:close", {"version": recalled["version"], "round": round_["id"]})
    assert closed["ok"], closed
    for person in people:
        back = person.wait_for(lambda s: s["version"] == closed["version"])
        assert not back.get("breakout") or back["breakout"]["status"] != "running"


def test_the_other_process_shares_the_sign_in_and_the_rate_limits(pair):
    # Signed in through one process, the facilitator's pages work on the other.
    facilitator = Browser(pair.servers[0]).sign_in(*pair.login)
    facilitator.server = pair.servers[1]
    page = facilitator.get("/cohorts/new", allow_redirects=False)
    assert page.status_code == 200 and "Demo Facilitator" in page.text
    # Twenty wrong codes are allowed per minute from one address, counted across both processes.
    guesser = Browser(pair.servers[0])
    statuses = []
    for n in range(21):
        guesser.server = pair.servers[n % 2]
        statuses.append(guesser.get(f"/j/WRONG{n:03d}").status_code)
    assert statuses[:20] == [404] * 20 and statuses[20] == 429


def test_killing_a_process_sends_its_people_to_the_other(tmp_path, clients):
    with running_pair(tmp_path / "kill") as killable:
        group, console, people = console_and_people(killable, clients)
        # A phone that will not come back (its battery died with the server).
        gone = LiveClient(
            killable.servers[1],
            Browser(killable.servers[1]).join(group.join_code, "Dee"),
            group.public_id,
            "participant",
            url=killable.proxy.url_for(PARTICIPANT_NODE),
            reconnection=False,
        )
        clients.append(gone)
        wait_until(lambda: online(console) == 4)
        version = console.call("session:start", {"version": console.latest["version"]})["version"]
        version = console.call("step:go", {"version": version, "position": 2})["version"]
        for person in people:
            person.wait_for(lambda s: s["version"] == version)
        seen = [len(person.states) for person in people]

        killable.servers[1].process.send_signal(signal.SIGKILL)
        killable.servers[1].process.wait()
        # Each one's page reconnects through the proxy to the surviving process and asks for a snapshot.
        for person, count in zip(people, seen, strict=True):
            resumed = person.wait_for(lambda s: s["version"] == version, timeout=20, after=count)
            assert resumed["step"]["position"] == 2 and resumed["you"]
        assert all(reached == FACILITATOR_NODE for _, reached in killable.proxy.routed[-3:])
        # The survivor notices the silent process and clears its connections: Dee, who did not come back, is
        # no longer shown online; the others are.
        settled = {"online": 3, "reconnecting": 1, "left": 0, "waiting": 0}
        wait_until(lambda: console.presence[-1]["counts"] == settled, timeout=20)
        version = console.call("step:go", {"version": version, "position": 3})["version"]
        for person in people:
            assert person.wait_for(lambda s: s["version"] == version)["step"]["position"] == 3
        poll_ack = console.call(
            "poll:open",
            {"version": version, "quick": {"kind": "single", "question": "Still here?", "options": ["Yes", "No"]}},
        )
        assert poll_ack["ok"], poll_ack
        poll = people[0].wait_for(lambda s: s["version"] == poll_ack["version"])["poll"]["id"]
        assert all(p.call("poll:answer", {"poll": poll, "answer": {"picks": [0]}})["ok"] for p in people)


def just_beaten(database_url: str, pid: int) -> None:
    """Return just after the process `pid` has recorded a new heartbeat."""
    import psycopg2

    watching = psycopg2.connect(database_url)
    watching.autocommit = True
    try:
        with watching.cursor() as cursor:

            def heartbeat():
                cursor.execute("SELECT heartbeat_at FROM server_process WHERE id LIKE %s", (f"%-{pid}-%",))
                return cursor.fetchone()

            first = heartbeat()
            wait_until(lambda: heartbeat() != first)
    finally:
        watching.close()


def test_a_process_too_busy_to_beat_shows_its_people_again_when_it_beats(tmp_path, clients):
    with running_pair(tmp_path / "stall") as stalling:
        group, console, people = console_and_people(stalling, clients)
        wait_until(lambda: online(console) == 3)
        sockets = [person.client.get_sid("/live") for person in people]
        participants_process = stalling.servers[1].process
        # Stopped for longer than 3.5 beats, as a process is when a crowd arrives faster than it admits
        # them: the other process takes it for dead and clears its people's connections. Stopped just
        # after a beat has committed, so that it is frozen holding no lock of the other's (a process
        # stopped inside a transaction would keep its row locked, and the other's beat waiting, for as
        # long as it stays stopped: a real busy process moves on).
        just_beaten(stalling.database_url, participants_process.pid)
        participants_process.send_signal(signal.SIGSTOP)
        try:
            wait_until(lambda: online(console) == 0, timeout=20)
        finally:
            participants_process.send_signal(signal.SIGCONT)
        # Their sockets stayed open all along: at its next beat the process records them again, and the
        # console shows them here without anyone reconnecting.
        wait_until(lambda: online(console) == 3, timeout=20)
        assert [person.client.get_sid("/live") for person in people] == sockets
        assert "took this one for dead" in stalling.servers[1].text
        version = console.call("session:start", {"version": console.latest["version"]})["version"]
        for person in people:
            assert person.wait_for(lambda s: s["version"] == version)["status"] == "live"


class PrivateRedis:
    """A Redis of this test's own on a free port, so that stopping it disturbs nobody else's."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            unavailable("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self.answers)

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def test_restarting_redis_loses_nothing(tmp_path, clients):
    private = PrivateRedis()
    private.start()
    try:
        with running_pair(tmp_path / "redis", SOCKETIO_MESSAGE_QUEUE=private.url) as both:
            _, console, people = console_and_people(both, clients)
            version = console.call("session:start", {"version": console.latest["version"]})["version"]
            for person in people:
                person.wait_for(lambda s: s["version"] == version)

            private.stop()
            # While Redis is away the facilitator moves on and people answer: all of it is stored.
            moved = console.call("step:go", {"version": version, "position": 1})
            assert moved["ok"], moved
            quick = {"kind": "single", "question": "Here?", "options": ["Yes", "No"]}
            opened = console.call("poll:open", {"version": moved["version"], "quick": quick})
            assert opened["ok"], opened
            poll = console.call("snapshot")["state"]["poll"]["id"]
            assert all(p.call("poll:answer", {"poll": poll, "answer": {"picks": [0]}})["ok"] for p in people)

            private.start()
            # Once Redis is back, each process sends its people the state they missed, without a new change.
            for person in people:
                state = person.wait_for(lambda s: s["version"] == opened["version"], timeout=20)
                assert state["step"]["position"] == 1 and state["poll"]["id"] == poll
            closed = console.call("poll:close", {"version": opened["version"]})
            for person in people:
                assert person.wait_for(lambda s: s["version"] == closed["version"])["poll"]["status"] == "closed"
            assert console.call("snapshot")["state"]["poll"]["results"]["answers"] == 3
    finally:
        private.stop()
