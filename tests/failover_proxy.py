"""A sticky, failing-over TCP proxy in front of several Mend processes: nginx's part in the tests.

Each connection goes to the process its `node` query value names, as nginx's
`hash $arg_node consistent` would send it; when that process refuses the
connection (it is dead), the proxy tries the next one, as nginx's
`proxy_next_upstream error` does. When a process dies mid-connection, the proxy
closes the client's side too, and the client's reconnection lands on a live one.
"""

import contextlib
import socket
import threading
from urllib.parse import parse_qs, urlsplit

from tests.live import free_port

HEADER_LIMIT = 64 * 1024


class FailoverProxy:
    def __init__(self, upstream_ports: list[int], port: int | None = None):
        self.upstreams = list(upstream_ports)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.routed: list[tuple[int, int]] = []  # (wanted node, node reached) per connection
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url_for(self, node: int) -> str:
        return f"{self.url}/?node={node}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < HEADER_LIMIT:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        target = urlsplit(head.split(b" ", 2)[1].decode("latin-1"))
        wanted = int(parse_qs(target.query).get("node", ["0"])[0]) % len(self.upstreams)
        for offset in range(len(self.upstreams)):
            node = (wanted + offset) % len(self.upstreams)
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstreams[node]), timeout=2)
            except OSError:
                continue
            upstream.settimeout(None)
            self.routed.append((wanted, node))
            upstream.sendall(head)
            self._pipe(client, upstream)
            return
        client.close()

    def _pipe(self, client: socket.socket, upstream: socket.socket) -> None:
        with self._lock:
            self._open.update((client, upstream))

        def copy(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            # One side ended: end both, so that the client notices and reconnects.
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

        threading.Thread(target=copy, args=(upstream, client), daemon=True).start()
        copy(client, upstream)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for end in self._open:
                with contextlib.suppress(OSError):
                    end.close()
