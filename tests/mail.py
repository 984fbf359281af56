"""Emails the app sent in this test (``SMTP_URL=memory://``, the TestConfig default).

The outbox erases a message's content once it is sent, so tests read the delivered copies:
``sent_emails(to=..., kind=...)`` gives objects shaped like outbox rows (``to_addr``,
``kind``, ``subject``, ``text_body``, ``html_body``, ``attachments``), oldest first. Call
it inside an app context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage

from sqlalchemy import select

from coaching import db
from coaching.notify.models import OutboxMessage
from coaching.notify.transport import memory_transport


@dataclass
class SentEmail:
    id: int
    to_addr: str
    kind: str
    subject: str
    text_body: str
    html_body: str | None
    attachments: list[dict[str, str]] = field(default_factory=list)


def _outbox_id(message: EmailMessage) -> int:
    match = re.search(r"outbox-(\d+)", message["Message-ID"] or "")
    assert match, message["Message-ID"]
    return int(match.group(1))


def _parse(message: EmailMessage, kind: str) -> SentEmail:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = [{"filename": part.get_filename() or "", "content_type": part.get_content_type(),
                    "content": part.get_payload(decode=True).decode()}
                   for part in message.iter_attachments()]
    return SentEmail(id=_outbox_id(message), to_addr=str(message["To"]), kind=kind,
                     subject=str(message["Subject"]),
                     text_body=plain.get_content() if plain is not None else "",
                     html_body=html.get_content() if html is not None else None,
                     attachments=attachments)


def sent_emails(to: str | None = None, kind: str | None = None) -> list[SentEmail]:
    """What was delivered so far in this test, optionally only to ``to`` and of ``kind``."""
    ids = [_outbox_id(m) for m in memory_transport.messages]
    kinds = dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.kind)
                                    .where(OutboxMessage.id.in_(ids))).tuples().all())
    emails = [_parse(m, kinds.get(_outbox_id(m), "")) for m in memory_transport.messages]
    return sorted((e for e in emails if (to is None or e.to_addr == to) and (kind is None or e.kind == kind)),
                  key=lambda e: e.id)


def clear() -> None:
    memory_transport.clear()
