"""The fast layer: a live session run inside the test's process, through Flask-SocketIO's test client.

Each person has a Flask test client holding their cookies (the facilitator signed in at /login, each
participant joined by the group's code) and a Socket.IO test client connected through it, so the
connect handler identifies them exactly as it identifies a browser. Events are handled as they are
sent: when `Device.call` returns, the handler has committed and every push it queued sits in the
queue of each client it reached.

What Mend starts in the background (counting a batch of answers, the coalesced presence and progress
pushes, the scrub after a close) is held, not run on a thread: `BackgroundTasks.run()` runs what is
pending there and then, without waiting out its delay (the clock does not move: "reconnecting" does
not turn into "left"). A test thus says when the background work happens, nothing reaches a client by
chance, and no task outlives its test to push into the next test's clients. What a process keeps in
memory between events (who holds which socket, coalescing flags, the ballot box) starts empty for
each test, as in a process just started.

tests/live.py stays the integration layer: a real server, real clients, real delays.
"""

import gc
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient
from flask_socketio.test_client import SocketIOTestClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from socketio import packet
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from extensions import db, socketio
from facilitation.models import Cohort, Organisation, Participant, SessionPlan, User
from sessions.live.models import LiveSession
from sessions.polls import ballots
from sessions.realtime.schemas import NAMESPACE
from tests.conftest import PASSWORD, Made, csrf_token, sign_in

NAMES = ("Ash", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lou", "Mo", "Ned", "Oz", "Pat")


class BackgroundTasks:
    """Background tasks Mend started, held until the test runs them; a task that fails fails the test."""

    LIMIT = 200

    def __init__(self) -> None:
        self.pending: list[tuple[Callable, tuple, dict]] = []

    def start(self, target: Callable, *arguments, **keywords) -> None:
        self.pending.append((target, arguments, keywords))

    def run(self) -> int:
        """Run every pending task, and those they start, in order; how many ran."""
        failures = _Failures()
        logging.getLogger().addHandler(failures)
        ran = 0
        try:
            while self.pending:
                target, arguments, keywords = self.pending.pop(0)
                target(*arguments, **keywords)
                ran += 1
                assert ran <= self.LIMIT, "background tasks keep starting more of themselves"
        finally:
            logging.getLogger().removeHandler(failures)
        assert not failures.records, f"a background task failed: {failures.records[0].getMessage()}"
        return ran


class _Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Socket(SocketIOTestClient):
    """Flask-SocketIO's test client, keeping what a refused connect was told (the `connect_error` payload,
    which the test client itself drops)."""

    refusal: object = None

    def connect(self, namespace=None, query_string=None, headers=None, auth=None) -> None:
        server = self.socketio.server
        send = server._send_packet

        def watch(eio_sid: str, sent: packet.Packet) -> None:
            if eio_sid == self.eio_sid and sent.packet_type == packet.CONNECT_ERROR:
                self.refusal = sent.data
            send(eio_sid, sent)

        server._send_packet = watch
        try:
            super().connect(namespace=namespace, query_string=query_string, headers=headers, auth=auth)
        finally:
            server._send_packet = send


@dataclass
class Device:
    """One person's browser tab: their cookies and, once connected, their socket and what it heard."""

    name: str
    role: str
    http: FlaskClient
    participant_id: int | None = None
    socket: Socket | None = None
    # Every push this socket received, in order, as (event, payload), read through `pushes` and `events`.
    received: list[tuple[str, object]] = field(default_factory=list)
    # The state it was last given, by a push or as the answer to its snapshot.
    latest: dict | None = None

    @property
    def state(self) -> dict | None:
        """The state this screen shows now: the last one it was given."""
        self._collect()
        return self.latest

    @property
    def connected(self) -> bool:
        return self.socket is not None and self.socket.is_connected(NAMESPACE)

    def call(self, event: str, payload: object = None, *extra: object) -> dict:
        """Send `event` and return its acknowledgement (the handler has committed and pushed by then)."""
        arguments = (payload, *extra) if payload is not None or extra else ()
        ack = self.socket.emit(event, *arguments, callback=True, namespace=NAMESPACE)
        self._collect()
        return ack

    def snapshot(self) -> dict:
        """What the browser asks on every connect: the whole state."""
        ack = self.call("snapshot")
        assert ack["ok"], ack
        self.latest = ack["state"]
        return self.latest

    def events(self, name: str) -> list:
        """The payloads of every `name` push this socket received so far."""
        self._collect()
        return [payload for event, payload in self.received if event == name]

    def heard(self) -> list[str]:
        """The names of every push received so far, in order."""
        return [event for event, _ in self.pushes()]

    def pushes(self) -> list[tuple[str, object]]:
        """Every push received so far, in order, as (event, payload)."""
        self._collect()
        return list(self.received)

    def forget(self) -> None:
        """Forget what was received so far (the next assertions concern what comes after)."""
        self._collect()
        self.received.clear()

    def _collect(self) -> None:
        if not self.connected:
            return
        for push in self.socket.get_received(NAMESPACE):
            payload = push["args"][0] if push["args"] else None
            self.received.append((push["name"], payload))
            if push["name"] == "state":
                self.latest = payload


@dataclass
class Room:
    """A cohort with its facilitator and participants, connected to its open live session."""

    app: Flask
    cohort: Made
    # The facilitator who opened the session, as a user.
    user: Made
    live_session_id: int
    facilitator: Device
    participants: list[Device]
    tasks: BackgroundTasks
    sockets: list[Socket] = field(default_factory=list)
    # The facilitator first, then any co-facilitators added.
    facilitators: list[Device] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.facilitators.insert(0, self.facilitator)

    @property
    def everyone(self) -> list[Device]:
        return [*self.facilitators, *self.participants]

    def version(self) -> int:
        """The session's version as the database has it."""
        with self.app.app_context():
            return db.session.get(LiveSession, self.live_session_id).version

    def command(self, event: str, **payload) -> dict:
        """A facilitator's command based on the current version, as the console sends it."""
        return self.facilitator.call(event, {"version": self.version(), **payload})

    def start(self) -> dict:
        ack = self.command("session:start")
        assert ack["ok"], ack
        return ack

    def go_to(self, position: int) -> dict:
        ack = self.command("step:go", position=position)
        assert ack["ok"], ack
        return ack

    def position_of(self, kind: str, after: int = -1) -> int:
        """The position of the first step of `kind` after `after` in the session's plan."""
        agenda = self.facilitator.state["agenda"]
        return next(step["position"] for step in agenda if step["kind"] == kind and step["position"] > after)

    def forget(self) -> None:
        for device in self.everyone:
            device.forget()

    def join(self, name: str) -> Device:
        """Someone new joins the group by its code (not yet connected)."""
        device = Device(name, "participant", self.app.test_client())
        page = f"/j/{self.cohort.join_code}"
        response = device.http.post(
            page, data={"display_name": name, "agree": "y", "csrf_token": csrf_token(device.http, page)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        with self.app.app_context():
            device.participant_id = db.session.scalar(
                select(Participant.id).where(Participant.cohort_id == self.cohort.id, Participant.display_name == name)
            )
        return device

    def connect(
        self, device: Device, role: str | None = None, cohort: str | None = None, snapshot: bool = True
    ) -> Device:
        """Open `device`'s socket (with its cookies) and, if it was accepted, take its snapshot."""
        device.socket = Socket(
            self.app,
            socketio,
            namespace=NAMESPACE,
            auth={"cohort": cohort or self.cohort.public_id, "role": role or device.role},
            flask_test_client=device.http,
        )
        self.sockets.append(device.socket)
        device.received.clear()
        if device.connected and snapshot:
            device.snapshot()
        return device

    def add_facilitator(self, email: str) -> Device:
        """A co-facilitator of the cohort, signed in and connected."""
        with self.app.app_context():
            cohort = db.session.get(Cohort, self.cohort.id)
            made = make_facilitator(self.app, email, cohort.organisation.name)
            cohort.facilitators.append(db.session.get(User, made.id))
            db.session.commit()
        device = Device(email.split("@")[0], "facilitator", self.app.test_client())
        assert sign_in(device.http, email).status_code == 302
        self.connect(device)
        assert device.connected
        self.facilitators.append(device)
        return device

    def disconnect(self, device: Device) -> None:
        device.socket.disconnect(NAMESPACE)

    def close(self) -> None:
        for socket in self.sockets:
            if socket.is_connected(NAMESPACE):
                socket.disconnect(NAMESPACE)
            SocketIOTestClient.clients.pop(socket.eio_sid, None)


def open_room(
    app: Flask, facilitator: Made, cohort: Made, tasks: BackgroundTasks, participants: int, week: int
) -> Room:
    """Sign the facilitator in, let `participants` people join, open week `week` and connect everyone."""
    app.jinja_env.bytecode_cache = TEMPLATES
    console = Device("facilitator", "facilitator", app.test_client())
    assert sign_in(console.http, facilitator.email).status_code == 302
    room = Room(app, cohort, facilitator, 0, console, [], tasks)
    room.participants = [room.join(name) for name in _names(participants)]
    with app.app_context():
        plan_id = db.session.scalar(
            select(SessionPlan.id)
            .join(Cohort, Cohort.programme_id == SessionPlan.programme_id)
            .where(Cohort.id == cohort.id, SessionPlan.number == week)
        )
    page = f"/cohorts/{cohort.id}"
    response = console.http.post(
        f"{page}/live", data={"session_plan_id": plan_id, "csrf_token": csrf_token(console.http, page)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    room.live_session_id = int(re.search(r"/live/(\d+)/console", response.headers["Location"]).group(1))
    for device in room.everyone:
        room.connect(device)
        assert device.connected, f"{device.name} was refused"
    # A moment later: who arrived has been announced.
    tasks.run()
    return room


def make_facilitator(app: Flask, email: str, organisation: str) -> Made:
    """A facilitator who signs in at /login like any other, with a password hash that is quick to check:
    the default one costs a tenth of a second to make and again to check, for every test."""
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            org = Organisation(name=organisation)
            db.session.add(org)
        user = User(organisation=org, email=email, name=email.split("@")[0].capitalize(), role="facilitator")
        user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        db.session.add(user)
        db.session.commit()
        return Made(id=user.id, email=user.email, organisation_id=org.id)


class TemplateCache(BytecodeCache):
    """Compiled templates kept for the whole test run: each test's app would compile them again."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = TemplateCache()


def _names(count: int) -> Iterator[str]:
    for n in range(count):
        yield NAMES[n] if n < len(NAMES) else f"Person {n + 1}"


def settle_memory() -> None:
    """What the server does once it has started (app.py `main`), done once for the test process: what
    was imported and built so far is frozen, out of the cyclic collector's way, and collections run
    less often. Otherwise a second of the fast layer's few went to traversing the same objects."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(2000, 100, 100)


def fresh_process_state(monkeypatch) -> BackgroundTasks:
    """What one Mend process keeps between events, as a process that has just started has it, and its
    background tasks held (see `BackgroundTasks`)."""
    from sessions.polls import events as poll_events
    from sessions.polls import operations as polls
    from sessions.realtime import coalescing, plumbing

    monkeypatch.setattr(plumbing, "_callers", {})
    monkeypatch.setattr(plumbing, "_people", {})
    monkeypatch.setattr(plumbing, "_limiters", None)
    monkeypatch.setattr(coalescing, "_in_memory", set())
    monkeypatch.setattr(poll_events, "_count_scheduled", {})
    monkeypatch.setattr(poll_events, "_progress_scheduled", {})
    monkeypatch.setattr(polls, "_facts", {})
    monkeypatch.setattr(ballots, "_memory", ballots.MemoryBox())
    tasks = BackgroundTasks()
    monkeypatch.setattr(socketio, "start_background_task", tasks.start)
    # Time passes at once for held tasks (their delays) and for the plumbing's yields to other sockets.
    monkeypatch.setattr(socketio, "sleep", lambda _seconds=0: None)
    return tasks
