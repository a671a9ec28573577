"""Connections that earn their slot (issue 17), tried as an abuser would against a real server: half-sent
requests, Engine.IO sessions that never join, and one address taking every connection."""

import re
import socket
import time

import requests
import websocket

from tests.live import LiveClient, live_server, make_group, wait_until


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def engine_io_session(port: int) -> websocket.WebSocket:
    """A raw Engine.IO session over a WebSocket that never joins a Socket.IO namespace."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0{")
    return ws


def test_half_sent_requests_give_their_connections_up(tmp_path):
    with live_server(tmp_path / "slow", MEND_MAX_CONNECTIONS="20", MEND_HEADER_SECONDS="2") as server:
        held = []
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(sock)
        started = time.monotonic()
        assert all(closed_by_server(sock, timeout=6) for sock in held)
        assert time.monotonic() - started < 6
        # Every slot is free again for someone who sends a whole request.
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


def test_engine_io_sessions_that_never_join_are_closed_and_real_ones_stay(tmp_path):
    with live_server(tmp_path / "unjoined", MEND_JOIN_SECONDS="2") as server:
        login = re.search(r"Demo sign-in: (\S+) / (\S+)", server.text).groups()
        group = make_group(server, login, names=("Ash",))
        idle = [engine_io_session(server.port) for _ in range(5)]
        person = LiveClient(server, group.participants[0], group.public_id, "participant")
        try:
            for ws in idle:
                assert closed_by_server(ws.sock, timeout=6)
            time.sleep(1)
            assert person.client.connected
        finally:
            person.close()


def test_one_address_cannot_take_every_connection(tmp_path):
    with live_server(tmp_path / "greedy", MEND_CONNECTIONS_PER_ADDRESS="5", MEND_JOIN_SECONDS="30") as server:
        start = len(server.output)
        held = [engine_io_session(server.port) for _ in range(5)]
        handshake = f"{server.url}/socket.io/?EIO=4&transport=polling"
        for _ in range(20):
            assert requests.get(handshake, timeout=5).status_code == 401
        # The page itself still answers, and a freed slot can be taken again.
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        held.pop().close()
        wait_until(lambda: requests.get(handshake, timeout=5).status_code == 200)
        refusals = [line for line in server.output[start:] if "refusing connections" in line]
        assert len(refusals) == 1, refusals
        for ws in held:
            ws.close()


def test_limits_count_an_ipv6_address_by_its_64_and_a_mapped_ipv4_address_as_itself():
    from extensions import block_of

    assert block_of("2001:db8:1:2:aaaa::1") == block_of("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert block_of("2001:db8:1:3::1") != block_of("2001:db8:1:2::1")
    assert block_of("::ffff:192.0.2.7") == "192.0.2.7"
    assert block_of("192.0.2.7") == "192.0.2.7"
