"""The convocation's texts for each member: the email's content, the printable letter (PDF) and the calendar
file (iCalendar).

A letter is first built as data (:class:`Letter`: every line already in the member's language), then set in a
PDF by :func:`letters_pdf` with fpdf2 and a Unicode font (Source Sans Pro from the ``font-source-sans-pro``
package; DejaVu Sans from Debian's ``fonts-dejavu-core`` when that package is missing), so French, German, Dutch
and Hungarian accents print. Emails and letters state the assembly's time in its own time zone (the branch's),
with the zone's name.

Nothing here changes state.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from babel.dates import format_date as babel_format_date, format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from flask import current_app
from flask_babel import force_locale, gettext as _
from werkzeug.routing import BuildError

from governance.assemblies import queries
from governance.assemblies.models import AgendaItem, Assembly, ConvocationDelivery
from governance.core.db_types import utcnow
from governance.core.i18n import pick_text
from governance.members.models import Branch, Member
from governance.votes import wording


# --- links ---------------------------------------------------------------------------------------------
def assembly_link(assembly: Assembly, endpoint: str = "assemblies.assembly") -> str:
    """An absolute link to one of the assembly's pages, for emails and letters."""
    from governance.accounts.operations import email_link

    try:
        return email_link(endpoint, assembly_id=assembly.id)
    except BuildError:
        base = current_app.config["SERVER_NAME_FOR_EMAIL"].rstrip("/")
        return f"{base}/assemblies/{assembly.id}"


# --- wording shared by emails and letters -----------------------------------------------------------------
def format_when(assembly: Assembly, language: str) -> str:
    """"Saturday, 14 June 2025 at 10:00 (Europe/Brussels)" in the language, in the assembly's time zone (call
    under the language's locale)."""
    local = assembly.local_starts_at
    return _("%(date)s at %(time)s (%(zone)s)", date=babel_format_date(local.date(), "full", locale=language),
             time=babel_format_time(local.time(), "short", locale=language), zone=assembly.timezone)


def rule_sentence(item: AgendaItem, assembly: Assembly) -> str:
    """The resolution's decision rule in words (call under the reader's locale)."""
    if not item.is_resolution or not item.majority:
        return ""
    majority = wording.majority_rule_description(item.majority)
    if assembly.quorum_waived and item.quorum and item.quorum != "none":
        quorum = _("Second convocation: no quorum applies.")
    else:
        quorum = wording.quorum_name(item.quorum, at_assembly=True)
    return f"{majority} {quorum}."


@dataclass
class ContentItem:
    """One agenda item in one reader's languages."""

    number: int
    kind_label: str
    title: str
    text: str
    is_resolution: bool
    resolution_kind_label: str
    resolution_text: str
    rule: str
    is_statute_change: bool
    current_text: str
    new_text: str
    #: "the French version is authoritative", when the reader's version is not
    authoritative_note: str
    documents: list[str] = field(default_factory=list)


def content_items(assembly: Assembly, items: Sequence[AgendaItem], documents: dict, languages: list[str]
                  ) -> list[ContentItem]:
    """The agenda as a reader of ``languages`` (best first) reads it; call under the reader's locale."""
    from governance.core.i18n import language_in_text

    result = []
    for item in items:
        resolution = pick_text(item.resolution_texts, item.official_language, languages)
        note = ""
        if item.is_resolution and item.authoritative_language and resolution.language != item.authoritative_language:
            note = _("The %(language)s version of this resolution is authoritative.",
                     language=language_in_text(item.authoritative_language, languages[-1]))
        result.append(ContentItem(
            number=item.position, kind_label=str(item.kind_label),
            title=pick_text(item.titles, item.original_language, languages).text,
            text=pick_text(item.texts, item.original_language, languages).text,
            is_resolution=item.is_resolution, resolution_kind_label=str(item.resolution_kind_label),
            resolution_text=resolution.text if item.is_resolution else "",
            rule=rule_sentence(item, assembly), is_statute_change=item.is_statute_change,
            current_text=pick_text(item.current_texts, item.official_language, languages).text,
            new_text=pick_text(item.new_texts, item.official_language, languages).text,
            authoritative_note=note,
            documents=[d.label for d in documents.get(item.id, [])]))
    return result


# --- email -------------------------------------------------------------------------------------------------
def email_contexts(assembly: Assembly, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """The convocation email's context for each (interface language, member's own language): computed once per
    pair, shared by every recipient of that pair (so 35,000 emails do not read the agenda 35,000 times)."""
    items = queries.agenda_items(assembly)
    documents = queries.documents_by_item(assembly)
    link = assembly_link(assembly)
    ics = assembly_link(assembly, "assemblies.icalendar")
    agenda = current_app.jinja_env.get_template("email/assembly_convocation_agenda.txt")
    contexts = {}
    for language, preferred in sorted(set(pairs)):
        languages = [preferred, language] if preferred and preferred != language else [language]
        with force_locale(language):
            contexts[language, preferred] = {
                "title": pick_text(assembly.titles, assembly.original_language, languages).text,
                "description": pick_text(assembly.descriptions, assembly.original_language, languages).text,
                "kind_label": str(assembly.kind_label),
                "when": format_when(assembly, language),
                "timezone": assembly.timezone,
                "place": assembly.place or "",
                "online_url": assembly.online_url or "",
                "second_convocation": assembly.is_second_convocation,
                "agenda_text": agenda.render(items=[vars(item) for item in content_items(assembly, items, documents,
                                                                                          languages)],
                                             general_documents=[d.label for d in documents.get(None, [])]),
                "assembly_url": link,
                "ics_url": ics,
                "proxy_deadline": (babel_format_datetime(assembly.proxy_deadline, "long", tzinfo=assembly.zone,
                                                         locale=language) if assembly.proxy_deadline else ""),
            }
    return contexts


# --- letters -----------------------------------------------------------------------------------------------
@dataclass
class Letter:
    """A convocation letter, every line in the member's language: what :func:`letters_pdf` prints."""

    language: str
    member_number: str
    #: the address block: name, member number, branch (the register keeps no postal address)
    address: list[str]
    date_line: str
    heading: str
    salutation: str
    introduction: str
    title: str
    description: str
    when_label: str
    when: str
    where_label: str
    where: str
    online_label: str
    online_url: str
    second_convocation_note: str
    agenda_heading: str
    items: list[ContentItem]
    labels: dict[str, str]
    documents_note: str
    proxy_note: str
    closing: str
    signature: str


def build_letter(assembly: Assembly, member: Member, branch: Branch | None, language: str, *,
                 items: Sequence[AgendaItem], documents: dict, now: dt.datetime | None = None) -> Letter:
    """The letter for one member, in ``language`` (an interface language)."""
    now = now or utcnow()
    preferred = member.language
    languages = [preferred, language] if preferred and preferred != language else [language]
    with force_locale(language):
        branch_name = ""
        if branch is not None:
            branch_name = next((branch.names[c] for c in (language, *branch.official_languages, "en")
                                if branch.names.get(c)), branch.code)
        convening = branch_name or _("The cooperative")
        local_today = now.astimezone(assembly.zone).date()
        where_lines = assembly.place or ""
        proxy_note = ""
        if assembly.proxy_deadline is not None:
            proxy_note = _("If you cannot attend, you may give a proxy to another member until %(deadline)s.",
                           deadline=babel_format_datetime(assembly.proxy_deadline, "long", tzinfo=assembly.zone,
                                                          locale=language))
        else:
            proxy_note = _("If you cannot attend, you may give a proxy to another member until the assembly "
                           "opens.")
        return Letter(
            language=language,
            member_number=member.number,
            address=[member.full_name, _("Member no. %(number)s", number=member.number),
                     *([branch_name] if branch_name else [])],
            date_line=babel_format_date(local_today, "long", locale=language),
            heading=_("Convocation to the general assembly"),
            salutation=_("Dear %(name)s,", name=member.full_name),
            introduction=(_("The board of %(body)s invites you to the extraordinary general assembly.",
                            body=convening) if assembly.is_extraordinary else
                          _("The board of %(body)s invites you to the ordinary general assembly.", body=convening)),
            title=pick_text(assembly.titles, assembly.original_language, languages).text,
            description=pick_text(assembly.descriptions, assembly.original_language, languages).text,
            when_label=_("When"),
            when=format_when(assembly, language),
            where_label=_("Where"),
            where=where_lines,
            online_label=_("Online"),
            online_url=assembly.online_url or "",
            second_convocation_note=(_("This is a second convocation: the first assembly did not reach its "
                                       "quorum, and this one decides whatever the number of members present or "
                                       "represented.") if assembly.is_second_convocation else ""),
            agenda_heading=_("Agenda"),
            items=content_items(assembly, items, documents, languages),
            labels={"resolution": _("Proposed resolution"), "current": _("Current text"),
                    "new": _("New text"), "rule": _("Decision rule"), "documents": _("Documents")},
            documents_note=_("The documents are available to members on the portal: %(url)s",
                             url=assembly_link(assembly)),
            proxy_note=proxy_note,
            closing=_("Yours sincerely,"),
            signature=_("The board of %(body)s", body=convening),
        )


def letters_for(assembly: Assembly, deliveries: Sequence[ConvocationDelivery], *,
                now: dt.datetime | None = None) -> list[Letter]:
    """One letter per delivery (members and branches loaded with them), the agenda read once."""
    items = queries.agenda_items(assembly)
    documents = queries.documents_by_item(assembly)
    return [build_letter(assembly, d.member, d.member.branch, d.language, items=items, documents=documents, now=now)
            for d in deliveries]


class FontMissing(RuntimeError):
    """No Unicode font to set the letters in."""


_DEBIAN_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def letter_fonts() -> dict[str, str]:
    """Paths of the regular, bold and italic faces: ``ASSEMBLY_LETTER_FONTS`` (a mapping "", "B", "I" → path),
    else Source Sans Pro from the ``font-source-sans-pro`` package, else Debian's DejaVu Sans."""
    configured = current_app.config.get("ASSEMBLY_LETTER_FONTS")
    if configured:
        return dict(configured)
    spec = importlib.util.find_spec("font_source_sans_pro")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0]) / "files"
        faces = {"": folder / "SourceSansPro-Regular.ttf", "B": folder / "SourceSansPro-Bold.ttf",
                 "I": folder / "SourceSansPro-It.ttf"}
        if all(path.is_file() for path in faces.values()):
            return {style: str(path) for style, path in faces.items()}
    faces = {"": _DEBIAN_DEJAVU / "DejaVuSans.ttf", "B": _DEBIAN_DEJAVU / "DejaVuSans-Bold.ttf",
             "I": _DEBIAN_DEJAVU / "DejaVuSans-Oblique.ttf"}
    if all(path.is_file() for path in faces.values()):
        return {style: str(path) for style, path in faces.items()}
    raise FontMissing("No Unicode font for the convocation letters: install the Python package "
                      "'font-source-sans-pro' (a dependency of the portal) or Debian's 'fonts-dejavu-core', or set "
                      "ASSEMBLY_LETTER_FONTS.")


_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+|mailto:[^)\s]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)


def printable(text: str) -> str:
    """Markdown source as plain text for a letter: links as "text (address)", no emphasis marks, headings
    without their #, bullets as •."""
    if not text:
        return ""
    text = _LINK.sub(lambda m: f"{m[1]} ({m[2].removeprefix('mailto:')})", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub(lambda m: f"{m[1]}• ", text)
    for _round in range(2):
        text = _EMPHASIS.sub(lambda m: m[2], text)
    return text


def render_letters(letters: Sequence[Letter]) -> bytes:
    """The letters in one PDF (A4), each starting on a new page."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title("Convocation")
    pdf.set_creator("Cooperative governance portal")
    for style, path in letter_fonts().items():
        pdf.add_font("Letter", style, path)
    width = pdf.epw
    #: paragraphs broken into lines once: letters in one language share most of their paragraphs, and fpdf2's
    #: line breaking is the slow part of a letter
    broken: dict[tuple[str, str, float], list[str]] = {}

    def para(text: str, size: float = 10.5, style: str = "", gap: float = 2.5) -> None:
        text = printable(text)
        if not text:
            return
        pdf.set_font("Letter", style, size)
        height = size * 0.5
        key = (text, style, size)
        lines = broken.get(key)
        if lines is None:
            lines = broken[key] = pdf.multi_cell(width, height, text, dry_run=True, output="LINES")
        for line in lines:
            pdf.cell(width, height, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    for letter in letters:
        pdf.add_page()
        # address block, placed for a window envelope (DIN 5008 type B: 45 mm from the top, 20 mm from the left)
        pdf.set_xy(22, 45)
        pdf.set_font("Letter", "", 11)
        for line in letter.address:
            pdf.cell(85, 5.5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_xy(22, 90)
        pdf.set_font("Letter", "", 10.5)
        pdf.cell(width, 5, letter.date_line, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        para(letter.heading, 15, "B", 3)
        para(letter.title, 12.5, "B", 3)
        para(letter.salutation)
        para(letter.introduction)
        para(letter.second_convocation_note, style="I")
        para(f"{letter.when_label}: {letter.when}")
        if letter.where:
            para(f"{letter.where_label}: {letter.where}")
        if letter.online_url:
            para(f"{letter.online_label}: {letter.online_url}")
        para(letter.description)
        para(letter.agenda_heading, 12.5, "B", 2)
        for item in letter.items:
            para(f"{item.number}. {item.title} ({item.kind_label})", 11, "B", 1.5)
            para(item.text)
            if item.is_resolution:
                para(f"{letter.labels['resolution']} ({item.resolution_kind_label})", 10.5, "B", 1)
                para(item.resolution_text)
                if item.is_statute_change:
                    if item.current_text:
                        para(letter.labels["current"], 10, "B", 1)
                        para(item.current_text, 10)
                    para(letter.labels["new"], 10, "B", 1)
                    para(item.new_text, 10)
                para(f"{letter.labels['rule']}: {item.rule}", 10, "I")
                para(item.authoritative_note, 9.5, "I")
            if item.documents:
                para(f"{letter.labels['documents']}: {', '.join(item.documents)}", 9.5)
        pdf.ln(2)
        para(letter.proxy_note)
        para(letter.documents_note)
        para(letter.closing)
        para(letter.signature)
    return bytes(pdf.output())


def letters_pdf(assembly: Assembly, deliveries: Sequence[ConvocationDelivery], *,
                now: dt.datetime | None = None) -> bytes:
    return render_letters(letters_for(assembly, deliveries, now=now))


# --- iCalendar ---------------------------------------------------------------------------------------------
#: an assembly without an end time lasts this long in calendars
DEFAULT_DURATION = dt.timedelta(hours=3)


def ical_escape(text: str) -> str:
    """TEXT value escaping of RFC 5545 §3.3.11: backslash, semicolon, comma, and line breaks as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def ical_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts = []
    current = b""
    limit = 75
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with a space
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _ical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def icalendar(assembly: Assembly, *, languages: list[str], now: dt.datetime | None = None) -> str:
    """The assembly as an iCalendar event (times in UTC, so every calendar shows them in its own zone)."""
    now = now or utcnow()
    domain = current_app.config["SERVER_NAME_FOR_EMAIL"].split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    title = pick_text(assembly.titles, assembly.original_language, languages).text
    items = queries.agenda_items(assembly)
    lines_description = [pick_text(assembly.descriptions, assembly.original_language, languages).text]
    agenda = [f"{item.position}. {pick_text(item.titles, item.original_language, languages).text}" for item in items]
    link = assembly_link(assembly)
    description = "\n".join(part for part in (*lines_description, "", *agenda, "", link) if part is not None).strip()
    ends_at = assembly.ends_at or assembly.starts_at + DEFAULT_DURATION
    location = assembly.place or assembly.online_url or ""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Cooperative governance portal//Assemblies//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:assembly-{assembly.id}@{domain or 'governance.invalid'}",
        f"DTSTAMP:{_ical_time(now)}",
        f"DTSTART:{_ical_time(assembly.starts_at)}",
        f"DTEND:{_ical_time(ends_at)}",
        f"SUMMARY:{ical_escape(title)}",
        f"DESCRIPTION:{ical_escape(description)}",
        *([f"LOCATION:{ical_escape(location)}"] if location else []),
        f"URL:{link}",
        f"STATUS:{'TENTATIVE' if assembly.is_draft else 'CONFIRMED'}",
        "SEQUENCE:0",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(ical_fold(line) for line in lines) + "\r\n"


__all__ = ["ContentItem", "FontMissing", "Letter", "assembly_link", "build_letter", "content_items",
           "email_contexts", "format_when", "ical_escape", "ical_fold", "icalendar", "letter_fonts", "letters_for",
           "letters_pdf", "printable", "render_letters", "rule_sentence"]
