"""Forms of the assemblies: the assembly itself, an agenda item, a document, a role, the convocation's delivery
log filters and resending, the second convocation, and petitions.

Texts are entered per language, like a workgroup's: the ``*_form`` functions build a form class with one field
per language the cooperative writes in. Dates and times of an assembly are typed in the assembly's own time zone
(the branch's), which the form shows next to them; the view turns them into UTC.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from governance.assemblies.models import (
    AgendaItemKind,
    AssemblyKind,
    AssemblyRoleKind,
    DeliveryChannel,
    DeliveryStatus,
    ResolutionKind,
)
from governance.assemblies.operations import (
    DOCUMENT_TITLE_MAX,
    MAX_NOTICE_DAYS,
    MAX_PROXIES,
    PLACE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    URL_MAX,
)
from governance.core.forms import BaseForm
from governance.core.i18n import language_in_text, language_name
from governance.members.models import MemberStatus
from governance.votes import wording
from governance.votes.methods.decision import MAX_QUORUM_COUNT, QUORUM_COUNT, QUORUM_NONE
from governance.workgroups.forms import MultiCheckboxField

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
#: the scope choice meaning "the whole cooperative"
COOPERATIVE = "cooperative"


def _local_field(label, required: bool = False, **kwargs) -> DateTimeLocalField:
    validators = [InputRequired(_l("Give a date and a time."))] if required else [Optional()]
    return DateTimeLocalField(label, validators=validators, format=LOCAL_FORMATS,
                              render_kw={"step": 60}, **kwargs)


def in_zone(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A naive local date and time typed in ``zone``, as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


def to_local(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A UTC time as the naive local time the form shows."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _language_choices(languages) -> list[SelectChoice]:
    return [SelectChoice(code, language_name(code)) for code in languages]


class MultilingualMixin:
    """Per-language fields named ``<name>_<code>``; ``languages`` is set by the builder."""

    languages: tuple[str, ...] = ()

    def texts(self, name: str) -> dict[str, str]:
        return {code: self[f"{name}_{code}"].data or "" for code in self.languages if f"{name}_{code}" in self}

    def fill_texts(self, name: str, values: dict[str, str]) -> None:
        for code in self.languages:
            if f"{name}_{code}" in self:
                self[f"{name}_{code}"].data = (values or {}).get(code, "")

    def ordered_languages(self) -> list[str]:
        original = self.original_language.data
        if original in self.languages:
            return [original, *(code for code in self.languages if code != original)]
        return list(self.languages)


def _add_text_fields(cls, languages, fields: list[tuple[str, object, int, bool]]) -> None:
    for code in languages:
        attrs = {"lang": code, "spellcheck": "true"}
        for name, label, limit, area in fields:
            if area:
                field = TextAreaField(label, validators=[Optional(), Length(max=limit)],
                                      render_kw={**attrs, "rows": 6})
            else:
                field = StringField(label, validators=[Optional(), Length(max=limit)],
                                    render_kw={**attrs, "autocomplete": "off"})
            setattr(cls, f"{name}_{code}", field)


# --- the assembly ----------------------------------------------------------------------------------
class AssemblyFormBase(MultilingualMixin, BaseForm):
    scope = SelectField(_l("Convened by"), choices=[], validate_choice=True)
    kind = RadioField(_l("Kind"), choices=[], validate_choice=True, default=AssemblyKind.ordinary.value)
    original_language = SelectField(_l("Original language"), choices=[], validate_choice=True)
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "off"})
    starts_at = _local_field(_l("Starts at"), required=True)
    ends_at = _local_field(_l("Ends at (optional)"))
    place = TextAreaField(_l("Place"), validators=[Optional(), Length(max=PLACE_MAX)], render_kw={"rows": 3})
    online_url = StringField(_l("Online meeting link"), validators=[Optional(), Length(max=URL_MAX)],
                             render_kw={"type": "url", "inputmode": "url"})
    eligible_statuses = MultiCheckboxField(_l("Members convened (by status)"), choices=[], validate_choice=True)
    register_cutoff = DateField(_l("Only members who joined on or before (optional)"), validators=[Optional()])
    notice_days = IntegerField(_l("Notice period (full days)"),
                               validators=[InputRequired(), NumberRange(min=0, max=MAX_NOTICE_DAYS)],
                               render_kw={"inputmode": "numeric", "min": 0, "max": MAX_NOTICE_DAYS})
    proxy_deadline = _local_field(_l("Deadline for proxies (optional)"))
    max_proxies_per_holder = IntegerField(_l("Proxies one member may carry"),
                                          validators=[InputRequired(), NumberRange(min=0, max=MAX_PROXIES)],
                                          render_kw={"inputmode": "numeric", "min": 0, "max": MAX_PROXIES})
    vote_cap_numerator = IntegerField(_l("Share of the votes one person may cast: numerator"),
                                      validators=[InputRequired(), NumberRange(min=1, max=100)],
                                      render_kw={"inputmode": "numeric", "min": 1, "max": 100})
    vote_cap_denominator = IntegerField(_l("Share of the votes one person may cast: denominator"),
                                        validators=[InputRequired(), NumberRange(min=1, max=100)],
                                        render_kw={"inputmode": "numeric", "min": 1, "max": 100})
    submit = SubmitField(_l("Save"))

    def validate_timezone(self, field) -> None:
        try:
            ZoneInfo(field.data or "")
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(_l("Unknown time zone (write it as Europe/Brussels, for example).")) from None

    def validate_vote_cap_denominator(self, field) -> None:
        if self.vote_cap_numerator.data and field.data and self.vote_cap_numerator.data > field.data:
            raise ValidationError(_l("The share cannot be more than 1."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        original = self.original_language.data
        if original in self.languages and not self[f"title_{original}"].data:
            self[f"title_{original}"].errors.append(
                _l("Give the title in the original language (%(language)s).", language=language_in_text(original)))
            valid = False
        if not (self.place.data or self.online_url.data):
            self.place.errors.append(_l("Give the place of the assembly, its online link, or both."))
            valid = False
        if not self.eligible_statuses.data:
            self.eligible_statuses.errors.append(_l("Choose at least one status."))
            valid = False
        return valid

    @property
    def has_scope(self) -> bool:
        return "scope" in self._fields

    def fields_for_operation(self) -> dict:
        """The operation's keyword arguments (times in UTC, read in the chosen time zone)."""
        zone = self.timezone.data
        return {
            "kind": self.kind.data, "titles": self.texts("title"), "descriptions": self.texts("description"),
            "original_language": self.original_language.data, "timezone": zone,
            "starts_at": in_zone(self.starts_at.data, zone), "ends_at": in_zone(self.ends_at.data, zone),
            "place": self.place.data or "", "online_url": self.online_url.data or "",
            "eligible_statuses": list(self.eligible_statuses.data or ()),
            "register_cutoff": self.register_cutoff.data, "notice_days": self.notice_days.data,
            "proxy_deadline": in_zone(self.proxy_deadline.data, zone),
            "max_proxies_per_holder": self.max_proxies_per_holder.data,
            "vote_cap": (self.vote_cap_numerator.data, self.vote_cap_denominator.data),
        }

    def fill(self, assembly) -> None:
        zone = assembly.timezone
        self.fill_texts("title", assembly.titles)
        self.fill_texts("description", assembly.descriptions)
        self.kind.data = assembly.kind
        self.original_language.data = assembly.original_language
        self.timezone.data = zone
        self.starts_at.data = to_local(assembly.starts_at, zone)
        self.ends_at.data = to_local(assembly.ends_at, zone)
        self.place.data = assembly.place or ""
        self.online_url.data = assembly.online_url or ""
        self.eligible_statuses.data = list(assembly.eligible_statuses)
        self.register_cutoff.data = assembly.register_cutoff
        self.notice_days.data = assembly.notice_days
        self.proxy_deadline.data = to_local(assembly.proxy_deadline, zone)
        self.max_proxies_per_holder.data = assembly.max_proxies_per_holder
        self.vote_cap_numerator.data = assembly.vote_cap_numerator
        self.vote_cap_denominator.data = assembly.vote_cap_denominator


def assembly_form(languages: list[str], *, scopes: list[tuple[str, str]] | None, **kwargs) -> AssemblyFormBase:
    """``scopes``: (value, label) of the convening bodies the account may choose (None: no choice, editing)."""

    class AssemblyForm(AssemblyFormBase):
        pass

    AssemblyForm.languages = tuple(languages)
    _add_text_fields(AssemblyForm, languages, [("title", _l("Title"), TITLE_MAX, False),
                                               ("description", _l("Description"), TEXT_MAX, True)])
    if scopes is None:
        AssemblyForm.scope = None
    form = AssemblyForm(**kwargs)
    if scopes is not None:
        form.scope.choices = [SelectChoice(value, label) for value, label in scopes]
    form.kind.choices = [SelectChoice(k.value, k.label) for k in AssemblyKind]
    form.original_language.choices = _language_choices(languages)
    form.eligible_statuses.choices = [SelectChoice(s.value, s.label) for s in MemberStatus]
    return form


# --- agenda items ----------------------------------------------------------------------------------
class AgendaItemFormBase(MultilingualMixin, BaseForm):
    kind = RadioField(_l("Kind of item"), choices=[], validate_choice=True, default=AgendaItemKind.information.value)
    original_language = SelectField(_l("Original language"), choices=[], validate_choice=True)
    resolution_kind = RadioField(_l("Kind of resolution"), choices=[], validate_choice=True,
                                 default=ResolutionKind.ordinary.value)
    majority = SelectField(_l("Majority needed"), choices=[], validate_choice=True, default="simple")
    vote = RadioField(_l("How the members vote"),
                      choices=[SelectChoice("secret", _l("Secret ballot")),
                               SelectChoice("open", _l("Roll call: who voted what is published"))],
                      validate_choice=True, default="secret")
    quorum = SelectField(_l("Quorum"), choices=[], validate_choice=True, default=QUORUM_NONE)
    quorum_count = IntegerField(_l("Number of members present or represented needed"),
                                validators=[Optional(), NumberRange(min=1, max=MAX_QUORUM_COUNT)],
                                render_kw={"inputmode": "numeric", "min": 1})
    authoritative_language = SelectField(_l("Authoritative version of the official text"), choices=[],
                                         validate_choice=True, default="")
    submit = SubmitField(_l("Save"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        original = self.original_language.data
        if original in self.languages and not self[f"title_{original}"].data:
            self[f"title_{original}"].errors.append(
                _l("Give the title in the original language (%(language)s).", language=language_in_text(original)))
            valid = False
        if self.kind.data == AgendaItemKind.resolution.value and original in self.languages:
            if not self[f"resolution_{original}"].data:
                self[f"resolution_{original}"].errors.append(
                    _l("Give the text of the resolution in the original language (%(language)s).",
                       language=language_in_text(original)))
                valid = False
            if self.resolution_kind.data == ResolutionKind.statute_change.value and \
                    not self[f"new_text_{original}"].data:
                self[f"new_text_{original}"].errors.append(
                    _l("Give the new text of the statutes in the original language (%(language)s).",
                       language=language_in_text(original)))
                valid = False
            if self.quorum.data == QUORUM_COUNT and not self.quorum_count.data:
                self.quorum_count.errors.append(_l("Give the number of members needed."))
                valid = False
        return valid

    def quorum_code(self) -> str:
        if self.quorum.data == QUORUM_COUNT:
            return f"{QUORUM_COUNT}:{self.quorum_count.data}"
        return self.quorum.data

    def fields_for_operation(self) -> dict:
        fields = {"kind": self.kind.data, "titles": self.texts("title"), "texts": self.texts("text"),
                  "original_language": self.original_language.data}
        if self.kind.data == AgendaItemKind.resolution.value:
            fields.update(resolution_kind=self.resolution_kind.data, resolution_texts=self.texts("resolution"),
                          current_texts=self.texts("current_text"), new_texts=self.texts("new_text"),
                          majority=self.majority.data, quorum=self.quorum_code(),
                          authoritative_language=self.authoritative_language.data or None,
                          vote_secret=self.vote.data != "open")
        return fields

    def fill(self, item) -> None:
        self.kind.data = item.kind
        self.original_language.data = item.original_language
        for name, values in (("title", item.titles), ("text", item.texts), ("resolution", item.resolution_texts),
                             ("current_text", item.current_texts), ("new_text", item.new_texts)):
            self.fill_texts(name, values)
        if item.is_resolution:
            self.resolution_kind.data = item.resolution_kind
            self.majority.data = item.majority
            self.vote.data = "secret" if item.vote_secret else "open"
            if item.quorum and item.quorum.startswith(f"{QUORUM_COUNT}:"):
                self.quorum.data = QUORUM_COUNT
                self.quorum_count.data = int(item.quorum.split(":", 1)[1])
            else:
                self.quorum.data = item.quorum or QUORUM_NONE
            self.authoritative_language.data = item.authoritative_language or ""


def agenda_item_form(languages: list[str], **kwargs) -> AgendaItemFormBase:
    class AgendaItemForm(AgendaItemFormBase):
        pass

    AgendaItemForm.languages = tuple(languages)
    _add_text_fields(AgendaItemForm, languages, [
        ("title", _l("Title"), TITLE_MAX, False), ("text", _l("Explanation"), TEXT_MAX, True),
        ("resolution", _l("Text of the resolution"), TEXT_MAX, True),
        ("current_text", _l("Current text of the statutes"), TEXT_MAX, True),
        ("new_text", _l("New text of the statutes"), TEXT_MAX, True)])
    form = AgendaItemForm(**kwargs)
    form.kind.choices = [SelectChoice(k.value, k.label) for k in AgendaItemKind]
    form.original_language.choices = _language_choices(languages)
    form.resolution_kind.choices = [SelectChoice(k.value, k.label) for k in ResolutionKind]
    form.majority.choices = [SelectChoice(code, label) for code, label in wording.majority_rule_choices()]
    form.quorum.choices = ([SelectChoice(QUORUM_NONE, _l("No quorum"))]
                           + [SelectChoice(code, label) for code, label in wording.quorum_share_choices()]
                           + [SelectChoice(QUORUM_COUNT, _l("A number of members present or represented"))])
    form.authoritative_language.choices = ([SelectChoice("", _l("The original language"))]
                                           + _language_choices(languages))
    return form


class MoveForm(BaseForm):
    direction = SelectField(choices=[SelectChoice("up", "up"), SelectChoice("down", "down")], validate_choice=True)


# --- documents, roles ------------------------------------------------------------------------------
class DocumentForm(BaseForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose the file to upload."))])
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=DOCUMENT_TITLE_MAX)])
    agenda_item = SelectField(_l("Attached to"), choices=[], validate_choice=True, default="")
    language = SelectField(_l("Language of the document"), choices=[], validate_choice=True, default="")
    submit = SubmitField(_l("Upload"))

    def set_choices(self, items, languages) -> None:
        self.agenda_item.choices = ([SelectChoice("", _l("The assembly as a whole"))]
                                    + [SelectChoice(str(item.id), f"{item.position}. {item.title.text}")
                                       for item in items])
        self.language.choices = [SelectChoice("", _l("None in particular"))] + _language_choices(languages)


class RoleForm(BaseForm):
    role = SelectField(_l("Role"), choices=[], validate_choice=True)
    person = StringField(_l("Member number, or email address of an account"),
                         validators=[DataRequired(), Length(max=320)], render_kw={"autocomplete": "off"})
    submit = SubmitField(_l("Add"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(r.value, r.label) for r in AssemblyRoleKind]


# --- convocation -----------------------------------------------------------------------------------
class DeliveryFilterForm(BaseForm):
    """Read from the query string: no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validate_choice=True, default="")
    channel = SelectField(_l("Channel"), choices=[], validate_choice=True, default="")
    q = StringField(_l("Name or member number"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Show"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("Any status"))] + [SelectChoice(s.value, s.label)
                                                                       for s in DeliveryStatus]
        self.channel.choices = [SelectChoice("", _l("Any channel"))] + [SelectChoice(c.value, c.label)
                                                                        for c in DeliveryChannel]


class ResendForm(BaseForm):
    as_letter = BooleanField(_l("As a printed letter"))
    submit = SubmitField(_l("Send again"))


class SecondConvocationForm(BaseForm):
    starts_at = _local_field(_l("New date and time"), required=True)
    place = TextAreaField(_l("Place"), validators=[Optional(), Length(max=PLACE_MAX)], render_kw={"rows": 3})
    online_url = StringField(_l("Online meeting link"), validators=[Optional(), Length(max=URL_MAX)],
                             render_kw={"type": "url", "inputmode": "url"})
    submit = SubmitField(_l("Create the second convocation"))


# --- petitions -------------------------------------------------------------------------------------
class PetitionFormBase(MultilingualMixin, BaseForm):
    scope = RadioField(_l("An assembly of"), choices=[], validate_choice=True)
    original_language = SelectField(_l("Original language"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Open the petition"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        original = self.original_language.data
        if original in self.languages:
            language = language_in_text(original)
            if not self[f"title_{original}"].data:
                self[f"title_{original}"].errors.append(
                    _l("Give the title in the original language (%(language)s).", language=language))
                valid = False
            if not self[f"text_{original}"].data:
                self[f"text_{original}"].errors.append(
                    _l("Give the text in the original language (%(language)s).", language=language))
                valid = False
        return valid


def petition_form(languages: list[str], *, scopes: list[tuple[str, str]], **kwargs) -> PetitionFormBase:
    class PetitionForm(PetitionFormBase):
        pass

    PetitionForm.languages = tuple(languages)
    _add_text_fields(PetitionForm, languages, [("title", _l("Title"), TITLE_MAX, False),
                                               ("text", _l("What the assembly should decide, and why"), TEXT_MAX,
                                                True)])
    form = PetitionForm(**kwargs)
    form.scope.choices = [SelectChoice(value, label) for value, label in scopes]
    form.original_language.choices = _language_choices(languages)
    return form
