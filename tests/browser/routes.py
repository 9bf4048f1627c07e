"""The URLs the crawl visits: every GET route of ``app.url_map`` that answers an HTML page, with its
URL arguments filled from the demo data, plus a few URLs that must render error pages.

When a new route has an argument the crawl does not know, it fails and says so: add an entry to
``ARGUMENTS`` (argument name → a function returning a value from the demo data). When a new GET route
answers something other than an HTML page (JSON, a file download, a feed), add its endpoint to
``NOT_PAGES`` with the reason. A form whose error state is worth checking goes into ``FORM_STATES``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from flask import Flask
from sqlalchemy import select

#: GET endpoints that are not HTML pages, with the reason (static files are always left out)
NOT_PAGES: dict[str, str] = {
    "core.healthz": "health check for load balancers and monitoring; answers JSON",
    "votes.download": "a closed ballot's published lists and results as files (CSV, JSON, BLT, text)",
    "assemblies.icalendar": "an assembly as an iCalendar file (.ics)",
    "assemblies.document": "a document of an assembly, always downloaded as an attachment",
    "assemblies.letters_pdf": "the convocation letters as one PDF",
    "assembly_session.attendance_csv": "an assembly's attendance list as CSV",
    "assembly_session.results_csv": "an assembly's results as CSV",
    "assembly_session.minutes_html": "an assembly's minutes as a standalone HTML file (a download)",
    "assembly_session.minutes_pdf": "an assembly's minutes as PDF",
    "assembly_session.receipts_list": "the receipt codes of a closed secret vote, as a text file",
}

#: URLs that are not routes but must answer with a proper (accessible, valid) error page
ERROR_PAGES: dict[str, int] = {
    "/this-page-does-not-exist": 404,
    "/language": 405,  # the language switcher only takes POST
}

def _send_empty(path: str, form: str = "main form"):
    """Open ``path``, empty the text fields of its form (a CSS selector) and send it."""
    def go(page):
        page.goto(path)
        fields = page.locator(form).locator("input:not([type]), input[type=text], input[type=email], "
                                            "input[type=password], input[type=search], textarea")
        for i in range(fields.count()):
            fields.nth(i).fill("")
        with page.expect_navigation() as navigation:
            page.locator(form).locator("[type=submit]").first.click()
        return navigation.value
    return go


_ANONYMOUS = ("anonymous-nl", "anonymous-fr", "anonymous-en", "anonymous-de")

#: pages in a state only a form submission reaches (a form sent back with its errors):
#: name → (the personas, how to get there in the browser, the status expected)
FORM_STATES = {
    "account-sign-in-sent-empty": (_ANONYMOUS, _send_empty("/account/sign-in", "main form:has(input[type=password])"), 422),
    "account-two-factor-setup-sent-empty": (("member",), _send_empty("/account/two-factor/setup"), 422),
    "account-profile-sent-empty": (("member",), _send_empty("/account/profile", "main form:has(input[name=display_name])"), 422),
    "register-import-sent-empty": (("admin",), _send_empty("/register/import", "main form:has(input[type=file])"), 422),
    "workgroup-create-sent-empty": (("admin",), _send_empty("/workgroups/new", "main form:has(textarea)"), 422),
    "workgroup-edit-sent-empty": (("admin",), _send_empty("/workgroups/les-outils-que-nous-partageons/edit",
                                                          "main form:has(textarea)"), 422),
    # the member persona belongs to "Who is the cooperative for?"
    "proposal-create-sent-empty": (("member",), _send_empty("/workgroups/who-is-the-cooperative-for/proposals/new",
                                                            "main form:has(textarea)"), 422),
}

def _send_as_is(path: str, form: str):
    """Open ``path`` and send its form (a CSS selector) untouched: for a form that opens empty, whose fields for
    other languages sit in closed <details> (hidden fields cannot be filled)."""
    def go(page):
        page.goto(path)
        with page.expect_navigation() as navigation:
            page.locator(form).locator("[type=submit]").first.click()
        return navigation.value
    return go


def _vote_without_choosing(page):
    """The member persona opens the first ballot open for their vote and sends the ballot paper empty."""
    page.goto("/ballots/")
    with page.expect_navigation():
        page.locator("main section:has(#open-heading) li a").first.click()
    with page.expect_navigation() as navigation:
        page.locator("main form.ballot-paper [type=submit]").first.click()
    return navigation.value


FORM_STATES.update({
    "ballot-create-sent-empty": (("admin",), _send_as_is("/ballots/new", "main form:has(textarea)"), 422),
    "ballot-vote-sent-empty": (("member",), _vote_without_choosing, 422),
})


def _search(query: str):
    """Type ``query`` into the search page's form and send it."""
    def go(page):
        page.goto("/search")
        page.locator("main form[role=search] input[type=search]").fill(query)
        with page.expect_navigation() as navigation:
            page.locator("main form[role=search] [type=submit]").click()
        return navigation.value
    return go


FORM_STATES.update({
    # results with marked matches and snippets ("calendar": the demo proposal in "Tools we share")
    "search-results": (("member",), _search("calendar"), 200),
    "search-too-short": (("member",), _search("a"), 400),
})

def _follow(page, *selectors: str):
    """Click, in turn, the first link matching each CSS selector (ids differ from one demo load to another)."""
    for selector in selectors:
        with page.expect_navigation():
            page.locator(selector).first.click()


def _stand_with_an_empty_statement(page):
    """The member persona opens the election in its call for candidates from the home page and sends the candidacy
    form without a statement."""
    page.goto("/")
    _follow(page, "main a[href*='/boards/elections/']", "main a[href$='/candidacy']")
    with page.expect_navigation() as navigation:
        page.locator("main form [type=submit]").first.click()
    return navigation.value


def _plan_an_election_without_a_title(page):
    """The administrator opens the first board's "plan an election" form and sends it with its title emptied."""
    page.goto("/boards/")
    _follow(page, "main table a[href*='/boards/']", "main a[href$='/elections/new']")
    for field in page.locator("main form input[id^=title_]").all():
        if field.is_visible():
            field.fill("")
    with page.expect_navigation() as navigation:
        page.locator("main form [type=submit]").first.click()
    return navigation.value


FORM_STATES.update({
    "election-candidacy-sent-empty": (("member",), _stand_with_an_empty_statement, 422),
    "election-create-sent-without-title": (("admin",), _plan_an_election_without_a_title, 422),
})

#: the member persona (a member of Belgium with an account)
MEMBER_EMAIL = "an.peeters@demo.coop"


class DemoObjects:
    """Objects of the demo data that URL arguments point to, looked up on first use."""

    def __init__(self, session):
        self.session = session

    @cached_property
    def branch(self):
        from governance.members.models import Branch

        return self.session.execute(select(Branch).where(Branch.code == "BE")).scalar_one()

    @cached_property
    def member(self):
        from governance.members.models import Member

        return self.session.execute(select(Member).where(Member.email == MEMBER_EMAIL)).scalar_one()

    @cached_property
    def account(self):
        from governance.accounts.models import Account

        return self.session.execute(select(Account).where(Account.email == MEMBER_EMAIL)).scalar_one()

    @cached_property
    def workgroup(self):
        """"Tools we share": open to the whole cooperative, moderated, written in French (the member persona,
        who reads Dutch, sees the "original in …" notice and an "Ask to join" button), with pending requests."""
        from governance.workgroups.models import Workgroup

        return next(w for w in self.session.execute(select(Workgroup).order_by(Workgroup.id)).scalars()
                    if w.titles.get("en") == "Tools we share")

    @cached_property
    def proposal(self):
        """"One shared calendar for the vans": in discussion in "Tools we share", with two revisions (so the
        changes page has a difference to show), co-authors and supports."""
        from governance.proposals.models import Proposal

        return next(p for p in self.session.execute(
            select(Proposal).where(Proposal.workgroup_id == self.workgroup.id).order_by(Proposal.id)).scalars()
            if p.state == "discussion")

    @cached_property
    def comment(self):
        """The first comment on the demo proposal (it has a reply)."""
        from governance.proposals.models import Comment

        return self.session.execute(select(Comment).where(Comment.proposal_id == self.proposal.id)
                                    .order_by(Comment.id).limit(1)).scalar_one()

    @cached_property
    def amendment(self):
        """The first amendment to the demo proposal (still open; the second was rejected by the author)."""
        from governance.proposals.models import ProposalAmendment

        return self.session.execute(select(ProposalAmendment).where(ProposalAmendment.proposal_id == self.proposal.id)
                                    .order_by(ProposalAmendment.number).limit(1)).scalar_one()

    def _ballot(self, state: str, english_question: str):
        from governance.votes.models import Ballot

        return next(b for b in self.session.execute(select(Ballot).where(Ballot.state == state)
                                                    .order_by(Ballot.id)).scalars()
                    if b.questions.get("en", "").startswith(english_question))

    @cached_property
    def ballot(self):
        """The open secret yes/no/abstain ballot of four branches (the member persona is on its roll and has not
        voted)."""
        return self._ballot("open", "Shall the cooperative open a shared tool library")

    @cached_property
    def closed_ballot(self):
        """The closed STV ballot of the Belgian board, with its result (the member persona is on its roll)."""
        return self._ballot("closed", "Election of two board members")

    @cached_property
    def draft_ballot(self):
        """A scheduled draft of the Belgian board, its French text missing (announced to the member persona; only
        organisers edit, open or delete it)."""
        return self._ballot("draft", "Do we approve the annual accounts")

    @cached_property
    def ready_proposal(self):
        """The demo proposal that is ready for a vote (the administrator may put it to a vote)."""
        from governance.proposals.models import Proposal

        return self.session.execute(select(Proposal).where(Proposal.state == "ready_for_vote")
                                    .order_by(Proposal.id).limit(1)).scalar_one()

    def _assembly(self, state: str, english_title: str):
        from governance.assemblies.models import Assembly

        return next(a for a in self.session.execute(select(Assembly).where(Assembly.state == state)
                                                    .order_by(Assembly.id)).scalars()
                    if a.titles.get("en", "").startswith(english_title))

    @cached_property
    def assembly(self):
        """Belgium's ordinary general assembly, convened (the member persona is on its roll; emails and letters
        sent, a document, a chair and a teller)."""
        return self._assembly("convened", "Ordinary general assembly")

    @cached_property
    def draft_assembly(self):
        """Belgium's extraordinary assembly changing the statutes, a draft (only its organisers see it)."""
        return self._assembly("draft", "Extraordinary general assembly")

    @cached_property
    def missed_assembly(self):
        """The French assembly that missed its quorum (its board may convene a second one)."""
        return self._assembly("closed", "Extraordinary assembly")

    @cached_property
    def agenda_item(self):
        from governance.assemblies.models import AgendaItem

        return self.session.execute(select(AgendaItem).where(AgendaItem.assembly_id == self.draft_assembly.id)
                                    .order_by(AgendaItem.position).limit(1)).scalar_one()

    @cached_property
    def petition(self):
        """The petition for an assembly of the whole cooperative (open, a few signatures)."""
        from governance.assemblies.models import Petition

        return self.session.execute(select(Petition).where(Petition.branch_id.is_(None))
                                    .order_by(Petition.id).limit(1)).scalar_one()

    # --- boards and board elections (governance/elections/demo.py) ---
    def _board(self, branch_code: str | None):
        from governance.elections.models import Board
        from governance.members.models import Branch

        if branch_code is None:
            return self.session.execute(select(Board).where(Board.branch_id.is_(None))).scalar_one()
        return self.session.execute(select(Board).join(Branch, Branch.id == Board.branch_id)
                                    .where(Branch.code == branch_code)).scalar_one()

    @cached_property
    def board(self):
        """The board of Belgium: directors (two terms end within the warning period), past mandates, and its
        election in its call for candidates."""
        return self._board("BE")

    @cached_property
    def mandate(self):
        """A current mandate on the board of Belgium (its managers may end it)."""
        from governance.elections import queries

        return queries.current_mandates(self.board, __import__("datetime").date.today())[0]

    def _election(self, state: str):
        from governance.elections.models import Election

        return self.session.execute(select(Election).where(Election.state == state)
                                    .order_by(Election.id).limit(1)).scalar_one()

    @cached_property
    def election(self):
        """Belgium's election in its call for candidates: two candidacies; the member persona may stand."""
        return self._election("call_open")

    @cached_property
    def draft_election(self):
        """France's draft election (only its board's managers see it)."""
        return self._election("draft")

    @cached_property
    def confirmed_election(self):
        """The group's confirmed election: its result page shows the STV stages and the gender rule's effect."""
        return self._election("confirmed")

    @cached_property
    def candidacy(self):
        from governance.elections.models import Candidacy

        return self.session.execute(select(Candidacy).where(Candidacy.election_id == self.election.id)
                                    .order_by(Candidacy.id).limit(1)).scalar_one()

    def _issued_token(self, action) -> str:
        """The raw token (as in the emailed link) that ``action`` makes with ``tokens.new_token()``."""
        import pytest

        from governance.accounts import tokens

        original, issued = tokens.new_token, []

        def new_token():
            issued.append(original())
            return issued[-1]

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(tokens, "new_token", new_token)
            action()
        self.session.commit()
        assert len(issued) == 1, f"expected one token from tokens.new_token(), got {len(issued)}"
        return issued[0]

    @cached_property
    def password_reset_token(self) -> str:
        """A usable password-reset link's token, for the member persona."""
        from governance.accounts import operations

        return self._issued_token(lambda: operations.request_password_reset(MEMBER_EMAIL, address=None))

    @cached_property
    def invitation_token(self) -> str:
        """A usable invitation link's token, for an active Belgian member without an account."""
        from governance.accounts import operations
        from governance.accounts.models import Account
        from governance.members.models import Member

        has_account = select(Account.member_id).where(Account.member_id.is_not(None))
        member = self.session.execute(
            select(Member).where(Member.branch_id == self.branch.id, Member.status == "active",
                                 Member.email.is_not(None), Member.id.not_in(has_account))
            .order_by(Member.id).limit(1)
        ).scalar_one()
        return self._issued_token(lambda: operations.invite_member(member, actor=None))


#: URL argument → its value in the demo data (objects the member persona can see). The key is the
#: argument's name, or "endpoint:name" for an argument whose meaning depends on the route.
ARGUMENTS: dict[str, Callable[[DemoObjects], object]] = {
    "branch_id": lambda demo: demo.branch.id,
    "branch_code": lambda demo: demo.branch.code,
    "member_id": lambda demo: demo.member.id,
    "member_number": lambda demo: demo.member.number,
    "account_id": lambda demo: demo.account.id,
    "workgroup_slug": lambda demo: demo.workgroup.slug,
    "proposal_id": lambda demo: demo.proposal.id,
    "comment_id": lambda demo: demo.comment.id,
    # the demo proposal and its first comment are translated into Dutch (the member persona's language)
    "proposals.translate:language": lambda demo: "nl",
    "proposals.translate_comment:language": lambda demo: "nl",
    "proposals.amendment:number": lambda demo: demo.amendment.number,
    "ballot_id": lambda demo: demo.ballot.id,
    "votes.results:ballot_id": lambda demo: demo.closed_ballot.id,
    "votes.edit:ballot_id": lambda demo: demo.draft_ballot.id,
    "votes.open_ballot:ballot_id": lambda demo: demo.draft_ballot.id,
    "votes.delete:ballot_id": lambda demo: demo.draft_ballot.id,
    "votes.put_to_vote:proposal_id": lambda demo: demo.ready_proposal.id,
    "assembly_id": lambda demo: demo.assembly.id,
    "assemblies.edit:assembly_id": lambda demo: demo.draft_assembly.id,
    "assemblies.add_item:assembly_id": lambda demo: demo.draft_assembly.id,
    "assemblies.edit_item:assembly_id": lambda demo: demo.draft_assembly.id,
    "assemblies.edit_item:item_id": lambda demo: demo.agenda_item.id,
    "assemblies.second_convocation:assembly_id": lambda demo: demo.missed_assembly.id,
    # the session's minutes: the closed French assembly (the administrator may generate them)
    "assembly_session.minutes:assembly_id": lambda demo: demo.missed_assembly.id,
    "assembly_session.edit_minutes:assembly_id": lambda demo: demo.missed_assembly.id,
    # a secret vote's receipts (the demo holds no closed session vote: the walks get a 404 there; the pages are
    # tested in tests/assemblies/test_session_views.py)
    "assembly_session.receipts_list:item_id": lambda demo: demo.agenda_item.id,
    "petition_id": lambda demo: demo.petition.id,
    # boards and board elections
    "board_id": lambda demo: demo.board.id,
    "mandate_id": lambda demo: demo.mandate.id,
    "election_id": lambda demo: demo.election.id,
    "candidacy_id": lambda demo: demo.candidacy.id,
    "elections.edit_election:election_id": lambda demo: demo.draft_election.id,
    "elections.open_call:election_id": lambda demo: demo.draft_election.id,
    "elections.result:election_id": lambda demo: demo.confirmed_election.id,
    # paper ballots: the tellers' pages of the open demo ballot; paper number 1 (none entered: 404)
    "ballot_paper.compare:number": lambda demo: 1,
    "accounts.reset_password:token": lambda demo: demo.password_reset_token,
    "accounts.accept_invitation:token": lambda demo: demo.invitation_token,
}


@dataclass(frozen=True)
class PageUrl:
    url: str
    endpoint: str
    #: the route, ``/account/password/reset/<token>``: names the saved files (a URL may hold a random token)
    rule: str
    #: the status an error page must answer with (None: any status is acceptable for a route)
    expected_status: int | None = None


class CrawlSetupError(Exception):
    """The crawl cannot fill a route's URL arguments: ``ARGUMENTS`` needs an entry."""


def is_page_rule(rule) -> bool:
    if "GET" not in (rule.methods or ()):
        return False
    if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
        return False
    return rule.endpoint not in NOT_PAGES


def page_urls(app: Flask) -> list[PageUrl]:
    """Every page to visit, in a stable order. Raises CrawlSetupError naming every argument it cannot fill."""
    from governance.extensions import db

    problems: list[str] = []
    urls: dict[str, PageUrl] = {}
    with app.app_context():
        demo = DemoObjects(db.session)
        adapter = app.url_map.bind("127.0.0.1")
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
            if not is_page_rule(rule):
                continue
            needed = sorted(set(rule.arguments) - set(rule.defaults or {}))
            values = {}
            for name in needed:
                resolve = ARGUMENTS.get(f"{rule.endpoint}:{name}") or ARGUMENTS.get(name)
                if resolve is None:
                    converter = type(rule._converters.get(name)).__name__ if hasattr(rule, "_converters") else "?"
                    problems.append(
                        f"route {rule.rule} (endpoint {rule.endpoint}) has the URL argument {name!r} ({converter}) "
                        f"that the crawl cannot fill: add {name!r} (or {rule.endpoint + ':' + name!r}) to "
                        f"ARGUMENTS in tests/browser/routes.py, "
                        f"or {rule.endpoint!r} to NOT_PAGES if it is not an HTML page")
                    continue
                values[name] = resolve(demo)
            if len(values) < len(needed):
                continue
            try:
                url = adapter.build(rule.endpoint, values, method="GET")
            except Exception as exc:  # a value that does not fit the converter
                problems.append(f"route {rule.rule} (endpoint {rule.endpoint}): cannot build a URL from "
                                f"{values!r}: {exc!r}; fix its entry in ARGUMENTS in tests/browser/routes.py")
                continue
            urls.setdefault(url, PageUrl(url, rule.endpoint, rule.rule))
        db.session.remove()
    if problems:
        raise CrawlSetupError("\n".join(problems))
    pages = list(urls.values())
    pages += [PageUrl(url, "(error page)", url, status) for url, status in ERROR_PAGES.items()]
    return pages


def stale_exclusions(app: Flask) -> list[str]:
    """Entries of NOT_PAGES whose endpoint no longer exists or takes no GET."""
    get_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    return sorted(set(NOT_PAGES) - get_endpoints)
