"""A real Janus (Debian's `janus`) for the video tests, started on loopback with a configuration
folder of its own: only the VideoRoom plugin and the HTTP transport (and its admin API), signed
tokens, free ports. Without Janus the tests skip with the reason; with CI=true they fail instead."""

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.services import unavailable

PLUGINS = Path("/usr/lib/x86_64-linux-gnu/janus")


@dataclass
class Janus:
    url: str
    admin_url: str
    token_secret: str
    admin_key: str
    admin_secret: str

    def settings(self) -> dict:
        """What a Mend server needs to drive this Janus."""
        return {
            "MEND_JANUS_ADMIN_URL": self.admin_url,
            "MEND_JANUS_ADMIN_SECRET": self.admin_secret,
            "MEND_JANUS_PUBLIC_URL": self.url,
            "MEND_JANUS_TOKEN_SECRET": self.token_secret,
            "MEND_JANUS_ADMIN_KEY": self.admin_key,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _plugins_folder() -> Path:
    found = sorted(Path("/usr/lib").glob("*/janus/plugins"))
    return found[0].parent if found else PLUGINS


CONFIG = """general: {{
    configs_folder = "{folder}"
    plugins_folder = "{lib}/plugins"
    transports_folder = "{lib}/transports"
    events_folder = "{lib}/events"
    loggers_folder = "{lib}/loggers"
    log_to_stdout = true
    debug_level = 3
    token_auth = true
    token_auth_secret = "{token_secret}"
    admin_secret = "{admin_secret}"
    session_timeout = 60
}}
media: {{
    rtp_port_range = "{rtp_low}-{rtp_high}"
}}
nat: {{
    nice_debug = false
    ignore_mdns = true
}}
plugins: {{
    disable = "{disabled_plugins}"
}}
transports: {{
    disable = "{disabled_transports}"
}}
loggers: {{
    disable = "{disabled_loggers}"
}}
events: {{
    broadcast = false
}}
"""

HTTP = """general: {{
    json = "compact"
    base_path = "/janus"
    http = true
    port = {port}
    interface = "lo"
    ip = "127.0.0.1"
}}
admin: {{
    admin_base_path = "/admin"
    admin_http = true
    admin_port = {admin_port}
    admin_ip = "127.0.0.1"
}}
cors: {{
    allow_origin = "*"
}}
"""

VIDEOROOM = """general: {{
    admin_key = "{admin_key}"
    lock_rtp_forward = true
}}
"""


def _others(folder: Path, keep: str) -> str:
    return ",".join(sorted(path.name for path in folder.glob("*.so") if path.name != keep))


@contextmanager
def running_janus() -> Iterator[Janus]:
    executable = shutil.which("janus")
    if executable is None:
        unavailable("Janus is not installed (apt-get install janus; tests/install_janus.py)")
    lib = _plugins_folder()
    port, admin_port = _free_port(), _free_port()
    rtp_low = 20000 + (os.getpid() % 200) * 100
    janus = Janus(
        url=f"http://127.0.0.1:{port}/janus",
        admin_url=f"http://127.0.0.1:{admin_port}/admin",
        token_secret=secrets.token_urlsafe(24),
        admin_key=secrets.token_urlsafe(24),
        admin_secret=secrets.token_urlsafe(24),
    )
    with tempfile.TemporaryDirectory(prefix="mend-janus-") as folder:
        config = Path(folder)
        (config / "janus.jcfg").write_text(
            CONFIG.format(
                folder=folder,
                lib=lib,
                token_secret=janus.token_secret,
                admin_secret=janus.admin_secret,
                rtp_low=rtp_low,
                rtp_high=rtp_low + 99,
                disabled_plugins=_others(lib / "plugins", "libjanus_videoroom.so"),
                disabled_transports=_others(lib / "transports", "libjanus_http.so"),
                disabled_loggers=_others(lib / "loggers", ""),
            )
        )
        (config / "janus.transport.http.jcfg").write_text(HTTP.format(port=port, admin_port=admin_port))
        (config / "janus.plugin.videoroom.jcfg").write_text(VIDEOROOM.format(admin_key=janus.admin_key))
        log = (config / "janus.log").open("w")
        process = subprocess.Popen(
            [executable, "-F", folder, "-C", str(config / "janus.jcfg")], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if requests.get(f"{janus.url}/info", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.close()
                    raise RuntimeError("Janus did not start:\n" + (config / "janus.log").read_text()[-3000:])
                time.sleep(0.1)
            yield janus
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


class JanusRefused(Exception):
    pass


class JanusVisitor:
    """What a browser's janus.js does, over Janus's HTTP API, without media: a session with a core
    token, a VideoRoom handle, and joins. Used to check what Janus itself lets in."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.http = requests.Session()
        answer = self._post(self.url, {"janus": "create"})
        self.session = f"{self.url}/{answer['data']['id']}"
        self.handle = f"{self.session}/{self._post(self.session, {'janus': 'attach', 'plugin': 'janus.plugin.videoroom'})['data']['id']}"

    def _post(self, url: str, body: dict) -> dict:
        answer = self.http.post(
            url, json={**body, "transaction": secrets.token_hex(6), "token": self.token}, timeout=5
        ).json()
        if answer.get("janus") == "error":
            raise JanusRefused(answer["error"]["reason"])
        return answer

    def join(self, room: int, token: str, feed: int, display: str = "visitor") -> dict:
        """Join `room` as a publisher (without publishing); Janus's answer (raises when refused)."""
        self._post(
            self.handle,
            {
                "janus": "message",
                "body": {
                    "request": "join",
                    "ptype": "publisher",
                    "room": room,
                    "id": feed,
                    "display": display,
                    "token": token,
                },
            },
        )
        return self.next_event()

    def next_event(self, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.http.get(self.session, params={"maxev": 1, "token": self.token}, timeout=35).json()
            for event in events if isinstance(events, list) else [events]:
                if event.get("janus") == "event":
                    data = event["plugindata"]["data"]
                    if "error" in data:
                        raise JanusRefused(data["error"])
                    return data
        raise TimeoutError("no event from Janus")

    def close(self) -> None:
        with suppress(JanusRefused, requests.RequestException):
            self._post(self.session, {"janus": "destroy"})
