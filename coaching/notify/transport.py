"""Email transports: SMTP (``SMTP_URL``) or the log (the development default)."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from coaching import clock
from coaching.notify.models import OutboxMessage

log = logging.getLogger("tandem.mail")


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def build_message(row: OutboxMessage, mail_from: str) -> EmailMessage:
    """A MIME message with plain-text and HTML parts and any attachments."""
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject or ""
    msg["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain="tandem")
    msg.set_content(row.text_body or "")
    if row.html_body:
        msg.add_alternative(row.html_body, subtype="html")
    for att in row.attachments or []:
        maintype, _, rest = att["content_type"].partition("/")
        subtype, _, params = rest.partition(";")
        extra = {}
        for part in params.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep:
                extra[key] = value
        msg.add_attachment(
            att["content"].encode(),
            maintype=maintype,
            subtype=subtype.strip(),
            filename=att["filename"],
            params=extra,
        )
    return msg


class LogTransport:
    """Writes each message to the log: the embedded default, so links can be clicked.

    With ``mail_dir``, each message is also saved there whole, as ``<time>-<to>-<id>.eml``
    (any mail program opens it), and each attachment beside it as ``<same stem>-<filename>``,
    so the ``.ics`` invitations can be opened too.
    """

    def __init__(self, mail_dir: str | Path | None = None) -> None:
        self.mail_dir = Path(mail_dir) if mail_dir else None

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        saved = self._save(message) if self.mail_dir is not None else None
        log.warning(
            "EMAIL to=%s subject=%r%s\n%s", message["To"], message["Subject"],
            f" saved={saved}" if saved else "", text
        )

    def _save(self, message: EmailMessage) -> Path:
        assert self.mail_dir is not None
        self.mail_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        to = _safe_name(str(message["To"] or "nobody"))[:60]
        stem = f"{clock.now():%Y%m%dT%H%M%SZ}-{to}-{uuid.uuid4().hex[:8]}"
        path = self.mail_dir / f"{stem}.eml"
        path.write_bytes(message.as_bytes())
        for part in message.iter_attachments():
            content = part.get_payload(decode=True) or b""
            (self.mail_dir / f"{stem}-{_safe_name(part.get_filename() or 'attachment')}").write_bytes(content)
        return path


def _safe_name(text: str) -> str:
    """Letters, digits, dot, dash and underscore only: a file name that cannot leave the folder."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "file"


class SMTPTransport:
    """``smtp://[user:pass@]host:port[?starttls=1]`` or ``smtps://...``."""

    def __init__(self, url: str, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.ssl = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true")
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        # Loading the CA bundle costs ~30 ms: only when TLS is actually used.
        context = ssl.create_default_context() if self.ssl or self.starttls else None
        if self.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)


class MemoryTransport:
    """Keeps sent messages in this process's memory (``SMTP_URL=memory://``, for tests).

    The outbox erases what a message said once it is sent, so tests read the delivered
    copies here (``tests/mail.py``).
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.messages.append(message)

    def clear(self) -> None:
        self.messages.clear()


memory_transport = MemoryTransport()


def transport_for(smtp_url: str | None, mail_dir: str | None = None) -> Transport:
    """SMTP, memory (tests) or the log; the log also saves each message under ``mail_dir`` if given."""
    if smtp_url == "memory://":
        return memory_transport
    return SMTPTransport(smtp_url) if smtp_url else LogTransport(mail_dir)
