"""Proposals of a workgroup, under /workgroups/<slug>/proposals/: a proposal's page, writing and editing,
co-authors, supports, state changes and the differences between two revisions.

Each view loads the workgroup and the proposal (404 when either does not exist, the reader may not see it,
or the proposal belongs to another workgroup), checks the permission (403), validates, calls one operation,
commits once and redirects (303).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from governance.core.errors import DomainError
from governance.core.i18n import pick_version
from governance.extensions import db
from governance.proposals import operations as ops
from governance.proposals import queries
from governance.proposals.forms import (
    CoauthorForm,
    CommentForm,
    DecisionForm,
    EditCommentForm,
    FlagForm,
    HideForm,
    ReplyForm,
    proposal_form,
)
from governance.proposals.models import ProposalState
from governance.proposals.permissions import (
    PREDICATES,
    can_comment,
    can_create_proposal,
    can_decide,
    can_edit_comment,
    can_edit_proposal,
    can_flag_comment,
    can_moderate_comments,
    can_view_proposal,
)
from governance.workgroups.permissions import can_manage_workgroup
from governance.workgroups.views import load_workgroup

bp = Blueprint("proposals", __name__, template_folder="templates")


@bp.app_context_processor
def proposal_predicates():
    """The predicates, and ``workgroup_proposals(workgroup)`` for the workgroup page's list (one query)."""
    return {**PREDICATES, "workgroup_proposals": _workgroup_proposals}


def _workgroup_proposals(workgroup):
    return queries.workgroup_proposals(workgroup, _member_id())


def _account():
    return current_user._get_current_object()


def _member_id() -> int | None:
    member = _account().member
    return member.id if member is not None else None


def _load(slug: str, proposal_id: int):
    """The workgroup, the proposal and the reader's membership; 404 for what the reader may not see."""
    workgroup, membership = load_workgroup(slug)
    proposal = queries.proposal_in(workgroup, proposal_id)
    if proposal is None or not can_view_proposal(_account(), proposal):
        abort(404)
    return workgroup, proposal, membership


def _languages(workgroup, proposal=None) -> list[str]:
    languages = list(workgroup.working_languages)
    for code in [*(proposal.titles if proposal else ()), *([] if proposal else [str(get_locale() or "en")])]:
        if code not in languages:
            languages.append(code)
    return languages


def _to_proposal(workgroup, proposal):
    return redirect(url_for(".proposal", workgroup_slug=workgroup.slug, proposal_id=proposal.id), 303)


# --- a proposal's page -----------------------------------------------------------------------------
def _render_proposal(workgroup, proposal, membership, *, decision_form=None, coauthor_form=None,
                     comment_form=None):
    account = _account()
    version, texts = pick_version(request.args.get("lang"), proposal.original_language,
                                  proposal.titles, proposal.bodies)
    title, body = texts or (proposal.title, proposal.body)
    editable = can_edit_proposal(account, proposal, membership)
    if coauthor_form is None and editable:
        coauthor_form = CoauthorForm()
    if coauthor_form is not None:
        coauthor_form.set_choices(queries.workgroup_members(workgroup), proposal.author_ids)
    if decision_form is None and can_decide(account, proposal, membership):
        decision_form = DecisionForm()
    if comment_form is None and can_comment(account, proposal, membership):
        comment_form = CommentForm()
    return render_template(
        "proposals/proposal.html", workgroup=workgroup, proposal=proposal, membership=membership, title=title,
        body=body, version=version, support_count=queries.support_count(proposal),
        supported=queries.supports(proposal, _member_id()), revisions=queries.revisions(proposal),
        coauthor_form=coauthor_form, decision_form=decision_form, comment_form=comment_form,
        comments=queries.comment_threads(proposal, request.args.get("page", 1, type=int)),
    )


def _refused(exc: DomainError, render):
    db.session.rollback()
    flash(str(exc), "error")
    return render(), exc.status_code


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>")
@login_required
def proposal(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    return _render_proposal(workgroup, proposal, membership)


# --- writing and editing ---------------------------------------------------------------------------
def _render_form(form, workgroup, proposal=None, status: int = 200):
    return render_template("proposals/form.html", form=form, workgroup=workgroup, proposal=proposal), status


@bp.route("/<workgroup_slug>/proposals/new", methods=["GET", "POST"])
@login_required
def create(workgroup_slug: str):
    workgroup, membership = load_workgroup(workgroup_slug)
    account = _account()
    if not can_create_proposal(account, workgroup, membership):
        abort(403)
    languages = _languages(workgroup)
    form = proposal_form(languages)
    if request.method == "GET":
        reader = str(get_locale() or "en")
        form.original_language.data = reader if reader in languages else languages[0]
    if not form.validate_on_submit():
        return _render_form(form, workgroup, status=422 if request.method == "POST" else 200)
    try:
        proposal = ops.create_proposal(workgroup, actor=account, membership=membership, titles=form.titles(),
                                       bodies=form.bodies(), original_language=form.original_language.data)
    except DomainError as exc:
        return _refused(exc, lambda: _render_form(form, workgroup)[0])
    db.session.commit()
    flash(_("Your proposal has been saved as a draft. Open it for discussion when it is ready."), "success")
    return _to_proposal(workgroup, proposal)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    account = _account()
    if not can_edit_proposal(account, proposal, membership):
        abort(403)
    form = proposal_form(_languages(workgroup, proposal))
    if request.method == "GET":
        form.fill(proposal)
    if not form.validate_on_submit():
        return _render_form(form, workgroup, proposal, status=422 if request.method == "POST" else 200)
    try:
        revision = ops.edit_proposal(proposal, actor=account, membership=membership, titles=form.titles(),
                                     bodies=form.bodies(), original_language=form.original_language.data)
    except DomainError as exc:
        return _refused(exc, lambda: _render_form(form, workgroup, proposal)[0])
    db.session.commit()
    if revision is None:
        flash(_("Nothing was changed."), "info")
    else:
        flash(_("The proposal has been saved as revision %(number)s.", number=revision.number), "success")
    return _to_proposal(workgroup, proposal)


# --- co-authors ------------------------------------------------------------------------------------
@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/coauthors", methods=["POST"])
@login_required
def add_coauthor(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    account = _account()
    if not can_edit_proposal(account, proposal, membership):
        abort(403)
    form = CoauthorForm()
    form.set_choices(queries.workgroup_members(workgroup), proposal.author_ids)
    if not form.validate_on_submit():
        return _render_proposal(workgroup, proposal, membership, coauthor_form=form), 422
    try:
        member = ops.add_coauthor(proposal, form.member.data, actor=account, membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    name = member.full_name
    db.session.commit()
    flash(_("%(name)s is now a co-author.", name=name), "success")
    return _to_proposal(workgroup, proposal)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/coauthors/<int:member_id>/remove", methods=["POST"])
@login_required
def remove_coauthor(workgroup_slug: str, proposal_id: int, member_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    account = _account()
    if not can_edit_proposal(account, proposal, membership):
        abort(403)
    try:
        ops.remove_coauthor(proposal, member_id, actor=account, membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(_("The co-author has been removed."), "success")
    return _to_proposal(workgroup, proposal)


# --- supports --------------------------------------------------------------------------------------
@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/support", methods=["POST"])
@login_required
def support(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    try:
        ops.support(proposal, actor=_account(), membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    ready = proposal.state == ProposalState.ready_for_vote.value
    db.session.commit()
    flash(_("You support this proposal.") if not ready
          else _("You support this proposal. With your support it has enough supports: it is ready for a vote."),
          "success")
    return _to_proposal(workgroup, proposal)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/unsupport", methods=["POST"])
@login_required
def unsupport(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    try:
        ops.unsupport(proposal, actor=_account(), membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(_("You no longer support this proposal."), "success")
    return _to_proposal(workgroup, proposal)


# --- states ----------------------------------------------------------------------------------------
_STATE_ACTIONS = {
    "discuss": (ProposalState.discussion, lambda: _("The proposal is open for discussion.")),
    "ready": (ProposalState.ready_for_vote, lambda: _("The proposal is ready for a vote.")),
    "withdraw": (ProposalState.withdrawn, lambda: _("The proposal has been withdrawn.")),
    "archive": (ProposalState.archived, lambda: _("The proposal has been archived.")),
}


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/<any(discuss, ready, withdraw, archive):action>",
          methods=["POST"])
@login_required
def change_state(workgroup_slug: str, proposal_id: int, action: str):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    target, message = _STATE_ACTIONS[action]
    try:
        ops.change_state(proposal, target, actor=_account(), membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(message(), "success")
    return _to_proposal(workgroup, proposal)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/decide", methods=["POST"])
@login_required
def decide(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    account = _account()
    if not can_decide(account, proposal, membership):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_proposal(workgroup, proposal, membership, decision_form=form), 422
    try:
        ops.decide(proposal, adopted=form.outcome.data == "adopted", reason=form.reason.data, actor=account,
                   membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership, decision_form=form))
    db.session.commit()
    flash(_("The decision has been recorded."), "success")
    return _to_proposal(workgroup, proposal)


# --- what changed ----------------------------------------------------------------------------------
@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/changes")
@login_required
def changes(workgroup_slug: str, proposal_id: int):
    """The differences between two revisions (``from`` and ``to``; by default the last two)."""
    workgroup, proposal, _membership = _load(workgroup_slug, proposal_id)
    history = queries.revisions(proposal)
    by_number = {r.number: r for r in history}
    latest = history[0].number if history else 1
    new_number = request.args.get("to", latest, type=int)
    old_number = request.args.get("from", max(new_number - 1, 1), type=int)
    old, new = by_number.get(old_number), by_number.get(new_number)
    if old is None or new is None:
        abort(404)
    return render_template("proposals/changes.html", workgroup=workgroup, proposal=proposal, old=old, new=new,
                           diffs=queries.compare(old, new), history=history)


# --- comments --------------------------------------------------------------------------------------
def _load_comment(slug: str, proposal_id: int, comment_id: int):
    """The workgroup, the proposal, the comment and the reader's membership; 404 for what the reader may not see."""
    workgroup, proposal, membership = _load(slug, proposal_id)
    comment = queries.comment_in(proposal, comment_id)
    if comment is None:
        abort(404)
    return workgroup, proposal, comment, membership


def _to_comment(workgroup, proposal, comment):
    return redirect(url_for(".proposal", workgroup_slug=workgroup.slug, proposal_id=proposal.id,
                            page=queries.page_of(comment), _anchor=f"comment-{comment.id}"), 303)


def _render_comment_page(template_form, workgroup, proposal, comment, membership, *, heading, action,
                         help_text=None, revisions=None, status: int = 200):
    return render_template("proposals/comment_form.html", form=template_form, workgroup=workgroup,
                           proposal=proposal, comment=comment, membership=membership, heading=heading,
                           action=action, help_text=help_text, revisions=revisions), status


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments", methods=["POST"])
@login_required
def add_comment(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    account = _account()
    if not can_comment(account, proposal, membership):
        abort(403)
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_proposal(workgroup, proposal, membership, comment_form=form), 422
    try:
        comment = ops.add_comment(proposal, form.body.data, actor=account, membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership, comment_form=form))
    db.session.commit()
    flash(_("Your comment has been published."), "success")
    return _to_comment(workgroup, proposal, comment)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/reply", methods=["GET", "POST"])
@login_required
def reply(workgroup_slug: str, proposal_id: int, comment_id: int):
    workgroup, proposal, parent, membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    account = _account()
    if not can_comment(account, proposal, membership):
        abort(403)
    if not parent.can_have_replies:
        abort(409)
    form = ReplyForm()

    def render(status=200):
        return _render_comment_page(form, workgroup, proposal, parent, membership, heading=_("Reply to a comment"),
                                    action=url_for(".reply", workgroup_slug=workgroup.slug, proposal_id=proposal.id,
                                                   comment_id=parent.id), status=status)

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        comment = ops.add_comment(proposal, form.body.data, actor=account, membership=membership, parent=parent)
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("Your reply has been published."), "success")
    return _to_comment(workgroup, proposal, comment)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(workgroup_slug: str, proposal_id: int, comment_id: int):
    workgroup, proposal, comment, membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    account = _account()
    if not can_edit_comment(account, comment, proposal, membership):
        abort(403)
    form = EditCommentForm()
    if request.method == "GET":
        form.body.data = comment.body

    def render(status=200):
        return _render_comment_page(form, workgroup, proposal, comment, membership, heading=_("Edit your comment"),
                                    action=url_for(".edit_comment", workgroup_slug=workgroup.slug,
                                                   proposal_id=proposal.id, comment_id=comment.id),
                                    help_text=_("Readers can see the earlier versions of an edited comment."),
                                    status=status)

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        revision = ops.edit_comment(comment, proposal, form.body.data, actor=account, membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("Your comment has been saved.") if revision else _("Nothing was changed."),
          "success" if revision else "info")
    return _to_comment(workgroup, proposal, comment)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/history")
@login_required
def comment_history(workgroup_slug: str, proposal_id: int, comment_id: int):
    workgroup, proposal, comment, _membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    if not comment.is_visible:
        abort(404)
    return render_template("proposals/comment_history.html", workgroup=workgroup, proposal=proposal,
                           comment=comment, revisions=queries.comment_revisions(comment))


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/delete", methods=["POST"])
@login_required
def delete_comment(workgroup_slug: str, proposal_id: int, comment_id: int):
    workgroup, proposal, comment, membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    try:
        ops.delete_comment(comment, proposal, actor=_account(), membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(_("Your comment has been deleted."), "success")
    return _to_comment(workgroup, proposal, comment)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/flag", methods=["GET", "POST"])
@login_required
def flag_comment(workgroup_slug: str, proposal_id: int, comment_id: int):
    workgroup, proposal, comment, membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    account = _account()
    if not can_flag_comment(account, comment, proposal, membership):
        abort(403)
    form = FlagForm()

    def render(status=200):
        return _render_comment_page(form, workgroup, proposal, comment, membership, heading=_("Flag a comment"),
                                    action=url_for(".flag_comment", workgroup_slug=workgroup.slug,
                                                   proposal_id=proposal.id, comment_id=comment.id),
                                    help_text=_("The facilitators of the workgroup see the flagged comments and "
                                                "decide whether to hide them."), status=status)

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        ops.flag_comment(comment, proposal, actor=account, membership=membership, reason=form.reason.data)
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("Thank you: the facilitators will look at this comment."), "success")
    return _to_comment(workgroup, proposal, comment)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/hide", methods=["GET", "POST"])
@login_required
def hide_comment(workgroup_slug: str, proposal_id: int, comment_id: int):
    workgroup, proposal, comment, membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    account = _account()
    if not can_moderate_comments(account, proposal, membership):
        abort(403)
    form = HideForm()

    def render(status=200):
        return _render_comment_page(form, workgroup, proposal, comment, membership, heading=_("Hide a comment"),
                                    action=url_for(".hide_comment", workgroup_slug=workgroup.slug,
                                                   proposal_id=proposal.id, comment_id=comment.id),
                                    help_text=_("Readers see the reason in place of the comment."), status=status)

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        ops.hide_comment(comment, proposal, form.reason.data, actor=account, membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("The comment has been hidden."), "success")
    return _to_comment(workgroup, proposal, comment)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/unhide", methods=["POST"])
@login_required
def unhide_comment(workgroup_slug: str, proposal_id: int, comment_id: int):
    workgroup, proposal, comment, membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    try:
        ops.unhide_comment(comment, proposal, actor=_account(), membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(_("The comment is shown again."), "success")
    return _to_comment(workgroup, proposal, comment)


@bp.route("/<workgroup_slug>/flagged-comments")
@login_required
def moderation_queue(workgroup_slug: str):
    """The flagged comments of the workgroup's proposals, for those who moderate it."""
    workgroup, membership = load_workgroup(workgroup_slug)
    if not can_manage_workgroup(_account(), workgroup, membership):
        abort(403)
    return render_template("proposals/moderation.html", workgroup=workgroup,
                           flagged=queries.flagged_comments(workgroup))
