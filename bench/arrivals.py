"""The arrivals benchmark: N people open a group's join link within T seconds and do exactly what a
browser does, against real Mend servers and, in the same run, a bare Flask-SocketIO baseline.

    python -m bench.arrivals --arrivals 1000 --seconds 10 [--processes 2 --database-url URL
                             --message-queue URL] [--proxy nginx] --json PATH

Each person, at their moment (evenly spread over T seconds), with a cookie jar of their own:
GET the join link, POST a name with the form's CSRF token, follow the redirect to the group page,
open the Socket.IO connection as the browser's client does (long-polling, then the WebSocket
upgrade, the rejoin cookie sent with both) and wait until the page is live: the state the page
shows has arrived. A connection that fails is tried again as socket.io-client does (every 1 to
5 s, randomised), a page load waits as long as a browser would (60 s here). Every person is counted:
admitted, or failed with the reason.

The baseline serves the same pages as bare Flask views (a form with a token, a redirect setting a
cookie, a page) and answers the same socket work (connect with the cookie, join a room, `snapshot`
with a state of the same size), so that the client's own cost is in both. The server processes'
CPU time is read from /proc before and after each phase: CPU per admitted person is the figure that
noise on a shared machine moves least. See docs/benchmarks.md.
"""

import os

# The driver prepares the database in-process; eventlet belongs to the server processes only.
os.environ["MEND_ASYNC_MODE"] = "threading"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.clients import NAMESPACE  # noqa: E402
from bench.live import Server, baseline_server, free_port, mend_servers, percentiles, prepare  # noqa: E402

PAGE_TIMEOUT = 60
CONNECT_TIMEOUT = 20  # socket.io-client's `timeout`
GIVE_UP_AFTER = 90  # seconds after their arrival: a person not live by then is counted as failed
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FIRST_STATE = re.compile(r'<script id="first-state" type="application/json">(.*?)</script>', re.S)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listen_overflows() -> int:
    """The kernel's count of connections dropped from a full listen queue (the whole machine's)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=True):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=True))
            return int(table.get("ListenOverflows", 0))
    return 0


class Person:
    """One browser: its own cookies, its own connection, and when each step finished."""

    def __init__(self, number: int, base_url: str, code: str, at: float):
        self.number, self.base_url, self.code, self.at = number, base_url, code, at
        self.steps: dict[str, float] = {}
        self.connects = 0
        self.busy = 0  # pages, connections and snapshots answered "busy" and asked again
        self.refused_with: str | None = None
        self.snapshot_refused: str | None = None
        self.refusal: str | None = None
        self.pending: set = set()
        self.error: str | None = None
        self.live_at: float | None = None
        self.client = None
        self.browser = None

    def _mark(self, step: str, since: float) -> float:
        now = time.monotonic()
        self.steps[step] = round((now - since) * 1000, 1)
        return now

    async def arrive(self) -> None:
        import aiohttp
        import socketio

        timeout = aiohttp.ClientTimeout(total=PAGE_TIMEOUT)
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1, as a browser keeps them
        # Kept open for the socket too: the page's connection sends the browser's cookies, on every
        # attempt and reconnection (python-socketio takes a Cookie header out of the dict it is given,
        # and would reconnect without it).
        self.browser = browser = aiohttp.ClientSession(cookie_jar=jar, timeout=timeout)
        started = time.monotonic()
        join_url = f"{self.base_url}/j/{self.code}"
        while True:
            status, _, text = await self._load(browser, join_url)
            if status != 200:
                raise RuntimeError(f"join page: HTTP {status}")
            token = TOKEN.search(text)
            if token is None:
                raise RuntimeError("join page without a form")
            joined = self._mark("join_page", started)
            form = {"csrf_token": token.group(1), "display_name": f"Person {self.number + 1}", "agree": "y"}
            async with browser.post(join_url, data=form, allow_redirects=False) as answer:
                await answer.read()
                status, headers = answer.status, answer.headers
            if status != 503:
                break
            # The busy page reloads its address by itself: the join form again, where the person types
            # their name once more.
            self.busy += 1
            await asyncio.sleep(float(headers.get("Retry-After", 3)))
        if status != 302:
            raise RuntimeError(f"name post: HTTP {status}")
        location = headers["Location"]
        started = self._mark("name_post", joined)
        group_url = location if location.startswith("http") else f"{self.base_url}{location}"
        status, _, text = await self._load(browser, group_url)
        if status != 200:
            raise RuntimeError(f"group page: HTTP {status}")
        started = self._mark("group_page", started)
        cohort = re.search(r'data-cohort="([^"]+)"', text)
        first_state = FIRST_STATE.search(text)
        live = asyncio.get_running_loop().create_future()
        # As socket.io-client: reconnect after 1 s, doubling to 5 s, each randomised by half.
        self.client = socketio.AsyncClient(
            reconnection_delay=1, reconnection_delay_max=5, randomization_factor=0.5, http_session=browser
        )

        async def snapshot() -> None:
            while True:
                try:
                    ack = await self.client.call("snapshot", {}, namespace=NAMESPACE, timeout=PAGE_TIMEOUT)
                except Exception:  # noqa: BLE001 - the connection went: its next connect asks again
                    return
                if ack.get("ok") or ack.get("error", {}).get("code") not in ("busy", "rate_limited"):
                    self.snapshot_refused = ack.get("error", {}).get("code")
                    break
                # As the page does: a busy server (or a refusal for time) is asked again after 1 to 3 s.
                self.busy += 1
                await asyncio.sleep(1 + 2 * random.random())
            if not live.done():
                live.set_result(bool(ack.get("ok")))

        async def on_connect() -> None:
            self.connects += 1
            if first_state is None:
                # The page asks for the state on every connect (static/js/socket.js).
                self.pending.add(asyncio.create_task(snapshot()))
            elif not live.done():
                # The page carried its first state and is live as soon as its socket is.
                live.set_result(True)

        async def on_refused(data=None) -> None:
            self.refusal = str(data)[:120]
            self.refused_with = data.get("data", {}).get("code") if isinstance(data, dict) else None

        self.client.on("connect", on_connect, namespace=NAMESPACE)
        self.client.on("connect_error", on_refused, namespace=NAMESPACE)
        while True:
            try:
                await self.client.connect(
                    self.base_url,
                    namespaces=[NAMESPACE],
                    auth={"cohort": cohort.group(1) if cohort else "", "role": "participant"},
                    wait_timeout=CONNECT_TIMEOUT,
                    retry=True,
                )
                break
            except socketio.exceptions.ConnectionError:
                # As the page does: a connection refused as busy is opened again after 1 to 3 s, and
                # one that failed on the way (socket.io-client's own reconnection) after 1 to 5 s.
                if self.refused_with not in (None, "busy"):
                    raise
                self.busy += self.refused_with == "busy"
                self.refusal = self.refused_with = None
                await asyncio.sleep(1 + 2 * random.random())
        if not await live:
            raise RuntimeError(f"snapshot refused: {self.snapshot_refused}")
        self._mark("live", started)
        self.live_at = time.monotonic()

    async def _load(self, browser, url: str) -> tuple:
        """GET a page as the browser does: a page refused as busy (HTTP 503, "Lots of people are
        arriving") loads again by itself after its Retry-After."""
        while True:
            async with browser.get(url) as page:
                text = await page.text()
                if page.status != 503:
                    return page.status, page.headers, text
                retry = float(page.headers.get("Retry-After", 3))
            self.busy += 1
            await asyncio.sleep(retry)

    async def run(self) -> None:
        await asyncio.sleep(max(0.0, self.at - time.monotonic()))
        try:
            await asyncio.wait_for(self.arrive(), GIVE_UP_AFTER)
        except Exception as problem:  # noqa: BLE001 - every failure is counted and reported
            reached = ", ".join(self.steps) or "nothing"
            refusal = f", refused with {self.refusal}" if self.refusal else ""
            self.error = f"{type(problem).__name__}: {problem} (done: {reached}{refusal})"[:300]

    def report(self) -> dict:
        return {
            "number": self.number,
            "at": self.at,
            "live_at": self.live_at,
            "steps": self.steps,
            "error": self.error,
            "connects": self.connects,
            "busy": self.busy,
        }


async def _arrivals(urls: list[str], code: str, numbers: list[int], times: list[float]) -> list[dict]:
    people = [Person(n, urls[n % len(urls)], code, at) for n, at in zip(numbers, times, strict=True)]
    await asyncio.gather(*(person.run() for person in people))
    reports = [person.report() for person in people]
    # Held open until every person of this process is live: the room is full, as on the evening.
    await asyncio.gather(
        *(person.client.shutdown() for person in people if person.client is not None), return_exceptions=True
    )
    await asyncio.gather(*(person.browser.close() for person in people if person.browser is not None))
    return reports


def client_process(urls: list[str], code: str, numbers: list[int], times: list[float]) -> list[dict]:
    return asyncio.run(_arrivals(urls, code, numbers, times))


def wave(urls: list[str], code: str, arrivals: int, seconds: float, client_processes: int) -> dict:
    """N arrivals over T seconds, from several client processes; what each person saw."""
    start = time.monotonic() + 2.0  # the client processes are up and waiting by then
    times = [start + seconds * n / arrivals for n in range(arrivals)]
    numbers = list(range(arrivals))
    context = multiprocessing.get_context("spawn")
    with context.Pool(client_processes) as pool:
        jobs = [
            pool.apply_async(client_process, (urls, code, numbers[k::client_processes], times[k::client_processes]))
            for k in range(client_processes)
        ]
        reports = [report for job in jobs for report in job.get(timeout=GIVE_UP_AFTER + seconds + 120)]
    admitted = [r for r in reports if r["live_at"] is not None]
    waits = [(r["live_at"] - r["at"]) * 1000 for r in admitted]
    errors = [r["error"] for r in reports if r["error"]]
    reconnected = sum(1 for r in reports if r["connects"] > 1)
    steps = {
        step: percentiles([r["steps"][step] for r in admitted if step in r["steps"]], ("p50", "p99"))
        for step in ("join_page", "name_post", "group_page", "live")
    }
    return {
        "arrivals": arrivals,
        "admitted": len(admitted),
        "failed": len(reports) - len(admitted),
        "people_who_reconnected": reconnected,
        "answered_busy_and_asked_again": sum(r["busy"] for r in reports),
        "per_person_ms": percentiles(waits),
        "steps_ms": steps,
        "last_live_after_first_arrival_s": round(max(r["live_at"] for r in admitted) - start, 2) if admitted else None,
        "error_samples": sorted(set(errors))[:10],
    }


async def _sample_state(mend_url: str, code: str, baseline_url: str, number: int) -> int:
    """One more person's full state from Mend, given to the baseline to answer `snapshot` with."""
    import socketio

    person = Person(number, mend_url, code, time.monotonic())
    await person.arrive()
    ack = await person.client.call("snapshot", {}, namespace=NAMESPACE, timeout=PAGE_TIMEOUT)
    await person.client.disconnect()
    await person.browser.close()
    bare = socketio.AsyncClient(reconnection=False)
    await bare.connect(baseline_url, namespaces=[NAMESPACE], auth={"room": "setup"}, transports=["websocket"])
    await bare.call("snapshot:set", ack["state"], namespace=NAMESPACE, timeout=PAGE_TIMEOUT)
    await bare.disconnect()
    return len(json.dumps(ack["state"]))


def phase(servers: list[Server], run) -> tuple[dict, float]:
    before = sum(cpu_seconds(server.process.pid) for server in servers)
    outcome = run()
    return outcome, sum(cpu_seconds(server.process.pid) for server in servers) - before


def join_code_of(database_url: str, public_id: str) -> str:
    from sqlalchemy import create_engine, text

    from config import postgres_driver

    engine = create_engine(postgres_driver(database_url))
    with engine.connect() as connection:
        code = connection.execute(text("SELECT join_code FROM cohort WHERE public_id = :p"), {"p": public_id}).scalar()
    engine.dispose()
    return str(code)


NGINX_CONF = """
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/nginx-body;
    proxy_temp_path {workdir}/nginx-proxy;
    map $cookie_mend_route $mend_route {{
        ""      $request_id;
        default $cookie_mend_route;
    }}
    upstream mend {{
        hash $mend_route consistent;
{upstreams}
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    server {{
        listen 127.0.0.1:{port} backlog={backlog};
        add_header Set-Cookie "mend_route=$mend_route; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax" always;
        location / {{
            proxy_pass http://mend;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout;
        }}
        location /socket.io/ {{
            proxy_pass http://mend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


class Nginx:
    """docs/deployment.md's nginx set-up (sticky cookie, WebSockets) on a local port, without TLS and
    without its per-address limits: every simulated person comes from 127.0.0.1."""

    def __init__(self, servers: list[Server], workdir: Path, backlog: int):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        upstreams = "\n".join(f"        server 127.0.0.1:{s.port} max_fails=1 fail_timeout=10s;" for s in servers)
        conf = workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workdir=workdir, upstreams=upstreams, port=self.port, backlog=backlog))
        subprocess.run([binary, "-c", str(conf), "-p", str(workdir)], check=True)
        self.pid = int((workdir / "nginx.pid").read_text())

    def stop(self) -> None:
        subprocess.run(["kill", str(self.pid)], check=False)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.arrivals", description=__doc__.split("\n\n")[0])
    parser.add_argument("--arrivals", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, default=1, help="Mend server processes (several need a queue)")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    parser.add_argument("--message-queue", help="a Redis URL, shared by the server processes")
    parser.add_argument("--proxy", choices=("nginx", "none"), default="none", help="nginx in front of Mend's processes")
    parser.add_argument("--async-mode", default="eventlet", choices=("eventlet", "gevent"))
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--json", required=True, help="where to write the results")
    args = parser.parse_args(argv)
    if args.processes > 1 and not args.message_queue:
        parser.error("several processes need --message-queue")

    workdir = Path(tempfile.mkdtemp(prefix="mend-arrivals-"))
    instance = workdir / "instance"
    database_url = args.database_url or f"sqlite:///{instance / 'mend.db'}"
    prepared = prepare(instance, database_url, 0, 1, 1)
    code = join_code_of(database_url, prepared.cohorts[0])
    # Everyone arrives from 127.0.0.1: the per-address limits would refuse all but the first few.
    os.environ["MEND_JOINS_PER_ADDRESS"] = "1000000 per hour"
    servers = mend_servers(args, instance, database_url, prepared.secret_key, workdir)
    baseline = baseline_server(args, workdir)
    proxy = None
    started = [*servers, baseline]
    try:
        for server in started:
            server.wait()
        urls = [server.url for server in servers]
        if args.proxy == "nginx":
            proxy = Nginx(servers, workdir, backlog=4096)
            urls = [proxy.url]
        time.sleep(2)
        overflows = listen_overflows()
        mend, mend_cpu = phase(servers, lambda: wave(urls, code, args.arrivals, args.seconds, args.client_processes))
        mend_overflows = listen_overflows() - overflows
        results: dict = {
            "arrivals": args.arrivals,
            "seconds": args.seconds,
            "processes": args.processes,
            "proxy": args.proxy,
            "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
            "message_queue": bool(args.message_queue),
            "client_processes": args.client_processes,
            "load_average_at_start": os.getloadavg()[0],
            "mend": {
                **mend,
                "server_cpu_s": round(mend_cpu, 2),
                "cpu_ms_per_person": round(mend_cpu * 1000 / max(1, mend["admitted"]), 2),
                "listen_overflows": mend_overflows,
            },
        }
        if not args.skip_baseline:
            results["state_bytes"] = asyncio.run(_sample_state(urls[0], code, baseline.url, args.arrivals))
            overflows = listen_overflows()
            bare, bare_cpu = phase(
                [baseline], lambda: wave([baseline.url], "base", args.arrivals, args.seconds, args.client_processes)
            )
            results["baseline"] = {
                **bare,
                "server_cpu_s": round(bare_cpu, 2),
                "cpu_ms_per_person": round(bare_cpu * 1000 / max(1, bare["admitted"]), 2),
                "listen_overflows": listen_overflows() - overflows,
            }
            for figure in ("p50", "p99"):
                mine, theirs = results["mend"]["per_person_ms"][figure], results["baseline"]["per_person_ms"][figure]
                results[f"per_person_{figure}_ratio"] = round(mine / theirs, 2) if mine and theirs else None
            theirs = results["baseline"]["cpu_ms_per_person"]
            results["cpu_per_person_ratio"] = (
                round(results["mend"]["cpu_ms_per_person"] / theirs, 2) if theirs else None
            )
        results["errors"] = results["mend"]["failed"] + results.get("baseline", {}).get("failed", 0)
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))  # noqa: T201 - the command's output
        return results
    finally:
        if proxy is not None:
            proxy.stop()
        for server in started:
            server.stop()


if __name__ == "__main__":
    main()
