"""Outbox: every email is a row, rendered for its recipient in their language, sent by a worker.

One row per recipient and message (a unique ``key`` such as ``"invitation:member:17"``), so queueing
the same message twice is harmless and a 35,000-member convocation that crashes halfway resumes
where it stopped. The worker claims rows with a lease, hands each to the mail server and marks it
sent at once: after a crash only the message that was in flight can go out twice, with the same
Message-ID so the duplicate can be recognised.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formataddr, format_datetime as rfc2822_date
from pathlib import Path

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import pass_context
from sqlalchemy import CheckConstraint, Index, String, Text, insert, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from governance.core.db_types import utcnow
from governance.core.faults import fault_point
from governance.extensions import db

log = logging.getLogger(__name__)

STATUSES = ("queued", "sending", "sent", "failed")
LEASE = dt.timedelta(minutes=10)
INSERT_CHUNK = 500
MAX_BACKOFF = dt.timedelta(hours=6)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        Index("ix_outbox_messages_due", "status", "next_attempt_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one row per recipient and message
    key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    #: what the message belongs to, for delivery logs (e.g. "assembly:12:convocation")
    topic: Mapped[str | None] = mapped_column(String(120), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_dt: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_dt: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.key} {self.status}>"


def _sender_domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rsplit("@", 1)[-1].strip("> ") or "governance.invalid"


@dataclass
class EmailSpec:
    """One message for one recipient, before rendering."""

    key: str
    to_address: str
    language: str
    template: str
    context: dict = field(default_factory=dict)
    to_name: str | None = None
    topic: str | None = None


def _bound_gettext(translations) -> dict[str, Any]:
    """``gettext``/``ngettext`` for ``{% trans %}`` bound to one catalog, so rendering many emails in one
    language looks the catalog up once, not once per string. Same behaviour as the environment's
    new-style functions (named placeholders, ``num`` for plurals)."""

    # Emails are plain text (``email/*.txt``, never autoescaped): the catalog's text and the variables are
    # joined as plain strings. An HTML email template would need escaping, so it is refused here.
    def _plain(context) -> None:
        if context.eval_ctx.autoescape:
            raise RuntimeError("email templates are plain text (.txt); HTML emails need escaping")

    @pass_context
    def gettext(__context, __string: str, **variables: Any) -> str:
        _plain(__context)
        return translations.ugettext(__string) % variables

    @pass_context
    def ngettext(__context, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        _plain(__context)
        variables.setdefault("num", __num)
        return translations.ungettext(__singular, __plural, __num) % variables

    return {"gettext": gettext, "ngettext": ngettext}


def render_rows(specs: list[EmailSpec]) -> list[dict]:
    """Render ``email/<template>.subject.txt`` and ``email/<template>.txt`` for each spec in its
    recipient's language; one locale switch per language, rows in the order of ``specs``."""
    portal_url = current_app.config["SERVER_NAME_FOR_EMAIL"]
    domain = _sender_domain()
    now = utcnow()
    env = current_app.jinja_env
    templates = {name: (env.get_template(f"email/{name}.subject.txt"), env.get_template(f"email/{name}.txt"))
                 for name in {spec.template for spec in specs}}
    rows: list[dict | None] = [None] * len(specs)
    for language in sorted({spec.language for spec in specs}):
        with force_locale(language):
            translate = _bound_gettext(get_translations())
            for index, spec in enumerate(specs):
                if spec.language != language:
                    continue
                context = dict(spec.context, recipient_name=spec.to_name, portal_url=portal_url, **translate)
                subject_template, body_template = templates[spec.template]
                rows[index] = {
                    "key": spec.key,
                    "message_id": f"<{uuid.uuid4().hex}@{domain}>",
                    "topic": spec.topic,
                    "to_address": spec.to_address,
                    "to_name": spec.to_name,
                    "language": language,
                    "subject": " ".join(subject_template.render(context).split()),
                    "body_text": body_template.render(context),
                    "body_html": None,
                    "status": "queued",
                    "attempts": 0,
                    "next_attempt_dt": now,
                    "created_dt": now,
                }
    return rows


def queue_email(*, key: str, to_address: str, language: str, template: str, context: dict | None = None,
                to_name: str | None = None, topic: str | None = None) -> OutboxMessage:
    """Render one message in ``language`` and queue it.

    Queueing a key that is already in the outbox returns the existing row unchanged.
    """
    existing = db.session.execute(select(OutboxMessage).where(OutboxMessage.key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    [row] = render_rows([EmailSpec(key=key, to_address=to_address, language=language, template=template,
                                   context=context or {}, to_name=to_name, topic=topic)])
    message = OutboxMessage(**row)
    db.session.add(message)
    db.session.flush()
    return message


def queue_emails(specs: list[EmailSpec]) -> int:
    """Queue many messages at once (a convocation, invitations): batched look-ups and inserts.

    Keys already in the outbox are skipped, as with :func:`queue_email`. Returns how many were queued.
    """
    if not specs:
        return 0
    table = OutboxMessage.__table__
    keys = [spec.key for spec in specs]
    existing: set[str] = set()
    for start in range(0, len(keys), INSERT_CHUNK):
        existing.update(db.session.execute(
            select(table.c.key).where(table.c.key.in_(keys[start:start + INSERT_CHUNK]))).scalars())
    specs = [spec for spec in specs if spec.key not in existing]
    rows = render_rows(specs)
    if not rows:
        return 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and len(rows) > INSERT_CHUNK:
        _copy_rows(connection, table, rows)
    else:
        for start in range(0, len(rows), INSERT_CHUNK):
            db.session.execute(insert(table), rows[start:start + INSERT_CHUNK])
    return len(rows)


def _copy_rows(connection, table, rows: list[dict]) -> None:
    """PostgreSQL: stream the rows with COPY, in the session's transaction (a 35,000-member convocation is
    queued in a second or two, where an INSERT per row takes several)."""
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)  # column names come from the table, not from input
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = formataddr((message.to_name or "", message.to_address))
    email["Message-ID"] = message.message_id
    email["Date"] = rfc2822_date(message.created_dt)
    email["Content-Language"] = message.language
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


class FileBackend:
    """Development: writes each message as an .eml file."""

    def __init__(self, directory: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send(self, email: EmailMessage) -> None:
        name = email["Message-ID"].strip("<>").replace("@", "_at_").replace("/", "_") + ".eml"
        (self.directory / name).write_bytes(bytes(email))


class SmtpBackend:
    """Production: one SMTP connection per batch."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __enter__(self):
        cfg = self.config
        cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        self.connection = cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            self.connection.starttls()
        if cfg["MAIL_USERNAME"]:
            self.connection.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        return self

    def __exit__(self, *exc):
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
        return False

    def send(self, email: EmailMessage) -> None:
        assert self.connection is not None
        self.connection.send_message(email)


def get_backend():
    config = current_app.config
    if config["MAIL_BACKEND"] == "file":
        return FileBackend(config["MAIL_FILE_DIR"])
    if config["MAIL_BACKEND"] == "smtp":
        return SmtpBackend(config)
    raise RuntimeError(f"unknown MAIL_BACKEND {config['MAIL_BACKEND']!r}")


def backoff(attempts: int) -> dt.timedelta:
    base = dt.timedelta(seconds=current_app.config["MAIL_RETRY_BASE_SECONDS"])
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim(now: dt.datetime, limit: int) -> list[int]:
    due = or_(
        (OutboxMessage.status == "queued") & (OutboxMessage.next_attempt_dt <= now),
        (OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now),
    )
    query = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.execute(query).scalars())
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(status="sending", lease_until=now + LEASE)
        )
    db.session.commit()
    return ids


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def send_due(*, limit: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Send what is due, one commit per message. Returns counts of sent, retried and failed messages."""
    now = now or utcnow()
    limit = limit or current_app.config["MAIL_BATCH_SIZE"]
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    counts = {"sent": 0, "retry": 0, "failed": 0}
    ids = _claim(now, limit)
    if not ids:
        return counts
    try:
        backend = get_backend().__enter__()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("mail server unavailable: %s", type(exc).__name__)
        for message_id in ids:
            _record_failure(db.session.get(OutboxMessage, message_id), exc, now, max_attempts, counts)
        db.session.commit()
        return counts
    try:
        for message_id in ids:
            message = db.session.get(OutboxMessage, message_id)
            try:
                backend.send(build_email(message))
            except (smtplib.SMTPException, OSError) as exc:
                _record_failure(message, exc, now, max_attempts, counts)
                db.session.commit()
                continue
            fault_point("outbox.after_send")
            message.status = "sent"
            message.sent_dt = utcnow()
            message.attempts += 1
            message.lease_until = None
            message.last_error = None
            db.session.commit()
            counts["sent"] += 1
    finally:
        backend.__exit__(None, None, None)
    return counts


def _record_failure(message: OutboxMessage, exc: Exception, now, max_attempts: int, counts) -> None:
    message.attempts += 1
    message.lease_until = None
    # the error class and SMTP code only: never the message's content
    message.last_error = f"{type(exc).__name__} {getattr(exc, 'smtp_code', '')}".strip()[:500]
    if _is_permanent(exc) or message.attempts >= max_attempts:
        message.status = "failed"
        counts["failed"] += 1
    else:
        message.status = "queued"
        message.next_attempt_dt = now + backoff(message.attempts)
        counts["retry"] += 1
    log.info("outbox message %s not sent (%s), attempt %s", message.id, message.last_error, message.attempts)
