"""Ballots, under /ballots/: the list, a ballot's page, defining and editing a draft, putting a proposal to a
vote, the managers' actions (open, close, extend, annul, delete), casting a vote (with a confirmation step and,
for a secret ballot, a receipt shown once), the result page with its downloads and the receipt check.

Each view loads the ballot (404 when it does not exist or the reader may not see it: a member of another branch
learns nothing by changing an id), checks the permission (403), validates, calls one operation, commits once and
redirects (303) — except the receipt of a secret vote, rendered straight from the POST that cast it, so it never
appears in a URL, a log line or a page that can be loaded again.
"""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from governance.core.db_types import utcnow
from governance.core.errors import DomainError
from governance.core.forms import EmptyForm
from governance.core.i18n import pick_text, pick_version
from governance.extensions import db, limiter
from governance.proposals.models import Proposal
from governance.proposals.permissions import can_view_proposal
from governance.votes import exports, queries, roll, web, wording
from governance.votes import operations as ops
from governance.votes.forms import (
    ExtendForm,
    ReasonForm,
    ReceiptLookupForm,
    ballot_form,
    put_to_vote_form,
    vote_form,
)
from governance.votes.models import Ballot, ElectorateKind
from governance.votes.permissions import (
    can_annul_ballot,
    can_cast_vote,
    can_close_ballot,
    can_create_any_ballot,
    can_create_ballot_from_proposal,
    can_delete_ballot,
    can_download_lists,
    can_edit_ballot,
    can_extend_ballot,
    can_manage_ballot,
    can_open_ballot,
    can_see_results,
    can_see_turnout,
    can_view_ballot,
)
from governance.workgroups.queries import all_branches, content_languages

bp = Blueprint("votes", __name__, template_folder="templates")

#: ballots per page of the list's "all ballots" part
PAGE_SIZE = 20


def vote_rate_limit() -> str:
    """Casting (each step) per account: ``BALLOT_VOTE_RATE_LIMIT``."""
    return current_app.config.get("BALLOT_VOTE_RATE_LIMIT", "20 per minute")


def export_rate_limit() -> str:
    """Downloads and receipt checks per account: ``BALLOT_EXPORT_RATE_LIMIT``."""
    return current_app.config.get("BALLOT_EXPORT_RATE_LIMIT", "120 per hour")


@bp.app_context_processor
def ballot_predicates():
    return {"can_put_to_vote": can_create_ballot_from_proposal}


def _account():
    return current_user._get_current_object()


def _member():
    return _account().member


def _load(ballot_id: int):
    """The ballot and what the predicates need about the reader; 404 for what the reader may not see."""
    ballot = db.session.get(Ballot, ballot_id)
    if ballot is None:
        abort(404)
    context = queries.viewer_context(_account(), ballot)
    if not can_view_ballot(_account(), ballot, context.membership, on_roll=context.on_roll):
        abort(404)
    return ballot, context


def _to_ballot(ballot):
    return redirect(url_for(".ballot", ballot_id=ballot.id), 303)


def _refused(exc: DomainError, render):
    """A domain rule refused the action: nothing is kept; the page again, with the reason and a 4xx."""
    db.session.rollback()
    flash(str(exc), "error")
    return render(), exc.status_code


# --- the list --------------------------------------------------------------------------------------
class _Page:
    """A page of a list already in memory (for the pager macro)."""

    def __init__(self, items: list, page: int, per_page: int):
        self.total = len(items)
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        start = (self.page - 1) * per_page
        self.items = items[start:start + per_page]
        self.has_prev = self.page > 1
        self.has_next = self.page < self.pages


@bp.route("/")
@login_required
def ballots():
    account = _account()
    member = account.member
    mine = queries.member_ballots(member) if member is not None else None
    drafts = queries.managed_ballots(account, state="draft")
    shown = {ballot.id for ballot, _voted in mine.open} if mine else set()
    others = [b for b in queries.visible_ballots(account) if not b.is_draft and b.id not in shown]
    page = _Page(others, request.args.get("page", 1, type=int) or 1, PAGE_SIZE)
    may_create = can_create_any_ballot(account) or bool(web.creatable_workgroups(account))
    return render_template("votes/list.html", mine=mine, drafts=drafts, page=page, may_create=may_create)


# --- a ballot's page -------------------------------------------------------------------------------
def _texts(ballot):
    """The question and explanation in the version the reader asked for (``?lang=``), else their language."""
    version, texts = pick_version(request.args.get("lang"), ballot.original_language, ballot.questions,
                                  ballot.descriptions)
    question, description = texts or (ballot.question, ballot.description)
    return version, question, description


def _option_labels(ballot, version: str, member_id: int | None = None):
    return [(option, pick_text(option.labels, ballot.original_language, [version]) if version else option.label)
            for option in ballot.options_for(member_id)]


def _render_ballot(ballot, context, *, form=None, status: int = 200):
    account = _account()
    member = account.member
    now = utcnow()
    version, question, description = _texts(ballot)
    participation = queries.participation_of(ballot, context.member_id)
    may_vote = can_cast_vote(account, ballot, on_roll=context.on_roll, now=now)
    can_change = may_vote and not ballot.is_secret
    if form is None and may_vote and (participation is None or can_change):
        form = vote_form(ballot, context.member_id)
        if participation is not None:
            vote = queries.my_open_vote(ballot, context.member_id)
            if vote is not None:
                form.fill(vote.choice)
    manager = can_manage_ballot(account, ballot, context.membership)
    proposal = _linked_proposal(ballot)
    response = render_template(
        "votes/ballot.html", ballot=ballot, context=context, version=version, question=question,
        description=description, options=_option_labels(ballot, version, context.member_id),
        form=form if may_vote else None,
        form_labels={option.id: label for option, label in _option_labels(ballot, version)},
        participation=participation, may_vote=may_vote, roll_status=roll.roll_status(ballot, member),
        turnout=queries.turnout(ballot) if can_see_turnout(account, ballot, context.membership,
                                                            on_roll=context.on_roll) else None,
        manager=manager, missing=ops.missing_languages(ballot) if manager and ballot.is_draft else [],
        required=roll.required_languages(ballot) if manager and ballot.is_draft else {},
        electorate_size=roll.electorate_size(ballot) if manager and ballot.is_draft else None,
        extensions=queries.extensions(ballot) if not ballot.is_draft else [],
        results_visible=can_see_results(account, ballot, context.membership, on_roll=context.on_roll),
        proposal=proposal, method_sentence=web.method_sentence(ballot), now=now, zone=web.zone_name(),
        rule_description=wording.majority_rule_description(ballot.majority) if ballot.is_yna else "",
        quorum_name=wording.quorum_name(ballot.quorum),
        actions=_actions(account, ballot, context))
    return response, status


def _get_proposal(proposal_id: int):
    return db.session.get(Proposal, proposal_id, options=[joinedload(Proposal.workgroup)])


def _linked_proposal(ballot):
    if ballot.proposal_id is None:
        return None
    proposal = _get_proposal(ballot.proposal_id)
    if proposal is None or not can_view_proposal(_account(), proposal):
        return None
    return proposal


def _actions(account, ballot, context) -> list[tuple[str, str]]:
    """The managers' actions the account may take now: (endpoint, label)."""
    m = context.membership
    return [(endpoint, label) for endpoint, label, allowed in (
        (".edit", _("Edit the draft"), can_edit_ballot(account, ballot, m)),
        (".open_ballot", _("Open the ballot now"), can_open_ballot(account, ballot, m)),
        (".delete", _("Delete the draft"), can_delete_ballot(account, ballot, m)),
        (".extend", _("Extend the voting time"), can_extend_ballot(account, ballot, m)),
        (".close", _("Close the ballot now"), can_close_ballot(account, ballot, m)),
        (".annul", _("Annul the ballot"), can_annul_ballot(account, ballot, m)),
    ) if allowed]


@bp.route("/<int:ballot_id>")
@login_required
def ballot(ballot_id: int):
    ballot, context = _load(ballot_id)
    return _render_ballot(ballot, context)


# --- defining and editing --------------------------------------------------------------------------
def _languages(ballot=None) -> list[str]:
    languages = content_languages(branches=all_branches())
    for code in (ballot.questions if ballot is not None else ()):
        if code not in languages:
            languages.append(code)
    return languages


def _render_form(form, ballot=None, status: int = 200):
    return render_template("votes/form.html", form=form, ballot=ballot, zone=web.zone_name()), status


def _chosen_workgroup(form, workgroups):
    if form.electorate_kind.data != ElectorateKind.workgroup.value or not form.offers_workgroup:
        return None
    return next((w for w in workgroups if w.id == form.workgroup.data), None)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    account = _account()
    branches = web.creatable_branches(account)
    workgroups = web.creatable_workgroups(account)
    if not branches and not workgroups:
        abort(403)
    languages = _languages()
    form = ballot_form(languages, branches=branches, workgroups=workgroups)
    if request.method == "GET":
        reader = str(get_locale() or "en")
        form.original_language.data = reader if reader in languages else languages[0]
        if len(branches) == 1:
            form.branches.data = [branches[0].id]
        wanted = request.args.get("workgroup", type=int)
        if wanted and any(w.id == wanted for w in workgroups):
            form.electorate_kind.data = ElectorateKind.workgroup.value
            form.workgroup.data = wanted
    if not form.validate_on_submit():
        return _render_form(form, status=422 if request.method == "POST" else 200)
    workgroup = _chosen_workgroup(form, workgroups)
    try:
        ballot = ops.create_ballot(actor=account, workgroup=workgroup,
                                   membership=web.membership_of(account, workgroup.id if workgroup else None),
                                   **form.definition())
    except DomainError as exc:
        return _refused(exc, lambda: _render_form(form)[0])
    db.session.commit()
    flash(_("The ballot has been saved as a draft. Check it, then open it or let it open at its scheduled time."),
          "success")
    return _to_ballot(ballot)


@bp.route("/<int:ballot_id>/edit", methods=["GET", "POST"])
@login_required
def edit(ballot_id: int):
    ballot, context = _load(ballot_id)
    account = _account()
    if not can_manage_ballot(account, ballot, context.membership):
        abort(403)
    if not can_edit_ballot(account, ballot, context.membership):
        raise ops.BallotFrozen()
    branches = web.creatable_branches(account)
    workgroups = web.creatable_workgroups(account)
    if ballot.workgroup is not None and all(w.id != ballot.workgroup_id for w in workgroups):
        workgroups.append(ballot.workgroup)
    form = ballot_form(_languages(ballot), branches=branches, workgroups=workgroups)
    if request.method == "GET":
        form.fill(ballot)
    if not form.validate_on_submit():
        return _render_form(form, ballot, status=422 if request.method == "POST" else 200)
    workgroup = _chosen_workgroup(form, workgroups)
    try:
        ops.update_ballot(ballot, actor=account, membership=context.membership, workgroup=workgroup,
                          **form.definition())
    except DomainError as exc:
        return _refused(exc, lambda: _render_form(form, ballot)[0])
    db.session.commit()
    flash(_("The draft has been saved."), "success")
    return _to_ballot(ballot)


@bp.route("/proposal/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def put_to_vote(proposal_id: int):
    """Put a proposal that is ready for a vote to a yes/no/abstain ballot of its workgroup's members."""
    account = _account()
    proposal = _get_proposal(proposal_id)
    if proposal is None or not can_view_proposal(account, proposal):
        abort(404)
    membership = web.membership_of(account, proposal.workgroup_id)
    if not can_create_ballot_from_proposal(account, proposal, membership):
        abort(403)
    form = put_to_vote_form()

    def render():
        return render_template("votes/put_to_vote.html", form=form, proposal=proposal)

    if not form.validate_on_submit():
        return render(), 422 if request.method == "POST" else 200
    try:
        ballot = ops.ballot_from_proposal(proposal, actor=account, membership=membership,
                                          is_secret=form.secrecy.data == "secret", quorum=form.quorum_code(),
                                          majority=form.majority.data,
                                          result_visibility=form.result_visibility.data)
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(_("A draft ballot on the proposal has been created. Set its voting time, then open it."), "success")
    return redirect(url_for(".edit", ballot_id=ballot.id), 303)


# --- the managers' actions -------------------------------------------------------------------------
def _manager_action(ballot_id: int, allowed, *, template_kind: str, form_class=EmptyForm, act, done: str,
                    target=None):
    """A confirmation page (GET) and the action (POST): open, close, delete, extend, annul."""
    ballot, context = _load(ballot_id)
    account = _account()
    if not can_manage_ballot(account, ballot, context.membership):
        abort(403)
    if not allowed(account, ballot, context.membership):
        abort(409)
    form = form_class()
    if request.method == "GET" and isinstance(form, ExtendForm):
        form.closes_at.data = ballot.closes_at  # shown in the reader's time zone

    def render(missing=None):
        version, question, _description = _texts(ballot)
        return render_template("votes/action.html", ballot=ballot, question=question, kind=template_kind,
                               form=form, missing=missing or [], zone=web.zone_name(),
                               turnout=queries.turnout(ballot) if not ballot.is_draft else None,
                               electorate_size=roll.electorate_size(ballot) if ballot.is_draft else None)

    if not form.validate_on_submit():
        return render(), 422 if request.method == "POST" else 200
    try:
        act(ballot, form, account, context)
    except ops.LanguagesMissing as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render(missing=exc.missing), exc.status_code
    except DomainError as exc:
        return _refused(exc, render)
    db.session.commit()
    flash(done, "success")
    return redirect(target or url_for(".ballot", ballot_id=ballot_id), 303)


@bp.route("/<int:ballot_id>/open", methods=["GET", "POST"])
@login_required
def open_ballot(ballot_id: int):
    return _manager_action(
        ballot_id, can_open_ballot, template_kind="open",
        act=lambda ballot, form, account, ctx: ops.open_ballot(ballot, actor=account, membership=ctx.membership),
        done=_("The ballot is open: its electoral roll is fixed and the members on it have been told."))


@bp.route("/<int:ballot_id>/close", methods=["GET", "POST"])
@login_required
def close(ballot_id: int):
    return _manager_action(
        ballot_id, can_close_ballot, template_kind="close",
        act=lambda ballot, form, account, ctx: ops.close_ballot(ballot, actor=account, membership=ctx.membership),
        done=_("The ballot is closed and counted."))


@bp.route("/<int:ballot_id>/delete", methods=["GET", "POST"])
@login_required
def delete(ballot_id: int):
    return _manager_action(
        ballot_id, can_delete_ballot, template_kind="delete",
        act=lambda ballot, form, account, ctx: ops.delete_ballot(ballot, actor=account, membership=ctx.membership),
        done=_("The draft has been deleted."), target=url_for(".ballots"))


@bp.route("/<int:ballot_id>/extend", methods=["GET", "POST"])
@login_required
def extend(ballot_id: int):
    return _manager_action(
        ballot_id, can_extend_ballot, template_kind="extend", form_class=ExtendForm,
        act=lambda ballot, form, account, ctx: ops.extend_ballot(ballot, form.closes_at.data, form.reason.data,
                                                                 actor=account, membership=ctx.membership),
        done=_("The voting time has been extended."))


@bp.route("/<int:ballot_id>/annul", methods=["GET", "POST"])
@login_required
def annul(ballot_id: int):
    return _manager_action(
        ballot_id, can_annul_ballot, template_kind="annul", form_class=ReasonForm,
        act=lambda ballot, form, account, ctx: ops.annul_ballot(ballot, form.reason.data, actor=account,
                                                                membership=ctx.membership),
        done=_("The ballot has been annulled. Its result will never be published."))


# --- casting ---------------------------------------------------------------------------------------
def _already_voted(ballot, participation, context):
    """409: the member has voted in this secret ballot already (the page says when)."""
    when = format_datetime(participation.cast_dt, "medium") if participation is not None else ""
    message = (_("You have already voted in this ballot on %(date)s. A secret vote cannot be changed.", date=when)
               if when else _("You have already voted in this ballot."))
    flash(message, "error")
    return _render_ballot(ballot, context, status=409)


def _check_may_vote(ballot, context):
    """None when the reader may cast a vote now, else the response that says why not."""
    account = _account()
    if account.member is None or not context.on_roll:
        abort(403)
    if not can_cast_vote(account, ballot, on_roll=context.on_roll, now=utcnow()):
        flash(_("This ballot does not accept votes now."), "error")
        return _render_ballot(ballot, context, status=409)
    if ballot.is_secret:
        participation = queries.participation_of(ballot, context.member_id)
        if participation is not None:
            return _already_voted(ballot, participation, context)
    return None


@bp.route("/<int:ballot_id>/vote", methods=["POST"])
@login_required
@limiter.limit(vote_rate_limit, methods=["POST"])
def vote(ballot_id: int):
    """The ballot paper was filled in: show the choice in words before anything is stored."""
    ballot, context = _load(ballot_id)
    refused = _check_may_vote(ballot, context)
    if refused is not None:
        return refused
    form = vote_form(ballot, context.member_id)
    if not form.validate_on_submit():
        return _render_ballot(ballot, context, form=form, status=422)
    version, question, _description = _texts(ballot)
    return render_template("votes/confirm_vote.html", ballot=ballot, question=question, form=form,
                           words=web.choice_in_words(ballot, form.choice()),
                           replacing=not ballot.is_secret and queries.has_voted(ballot, context.member_id))


@bp.route("/<int:ballot_id>/vote/confirm", methods=["POST"])
@login_required
@limiter.limit(vote_rate_limit, methods=["POST"])
def confirm_vote(ballot_id: int):
    """Confirm (cast, and for a secret ballot show the receipt once) or change (the paper again, filled in)."""
    ballot, context = _load(ballot_id)
    refused = _check_may_vote(ballot, context)
    if refused is not None:
        return refused
    form = vote_form(ballot, context.member_id)
    if "change" in request.form:  # the paper again, filled in with the choice carried in hidden fields
        return _render_ballot(ballot, context, form=form)
    if not form.validate_on_submit():
        return _render_ballot(ballot, context, form=form, status=422)
    account = _account()
    try:
        cast = ops.cast_vote(ballot, account.member, form.choice(), actor=account)
    except ops.AlreadyVoted:
        db.session.rollback()
        return _already_voted(ballot, queries.participation_of(ballot, context.member_id), context)
    except DomainError as exc:
        return _refused(exc, lambda: _render_ballot(ballot, context, form=form)[0])
    db.session.commit()
    if cast.receipt is None:
        flash(_("Your vote has been changed. You can change it again until the ballot closes.") if cast.replaced
              else _("Your vote has been recorded. You can change it until the ballot closes."), "success")
        return _to_ballot(ballot)
    version, question, _description = _texts(ballot)
    response = make_response(render_template("votes/receipt.html", ballot=ballot, question=question,
                                             receipt=cast.receipt))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


# --- the result ------------------------------------------------------------------------------------
def _render_results(ballot, context, *, lookup_form=None, lookup=None, status: int = 200):
    account = _account()
    version, question, _description = _texts(ballot)
    downloads = can_download_lists(account, ballot, context.membership, on_roll=context.on_roll)
    if lookup_form is None and downloads and ballot.is_secret:
        lookup_form = ReceiptLookupForm()
    return render_template(
        "votes/results.html", ballot=ballot, question=question, view=web.result_view(ballot),
        downloads=_downloads(ballot) if downloads else [], lookup_form=lookup_form, lookup=lookup,
        audit_hash=_latest_audit_hash(), proposal=_linked_proposal(ballot)), status


def _latest_audit_hash() -> str:
    from governance.core.audit import latest_hash

    return latest_hash()


def _load_results(ballot_id: int):
    ballot, context = _load(ballot_id)
    if ballot.is_annulled:
        return ballot, context
    if not ballot.is_closed:
        abort(404)
    if not can_see_results(_account(), ballot, context.membership, on_roll=context.on_roll):
        abort(403)
    return ballot, context


@bp.route("/<int:ballot_id>/results")
@login_required
def results(ballot_id: int):
    ballot, context = _load_results(ballot_id)
    if ballot.is_annulled:
        version, question, _description = _texts(ballot)
        return render_template("votes/annulled.html", ballot=ballot, question=question)
    return _render_results(ballot, context)


@bp.route("/<int:ballot_id>/results/receipt", methods=["POST"])
@login_required
@limiter.limit(export_rate_limit, methods=["POST"])
def check_receipt(ballot_id: int):
    """Check that a receipt code is in the published list: found or not found (nothing else is said)."""
    ballot, context = _load_results(ballot_id)
    if ballot.is_annulled or not ballot.is_secret:
        abort(404)
    if not can_download_lists(_account(), ballot, context.membership, on_roll=context.on_roll):
        abort(403)
    form = ReceiptLookupForm()
    if not form.validate_on_submit():
        return _render_results(ballot, context, lookup_form=form, status=422)
    found = web.receipt_published(ballot, form.normalised_code())
    return _render_results(ballot, context, lookup_form=form, lookup="found" if found else "not_found")


#: download name → (the export function, the media type); which are offered depends on the ballot
DOWNLOADS = {
    "results.csv": (exports.results_csv, "text/csv"),
    "results.json": (exports.results_json, "application/json"),
    "ballots.csv": (exports.choices_csv, "text/csv"),
    "ballots.blt": (exports.ballots_blt, "text/plain"),
    "receipts.txt": (exports.receipts_text, "text/plain"),
    "roll-call.csv": (exports.roll_call_csv, "text/csv"),
}


def _download_kinds(ballot) -> list[str]:
    kinds = ["results.csv", "results.json", "ballots.blt" if ballot.is_ranked else "ballots.csv"]
    kinds.append("receipts.txt" if ballot.is_secret else "roll-call.csv")
    return kinds


def _downloads(ballot) -> list[tuple[str, str]]:
    labels = {
        "results.csv": _("Results (CSV)"),
        "results.json": _("Results (JSON)"),
        "ballots.csv": _("Every ballot paper, shuffled, without receipts (CSV)"),
        "ballots.blt": _("Every ballot paper, without receipts (BLT, for independent counting tools)"),
        "receipts.txt": _("The receipt codes, sorted, without choices (text)"),
        "roll-call.csv": _("Who voted what (CSV)"),
    }
    return [(url_for(".download", ballot_id=ballot.id, kind=kind), labels[kind]) for kind in _download_kinds(ballot)]


@bp.route("/<int:ballot_id>/download/<any('results.csv', 'results.json', 'ballots.csv', 'ballots.blt', "
          "'receipts.txt', 'roll-call.csv'):kind>")
@login_required
@limiter.limit(export_rate_limit)
def download(ballot_id: int, kind: str):
    """The published lists and results of a closed ballot: for the members on its roll and its managers."""
    ballot, context = _load(ballot_id)
    if not ballot.is_closed:
        abort(404)
    if not can_download_lists(_account(), ballot, context.membership, on_roll=context.on_roll):
        abort(403)
    if kind not in _download_kinds(ballot):
        abort(404)
    export, media_type = DOWNLOADS[kind]
    body = export(ballot)
    response = Response(body, mimetype=media_type)
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="ballot-{ballot.id}-{kind}"'
    return response


@bp.app_template_filter("member_status_label")
def member_status_label(code: str) -> str:
    from governance.members.models import MemberStatus

    try:
        return MemberStatus(code).label
    except ValueError:
        return code


@bp.app_template_filter("share_of")
def share_of(part, whole) -> str:
    """``{{ 12|share_of(40) }}`` → "30.0 %" (for display only)."""
    return web.percent(part or 0, whole or 0)


@bp.app_template_filter("ballot_visibility_label")
def ballot_visibility_label(code: str) -> str:
    from governance.votes.models import ResultVisibility

    try:
        return ResultVisibility(code).label
    except ValueError:
        return code
