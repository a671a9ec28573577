"""docs/protocol.md and sessions/realtime/schemas.py name the same events and error codes."""

import re
from pathlib import Path

from sessions.realtime.schemas import ERRORS, EVENTS, SERVER_EVENTS

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()


def table_names(section: str) -> set[str]:
    body = DOC.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", body, flags=re.MULTILINE))


def test_every_client_event_is_documented_and_nothing_else():
    assert table_names("Client to server") == set(EVENTS)


def test_every_server_event_is_documented_and_nothing_else():
    assert table_names("Server to client") == set(SERVER_EVENTS)


def test_every_error_code_is_documented_and_nothing_else():
    assert table_names("Error codes") == set(ERRORS)


def test_every_code_mend_refuses_with_over_a_socket_or_http_is_in_the_table():
    """One table for every refusal: each code the source raises or answers with is in ERRORS (and so,
    by the test above, in the doc)."""
    root = Path(__file__).resolve().parent.parent
    sources = [*root.glob("sessions/**/*.py"), *root.glob("facilitation/**/*.py"), root / "app.py"]
    used = set()
    for source in sources:
        used |= set(re.findall(r"""(?:Refusal|error|refuse)\(\s*["']([a-z_]+)["']""", source.read_text()))
    assert used, "no refusal found in the source: the pattern is out of date"
    assert used - set(ERRORS) == set()
