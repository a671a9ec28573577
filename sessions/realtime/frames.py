"""eventlet's WebSocket unmasks every frame a browser sends one byte at a time, in Python: a
16 KB message kept the one event loop busy for milliseconds, and twenty sent together for tens of
them (`bench.worst_payload`: the largest payloads doubled every session's p99 this way, before
any handler ran). wsproto, which Engine.IO's other servers use, unmasks with `bytes.translate`, a
few microseconds for the same message; eventlet's function is replaced by it, same arguments,
same result."""

from wsproto.frame_protocol import XorMaskerSimple


def apply_mask(data: bytes, mask, length: int | None = None, offset: int = 0) -> bytes:
    """`data` (its first `length` bytes) XOR the 4-byte `mask`, starting `offset` bytes into it."""
    if length is not None:
        data = data[:length]
    key = bytes(mask)
    turn = offset % 4
    return bytes(XorMaskerSimple(key[turn:] + key[:turn]).process(bytearray(data)))


def unmask_fast() -> None:
    """Have eventlet's WebSocket (un)mask frames with `apply_mask`."""
    from eventlet import websocket

    websocket.RFC6455WebSocket._apply_mask = staticmethod(apply_mask)
