"""The minutes of an assembly: a Markdown draft generated from the agenda, the attendance and the results, edited
by the secretary, approved, published to the roll, and exported as HTML and PDF.

One :class:`~governance.assemblies.models.Minutes` per assembly holds one text per language: the convening branch's
required languages (for an assembly of the whole cooperative, those of every branch addressed). Each draft is
written in its language — headings, figures and the decision sentences of :mod:`governance.votes.wording` under
``flask_babel.force_locale`` — with the agenda's texts in that language when they exist.

The audit chain's latest hash appears twice: in the draft (as generated after the session closed, so it covers
the votes' closing entries) and, stored on the minutes at approval, under the approved text on every page and
export; the approval's audit entry holds the SHA-256 of each language's text, so the approved minutes cannot be
changed unnoticed.

States: draft → approved (the assembly becomes "minutes approved") → published (the roll's members read them).
Only a draft is edited or generated again. Operations take the actor explicitly, audit, and never commit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping

import nh3
from babel.dates import format_date as babel_format_date, format_time as babel_format_time
from flask import render_template
from flask_babel import force_locale, gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import select

from governance.assemblies import queries, session_permissions as perms
from governance.assemblies.models import (
    AgendaItem,
    Assembly,
    AssemblyRoleKind,
    Minutes,
    MinutesState,
)
from governance.core import audit
from governance.core.db_types import utcnow
from governance.core.errors import Conflict, InvalidInput, NotAllowed
from governance.core.i18n import language_in_text, pick_text
from governance.core.markdown import render_markdown
from governance.extensions import db
from governance.votes import wording

#: the longest text of one language's minutes
MINUTES_MAX = 200_000


class MinutesFrozen(Conflict):
    default_message = _l("These minutes have been approved: they can no longer be changed.")


# --- helpers ---------------------------------------------------------------------------------------
def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else utcnow()


def _roles(actor, assembly: Assembly) -> list[str]:
    return queries.viewer_context(actor, assembly).roles


def minutes_of(assembly: Assembly) -> Minutes | None:
    return db.session.execute(select(Minutes).where(Minutes.assembly_id == assembly.id)).scalar_one_or_none()


def minutes_languages(assembly: Assembly) -> list[str]:
    """The convening branch's required languages (every addressed branch's for the cooperative), original first."""
    if assembly.branch is not None:
        languages = list(assembly.branch.required_languages or [])
    else:
        languages = list(assembly.required_languages)
    if not languages:
        languages = [assembly.original_language]
    if assembly.original_language in languages:
        languages.remove(assembly.original_language)
        languages.insert(0, assembly.original_language)
    return languages


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the draft -------------------------------------------------------------------------------------
def _when(value: dt.datetime | None, assembly: Assembly, language: str) -> str:
    """"17 December 2026 at 10:00" in the assembly's time zone (call under the language's locale)."""
    if value is None:
        return ""
    local = value.astimezone(assembly.zone)
    try:
        date = babel_format_date(local.date(), "long", locale=language)
        time = babel_format_time(local.time(), "short", locale=language)
    except (ValueError, LookupError):  # pragma: no cover - a locale Babel does not know
        date, time = local.date().isoformat(), local.strftime("%H:%M")
    return _("%(date)s at %(time)s", date=date, time=time)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def _names(roles, kind: AssemblyRoleKind) -> str:
    names = []
    for row in roles:
        if row.role != kind.value:
            continue
        if row.member is not None:
            names.append(row.member.full_name)
        elif row.account is not None:
            names.append(row.account.display_name)
    return ", ".join(names)


def _convener(assembly: Assembly) -> str:
    if assembly.branch is not None:
        return _("the board of %(branch)s", branch=assembly.branch.name)
    return _("the board of the cooperative")


def _item_section(item: AgendaItem, assembly: Assembly, language: str) -> list[str]:
    from governance.assemblies.session import stored_decision

    languages = [language]
    title = pick_text(item.titles, item.original_language, languages).text
    lines = [f"### {item.position}. {title}", "", f"*{item.kind_label}*", ""]
    text = pick_text(item.texts, item.original_language, languages).text
    if text:
        lines += [text, ""]
    if not item.is_resolution:
        lines += [_("*Summary of the discussion: to be completed by the secretary.*"), ""]
        return lines
    official = item.official_language
    resolution = pick_text(item.resolution_texts, official, languages).text
    lines += [f"**{_('Resolution')}** ({item.resolution_kind_label})", "", _quote(resolution), ""]
    if item.is_statute_change:
        current = pick_text(item.current_texts, official, languages).text
        new = pick_text(item.new_texts, official, languages).text
        if current:
            lines += [f"**{_('Current text of the statutes')}**", "", _quote(current), ""]
        lines += [f"**{_('New text of the statutes')}**", "", _quote(new), ""]
    if official != language:
        lines += [_("*The %(language)s version of this resolution is authoritative.*",
                    language=language_in_text(official, language)), ""]
    result = item.vote_result or {}
    decision = stored_decision(item)
    if decision is None:
        lines += [wording.majority_rule_description(item.majority),
                  wording.quorum_name(assembly.effective_quorum(item.quorum), at_assembly=True) + ".", "",
                  _("This resolution was not put to the vote."), ""]
        return lines
    opened = result.get("opened") or {}
    online, room = result.get("online") or {}, result.get("room") or {}
    secret = _("by secret ballot") if opened.get("is_secret", True) else _("by roll call")
    lines += [
        _("Vote %(how)s; %(base)s members present or represented when the vote opened.", how=secret,
          base=_number(decision.base)),
        "",
        f"- {_('Yes')}: {_number(decision.yes)}",
        f"- {_('No')}: {_number(decision.no)}",
        f"- {_('Abstentions')}: {_number(decision.abstain)}",
        "",
    ]
    if room.get("bound"):
        lines += [_("Online: %(yes)s yes, %(no)s no, %(abstain)s abstentions. In the room: %(room_yes)s yes, "
                    "%(room_no)s no, %(room_abstain)s abstentions.",
                    yes=_number(online.get("yes", 0)), no=_number(online.get("no", 0)),
                    abstain=_number(online.get("abstain", 0)), room_yes=_number(room.get("yes", 0)),
                    room_no=_number(room.get("no", 0)), room_abstain=_number(room.get("abstain", 0))), ""]
    set_aside = opened.get("set_aside") or []
    if set_aside:
        lines += [ngettext("%(num)s proxy was set aside for this vote: nobody may cast more than %(cap)s votes.",
                           "%(num)s proxies were set aside for this vote: nobody may cast more than %(cap)s votes.",
                           len(set_aside), cap=_number(opened.get("cap", 1))), ""]
    for sentence in wording.decision_sentences(decision, at_assembly=True)[:-1]:
        lines += [sentence, ""]
    lines += [f"**{_('Decision')}: {wording.outcome_label(decision)}.** {wording.outcome_sentence(decision)}", ""]
    return lines


def _number(value) -> str:
    from flask_babel import format_decimal

    return format_decimal(value or 0)


def draft_text(assembly: Assembly, language: str) -> str:
    """The generated minutes in one language (Markdown)."""
    from governance.assemblies import session_queries

    with force_locale(language):
        items = queries.agenda_items(assembly)
        roles = queries.roles(assembly)
        totals = session_queries.session_totals(assembly)
        roll = queries.roll_size(assembly)
        title = pick_text(assembly.titles, assembly.original_language, [language]).text
        lines = [
            _("Minutes of the meeting “%(title)s” (%(kind)s), convened by %(convener)s.", title=title,
              kind=assembly.kind_label, convener=_convener(assembly)),
            "",
            f"- {_('Date')}: {_when(assembly.starts_at, assembly, language)} ({assembly.timezone})",
        ]
        if assembly.place:
            lines.append(f"- {_('Place')}: {assembly.place}")
        if assembly.online_url:
            lines.append(f"- {_('Online')}: {assembly.online_url}")
        lines += [f"- {_('Session opened')}: {_when(assembly.session_opened_dt, assembly, language)}",
                  f"- {_('Session closed')}: {_when(assembly.closed_dt, assembly, language)}"]
        for kind, label in ((AssemblyRoleKind.chair, _("Chair")),
                            (AssemblyRoleKind.secretary, _("Secretary of the assembly")),
                            (AssemblyRoleKind.teller, _("Tellers"))):
            names = _names(roles, kind)
            if names:
                lines.append(f"- {label}: {names}")
        if assembly.is_second_convocation:
            lines += ["", _("This is a second convocation: the quorums of the resolutions do not apply.")]
        lines += [
            "", f"## {_('Attendance')}", "",
            f"- {_('Members on the roll')}: {_number(roll)}",
            f"- {_('Present')}: {_number(totals.present)} "
            f"({_('in the room')}: {_number(totals.room)}, {_('online')}: {_number(totals.online)})",
            f"- {_('Represented by proxy')}: {_number(totals.represented)}",
            f"- {_('Present or represented')}: {_number(totals.total)}",
            "",
            _("Each vote's quorum is counted against the members present or represented when that vote opened."),
            "", f"## {_('Agenda')}", "",
        ]
        for item in items:
            lines += _item_section(item, assembly, language)
        latest = "`" + audit.latest_hash() + "`"
        lines += [f"## {_('Integrity')}", "",
                  _("Latest hash of the portal's audit log when this draft was generated: %(hash)s", hash=latest), ""]
    return "\n".join(lines).strip() + "\n"


# --- operations ------------------------------------------------------------------------------------
def _require(allowed) -> None:
    if not allowed:
        raise NotAllowed()


def generate_minutes(assembly: Assembly, *, actor, now: dt.datetime | None = None) -> Minutes:
    """Write the draft in each language (again, replacing the draft's texts, while the minutes are a draft)."""
    now = _now(now)
    minutes = minutes_of(assembly)
    if actor is not None:
        _require(perms.can_write_minutes(actor, assembly, _roles(actor, assembly), minutes))
    if not assembly.is_closed:
        raise Conflict(_l("The minutes are written once the session has closed."))
    if minutes is not None and minutes.state != MinutesState.draft.value:
        raise MinutesFrozen()
    languages = minutes_languages(assembly)
    texts = {language: draft_text(assembly, language) for language in languages}
    if minutes is None:
        minutes = Minutes(assembly_id=assembly.id, original_language=languages[0], created_dt=now)
        db.session.add(minutes)
    minutes.texts = texts
    minutes.original_language = languages[0]
    minutes.modified_dt = now
    db.session.flush()
    audit.record("assembly.minutes_generated", actor=actor, obj=assembly, minutes=minutes.id,
                 languages=languages)
    return minutes


def edit_minutes(minutes: Minutes, texts: Mapping[str, str], *, actor, now: dt.datetime | None = None) -> Minutes:
    """Replace the draft's text in the given languages (the others stay)."""
    now = _now(now)
    assembly = db.session.get(Assembly, minutes.assembly_id)
    if actor is not None:
        _require(perms.can_write_minutes(actor, assembly, _roles(actor, assembly), minutes))
    if minutes.state != MinutesState.draft.value:
        raise MinutesFrozen()
    languages = minutes_languages(assembly)
    changed = []
    for language, text in texts.items():
        if language not in languages:
            raise InvalidInput(_l("These minutes are not written in this language."))
        text = (text or "").strip()
        if not text:
            raise InvalidInput(_l("The minutes cannot be empty."))
        if len(text) > MINUTES_MAX:
            raise InvalidInput(_l("A text is too long (at most %(max)s characters).", max=MINUTES_MAX))
        if minutes.texts.get(language) != text + "\n":
            minutes.texts[language] = text + "\n"
            changed.append(language)
    minutes.modified_dt = now
    db.session.flush()
    if changed:
        audit.record("assembly.minutes_edited", actor=actor, obj=assembly, minutes=minutes.id, languages=changed)
    return minutes


def approve_minutes(minutes: Minutes, *, actor, now: dt.datetime | None = None) -> Minutes:
    """Approve the draft (chair or secretary): the assembly's state becomes "minutes approved"; the audit chain's
    latest hash is stored with the minutes and the texts' hashes go into the audit log."""
    now = _now(now)
    assembly = db.session.get(Assembly, minutes.assembly_id)
    if actor is not None:
        _require(perms.can_approve_minutes(actor, assembly, _roles(actor, assembly), minutes))
    if minutes.state != MinutesState.draft.value:
        raise MinutesFrozen()
    missing = [code for code in minutes_languages(assembly) if not minutes.texts.get(code)]
    if missing:
        raise Conflict(_l("The minutes are missing in: %(languages)s.",
                          languages=", ".join(language_in_text(code) for code in missing)))
    assembly.approve_minutes(now)
    minutes.audit_hash = audit.latest_hash()
    minutes.state = MinutesState.approved.value
    minutes.approved_by_id = getattr(actor, "id", None)
    minutes.approved_dt = now
    minutes.modified_dt = now
    db.session.flush()
    audit.record("assembly.minutes_approved", actor=actor, obj=assembly, minutes=minutes.id,
                 audit_hash=minutes.audit_hash,
                 text_hashes={code: text_hash(text) for code, text in sorted(minutes.texts.items())})
    return minutes


def publish_minutes(minutes: Minutes, *, actor, now: dt.datetime | None = None) -> Minutes:
    """Publish approved minutes: the members on the roll (everyone who sees the assembly) read them."""
    now = _now(now)
    assembly = db.session.get(Assembly, minutes.assembly_id)
    if actor is not None:
        _require(perms.can_publish_minutes(actor, assembly, _roles(actor, assembly), minutes))
    if minutes.state != MinutesState.approved.value:
        raise Conflict(_l("Only approved minutes can be published."))
    minutes.state = MinutesState.published.value
    minutes.published_dt = now
    minutes.modified_dt = now
    db.session.flush()
    audit.record("assembly.minutes_published", actor=actor, obj=assembly, minutes=minutes.id,
                 languages=sorted(minutes.texts))
    return minutes


# --- exports ---------------------------------------------------------------------------------------
def export_title(assembly: Assembly, language: str) -> str:
    with force_locale(language):
        title = pick_text(assembly.titles, assembly.original_language, [language]).text
        return _("Minutes: %(title)s", title=title)


def _footer(minutes: Minutes, assembly: Assembly, language: str) -> list[str]:
    """The approval line and the audit hash, under the text (in the language)."""
    with force_locale(language):
        lines = [_("Minutes: %(state)s.", state=minutes.state_label)]
        if minutes.approved_dt is not None:
            lines.append(_("Approved on %(date)s.", date=_when(minutes.approved_dt, assembly, language)))
        if minutes.audit_hash:
            lines.append(_("Latest hash of the portal's audit log when the minutes were approved: %(hash)s",
                           hash=minutes.audit_hash))
        return lines


def minutes_html(minutes: Minutes, language: str) -> str:
    """A standalone HTML document of the minutes in one language (the text through ``render_markdown``)."""
    assembly = db.session.get(Assembly, minutes.assembly_id)
    with force_locale(language):
        return render_template("assemblies/minutes/export.html", language=language,
                               title=export_title(assembly, language),
                               body=render_markdown(minutes.texts.get(language, "")),
                               footer=_footer(minutes, assembly, language))


#: the tags the PDF is set from (the Markdown renderer's, which fpdf2 can lay out)
_PDF_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h2",
             "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}


def minutes_pdf(minutes: Minutes, language: str) -> bytes:
    """The minutes in one language as a PDF (A4), set with the convocation letters' Unicode font."""
    from fpdf import FPDF, TextStyle

    from governance.assemblies.convocation import letter_fonts

    assembly = db.session.get(Assembly, minutes.assembly_id)
    html = nh3.clean(str(render_markdown(minutes.texts.get(language, ""))), tags=_PDF_TAGS,
                     attributes={"a": {"href"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}})
    fonts = letter_fonts()
    fonts.setdefault("BI", fonts["B"])
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    title = export_title(assembly, language)
    pdf.set_title(title)
    pdf.set_lang(language)
    pdf.set_creator("Cooperative governance portal")
    for style, path in fonts.items():
        pdf.add_font("Minutes", style, path)
    pdf.add_page()
    pdf.set_font("Minutes", "B", 16)
    pdf.multi_cell(pdf.epw, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Minutes", "", 10.5)
    plain = TextStyle(font_family="Minutes")
    pdf.write_html(html, font_family="Minutes", tag_styles={"code": plain, "pre": plain})
    pdf.ln(4)
    pdf.set_font("Minutes", "I", 9)
    for line in _footer(minutes, assembly, language):
        pdf.multi_cell(pdf.epw, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


__all__ = [
    "MinutesFrozen", "approve_minutes", "draft_text", "edit_minutes", "export_title", "generate_minutes",
    "minutes_html", "minutes_languages", "minutes_of", "minutes_pdf", "publish_minutes", "text_hash",
]
