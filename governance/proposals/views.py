"""Proposals of a workgroup, under /workgroups/<slug>/proposals/: a proposal's page, writing and editing,
co-authors, supports, state changes and the differences between two revisions.

Each view loads the workgroup and the proposal (404 when either does not exist, the reader may not see it,
or the proposal belongs to another workgroup), checks the permission (403), validates, calls one operation,
commits once and redirects (303).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from governance.core.errors import DomainError
from governance.core.i18n import pick_text, pick_version, reader_languages
from governance.extensions import db, limiter
from governance.proposals import operations as ops
from governance.proposals import queries
from governance.proposals.forms import (
    AmendmentForm,
    CoauthorForm,
    CommentForm,
    CommentTranslationForm,
    DecisionForm,
    EditCommentForm,
    FlagForm,
    HideForm,
    RejectAmendmentForm,
    ReplyForm,
    TranslationForm,
    proposal_form,
)
from governance.proposals.models import ProposalState, last_original_change
from governance.proposals.permissions import (
    PREDICATES,
    can_comment,
    can_create_proposal,
    can_decide,
    can_edit_comment,
    can_edit_proposal,
    can_flag_comment,
    can_moderate_comments,
    can_reject_amendment,
    can_review_translations,
    can_translate,
    can_translate_comment,
    can_translate_proposal,
    can_view_proposal,
    may_answer_amendments,
    may_propose_amendments,
    may_put_amendments_to_vote,
    may_withdraw_amendment,
    translation_languages,
)
from governance.workgroups.permissions import can_manage_workgroup
from governance.workgroups.views import load_workgroup

bp = Blueprint("proposals", __name__, template_folder="templates")


def comment_rate_limit() -> str:
    """Comments and replies together, per account: ``COMMENT_RATE_LIMIT``."""
    return current_app.config.get("COMMENT_RATE_LIMIT", "10 per minute;100 per day")


def proposal_rate_limit() -> str:
    """New proposals per account: ``PROPOSAL_RATE_LIMIT``."""
    return current_app.config.get("PROPOSAL_RATE_LIMIT", "10 per hour")


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
    history = queries.revisions(proposal)
    comments = queries.comment_threads(proposal, request.args.get("page", 1, type=int))
    return render_template(
        "proposals/proposal.html", workgroup=workgroup, proposal=proposal, membership=membership, title=title,
        body=body, version=version, support_count=queries.support_count(proposal),
        supported=queries.supports(proposal, _member_id()), revisions=history,
        coauthor_form=coauthor_form, decision_form=decision_form, comment_form=comment_form,
        comments=comments, **_translation_context(workgroup, proposal, membership, title, history, comments),
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
@limiter.limit(proposal_rate_limit, methods=["POST"])
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
@limiter.shared_limit(comment_rate_limit, scope="comments", methods=["POST"])
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
@limiter.shared_limit(comment_rate_limit, scope="comments", methods=["POST"])
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


# --- amendments ------------------------------------------------------------------------------------
@bp.app_context_processor
def amendment_helpers():
    """``proposal_amendments(proposal)`` for the proposal page's "Amendments" section (one query)."""
    return {"proposal_amendments": queries.amendments}


def _load_amendment(slug: str, proposal_id: int, number: int):
    """The workgroup, the proposal, its amendment ``number`` and the reader's membership; 404 for what the reader
    may not see, and for a number the proposal does not have."""
    workgroup, proposal, membership = _load(slug, proposal_id)
    amendment = queries.amendment_in(proposal, number)
    if amendment is None:
        abort(404)
    return workgroup, proposal, amendment, membership


def _to_amendment(workgroup, proposal_id: int, number: int):
    return redirect(url_for(".amendment", workgroup_slug=workgroup.slug, proposal_id=proposal_id, number=number),
                    303)


def _render_amendment(workgroup, proposal, amendment, membership, *, reject_form=None, status: int = 200):
    if reject_form is None and can_reject_amendment(_account(), amendment, proposal, membership):
        reject_form = RejectAmendmentForm()
    applies = amendment.applies_to(proposal.bodies.get(amendment.language))
    return render_template("proposals/amendment.html", workgroup=workgroup, proposal=proposal, amendment=amendment,
                           membership=membership, reject_form=reject_form, applies=applies), status


def _refused_amendment(exc: DomainError, workgroup, proposal, number: int, membership, reject_form=None):
    """Roll back, flash the refusal and show the amendment again, as it now is."""
    db.session.rollback()
    flash(str(exc), "error")
    amendment = queries.amendment_in(proposal, number)
    if amendment is None:
        abort(404)
    return _render_amendment(workgroup, proposal, amendment, membership, reject_form=reject_form,
                             status=exc.status_code)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/amendments/new", methods=["GET", "POST"])
@login_required
def propose_amendment(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    account = _account()
    if not may_propose_amendments(account, proposal, membership):
        abort(403)
    if not proposal.is_in_discussion:
        abort(409)
    sources = [(code, proposal.bodies[code]) for code in proposal.text_languages if proposal.bodies.get(code)]
    languages = [code for code, _text in sources]
    form = AmendmentForm()
    form.set_languages(languages)
    if request.method == "GET":
        requested = request.args.get("lang")
        form.language.data = (requested if requested in languages
                              else pick_text(proposal.bodies, proposal.original_language).language)

    def render(status: int = 200):
        return render_template("proposals/amendment_form.html", form=form, workgroup=workgroup, proposal=proposal,
                               sources=sources), status

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        amendment = ops.propose_amendment(
            proposal, actor=account, membership=membership, language=form.language.data,
            original_excerpt=form.original_excerpt.data or "", replacement=form.replacement.data or "",
            explanation=form.explanation.data or "")
    except ops.AmendmentInvalid as exc:
        db.session.rollback()
        target = form[exc.field] if exc.field in form else None
        if target is None:
            flash(str(exc), "error")
        else:
            target.errors = [*target.errors, str(exc)]
        return render(exc.status_code)
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    number = amendment.number
    db.session.commit()
    flash(_("Your amendment #%(number)s has been proposed. The authors of the proposal will answer it.",
            number=number), "success")
    return _to_amendment(workgroup, proposal_id, number)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/amendments/<int:number>")
@login_required
def amendment(workgroup_slug: str, proposal_id: int, number: int):
    workgroup, proposal, amendment, membership = _load_amendment(workgroup_slug, proposal_id, number)
    return _render_amendment(workgroup, proposal, amendment, membership)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/amendments/<int:number>/accept", methods=["POST"])
@login_required
def accept_amendment(workgroup_slug: str, proposal_id: int, number: int):
    workgroup, proposal, amendment, membership = _load_amendment(workgroup_slug, proposal_id, number)
    account = _account()
    if not may_answer_amendments(account, proposal, membership):
        abort(403)
    try:
        revision = ops.accept_amendment(amendment, proposal, actor=account, membership=membership)
    except DomainError as exc:
        return _refused_amendment(exc, workgroup, proposal, number, membership)
    revision_number = revision.number
    db.session.commit()
    flash(_("Amendment #%(number)s has been accepted: the text now includes it (revision %(revision)s).",
            number=number, revision=revision_number), "success")
    return _to_amendment(workgroup, proposal_id, number)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/amendments/<int:number>/reject", methods=["POST"])
@login_required
def reject_amendment(workgroup_slug: str, proposal_id: int, number: int):
    workgroup, proposal, amendment, membership = _load_amendment(workgroup_slug, proposal_id, number)
    account = _account()
    if not may_answer_amendments(account, proposal, membership):
        abort(403)
    form = RejectAmendmentForm()
    if not form.validate_on_submit():
        return _render_amendment(workgroup, proposal, amendment, membership, reject_form=form, status=422)
    try:
        ops.reject_amendment(amendment, proposal, form.reason.data, actor=account, membership=membership)
    except DomainError as exc:
        return _refused_amendment(exc, workgroup, proposal, number, membership, reject_form=form)
    db.session.commit()
    flash(_("Amendment #%(number)s has been rejected.", number=number), "success")
    return _to_amendment(workgroup, proposal_id, number)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/amendments/<int:number>/for-vote", methods=["POST"])
@login_required
def amendment_for_vote(workgroup_slug: str, proposal_id: int, number: int):
    workgroup, proposal, amendment, membership = _load_amendment(workgroup_slug, proposal_id, number)
    account = _account()
    if not may_put_amendments_to_vote(account, proposal, membership):
        abort(403)
    try:
        ops.mark_for_vote(amendment, proposal, actor=account, membership=membership)
    except DomainError as exc:
        return _refused_amendment(exc, workgroup, proposal, number, membership)
    db.session.commit()
    flash(_("Amendment #%(number)s will be put to the vote with the proposal.", number=number), "success")
    return _to_amendment(workgroup, proposal_id, number)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/amendments/<int:number>/withdraw", methods=["POST"])
@login_required
def withdraw_amendment(workgroup_slug: str, proposal_id: int, number: int):
    workgroup, proposal, amendment, membership = _load_amendment(workgroup_slug, proposal_id, number)
    account = _account()
    if not may_withdraw_amendment(account, amendment, proposal, membership):
        abort(403)
    try:
        ops.withdraw_amendment(amendment, proposal, actor=account, membership=membership)
    except DomainError as exc:
        return _refused_amendment(exc, workgroup, proposal, number, membership)
    db.session.commit()
    flash(_("Your amendment #%(number)s has been withdrawn.", number=number), "success")
    return _to_amendment(workgroup, proposal_id, number)


# --- following -------------------------------------------------------------------------------------
@bp.app_context_processor
def following_helpers():
    """``follows_proposal(proposal)`` for the proposal page's follow button (one query)."""
    return {"follows_proposal": _follows_proposal}


def _follows_proposal(proposal) -> bool:
    return current_user.is_authenticated and queries.is_following(proposal, current_user.id)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/follow", methods=["POST"])
@login_required
def follow(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    try:
        ops.follow_proposal(proposal, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(_("You follow this proposal: you will be notified of its comments and of its changes of state."),
          "success")
    return _to_proposal(workgroup, proposal)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/unfollow", methods=["POST"])
@login_required
def unfollow(workgroup_slug: str, proposal_id: int):
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    try:
        ops.unfollow_proposal(proposal, actor=_account())
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(_("You no longer follow this proposal."), "success")
    return _to_proposal(workgroup, proposal)


# --- translations by members -----------------------------------------------------------------------
def _translation_context(workgroup, proposal, membership, title, history, comments) -> dict:
    """What the proposal page shows of its languages: the versions (with who translated them; and, for whoever may
    translate, the languages still to translate), the version shown, the reader's language to translate into —
    and, for each comment shown, its translation into the ``?lang=`` asked for (a comment without one shows as
    written), else into the reader's language."""
    languages = translation_languages(workgroup)
    readers = reader_languages()
    may_translate = can_translate(_account(), proposal, membership)
    versions = queries.language_versions(proposal, queries.proposal_translations(proposal), history,
                                         languages if may_translate else ())
    requested = request.args.get("lang")
    queries.add_comment_translations(comments, [requested] if requested in languages else readers)
    return {"language_versions": versions,
            "shown_version": next((v for v in versions if v.language == title.language), None),
            "translate_into": next((code for code in readers if code in languages), None)}


def _to_translation(workgroup, proposal, language: str, comment=None):
    """Back to the proposal (at the comment), showing the translation: ``?lang=`` unless it is the reader's."""
    lang = None if language in reader_languages() else language
    if comment is None:
        return redirect(url_for(".proposal", workgroup_slug=workgroup.slug, proposal_id=proposal.id, lang=lang), 303)
    return redirect(url_for(".proposal", workgroup_slug=workgroup.slug, proposal_id=proposal.id,
                            page=queries.page_of(comment), lang=lang, _anchor=f"comment-{comment.id}"), 303)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/translate/<language>", methods=["GET", "POST"])
@login_required
def translate(workgroup_slug: str, proposal_id: int, language: str):
    """Translate the title and the text into ``language`` (or update the translation), the original beside."""
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    if language == proposal.original_language or language not in translation_languages(workgroup):
        abort(404)
    account = _account()
    if not can_translate_proposal(account, proposal, membership, language):
        abort(403)
    translation = queries.proposal_translations(proposal).get(language)
    if translation is None and proposal.titles.get(language):
        raise ops.AuthorsVersion()
    is_earlier = translation is not None and translation.is_earlier_version(
        last_original_change(queries.revisions(proposal)))
    original = proposal.original_language
    original_title, original_body = proposal.titles.get(original, ""), proposal.bodies.get(original, "")
    form = TranslationForm()
    form.set_language(language)
    if request.method == "GET" and translation is not None:
        form.title.data, form.body.data = proposal.titles.get(language, ""), proposal.bodies.get(language, "")

    def render(status: int = 200):
        return render_template("proposals/translate.html", form=form, workgroup=workgroup, proposal=proposal,
                               language=language, translation=translation, is_earlier=is_earlier,
                               original_title=original_title, original_body=original_body), status

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        saved = ops.translate_proposal(proposal, language, form.title.data, form.body.data, actor=account,
                                       membership=membership)
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("The translation has been saved.") if saved else _("Nothing was changed."),
          "success" if saved else "info")
    return _to_translation(workgroup, proposal, language)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/translations/<language>/<any(review, unreview):action>",
          methods=["POST"])
@login_required
def review_translation(workgroup_slug: str, proposal_id: int, language: str, action: str):
    """A facilitator marks the translation into ``language`` as reviewed, or withdraws the review."""
    workgroup, proposal, membership = _load(workgroup_slug, proposal_id)
    account = _account()
    if not can_review_translations(account, proposal, membership):
        abort(403)
    try:
        ops.review_proposal_translation(proposal, language, actor=account, membership=membership,
                                        reviewed=action == "review")
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(_("The translation is marked as reviewed.") if action == "review"
          else _("The translation is no longer marked as reviewed."), "success")
    return _to_translation(workgroup, proposal, language)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/translate/<language>",
          methods=["GET", "POST"])
@login_required
def translate_comment(workgroup_slug: str, proposal_id: int, comment_id: int, language: str):
    """Translate a comment into ``language`` (or update the translation), the comment beside."""
    workgroup, proposal, comment, membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    if language not in translation_languages(workgroup):
        abort(404)
    account = _account()
    if not can_translate_comment(account, comment, proposal, membership):
        abort(403)
    translation = queries.comment_translation(comment, language)
    form = CommentTranslationForm()
    form.set_languages(language, queries.comment_source_languages(comment, workgroup))
    if request.method == "GET":
        choices = [choice.value for choice in form.source_language.choices]
        said = translation.source_language if translation else queries.comment_source_language(comment)
        form.source_language.data = said if said in choices else choices[0]
        if translation is not None:
            form.body.data = translation.body
    is_stale = translation is not None and translation.is_stale(comment)

    def render(status: int = 200):
        return render_template("proposals/translate_comment.html", form=form, workgroup=workgroup,
                               proposal=proposal, comment=comment, membership=membership, language=language,
                               translation=translation, is_stale=is_stale), status

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        saved = ops.translate_comment(comment, proposal, language, form.body.data, actor=account,
                                      membership=membership, source_language=form.source_language.data)
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("The translation has been saved.") if saved else _("Nothing was changed."),
          "success" if saved else "info")
    return _to_translation(workgroup, proposal, language, comment)


@bp.route("/<workgroup_slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/translations/<language>/"
          "<any(review, unreview):action>", methods=["POST"])
@login_required
def review_comment_translation(workgroup_slug: str, proposal_id: int, comment_id: int, language: str, action: str):
    workgroup, proposal, comment, membership = _load_comment(workgroup_slug, proposal_id, comment_id)
    account = _account()
    if not can_review_translations(account, proposal, membership):
        abort(403)
    try:
        ops.review_comment_translation(comment, proposal, language, actor=account, membership=membership,
                                       reviewed=action == "review")
    except DomainError as exc:
        return _refused(exc, lambda: _render_proposal(workgroup, proposal, membership))
    db.session.commit()
    flash(_("The translation is marked as reviewed.") if action == "review"
          else _("The translation is no longer marked as reviewed."), "success")
    return _to_translation(workgroup, proposal, language, comment)
