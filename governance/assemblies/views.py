"""General assemblies, under /assemblies/: the list, an assembly's page, defining a draft and its agenda,
documents and roles, the convocation (preview and sending, delivery log and resending, letters to print, the
calendar file), the second convocation, and members' petitions.

Each view loads the assembly (404 when it does not exist or the reader may not see it: a member of another
branch learns nothing by changing an id), checks the permission (403), validates (422 with what was typed),
calls one operation, commits once and redirects (303). The session (registration, proxies, check-in, votes,
minutes) has its own views.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from governance.accounts.models import Account
from governance.assemblies import convocation, operations as ops, queries
from governance.assemblies.forms import (
    COOPERATIVE,
    DeliveryFilterForm,
    DocumentForm,
    MoveForm,
    ResendForm,
    RoleForm,
    SecondConvocationForm,
    agenda_item_form,
    assembly_form,
    in_zone,
    petition_form,
)
from governance.assemblies.models import (
    AgendaItem,
    Assembly,
    AssemblyDocument,
    AssemblyDocumentBlob,
    AssemblyRole,
    DeliveryChannel,
    DeliveryStatus,
    Petition,
)
from governance.assemblies.permissions import (
    PREDICATES,
    can_convene,
    can_convene_second,
    can_create_any_assembly,
    can_create_assembly,
    can_delete_assembly,
    can_edit_agenda,
    can_edit_assembly,
    can_manage_assembly,
    can_manage_documents,
    can_manage_assembly_roles,
    can_manage_petition,
    can_open_any_petition,
    can_open_petition,
    can_read_documents,
    can_resend,
    can_view_assembly,
    can_view_deliveries,
    can_view_petition,
    can_close_petition,
    can_sign_petition,
)
from governance.core.errors import DomainError
from governance.core.forms import EmptyForm
from governance.core.i18n import pick_version, reader_languages
from governance.extensions import db
from governance.members.models import Branch, Member
from governance.proposals import queries as proposal_queries
from governance.votes import wording
from governance.workgroups.queries import content_languages

bp = Blueprint("assemblies", __name__, template_folder="templates")


@bp.app_context_processor
def assembly_predicates():
    return dict(PREDICATES)


def _account():
    return current_user._get_current_object()


def _refused(exc: DomainError, render):
    """A domain rule refused the action: nothing is kept; the page again, with the reason and a 4xx."""
    db.session.rollback()
    flash(str(exc), "error")
    return render(), exc.status_code


def load_assembly(assembly_id: int):
    """The assembly and the reader's place in it; 404 for what the reader may not see. (The session's views
    load it the same way.)"""
    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None:
        abort(404)
    context = queries.viewer_context(_account(), assembly)
    if not can_view_assembly(_account(), assembly, on_roll=context.on_roll, holds_role=context.holds_role):
        abort(404)
    return assembly, context


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _to_assembly(assembly, anchor: str | None = None):
    return redirect(url_for(".assembly", assembly_id=assembly.id) + (f"#{anchor}" if anchor else ""), 303)


def _languages() -> list[str]:
    return content_languages(branches=queries.all_branches())


def _reader_language() -> str:
    return str(get_locale() or "en")


# --- the list --------------------------------------------------------------------------------------
@bp.route("/")
@login_required
def assemblies():
    account = _account()
    lists = queries.assembly_lists(account)
    return render_template("assemblies/list.html", lists=lists, may_create=can_create_any_assembly(account),
                           may_petition=can_open_any_petition(account))


# --- creating and editing --------------------------------------------------------------------------
def _scopes(account) -> list[tuple[str, str]]:
    """The convening bodies the account may choose: the cooperative (global staff), then its branches."""
    scopes = []
    if can_create_assembly(account, None):
        scopes.append((COOPERATIVE, _("The whole cooperative")))
    for branch in queries.all_branches():
        if can_create_assembly(account, branch.id):
            scopes.append((str(branch.id), branch.name))
    return scopes


def _render_assembly_form(form, assembly=None, status: int = 200, petition=None):
    return render_template("assemblies/form.html", form=form, assembly=assembly, petition=petition), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    account = _account()
    _require(can_create_any_assembly(account))
    petition = None
    if request.args.get("petition"):
        petition = _load_petition(request.args.get("petition", 0, type=int) or 0)
        _require(can_manage_petition(account, petition))
    scopes = _scopes(account)
    form = assembly_form(_languages(), scopes=scopes)
    if request.method == "GET":
        reader = _reader_language()
        form.original_language.data = reader if reader in form.languages else form.languages[0]
        form.eligible_statuses.data = ["active"]
        form.max_proxies_per_holder.data = 1
        form.vote_cap_numerator.data, form.vote_cap_denominator.data = 1, 10
        first = scopes[0][0] if scopes else COOPERATIVE
        if petition is not None:
            first = COOPERATIVE if petition.branch_id is None else str(petition.branch_id)
            form.fill_texts("title", petition.titles)
            form.original_language.data = petition.original_language
        form.scope.data = first
        branch = db.session.get(Branch, int(first)) if first != COOPERATIVE else None
        form.timezone.data = ops.default_timezone(branch)
        form.notice_days.data = ops.default_notice_days(branch)
    if not form.validate_on_submit():
        return _render_assembly_form(form, petition=petition, status=422 if request.method == "POST" else 200)
    branch = None if form.scope.data == COOPERATIVE else db.session.get(Branch, int(form.scope.data))
    try:
        assembly = ops.create_assembly(actor=account, branch=branch, petition=petition,
                                       **form.fields_for_operation())
    except DomainError as exc:
        return _refused(exc, lambda: _render_assembly_form(form, petition=petition)[0])
    db.session.commit()
    flash(_("The assembly has been created as a draft. Add its agenda, then send the convocation."), "success")
    return _to_assembly(assembly)


@bp.route("/<int:assembly_id>/edit", methods=["GET", "POST"])
@login_required
def edit(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_edit_assembly(account, assembly))
    form = assembly_form(_languages(), scopes=None)
    if request.method == "GET":
        form.fill(assembly)
    if not form.validate_on_submit():
        return _render_assembly_form(form, assembly, status=422 if request.method == "POST" else 200)
    try:
        ops.update_assembly(assembly, actor=account, **form.fields_for_operation())
    except DomainError as exc:
        return _refused(exc, lambda: _render_assembly_form(form, assembly)[0])
    db.session.commit()
    flash(_("The assembly has been saved."), "success")
    return _to_assembly(assembly)


@bp.route("/<int:assembly_id>/delete", methods=["POST"])
@login_required
def delete(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_delete_assembly(account, assembly))
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.delete_assembly(assembly, actor=account)
    db.session.commit()
    flash(_("The draft assembly has been deleted."), "success")
    return redirect(url_for(".assemblies"), 303)


# --- an assembly's page ----------------------------------------------------------------------------
def _statute_diffs(items) -> dict[int, tuple[str, list]]:
    """For statute changes: (language, the lines of the new text compared with the current one), in the
    reader's language when the new text exists in it."""
    diffs = {}
    for item in items:
        if item.is_statute_change:
            new = item.new_text
            diffs[item.id] = (new.language, proposal_queries.diff_lines(item.current_texts.get(new.language, ""),
                                                                        new.text))
    return diffs


def _render_assembly(assembly, context, status: int = 200):
    account = _account()
    version, texts = pick_version(request.args.get("lang"), assembly.original_language, assembly.titles,
                                  assembly.descriptions)
    title, description = texts or (assembly.title, assembly.description)
    items = queries.agenda_items(assembly)
    manager = can_manage_assembly(account, assembly)
    documents = queries.documents_by_item(assembly) if can_read_documents(
        account, assembly, on_roll=context.on_roll, holds_role=context.holds_role) else None
    rules = {item.id: (wording.majority_rule_description(item.majority),
                       _("Second convocation: no quorum applies.") if assembly.quorum_waived
                       and item.quorum not in (None, "none") else wording.quorum_name(item.quorum, at_assembly=True))
             for item in items if item.is_resolution and item.majority}
    return render_template(
        "assemblies/assembly.html", assembly=assembly, context=context, title=title, description=description,
        version=version, items=items, documents=documents, rules=rules, manager=manager,
        diffs=_statute_diffs(items), move_form=MoveForm(formdata=None),
        first=queries.first_assembly(assembly) if assembly.first_assembly_id else None,
        second=queries.second_convocation(assembly) if assembly.is_closed else None,
        roll_size=queries.roll_size(assembly) if manager else None,
    ), status


@bp.route("/<int:assembly_id>")
@login_required
def assembly(assembly_id: int):
    assembly, context = load_assembly(assembly_id)
    return _render_assembly(assembly, context)


@bp.route("/<int:assembly_id>/assembly.ics")
@login_required
def icalendar(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    body = convocation.icalendar(assembly, languages=reader_languages())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="assembly-{assembly.id}.ics"'
    return response


# --- agenda ----------------------------------------------------------------------------------------
def _load_item(assembly, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.assembly_id != assembly.id:
        abort(404)
    return item


def _render_item_form(form, assembly, item=None, status: int = 200):
    return render_template("assemblies/item_form.html", form=form, assembly=assembly, item=item), status


@bp.route("/<int:assembly_id>/agenda/new", methods=["GET", "POST"])
@login_required
def add_item(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_edit_agenda(account, assembly))
    form = agenda_item_form(_languages())
    if request.method == "GET":
        form.original_language.data = assembly.original_language
    if not form.validate_on_submit():
        return _render_item_form(form, assembly, status=422 if request.method == "POST" else 200)
    try:
        ops.add_agenda_item(assembly, actor=account, **form.fields_for_operation())
    except DomainError as exc:
        return _refused(exc, lambda: _render_item_form(form, assembly)[0])
    db.session.commit()
    flash(_("The item has been added to the agenda."), "success")
    return _to_assembly(assembly, "agenda")


@bp.route("/<int:assembly_id>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(assembly_id: int, item_id: int):
    assembly, _context = load_assembly(assembly_id)
    item = _load_item(assembly, item_id)
    account = _account()
    _require(can_edit_agenda(account, assembly))
    form = agenda_item_form(_languages())
    if request.method == "GET":
        form.fill(item)
    if not form.validate_on_submit():
        return _render_item_form(form, assembly, item, status=422 if request.method == "POST" else 200)
    try:
        ops.update_agenda_item(item, actor=account, **form.fields_for_operation())
    except DomainError as exc:
        return _refused(exc, lambda: _render_item_form(form, assembly, item)[0])
    db.session.commit()
    flash(_("The item has been saved."), "success")
    return _to_assembly(assembly, f"item-{item.id}")


@bp.route("/<int:assembly_id>/agenda/<int:item_id>/delete", methods=["POST"])
@login_required
def delete_item(assembly_id: int, item_id: int):
    assembly, context = load_assembly(assembly_id)
    item = _load_item(assembly, item_id)
    account = _account()
    _require(can_edit_agenda(account, assembly))
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.delete_agenda_item(item, actor=account)
    db.session.commit()
    flash(_("The item has been removed from the agenda."), "success")
    return _to_assembly(assembly, "agenda")


@bp.route("/<int:assembly_id>/agenda/<int:item_id>/move", methods=["POST"])
@login_required
def move_item(assembly_id: int, item_id: int):
    assembly, context = load_assembly(assembly_id)
    item = _load_item(assembly, item_id)
    account = _account()
    _require(can_edit_agenda(account, assembly))
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    ops.move_agenda_item(item, form.direction.data, actor=account)
    db.session.commit()
    return _to_assembly(assembly, f"item-{item.id}")


# --- documents -------------------------------------------------------------------------------------
def _render_documents(assembly, form, status: int = 200):
    items = queries.agenda_items(assembly)
    return render_template("assemblies/documents.html", assembly=assembly, form=form, items=items,
                           documents=queries.documents_by_item(assembly),
                           max_mb=ops.document_max_bytes() // (1024 * 1024) or 1,
                           extensions=", ".join(ops.ACCEPTED_EXTENSIONS)), status


def _document_form(assembly) -> DocumentForm:
    form = DocumentForm()
    form.set_choices(queries.agenda_items(assembly), _languages())
    return form


@bp.route("/<int:assembly_id>/documents", methods=["GET", "POST"])
@login_required
def documents(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_manage_documents(account, assembly))
    form = _document_form(assembly)
    if not form.validate_on_submit():
        return _render_documents(assembly, form, status=422 if request.method == "POST" else 200)
    upload = form.file.data
    data = upload.read(ops.document_max_bytes() + 1)
    item = _load_item(assembly, int(form.agenda_item.data)) if form.agenda_item.data else None
    try:
        ops.add_document(assembly, actor=account, filename=upload.filename or "", data=data, agenda_item=item,
                         title=form.title.data, language=form.language.data or None)
    except DomainError as exc:
        db.session.rollback()
        form.file.errors.append(str(exc))
        return _render_documents(assembly, form, status=exc.status_code)
    db.session.commit()
    flash(_("The document has been added."), "success")
    return redirect(url_for(".documents", assembly_id=assembly.id), 303)


def _load_document(assembly, document_id: int) -> AssemblyDocument:
    document = db.session.get(AssemblyDocument, document_id)
    if document is None or document.assembly_id != assembly.id:
        abort(404)
    return document


@bp.route("/<int:assembly_id>/documents/<int:document_id>/delete", methods=["POST"])
@login_required
def delete_document(assembly_id: int, document_id: int):
    assembly, _context = load_assembly(assembly_id)
    document = _load_document(assembly, document_id)
    account = _account()
    _require(can_manage_documents(account, assembly))
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.delete_document(document, actor=account)
    db.session.commit()
    flash(_("The document has been deleted."), "success")
    return redirect(url_for(".documents", assembly_id=assembly.id), 303)


@bp.route("/<int:assembly_id>/documents/<int:document_id>")
@login_required
def document(assembly_id: int, document_id: int):
    """The file, as an attachment only, to the roll's members and the managers."""
    assembly, context = load_assembly(assembly_id)
    document = _load_document(assembly, document_id)
    _require(can_read_documents(_account(), assembly, on_roll=context.on_roll, holds_role=context.holds_role))
    data = db.session.execute(select(AssemblyDocumentBlob.data)
                              .where(AssemblyDocumentBlob.document_id == document.id)).scalar_one()
    response = Response(data, content_type=document.content_type)
    ascii_name = document.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                               f"filename*=UTF-8''{quote(document.filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- roles -----------------------------------------------------------------------------------------
def _render_roles(assembly, form, status: int = 200):
    return render_template("assemblies/roles.html", assembly=assembly, form=form,
                           roles=queries.roles(assembly)), status


@bp.route("/<int:assembly_id>/roles", methods=["GET", "POST"])
@login_required
def roles(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_manage_assembly(account, assembly))
    form = RoleForm()
    if request.method == "GET" or not can_manage_assembly_roles(account, assembly):
        return _render_roles(assembly, form if can_manage_assembly_roles(account, assembly) else None)
    if not form.validate_on_submit():
        return _render_roles(assembly, form, status=422)
    person = form.person.data
    member = db.session.execute(select(Member).where(Member.number == person)).scalar_one_or_none()
    holder = None
    if member is None and "@" in person:
        holder = db.session.execute(select(Account).where(func.lower(Account.email) == person.lower())
                                    ).scalar_one_or_none()
    if member is None and holder is None:
        form.person.errors.append(_("No member has this number and no account has this email address."))
        return _render_roles(assembly, form, status=422)
    try:
        ops.add_role(assembly, actor=account, role=form.role.data, member=member, account=holder)
    except DomainError as exc:
        return _refused(exc, lambda: _render_roles(assembly, form)[0])
    db.session.commit()
    flash(_("The role has been given."), "success")
    return redirect(url_for(".roles", assembly_id=assembly.id), 303)


@bp.route("/<int:assembly_id>/roles/<int:role_id>/delete", methods=["POST"])
@login_required
def remove_role(assembly_id: int, role_id: int):
    assembly, _context = load_assembly(assembly_id)
    row = db.session.get(AssemblyRole, role_id)
    if row is None or row.assembly_id != assembly.id:
        abort(404)
    account = _account()
    _require(can_manage_assembly_roles(account, assembly))
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.remove_role(row, actor=account)
    db.session.commit()
    flash(_("The role has been withdrawn."), "success")
    return redirect(url_for(".roles", assembly_id=assembly.id), 303)


# --- convocation -----------------------------------------------------------------------------------
def _render_convocation(assembly, status: int = 200):
    items = queries.agenda_items(assembly)
    problems = ops.convocation_problems(assembly, items=items) if assembly.is_draft else []
    missing = ops.missing_languages(assembly, items) if assembly.is_draft else []
    emails, letters = queries.channel_counts(assembly) if assembly.is_draft else (0, 0)
    return render_template("assemblies/convocation.html", assembly=assembly, items=items, problems=problems,
                           missing=missing, emails=emails, letters=letters,
                           form=EmptyForm(formdata=None)), status


@bp.route("/<int:assembly_id>/convocation", methods=["GET", "POST"])
@login_required
def convocation_page(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_manage_assembly(account, assembly))
    if request.method == "GET":
        return _render_convocation(assembly)
    _require(can_convene(account, assembly))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        counts = ops.send_convocation(assembly, actor=account)
    except DomainError as exc:
        return _refused(exc, lambda: _render_convocation(assembly)[0])
    db.session.commit()
    flash(_("The convocation has been sent: %(emails)s by email, %(letters)s letters to print.",
            emails=counts.emails, letters=counts.letters), "success")
    return redirect(url_for(".deliveries", assembly_id=assembly.id), 303)


def _delivery_labels() -> dict:
    return {"status_labels": {s.value: s.label for s in DeliveryStatus},
            "channel_labels": {c.value: c.label for c in DeliveryChannel}}


@bp.route("/<int:assembly_id>/deliveries")
@login_required
def deliveries(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_view_deliveries(account, assembly))
    form = DeliveryFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("assemblies/deliveries.html", assembly=assembly, form=form, page=None, counts={},
                               filters={}, resend_form=None, **_delivery_labels()), 400
    page = queries.delivery_page(assembly, status=form.status.data or "", channel=form.channel.data or "",
                                 search=form.q.data or "", page=request.args.get("page", 1, type=int) or 1)
    filters = {key: value for key, value in (("status", form.status.data), ("channel", form.channel.data),
                                             ("q", form.q.data)) if value}
    return render_template("assemblies/deliveries.html", assembly=assembly, form=form, page=page,
                           counts=queries.delivery_counts(assembly), filters=filters,
                           resend_form=ResendForm(formdata=None) if can_resend(account, assembly) else None,
                           **_delivery_labels())


@bp.route("/<int:assembly_id>/deliveries/<int:member_id>/resend", methods=["POST"])
@login_required
def resend(assembly_id: int, member_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_resend(account, assembly))
    member = db.session.get(Member, member_id)
    if member is None or queries.delivery_of(assembly, member_id) is None:
        abort(404)
    form = ResendForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        delivery = ops.resend_convocation(assembly, member, actor=account, as_letter=form.as_letter.data)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".deliveries", assembly_id=assembly.id), 303)
    db.session.commit()
    if delivery.channel == "email":
        flash(_("The convocation will be emailed again to %(name)s.", name=member.full_name), "success")
    else:
        flash(_("A letter to %(name)s is waiting to be printed.", name=member.full_name), "success")
    return redirect(url_for(".deliveries", assembly_id=assembly.id), 303)


@bp.route("/<int:assembly_id>/letters", methods=["GET", "POST"])
@login_required
def letters(assembly_id: int):
    """GET: how many letters wait; POST: the PDF of those letters, which are then marked printed."""
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_view_deliveries(account, assembly))
    to_print, printed = queries.letter_counts(assembly)
    if request.method == "GET":
        per_pdf = ops.letters_per_pdf()
        return render_template("assemblies/letters.html", assembly=assembly, to_print=to_print, printed=printed,
                               per_pdf=per_pdf, parts=-(-(to_print + printed) // per_pdf),
                               form=EmptyForm(formdata=None))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        pdf, count = ops.print_letters(assembly, actor=account)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".letters", assembly_id=assembly.id), 303)
    db.session.commit()
    response = Response(pdf, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="convocation-letters-{assembly.id}.pdf"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:assembly_id>/letters.pdf")
@login_required
def letters_pdf(assembly_id: int):
    """The letters again (printed or not, ``?part=`` n of the batches), changing nothing: to reprint a lost
    batch."""
    assembly, _context = load_assembly(assembly_id)
    _require(can_view_deliveries(_account(), assembly))
    part = request.args.get("part", 1, type=int) or 1
    per_pdf = ops.letters_per_pdf()
    every = queries.letters(assembly, pending_only=False, limit=per_pdf, offset=(max(part, 1) - 1) * per_pdf)
    if not every:
        abort(404)
    pdf = convocation.letters_pdf(assembly, every)
    response = Response(pdf, content_type="application/pdf")
    response.headers["Content-Disposition"] = (f'attachment; filename="convocation-letters-{assembly.id}'
                                               f'-part-{part}.pdf"')
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- second convocation ----------------------------------------------------------------------------
@bp.route("/<int:assembly_id>/second-convocation", methods=["GET", "POST"])
@login_required
def second_convocation(assembly_id: int):
    assembly, _context = load_assembly(assembly_id)
    account = _account()
    _require(can_convene_second(account, assembly))
    form = SecondConvocationForm()
    if request.method == "GET":
        form.place.data = assembly.place or ""
        form.online_url.data = assembly.online_url or ""

    def render(status: int = 200):
        return render_template("assemblies/second_convocation.html", assembly=assembly, form=form), status

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        second = ops.convene_second_assembly(assembly, actor=account,
                                             starts_at=in_zone(form.starts_at.data, assembly.timezone),
                                             place=form.place.data or "", online_url=form.online_url.data or "")
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("The second assembly has been created as a draft; check it, then send its convocation."), "success")
    return _to_assembly(second)


# --- petitions -------------------------------------------------------------------------------------
def _load_petition(petition_id: int) -> Petition:
    petition = db.session.get(Petition, petition_id)
    if petition is None or not can_view_petition(_account(), petition):
        abort(404)
    return petition


@bp.route("/petitions")
@login_required
def petitions():
    account = _account()
    rows = queries.petition_rows(account, include_closed=request.args.get("closed") == "y")
    return render_template("assemblies/petitions.html", rows=rows, may_open=can_open_any_petition(account),
                           include_closed=request.args.get("closed") == "y")


def _petition_scopes(account) -> list[tuple[str, str]]:
    member = account.member
    return [(str(member.branch_id), member.branch.name), (COOPERATIVE, _("The whole cooperative"))]


@bp.route("/petitions/new", methods=["GET", "POST"])
@login_required
def open_petition():
    account = _account()
    _require(can_open_any_petition(account))
    form = petition_form(_languages(), scopes=_petition_scopes(account))
    if request.method == "GET":
        reader = _reader_language()
        form.original_language.data = reader if reader in form.languages else form.languages[0]
        form.scope.data = str(account.member.branch_id)

    def render(status: int = 200):
        return render_template("assemblies/petition_form.html", form=form), status

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    branch = None if form.scope.data == COOPERATIVE else account.member.branch
    _require(can_open_petition(account, None if branch is None else branch.id))
    try:
        petition = ops.open_petition(actor=account, member=account.member, branch=branch,
                                     titles=form.texts("title"), texts=form.texts("text"),
                                     original_language=form.original_language.data)
    except DomainError as exc:
        return _refused(exc, lambda: render()[0])
    db.session.commit()
    flash(_("Your petition is open, with your signature. Ask other members to sign it."), "success")
    return redirect(url_for(".petition", petition_id=petition.id), 303)


def _render_petition(petition, status: int = 200):
    account = _account()
    member = account.member
    row = queries.petition_row(petition, member.id if member is not None else None)
    version, texts = pick_version(request.args.get("lang"), petition.original_language, petition.titles,
                                  petition.texts)
    title, text = texts or (petition.title, petition.text)
    return render_template("assemblies/petition.html", petition=petition, row=row, title=title, text=text,
                           version=version, form=EmptyForm(formdata=None),
                           assemblies=queries.petition_assemblies(petition)), status


@bp.route("/petitions/<int:petition_id>")
@login_required
def petition(petition_id: int):
    return _render_petition(_load_petition(petition_id))


@bp.route("/petitions/<int:petition_id>/sign", methods=["POST"])
@login_required
def sign_petition(petition_id: int):
    petition = _load_petition(petition_id)
    account = _account()
    _require(can_sign_petition(account, petition))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        reached = ops.sign_petition(petition, account.member, actor=account)
    except DomainError as exc:
        return _refused(exc, lambda: _render_petition(petition)[0])
    db.session.commit()
    flash(_("You have signed the petition."), "success")
    if reached:
        flash(_("The petition has reached its threshold: the board has been told."), "success")
    return redirect(url_for(".petition", petition_id=petition.id), 303)


@bp.route("/petitions/<int:petition_id>/withdraw", methods=["POST"])
@login_required
def withdraw_signature(petition_id: int):
    petition = _load_petition(petition_id)
    account = _account()
    if account.member is None:
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.withdraw_signature(petition, account.member, actor=account)
    except DomainError as exc:
        return _refused(exc, lambda: _render_petition(petition)[0])
    db.session.commit()
    flash(_("Your signature has been withdrawn."), "success")
    return redirect(url_for(".petition", petition_id=petition.id), 303)


@bp.route("/petitions/<int:petition_id>/close", methods=["POST"])
@login_required
def close_petition(petition_id: int):
    petition = _load_petition(petition_id)
    account = _account()
    _require(can_close_petition(account, petition))
    if not EmptyForm().validate_on_submit():
        abort(400)
    ops.close_petition(petition, actor=account)
    db.session.commit()
    flash(_("The petition has been closed."), "success")
    return redirect(url_for(".petition", petition_id=petition.id), 303)
