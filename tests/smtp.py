"""A real SMTP server on loopback for the mail tests (aiosmtpd), and waiting for a mail to arrive.

With CI=true a test that needs it fails when it cannot start; elsewhere it is skipped."""

import email
import email.policy
import os
import time
from contextlib import contextmanager
from email.message import EmailMessage

import pytest

from tests.live import free_port


class Inbox:
    """Every mail the server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.to(address)) >= count:
                return self.to(address)[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no mail number {count} to {address} in {timeout} s")


@contextmanager
def smtp_server(port: int | None = None):
    """(host, port, inbox) of an SMTP server that accepts every mail, without authentication, on
    `port` or a free one."""
    try:
        from aiosmtpd.controller import Controller

        inbox = Inbox()
        port = port or free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
    except Exception as problem:  # noqa: BLE001 - any reason it cannot start
        if os.environ.get("CI") == "true":
            pytest.fail(f"the test SMTP server could not start: {problem!r}")
        pytest.skip(f"the test SMTP server could not start: {problem!r}")
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()
