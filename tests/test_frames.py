"""Frames unmasked the fast way read exactly as eventlet's own unmasking reads them."""

from eventlet import websocket
from hypothesis import given
from hypothesis import strategies as st

from sessions.realtime.frames import apply_mask

EVENTLETS_OWN = websocket.RFC6455WebSocket.__dict__["_apply_mask"].__func__


@given(st.binary(max_size=300), st.lists(st.integers(0, 255), min_size=4, max_size=4), st.integers(0, 4000))
def test_a_frame_reads_as_eventlet_reads_it(data, mask, offset):
    assert apply_mask(data, tuple(mask), length=len(data), offset=offset) == EVENTLETS_OWN(
        data, tuple(mask), length=len(data), offset=offset
    )


def test_a_frame_read_in_pieces_reads_as_one():
    """A frame arrives in several reads; each piece is unmasked from where the one before ended."""
    message = "Ich brauche eine Pause 🙂 ".encode() * 200
    mask = (0x37, 0xFA, 0x21, 0x3D)
    masked = bytes(byte ^ mask[n % 4] for n, byte in enumerate(message))
    pieces, received = [], 0
    for size in (1, 2, 3, 500, 7, len(masked)):
        piece = masked[received : received + size]
        if piece:
            pieces.append(apply_mask(piece, mask, length=len(piece), offset=received))
            received += len(piece)
    assert b"".join(pieces) == message
