"""Fixtures for the security tests (OWASP ASVS rows, see tests/security/README.md).

Two data sets:

- ``world``: built with the factories of the other test packages, two branches (Belgium, France) and objects
  restricted to Belgium, one of each kind that exists today (a workgroup, proposals, a comment, an amendment, a
  translation, ballots in every state, a notification, register entries, general assemblies (convened, draft,
  closed with draft minutes) with their agenda, document, roles and registration, a petition, the board of
  Belgium with a mandate, its election in its call for candidates with a candidacy and a draft election), plus
  French attackers. Its
  ``url_args`` fills the URL arguments of any route of ``app.url_map`` with these Belgian objects.
- ``demo``: the demo data (``governance.demo.load_demo``), with the URL resolver of the browser crawl
  (``tests/browser/routes.py``), for the walks over every GET route.

Staff sign in with a password only here (``TOTP_REQUIRED_ROLES = ()``): the second factor and the confinement of
staff without one are tested in tests/accounts/test_totp.py.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from governance.extensions import db as _db
from tests.assemblies.conftest import add_item, add_resolution, convene, force_state, make_assembly  # noqa: F401
from tests.conftest import TEST_PASSWORD
from tests.proposals.conftest import group, mship, write  # noqa: F401  (fixtures)
from tests.votes.conftest import ballot_email_templates, close, make_ballot, open_ballot  # noqa: F401  (fixtures)
from tests.workgroups.conftest import (  # noqa: F401  (fixtures)
    admin,
    be,
    fr,
    make_workgroup,
    member_account,
    membership,
    outbox,
)

#: routes anybody may use without signing in (everything else sends a visitor to the sign-in page)
PUBLIC_ENDPOINTS = {
    "core.index": "the home page (a welcome and the sign-in link for visitors)",
    "core.healthz": "health check for load balancers",
    "core.set_language": "the language switcher (kept in the session for visitors)",
    "accounts.sign_in": "signing in",
    "accounts.sign_in_code": "the second step of signing in (only with a pending first step)",
    "accounts.forgot_password": "asking for a reset link",
    "accounts.reset_password": "the emailed reset link (its token is the credential)",
    "accounts.accept_invitation": "the emailed invitation link (its token is the credential)",
    "accounts.claim": "asking for an account link as a member in the register",
}


#: object routes that every signed-in account may read, whatever its branch (left out of the cross-branch walk of
#: test_object_access.py): endpoint → the reason
PUBLIC_OBJECT_PAGES = {
    "elections.board": "a board's page (its directors, past mandates and elections) is public to every signed-in "
                       "account (issue 7); its management pages answer 403",
}


@pytest.fixture(autouse=True)
def _no_second_factor_for_staff(app, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", ())


def is_static(rule) -> bool:
    """Static files: left out of the walks over the URL map."""
    return rule.endpoint == "static" or rule.endpoint.endswith(".static")


def page_text(response) -> str:
    return response.get_data(as_text=True)


def sign_in_as(client, account, password: str = TEST_PASSWORD) -> None:
    """Sign out whoever is signed in, and sign in ``account`` through the form."""
    client.post("/account/sign-out")
    if account is None:
        return
    email = account if isinstance(account, str) else account.email
    response = client.post("/account/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


# --- watching the database -------------------------------------------------------------------------
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE|ALTER|DROP|CREATE)\b", re.I)


@dataclass
class WriteLog:
    statements: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.statements.clear()


@pytest.fixture
def db_writes(app, db):
    """``with db_writes() as writes: …`` → the data-changing statements sent meanwhile (``writes.statements``)."""

    @contextmanager
    def watching():
        log = WriteLog()
        engines = {connection.engine for connection in _db.engines.values()}

        def before(conn, cursor, statement, parameters, context, executemany):
            if _WRITE.match(statement):
                log.statements.append(" ".join(statement.split())[:160])

        for engine in engines:
            event.listen(engine, "before_cursor_execute", before)
        try:
            yield log
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", before)

    return watching


# --- the world: Belgian objects and French attackers -----------------------------------------------
@pytest.fixture
def world(db, app, be, fr, group, write, mship, member_account, create_member, create_account, admin,  # noqa: F811
          make_ballot, open_ballot, close, make_workgroup, make_assembly, add_item, add_resolution, convene,
          force_state):
    """Objects restricted to Belgium, their Belgian owners, and French attackers (see the module docstring)."""
    from governance.notifications.models import Notification
    from governance.proposals import operations as proposal_ops
    from sqlalchemy import select

    w = SimpleNamespace(be=be, fr=fr, group=group, workgroup=group.workgroup, admin=admin)
    workgroup = group.workgroup
    author, other, facilitator = group.author, group.other, group.facilitator
    commenter, amender = group.members[0], group.members[1]
    # proposals: one in discussion (commented, amended, translated, co-written) and a draft
    w.proposal = write(group, state="discussion", titles={"en": "Share the vans"},
                       bodies={"en": "We share the vans.\n\nEvery week, the keys are at the front desk."})
    proposal_ops.add_coauthor(w.proposal, other.member.id, actor=author, membership=mship(workgroup, author))
    w.draft = write(group, titles={"en": "A draft of the author"})
    w.comment = proposal_ops.add_comment(w.proposal, "A Belgian comment", actor=commenter,
                                         membership=mship(workgroup, commenter))
    w.amendment = proposal_ops.propose_amendment(
        w.proposal, actor=amender, membership=mship(workgroup, amender), language="en",
        original_excerpt="Every week", replacement="Every day", explanation="More often.")
    w.translation = proposal_ops.translate_proposal(w.proposal, "fr", "Partager les camionnettes",
                                                    "Nous partageons les camionnettes.", actor=other,
                                                    membership=mship(workgroup, other))
    proposal_ops.translate_comment(w.comment, w.proposal, "fr", "Un commentaire belge", actor=other,
                                   membership=mship(workgroup, other))
    # ballots of Belgium: open, closed, draft
    w.ballot = open_ballot(make_ballot(branches=[be]))
    w.closed_ballot = make_ballot(branches=[be], questions={"en": "Closed?", "nl": "Gesloten?", "fr": "Fermé ?"})
    open_ballot(w.closed_ballot)
    close(w.closed_ballot)
    w.draft_ballot = make_ballot(branches=[be], questions={"en": "Draft?", "nl": "Ontwerp?", "fr": "Brouillon ?"})
    # a register entry of Belgium, and one without an account (to invite)
    w.be_entry = author.member
    w.be_uninvited = create_member(branch=be, status="active")
    # the author's notification (the comment on their proposal)
    db.session.flush()
    w.notification = db.session.execute(select(Notification).where(
        Notification.account_id == author.id).order_by(Notification.id)).scalars().first()
    assert w.notification is not None, "the author should have been told of the comment"
    w.author, w.other, w.facilitator, w.commenter, w.amender = author, other, facilitator, commenter, amender
    # the attackers
    w.fr_member = member_account(fr)
    w.fr_board = member_account(fr, roles=[("board_member", fr)])
    w.fr_facilitator = member_account(fr)
    w.fr_workgroup = make_workgroup(title="Groupe local de Lyon", original_language="fr", branches=[fr],
                                    facilitators=[w.fr_facilitator], members=[w.fr_member])
    w.be_outsider = member_account(be)  # a Belgian member, in no workgroup
    _add_assemblies(w, db, be, admin, member_account, make_assembly, add_item, add_resolution, convene, force_state)
    _add_elections(w, db, be, admin)
    db.session.commit()
    w.url_args = _world_resolver(w)
    return w


def _add_assemblies(w, db, be, admin, member_account, make_assembly, add_item, add_resolution, convene,
                    force_state):
    """General assemblies of Belgium only: a convened one (agenda with a resolution, a document, a chair and a
    teller, a member's registration, the convocation's deliveries), a draft (its agenda still editable), a closed
    one that missed its quorum (draft minutes; a second convocation may follow), and a petition of Belgium."""
    from governance.assemblies import minutes as minutes_ops
    from governance.assemblies import operations as assembly_ops
    from governance.assemblies import session as session_ops
    from tests.assemblies.conftest import texts

    w.be_chair = member_account(be)
    w.be_teller = member_account(be)
    # convened: everything the session's pages take
    w.assembly = make_assembly(be, titles=texts("Belgian assembly"), online_url="https://meet.example.org/be")
    w.item = add_item(w.assembly, title="Report")
    w.resolution = add_resolution(w.assembly, title="Belgian resolution")
    w.document = assembly_ops.add_document(w.assembly, actor=admin, filename="accounts.txt",
                                           data=b"The Belgian accounts.\n", agenda_item=w.resolution,
                                           title="Accounts", language="en")
    w.chair_role = assembly_ops.add_role(w.assembly, actor=admin, role="chair", member=w.be_chair.member)
    w.teller_role = assembly_ops.add_role(w.assembly, actor=admin, role="teller", member=w.be_teller.member)
    convene(w.assembly)
    session_ops.register(w.assembly, w.commenter.member, "in_person", actor=w.commenter)
    # a draft: its definition and agenda can still change (only its organisers see it)
    w.draft_assembly = make_assembly(be, titles=texts("Belgian draft assembly"))
    w.draft_item = add_resolution(w.draft_assembly, title="Draft resolution")
    # closed without its quorum, with draft minutes
    w.closed_assembly = make_assembly(be, days=25, titles=texts("Closed Belgian assembly"))
    add_resolution(w.closed_assembly, title="Closed resolution")
    convene(w.closed_assembly)
    force_state(w.closed_assembly, "closed", quorum_missed=True)
    w.minutes = minutes_ops.generate_minutes(w.closed_assembly, actor=admin)
    w.minutes_language = sorted(w.minutes.texts)[0]
    # a petition of Belgium, opened (and signed) by a Belgian member
    w.petition = assembly_ops.open_petition(actor=w.author, member=w.author.member, branch=be,
                                            titles={"en": "A Belgian petition"},
                                            texts={"en": "We ask for an assembly of Belgium."},
                                            original_language="en")
    db.session.flush()


def _add_elections(w, db, be, admin):
    """The board of Belgium (a current mandate), its election in its call for candidates (a candidacy of a Belgian
    member) and a draft election (only the board's managers see it)."""
    import datetime as dt

    from governance.core.db_types import utcnow
    from governance.elections import operations as election_ops

    now = utcnow()
    today = dt.date.today()
    w.be_board = election_ops.create_board(actor=admin, branch=be, seats=5, term_years=3)
    w.mandate = election_ops.add_mandate(w.be_board, w.facilitator.member, actor=admin,
                                         starts_on=today - dt.timedelta(days=300),
                                         ends_on=today + dt.timedelta(days=60), origin="appointment")

    def election(title: str):
        return election_ops.create_election(
            w.be_board, actor=admin, titles={"en": title, "nl": f"{title} (nl)", "fr": f"{title} (fr)"},
            original_language="en", seats=2, candidacy_opens_at=now - dt.timedelta(days=1),
            candidacy_deadline=now + dt.timedelta(days=10), voting_opens_at=now + dt.timedelta(days=12),
            voting_closes_at=now + dt.timedelta(days=20), term_starts_on=today + dt.timedelta(days=60),
            term_ends_on=today + dt.timedelta(days=60 + 3 * 365), now=now)

    w.election = election("Belgian board election")
    election_ops.open_call(w.election, actor=admin, now=now)
    w.candidacy = election_ops.submit_candidacy(
        w.election, w.commenter.member, actor=w.commenter, statements={"en": "A Belgian statement."},
        profiles={"en": "A Belgian profile."}, original_language="en", now=now)
    w.draft_election = election("Belgian draft election")
    db.session.flush()


def _world_resolver(w):
    """``url_args(rule)`` → URL values pointing at the world's Belgian objects (None: not an object route)."""
    by_name = {
        "workgroup_slug": lambda: w.workgroup.slug,
        "proposal_id": lambda: w.proposal.id,
        "comment_id": lambda: w.comment.id,
        "number": lambda: w.amendment.number,
        "language": lambda: "fr",
        "ballot_id": lambda: w.ballot.id,
        "notification_id": lambda: w.notification.id,
        "member_id": lambda: w.be_entry.id,
        "account_id": lambda: w.author.id,
        "branch_code": lambda: "BE",
        "assembly_id": lambda: w.assembly.id,
        "item_id": lambda: w.resolution.id,
        "document_id": lambda: w.document.id,
        "role_id": lambda: w.chair_role.id,
        "petition_id": lambda: w.petition.id,
        "board_id": lambda: w.be_board.id,
        "mandate_id": lambda: w.mandate.id,
        "election_id": lambda: w.election.id,
        "candidacy_id": lambda: w.candidacy.id,
    }
    draft = lambda: w.draft_assembly.id  # noqa: E731
    closed = lambda: w.closed_assembly.id  # noqa: E731
    by_endpoint = {
        "proposals.remove_coauthor:member_id": lambda: w.other.member.id,
        "workgroups.member_action:member_id": lambda: w.commenter.member.id,
        "accounts.invite_member:member_id": lambda: w.be_uninvited.id,
        "votes.results:ballot_id": lambda: w.closed_ballot.id,
        "votes.check_receipt:ballot_id": lambda: w.closed_ballot.id,
        "votes.download:ballot_id": lambda: w.closed_ballot.id,
        "votes.edit:ballot_id": lambda: w.draft_ballot.id,
        "votes.open_ballot:ballot_id": lambda: w.draft_ballot.id,
        "votes.delete:ballot_id": lambda: w.draft_ballot.id,
        "votes.put_to_vote:proposal_id": lambda: w.proposal.id,
        # assemblies: a draft's definition and agenda, a closed assembly's minutes and second convocation
        "assemblies.edit:assembly_id": draft,
        "assemblies.delete:assembly_id": draft,
        "assemblies.add_item:assembly_id": draft,
        "assemblies.edit_item:assembly_id": draft,
        "assemblies.edit_item:item_id": lambda: w.draft_item.id,
        "assemblies.delete_item:assembly_id": draft,
        "assemblies.delete_item:item_id": lambda: w.draft_item.id,
        "assemblies.move_item:assembly_id": draft,
        "assemblies.move_item:item_id": lambda: w.draft_item.id,
        "assemblies.second_convocation:assembly_id": closed,
        "assemblies.resend:member_id": lambda: w.commenter.member.id,
        "assembly_session.desk_check_in:member_id": lambda: w.commenter.member.id,
        "assembly_session.desk_check_out:member_id": lambda: w.commenter.member.id,
        **{f"assembly_session.{endpoint}:assembly_id": closed
           for endpoint in ("minutes", "generate_minutes", "approve_minutes", "publish_minutes", "edit_minutes",
                            "minutes_html", "minutes_pdf")},
        # board elections: a draft's definition and opening; the rest on the election in its call for candidates
        "elections.edit_election:election_id": lambda: w.draft_election.id,
        "elections.open_call:election_id": lambda: w.draft_election.id,
        # paper ballots (tellers) of the open Belgian ballot: paper number 1, a Belgian account as the teller
        "ballot_paper.compare:number": lambda: 1,
        "ballot_paper.withdraw:number": lambda: 1,
        "ballot_paper.remove:account_id": lambda: w.be_teller.id,
        "assembly_session.minutes_html:language": lambda: w.minutes_language,
        "assembly_session.minutes_pdf:language": lambda: w.minutes_language,
    }

    def resolve(rule) -> dict | None:
        values = {}
        for name in sorted(rule.arguments - set(rule.defaults or {})):
            resolver = by_endpoint.get(f"{rule.endpoint}:{name}") or by_name.get(name)
            if resolver is None:
                converter = rule._converters.get(name)
                choices = getattr(converter, "items", None)  # any(...) converters: the first value
                if choices:
                    values[name] = sorted(choices)[0]
                    continue
                if name == "token":
                    return None
                raise AssertionError(f"tests/security/conftest.py cannot fill {name!r} of {rule.rule} "
                                     f"({rule.endpoint}): add it to _world_resolver")
            values[name] = resolver()
        return values

    return resolve


def build_url(app, rule, values) -> str:
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=sorted(rule.methods - {"HEAD",
                                                                                                  "OPTIONS"})[0])


# --- the production settings -----------------------------------------------------------------------
@pytest.fixture
def production(tmp_path, monkeypatch):
    """The application under the production settings (its own SQLite file: only its behaviour is tested)."""
    from governance import create_app
    from governance.extensions import db
    from tests.conftest import make_settings

    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("GOVERNANCE_ENV", "production")  # as deployed: the defaults follow the environment
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    settings = make_settings(f"sqlite:///{tmp_path / 'production.db'}", tmp_path, GOVERNANCE_ENV="production",
                             SECRET_KEY="p" * 48, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    del settings["TESTING"]
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- the demo data ---------------------------------------------------------------------------------
@pytest.fixture
def demo(app, db, ballot_email_templates):  # noqa: F811
    """The demo data, committed in the test's transaction; ``demo.objects`` resolves URL arguments."""
    from governance.demo import DEMO_PASSWORD, load_demo
    from tests.browser.routes import DemoObjects

    load_demo()
    db.session.commit()
    return SimpleNamespace(objects=DemoObjects(db.session), password=DEMO_PASSWORD)
