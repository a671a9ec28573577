"""Mail to the organisation's own SMTP server, sent in the background through Flask-Mailman.

The API the settings page and the account flows use:

- `send(organisation, to, subject, body)` sends one plain-text mail once the request's transaction
  commits (nothing goes out for a change that was rolled back), in a background task, so that no
  request waits for an SMTP server. Without mail settings it does nothing and returns False: every
  flow then shows its link to copy instead. A failure is logged, without the mail's content, and a
  passing one (the server down or answering "try later") is tried again (`MEND_MAIL_RETRY_SECONDS`).
- `settings_of(organisation)` the organisation's `MailSettings`, or None when mail is not configured.
- `test_settings(settings, to)` tries `settings` at once (for the "send me a test" button): it sends a
  short test mail and returns None, or a sentence saying what went wrong. It waits for the server, at
  most `TIMEOUT_SECONDS` for each step, as the person who pressed the button expects.
- `seal_password(password)` / `open_password(sealed)`: the SMTP password is stored sealed
  (AES-GCM under a key derived from SECRET_KEY), never as typed; store
  `organisation.mail_password_sealed = seal_password(typed)`. A changed SECRET_KEY cannot open it
  again: `open_password` then returns None and the password must be typed once more.
"""

import base64
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from flask_mailman import EmailMessage, Mail

from extensions import socketio
from facilitation.models import Organisation
from sessions.realtime import pushes

log = logging.getLogger(__name__)

mailman = Mail()

TIMEOUT_SECONDS = 10
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_SEALED_PREFIX = "v1:"


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    username: str
    password: str
    sender: str
    tls: str = "starttls"


def _sealing_key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"mend mail password").derive(secret)


def seal_password(password: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_sealing_key()).encrypt(nonce, password.encode(), b"mail")
    return _SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_password(sealed: str | None) -> str | None:
    if not sealed or not sealed.startswith(_SEALED_PREFIX):
        return None
    raw = base64.urlsafe_b64decode(sealed.removeprefix(_SEALED_PREFIX))
    try:
        return AESGCM(_sealing_key()).decrypt(raw[:12], raw[12:], b"mail").decode()
    except InvalidTag:
        return None


def settings_of(organisation: Organisation) -> MailSettings | None:
    if not organisation.mail_configured:
        return None
    tls = organisation.mail_tls or "starttls"
    return MailSettings(
        host=organisation.mail_host or "",
        port=organisation.mail_port or DEFAULT_PORTS.get(tls, 587),
        username=organisation.mail_username or "",
        password=open_password(organisation.mail_password_sealed) or "",
        sender=organisation.mail_from or "",
        tls=tls,
    )


def _message(settings: MailSettings, to: str, subject: str, body: str) -> EmailMessage:
    connection = mailman.get_connection(
        backend="smtp",
        host=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password,
        use_tls=settings.tls == "starttls",
        use_ssl=settings.tls == "ssl",
        timeout=TIMEOUT_SECONDS,
    )
    # Each mail is sent to one person: nobody learns who else an invitation or notice went to.
    return EmailMessage(subject=subject, body=body, from_email=settings.sender, to=[to], connection=connection)


def _for_good(error: Exception) -> bool:
    """A refusal that asking again will not change: the address, the sender or the sign-in rejected,
    or a permanent (5xx) answer."""
    if isinstance(
        error,
        (
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPNotSupportedError,
        ),
    ):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def _deliver(app: Flask, settings: MailSettings, to: str, subject: str, body: str) -> None:
    """Send, and when the server is down or answers "try later", try again after each of
    `MEND_MAIL_RETRY_SECONDS`. The waiting mail stays in this process's memory only: it carries a
    link's secret, which is stored nowhere but in the mail itself."""
    waits = app.config["MEND_MAIL_RETRY_SECONDS"]
    for attempt in range(len(waits) + 1):
        with app.app_context():
            try:
                _message(settings, to, subject, body).send()
            except (OSError, smtplib.SMTPException) as error:
                again = attempt < len(waits) and not _for_good(error)
                log.warning(
                    "mail to %s:%s was not sent (%s)%s",
                    settings.host,
                    settings.port,
                    type(error).__name__,
                    f"; trying again in {waits[attempt]:g} s" if again else "; not tried again",
                )
                if not again:
                    return
            else:
                if attempt:
                    log.info("mail to %s:%s sent at try %d", settings.host, settings.port, attempt + 1)
                return
        socketio.sleep(waits[attempt])  # type: ignore[arg-type]  # any seconds; the stubs say int


def send(organisation: Organisation, to: str, subject: str, body: str) -> bool:
    """Queue one mail to go out in the background after the commit; False if mail is not configured."""
    settings = settings_of(organisation)
    if settings is None:
        return False
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed by Flask as the app

    def start() -> None:
        socketio.start_background_task(_deliver, app, settings, to, subject, body)  # type: ignore[arg-type]  # stubs want a task returning None

    pushes.after_commit(start)
    return True


def test_settings(settings: MailSettings, to: str) -> str | None:
    """Send a test mail with `settings` now: None if the server took it, else what went wrong."""
    body = (
        "This is a test from Mend. Your organisation's mail settings work: invitations and password "
        "resets will be sent from this address.\n"
    )
    try:
        _message(settings, to, "Mend: your mail settings work", body).send()
    except smtplib.SMTPAuthenticationError:
        return "The mail server refused the username or password."
    except smtplib.SMTPRecipientsRefused:
        return f"The mail server would not send to {to}."
    except smtplib.SMTPSenderRefused:
        return f"The mail server would not send from {settings.sender}."
    except smtplib.SMTPNotSupportedError:
        return "The mail server does not offer that kind of encryption (STARTTLS). Try another setting."
    except ssl.SSLError:
        return "The secure connection to the mail server failed. Check the encryption setting and the port."
    except TimeoutError:
        return f"The mail server at {settings.host}:{settings.port} did not answer in {TIMEOUT_SECONDS} seconds."
    except (OSError, smtplib.SMTPException) as error:
        return f"Mend could not reach a mail server at {settings.host}:{settings.port} ({type(error).__name__})."
    return None
