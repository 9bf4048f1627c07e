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
