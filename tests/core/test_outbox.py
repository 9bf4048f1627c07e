"""Outbox: one row per recipient and message, retries with backoff, resumption after a crash."""
import datetime as dt
import email
import socket

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select

from governance.core import outbox
from governance.core.db_types import utcnow
from governance.core.faults import InjectedFault, inject_fault
from governance.core.outbox import OutboxMessage, queue_email, send_due

TEMPLATES = {
    "email/hello.subject.txt": "{% trans %}Home{% endtrans %} {{ name }}",
    "email/hello.txt": "{% trans %}Welcome to your cooperative's governance portal{% endtrans %}, {{ name }}.\n",
}


@pytest.fixture
def email_templates(app):
    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), original])
    yield
    app.jinja_env.loader = original


@pytest.fixture
def smtp_sink():
    """A local SMTP server that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []
            self.refuse = set()

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in self.refuse:
                return "550 no such user here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


def _use_smtp(app, monkeypatch, port):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)


def _queue(n, language="en", prefix="msg"):
    return [queue_email(key=f"{prefix}:{i}", to_address=f"m{i}@example.org", to_name=f"Member {i}",
                        language=language, template="hello", context={"name": f"M{i}"}) for i in range(n)]


def test_queueing_the_same_key_twice_keeps_one_row(app, db, email_templates):
    with app.test_request_context():
        first = queue_email(key="invite:1", to_address="a@example.org", language="en", template="hello",
                            context={"name": "A"})
        again = queue_email(key="invite:1", to_address="a@example.org", language="en", template="hello",
                            context={"name": "A"})
    assert first.id == again.id
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar() == 1
    assert first.message_id.startswith("<") and first.message_id.endswith(">")


def test_each_recipient_gets_their_language(app, db, email_templates):
    with app.test_request_context():
        nl = queue_email(key="k:nl", to_address="nl@example.org", language="nl", template="hello", context={"name": "An"})
        fr = queue_email(key="k:fr", to_address="fr@example.org", language="fr", template="hello", context={"name": "Léa"})
    assert nl.body_text.startswith("Welkom") and nl.language == "nl"
    assert fr.body_text.startswith("Bienvenue") and fr.language == "fr"


def test_a_large_batch_is_queued_whole_once_in_each_language(app, db, email_templates):
    """More rows than one insert chunk (PostgreSQL streams them with COPY); a second run queues nothing."""
    specs = [outbox.EmailSpec(key=f"batch:{i}", to_address=f"m{i}@example.org", language=("nl", "fr")[i % 2],
                              template="hello", context={"name": f"M{i}"}, to_name=f"M{i}")
             for i in range(outbox.INSERT_CHUNK * 2 + 8)]  # the last one is French
    with app.test_request_context():
        assert outbox.queue_emails(specs) == len(specs)
        assert outbox.queue_emails(specs[:20]) == 0
    rows = {m.key: m for m in db.session.execute(select(OutboxMessage)).scalars()}
    assert len(rows) == len(specs)
    last = rows[f"batch:{len(specs) - 1}"]
    assert (last.language, last.status, last.attempts, last.to_name) == ("fr", "queued", 0, f"M{len(specs) - 1}")
    assert last.body_text.startswith("Bienvenue") and last.body_text.rstrip().endswith(f"M{len(specs) - 1}.")
    assert last.next_attempt_dt is not None and last.sent_dt is None and last.body_html is None
    assert len({m.message_id for m in rows.values()}) == len(specs)


def test_file_backend_writes_eml(app, db, email_templates, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    with app.test_request_context():
        [message] = _queue(1)
        counts = send_due()
    assert counts == {"sent": 1, "retry": 0, "failed": 0}
    [eml] = list(tmp_path.glob("*.eml"))
    parsed = email.message_from_bytes(eml.read_bytes())
    assert parsed["Message-ID"] == message.message_id
    assert parsed["To"] == "Member 0 <m0@example.org>"
    assert message.status == "sent" and message.sent_dt is not None


def test_smtp_delivery(app, db, email_templates, smtp_sink, monkeypatch):
    _use_smtp(app, monkeypatch, smtp_sink.port)
    with app.test_request_context():
        messages = _queue(3)
        assert send_due()["sent"] == 3
        assert send_due()["sent"] == 0  # nothing is sent twice
    assert sorted(m["Message-ID"] for m in smtp_sink.messages) == sorted(m.message_id for m in messages)


def test_unreachable_server_is_retried_with_growing_backoff(app, db, email_templates, monkeypatch):
    _use_smtp(app, monkeypatch, 1)  # nothing listens on port 1
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 60)
    with app.test_request_context():
        [message] = _queue(1)
        now = utcnow()
        assert send_due(now=now)["retry"] == 1
        assert message.status == "queued" and message.attempts == 1
        assert message.next_attempt_dt == now + dt.timedelta(seconds=60)
        assert send_due(now=now + dt.timedelta(seconds=30))["retry"] == 0  # not due yet
        send_due(now=now + dt.timedelta(seconds=61))
        assert message.attempts == 2
        assert message.next_attempt_dt == now + dt.timedelta(seconds=61) + dt.timedelta(seconds=120)
        assert "ConnectionRefusedError" in message.last_error


def test_gives_up_after_max_attempts(app, db, email_templates, monkeypatch):
    _use_smtp(app, monkeypatch, 1)
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    with app.test_request_context():
        [message] = _queue(1)
        later = utcnow()
        for _ in range(3):
            send_due(now=later)
            later += dt.timedelta(days=1)
    assert message.status == "failed" and message.attempts == 2


def test_refused_recipient_fails_at_once_and_others_go_out(app, db, email_templates, smtp_sink, monkeypatch):
    _use_smtp(app, monkeypatch, smtp_sink.port)
    smtp_sink.refuse.add("m1@example.org")
    with app.test_request_context():
        messages = _queue(3)
        counts = send_due()
    assert counts == {"sent": 2, "retry": 0, "failed": 1}
    assert messages[1].status == "failed" and messages[1].attempts == 1


def test_restart_after_crash_resends_only_the_message_in_flight(app, db, email_templates, smtp_sink, monkeypatch):
    _use_smtp(app, monkeypatch, smtp_sink.port)
    with app.test_request_context():
        messages = _queue(5)
        # the worker dies right after the server accepted the first message, before recording it
        with inject_fault("outbox.after_send"), pytest.raises(InjectedFault):
            send_due()
        db.session.rollback()
        assert len(smtp_sink.messages) == 1
        # the claimed messages stay leased; once the lease is over a restarted worker sends them
        assert send_due()["sent"] == 0
        counts = send_due(now=utcnow() + outbox.LEASE + dt.timedelta(seconds=1))
    assert counts["sent"] == 5
    received = [m["Message-ID"] for m in smtp_sink.messages]
    assert len(received) == 6
    assert received.count(messages[0].message_id) == 2  # the in-flight one, recognisable by its Message-ID
    assert sorted(set(received)) == sorted(m.message_id for m in messages)


def test_send_command(app, db, email_templates, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    with app.test_request_context():
        _queue(2)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["governance", "outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output
