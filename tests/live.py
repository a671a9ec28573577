"""Run Mend as a real server process (`python app.py`) for tests that need one."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import socketio

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    def __init__(self, process: subprocess.Popen, port: int, instance: Path, env: dict | None = None):
        self.process = process
        self.instance = str(instance)
        # What was added to the environment (database, message queue): a command on the same data needs it too.
        self.env = dict(env or {})
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.output: list[str] = []
        # Drain the output continuously: a full pipe would stall the server.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def wait_until_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.text}")
            if "is running at" in self.text:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not start within {timeout}s:\n{self.text}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)


def start_server(instance: Path, port: int | None = None, **env: str) -> LiveServer:
    """Start `python app.py` on a free port with `instance` as its instance folder, without waiting."""
    port = port or free_port()
    environment = {
        **os.environ,
        "MEND_INSTANCE_PATH": str(instance),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "MEND_ASYNC_MODE": "eventlet",
        "PYTHONUNBUFFERED": "1",
        # Every test joins and connects from 127.0.0.1; the limits themselves are tested with servers of their own.
        "MEND_JOINS_PER_ADDRESS": "100000 per hour",
        "MEND_CONNECTIONS_PER_ADDRESS": "100000",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return LiveServer(process, port, instance, env)


@contextmanager
def live_server(instance: Path, timeout: float = 60, port: int | None = None, **env: str):
    """A running `python app.py` (see `start_server`), stopped afterwards."""
    server = start_server(instance, port, **env)
    try:
        server.wait_until_serving(timeout)
        yield server
    finally:
        server.stop()


@contextmanager
def live_servers(instance: Path, count: int, timeout: float = 90, **env: str):
    """`count` processes started at the same moment on the same data, as a service manager starts them."""
    servers = [start_server(instance, **env) for _ in range(count)]
    try:
        for server in servers:
            server.wait_until_serving(timeout)
        yield servers
    finally:
        for server in servers:
            server.stop()


class Browser:
    """A person's cookie jar against a live server: signs in, joins, and posts forms with their CSRF token."""

    def __init__(self, server: LiveServer):
        import requests

        self.server = server
        self.http = requests.Session()

    def get(self, path: str, **kwargs):
        return self.http.get(self.server.url + path, timeout=10, **kwargs)

    def token(self, path: str) -> str:
        match = CSRF_INPUT.search(self.get(path).text)
        assert match, f"no form token on {path}"
        return match.group(1)

    def post_form(self, path: str, data: dict, token_from: str | None = None):
        data = {**data, "csrf_token": self.token(token_from or path)}
        return self.http.post(self.server.url + path, data=data, timeout=10, allow_redirects=False)

    def sign_in(self, email: str, password: str) -> "Browser":
        response = self.post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.text
        return self

    def join(self, code: str, name: str) -> "Browser":
        response = self.post_form(f"/j/{code}", {"display_name": name, "agree": "y"})
        assert response.status_code == 302, response.text
        return self

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)


class LiveClient:
    """A real python-socketio client on the /live namespace that records every state it receives."""

    def __init__(
        self,
        server: LiveServer,
        browser: Browser,
        cohort: str,
        role: str,
        url: str | None = None,
        reconnection: bool = True,
        **connect_kwargs,
    ):
        """Connect to `server`, or to `url` (a proxy in front of several servers) when given."""

        self.states: list[dict] = []
        self.presence: list[dict] = []
        # Every event this client received, in order, as (name, payload): what could have leaked to it.
        self.received: list[tuple[str, object]] = []
        self.client = socketio.Client(reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=1)
        self.client.on("*", self._record, namespace="/live")
        # Like the browser client: every connect and reconnect starts from a snapshot.
        self.client.on("connect", lambda: self.client.start_background_task(self._snapshot), namespace="/live")
        self.client.connect(
            url or server.url,
            namespaces=["/live"],
            auth={"cohort": cohort, "role": role},
            # Same cookies and user agent as the person's page loads, as a browser would send.
            headers={
                "Cookie": browser.cookie_header,
                "User-Agent": browser.http.headers["User-Agent"],
                **connect_kwargs.pop("headers", {}),
            },
            transports=["websocket"],
            wait_timeout=10,
            **connect_kwargs,
        )
        self.wait_for(lambda state: True)

    def _record(self, event: str, payload=None) -> None:
        self.received.append((event, payload))
        if event == "state":
            self.states.append(payload)
        elif event == "presence":
            self.presence.append(payload)

    def events(self, name: str) -> list:
        return [payload for event, payload in self.received if event == name]

    def _snapshot(self) -> None:
        try:
            ack = self.call("snapshot", {})
        except socketio.exceptions.SocketIOError:
            if self.client.connected:
                raise
            return  # closed (by the test) before the answer came
        if ack.get("ok"):
            self.states.append(ack["state"])

    def call(self, event: str, payload=None, timeout: float = 10):
        return self.client.call(event, payload, namespace="/live", timeout=timeout)

    @property
    def latest(self) -> dict:
        return self.states[-1]

    def wait_for(self, predicate, timeout: float = 10, after: int = 0) -> dict:
        """The newest state (among those received after the first `after`) that matches."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for state in reversed(self.states[after:]):
                if predicate(state):
                    return state
            time.sleep(0.02)
        raise AssertionError(f"no matching state within {timeout}s; last: {self.states[-1:]}")

    def close(self) -> None:
        self.client.disconnect()


@dataclass
class Group:
    facilitator: Browser
    cohort_id: int
    public_id: str
    join_code: str
    participants: list[Browser]
    live_session_id: int | None = None


def make_group(server, demo_login, names=("Ash", "Bo", "Cy"), open_week: int | None = 1) -> Group:
    facilitator = Browser(server).sign_in(*demo_login)
    form = facilitator.get("/cohorts/new").text
    programme = re.search(r'<option (?:selected )?value="(\d+)"', form).group(1)
    me = re.search(r'<option (?:selected )?value="(\d+)"[^>]*>Demo Facilitator', form).group(1)
    created = facilitator.post_form(
        "/cohorts/new",
        {
            "name": "Live test group",
            "programme": programme,
            "facilitators": me,
            "start_date": "2026-11-02",
            "weekday": "0",
            "start_time": "18:00",
            "timezone": "Europe/London",
        },
    )
    cohort_id = int(created.headers["Location"].rsplit("/", 1)[1])
    page = facilitator.get(f"/cohorts/{cohort_id}").text
    join_code = re.search(r"/j/([A-Z0-9]{8})", page).group(1)
    participants = []
    for name in names:
        browser = Browser(server)
        response = browser.post_form(f"/j/{join_code}", {"display_name": name, "agree": "y"})
        public_id = re.search(r"/g/([\w-]+)", response.headers["Location"]).group(1)
        participants.append(browser)
    group = Group(facilitator, cohort_id, public_id, join_code, participants)
    if open_week is not None:
        open_session(group, open_week)
    return group


def started_group(server, demo_login, clients: list, names=("Ash", "Bo", "Cy"), week: int = 1):
    """A started session of a new group: (group, the console's client, the participants' clients)."""
    group = make_group(server, demo_login, names=names, open_week=week)
    console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    people = [LiveClient(server, p, group.public_id, "participant") for p in group.participants]
    clients.extend([console, *people])
    ack = console.call("session:start", {"version": console.latest["version"]})
    assert ack["ok"], ack
    return group, console, people


def open_session(group: Group, week: int) -> None:
    page = group.facilitator.get(f"/cohorts/{group.cohort_id}").text
    plan_id = re.findall(r'<option value="(\d+)"[^>]*>\s*Week (\d+):', page)
    plan = next(pid for pid, number in plan_id if int(number) == week)
    response = group.facilitator.post_form(
        f"/cohorts/{group.cohort_id}/live", {"session_plan_id": plan}, token_from=f"/cohorts/{group.cohort_id}"
    )
    assert response.status_code == 302, response.text
    group.live_session_id = int(re.search(r"/live/(\d+)/console", response.headers["Location"]).group(1))


def wait_until(condition, timeout: float = 10) -> None:
    """Poll `condition` until it holds; fail the test if it does not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def create_facilitator(
    server: LiveServer, email: str, password: str, organisation: str, name: str | None = None
) -> Browser:
    """Create a facilitator with `mend create-user` on the running server's data, and sign them in."""
    command = [sys.executable, "-m", "flask", "--app", "app", "mend", "create-user"]
    command += ["--email", email, "--org", organisation, "--password", password]
    command += ["--name", name] if name else []
    env = {**os.environ, **server.env, "MEND_INSTANCE_PATH": server.instance}
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    return Browser(server).sign_in(email, password)


def open_quick(console: "LiveClient", settings: dict) -> int:
    """Open a quick poll from `console` with `settings` (as in a programme file); its id."""
    version = console.call("snapshot")["state"]["version"]
    ack = console.call("poll:open", {"version": version, "quick": settings})
    assert ack["ok"], ack
    return console.call("snapshot")["state"]["poll"]["id"]


def command(console: "LiveClient", event: str):
    """A versioned facilitator command, sent with the version the console sees now."""
    return console.call(event, {"version": console.call("snapshot")["state"]["version"]})


def team_results(console: "LiveClient") -> dict:
    """The open or closed poll's results as the team sees them."""
    return console.call("snapshot")["state"]["poll"]["results"]
