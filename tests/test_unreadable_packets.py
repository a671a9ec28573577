"""Garbage on a socket, sent as a broken or hostile client would: the connection is closed, the log
gains at most a line, and never a traceback (issue 16).

The frames are twenty bytes each, written straight onto a WebSocket below any Socket.IO client.
"""

import json
import time

import pytest
import requests
import websocket

from tests.live import LiveClient, make_group, wait_until
from tests.services import GEVENT

BACKENDS = ("sqlite", GEVENT)

FRAMES = {
    # An Engine.IO message whose Socket.IO packet has no type.
    "socket.io": "4" + "?" * 19,
    # A Socket.IO event cut off in the middle of its JSON.
    "cut-off event": '42["step:go",{"posit',
    # Bytes: Mend's protocol has no binary payloads.
    "binary": bytes(range(200, 220)),
    # Not even an Engine.IO packet.
    "engine.io": "?" * 20,
}


def open_websocket(server, header: list[str] | None = None) -> websocket.WebSocket:
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=10, header=header or []
    )
    assert ws.recv().startswith("0{")  # Engine.IO's open packet
    return ws


def send_frames(ws: websocket.WebSocket, frame: str | bytes, count: int = 200) -> None:
    """Send `count` frames, or as many as go out before the server closes the connection."""
    for _ in range(count):
        try:
            if isinstance(frame, bytes):
                ws.send_binary(frame)
            else:
                ws.send(frame)
        except (websocket.WebSocketException, OSError):
            return


def closed_by_server(ws: websocket.WebSocket, timeout: float = 10) -> bool:
    """Whether the server ends the TCP connection: what it still sends is read to the end of the stream."""
    if ws.sock is None:
        return True
    ws.sock.settimeout(timeout)
    try:
        while ws.sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def logged_since(server, start: int) -> list[str]:
    time.sleep(0.5)  # what the server wrote while it closed the connection reaches the reader thread
    return server.output[start:]


@pytest.mark.parametrize(
    "kind",
    [
        "socket.io",
        "cut-off event",
        "binary",
        "engine.io",
    ],
)
def test_garbage_from_a_client_that_never_identified_itself_closes_it_quietly(server, kind):
    start = len(server.output)
    ws = open_websocket(server)
    send_frames(ws, FRAMES[kind])
    assert closed_by_server(ws)
    logged = logged_since(server, start)
    assert len(logged) <= 2, "".join(logged[:40])
    assert "Traceback" not in "".join(logged)


def test_a_participant_who_sends_garbage_is_closed_and_shown_offline(server, demo_login, clients):
    group = make_group(server, demo_login, names=("Ash",))
    console = LiveClient(server, group.facilitator, group.public_id, "facilitator")
    clients.append(console)
    person = group.participants[0]
    ws = open_websocket(server, [f"Cookie: {person.cookie_header}", f"User-Agent: {person.http.headers['User-Agent']}"])
    ws.send("40/live," + json.dumps({"cohort": group.public_id, "role": "participant"}))
    while not (frame := ws.recv()).startswith("40/live,"):
        assert not frame.startswith("44/live,"), frame  # refused
    wait_until(lambda: console.presence and console.presence[-1]["counts"]["online"] == 1)

    start = len(server.output)
    send_frames(ws, FRAMES["socket.io"])
    assert closed_by_server(ws)
    wait_until(lambda: console.presence[-1]["counts"]["online"] == 0)
    logged = logged_since(server, start)
    assert len(logged) <= 2, "".join(logged[:40])
    assert "Traceback" not in "".join(logged)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("?" * 20, id="not a payload"),
        pytest.param(b"4\xff\xfe" * 7, id="not UTF-8"),
    ],
)
def test_a_polling_post_engine_io_cannot_read_ends_the_session_quietly(server, body):
    base = f"http://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=polling"
    opened = requests.get(base, timeout=10)
    sid = json.loads(opened.text[1:])["sid"]
    start = len(server.output)
    for _ in range(50):
        answer = requests.post(f"{base}&sid={sid}", data=body, timeout=10)
        assert answer.status_code == 400
    assert requests.get(f"{base}&sid={sid}", timeout=10).status_code == 400  # the session is over
    logged = logged_since(server, start)
    assert len(logged) <= 2, "".join(logged[:40])
    assert "Traceback" not in "".join(logged)
