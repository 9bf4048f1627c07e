"""Search, under /search: one page with the form and the results, and a link to one comment of the results.

Searching is a GET that changes nothing: no CSRF token, and each result shows only what the reader may read
(the permissions are part of the query, :func:`governance.search.queries.search`).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.attributes import set_committed_value

from governance.extensions import db, limiter
from governance.proposals import queries as proposal_queries
from governance.proposals.models import Comment, Proposal
from governance.proposals.permissions import can_view_proposal
from governance.search import queries
from governance.search.forms import SearchForm
from governance.workgroups.models import Workgroup
from governance.workgroups.queries import content_languages

bp = Blueprint("search", __name__, template_folder="templates")


def _account():
    return current_user._get_current_object()


def search_rate_limit() -> str:
    """Searches per account (a search for a common word ranks thousands of entries): ``SEARCH_RATE_LIMIT``."""
    return current_app.config.get("SEARCH_RATE_LIMIT", "60 per minute")


@bp.route("/search")
@login_required
@limiter.limit(search_rate_limit)
def search():
    languages = content_languages()
    form = SearchForm(formdata=request.args)
    form.set_choices(languages)
    if not request.args.get("q", "").strip():
        # the empty form (a first visit, or a search sent empty): nothing to show yet
        return render_template("search/search.html", form=form, page=None, args={})
    if not form.validate():
        return render_template("search/search.html", form=form, page=None, args={}), 400
    page = queries.search(form.q.data, account=_account(), language=form.lang.data or None,
                          kinds=[form.kind.data] if form.kind.data else None,
                          page=request.args.get("page", 1, type=int) or 1, content_languages=languages)
    args = {name: value for name, value in (("q", form.q.data), ("kind", form.kind.data),
                                            ("lang", form.lang.data)) if value}
    return render_template("search/search.html", form=form, page=page, args=args)


@bp.route("/search/comments/<int:comment_id>")
@login_required
def comment(comment_id: int):
    """A comment found by a search: its place in the proposal's thread (404 for what the reader may not see)."""
    found = db.session.get(Comment, comment_id)
    if found is None:
        abort(404)
    proposal = db.session.get(Proposal, found.proposal_id)
    set_committed_value(proposal, "workgroup", db.session.get(Workgroup, proposal.workgroup_id))
    if not can_view_proposal(_account(), proposal):
        abort(404)
    return redirect(url_for("proposals.proposal", workgroup_slug=proposal.workgroup.slug, proposal_id=proposal.id,
                            page=proposal_queries.page_of(found), _anchor=f"comment-{found.id}"), 303)
