from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from flask import current_app
from flask_babel import format_decimal, lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, DateField, EmailField, RadioField, SearchField, SelectField, SelectMultipleField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from governance.core.forms import BaseForm
from governance.core.i18n import country_name, language_name
from governance.members.models import Branch, Member, MemberStatus
from governance.members.operations import (
    BRANCH_CODE,
    BRANCH_MESSAGES,
    BRANCH_NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    branch_languages,
    country_codes,
    member_languages,
    name_languages,
    timezones,
)

#: the largest register file accepted, unless REGISTER_IMPORT_MAX_BYTES says otherwise
DEFAULT_IMPORT_MAX_BYTES = 15 * 1024 * 1024


class RegisterFilterForm(BaseForm):
    """Search and filters of the register list: read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search by name, member number or email"), validators=[Optional(), Length(max=200)])
    branch = SelectField(_l("Branch"), choices=[], validate_choice=True, default="")
    status = SelectField(_l("Status"), choices=[], validate_choice=True, default="")

    def set_choices(self, branches) -> None:
        self.branch.choices = [("", _l("All branches"))] + [(b.code, f"{b.name} ({b.code})") for b in branches]
        self.status.choices = [("", _l("All statuses"))] + [(s.value, s.label) for s in MemberStatus]


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"
    return f"{format_decimal(max(1, round(size / 1024)))} kB"


def import_max_bytes() -> int:
    """REGISTER_IMPORT_MAX_BYTES, within the limit on any request (MAX_CONTENT_LENGTH)."""
    limit = int(current_app.config.get("REGISTER_IMPORT_MAX_BYTES") or DEFAULT_IMPORT_MAX_BYTES)
    request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(limit, int(request_limit)) if request_limit else limit


class RegisterImportForm(BaseForm):
    file = FileField(_l("Register export (CSV or XLSX)"), validators=[
        FileRequired(_l("Choose the file to import.")),
        FileAllowed(["csv", "xlsx"], _l("Only CSV and XLSX files can be imported.")),
    ])
    dry_run = BooleanField(_l("Dry run: show what would change, write nothing"), default=True)
    full_export = BooleanField(_l("This file is the full register: report members it leaves out"))
    allow_partial = BooleanField(_l("Import the good rows even when some rows are bad"))
    submit = SubmitField(_l("Import"))

    def validate_file(self, field) -> None:
        storage = field.data
        stream = storage.stream
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        if size == 0:
            raise ValidationError(_l("The file is empty."))
        limit = import_max_bytes()
        if size > limit:
            raise ValidationError(_l("The file is too large: at most %(size)s.", size=human_size(limit)))


# --- branches --------------------------------------------------------------------------------------
def sort_key(text: str) -> str:
    """Alphabetical order for people: without case or accents ("É" next to "E")."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def by_name(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pairs, key=lambda pair: sort_key(pair[1]))


def _upper(value):
    return value.upper() if isinstance(value, str) else value


class BranchForm(BaseForm):
    """A branch's settings. The names, one field per interface language, are added by :func:`branch_form`."""

    code = StringField(_l("Code"), validators=[DataRequired(BRANCH_MESSAGES["code"]), Length(max=10)],
                       filters=[_upper],
                       render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters",
                                  "maxlength": 10})
    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    official_languages = SelectMultipleField(_l("Official languages"), choices=[], validate_choice=False)
    main_language = RadioField(_l("Main language"), choices=[], validate_choice=False)
    required_languages = SelectMultipleField(_l("Required for official texts"), choices=[], validate_choice=False)
    timezone = StringField(_l("Time zone"), validators=[DataRequired(BRANCH_MESSAGES["timezone"]), Length(max=64)],
                           render_kw={"autocomplete": "off", "list": "timezone-options", "spellcheck": "false"})
    submit = SubmitField(_l("Save"))

    #: the branch being edited (None when creating one); set by branch_form()
    branch: Branch | None = None

    def set_choices(self) -> None:
        self.country.choices = [("", _l("Choose a country"))] + by_name(
            (code, country_name(code)) for code in country_codes())
        languages = by_name((code, language_name(code)) for code in branch_languages(self.branch))
        self.official_languages.choices = languages
        self.main_language.choices = languages
        self.required_languages.choices = languages
        for code in name_languages():
            getattr(self, f"name_{code}").label.text = language_name(code)

    # the names
    @property
    def name_fields(self) -> list:
        return [getattr(self, f"name_{code}") for code in name_languages()]

    @property
    def names(self) -> dict[str, str]:
        return {code: getattr(self, f"name_{code}").data or "" for code in name_languages()}

    #: errors about the names as a whole (at least one is needed)
    names_errors: list | tuple = ()

    def validate(self, extra_validators=None) -> bool:
        self.names_errors = []
        valid = super().validate(extra_validators)
        if not any(self.names.values()):
            self.names_errors.append(BRANCH_MESSAGES["names"])
            valid = False
        return valid

    @property
    def official_in_order(self) -> list[str]:
        """The official languages, the main one first, then the others in the order the branch had them."""
        chosen = list(self.official_languages.data or [])
        main = self.main_language.data if self.main_language.data in chosen else None
        if main is None and len(chosen) == 1:
            main = chosen[0]
        earlier = list(self.branch.official_languages) if self.branch is not None else []
        rest = sorted((c for c in chosen if c != main),
                      key=lambda c: (earlier.index(c) if c in earlier else len(earlier), chosen.index(c)))
        return ([main] if main else []) + rest

    def validate_code(self, field) -> None:
        if not BRANCH_CODE.fullmatch(field.data or ""):
            raise ValidationError(BRANCH_MESSAGES["code"])

    def validate_country(self, field) -> None:
        if field.data not in country_codes():
            raise ValidationError(BRANCH_MESSAGES["country"])

    def validate_official_languages(self, field) -> None:
        allowed = set(branch_languages(self.branch))
        if not field.data or any(code not in allowed for code in field.data):
            raise ValidationError(BRANCH_MESSAGES["official_languages"])

    def validate_main_language(self, field) -> None:
        official = self.official_languages.data or []
        if len(official) > 1 and field.data not in official:
            raise ValidationError(BRANCH_MESSAGES["main_language"])

    def validate_required_languages(self, field) -> None:
        if not field.data:
            raise ValidationError(BRANCH_MESSAGES["required_languages"])
        if any(code not in (self.official_languages.data or []) for code in field.data):
            raise ValidationError(BRANCH_MESSAGES["required_not_official"])

    def validate_timezone(self, field) -> None:
        if field.data not in timezones():
            raise ValidationError(BRANCH_MESSAGES["timezone"])


def _name_length(form, field) -> None:
    if len(field.data or "") > BRANCH_NAME_MAX_LENGTH:
        raise ValidationError(_l("A name has at most %(n)d characters.", n=BRANCH_NAME_MAX_LENGTH))


@functools.cache
def _branch_form_class(languages: tuple[str, ...]) -> type[BranchForm]:
    fields = {
        f"name_{code}": StringField(code, validators=[Optional(), _name_length],
                                    render_kw={"lang": code, "autocomplete": "off"})
        for code in languages
    }
    return type("BranchForm", (BranchForm,), fields)


def branch_form(branch: Branch | None = None, **kwargs) -> BranchForm:
    """The form to create a branch (``branch`` None) or change one; the code is only given at creation."""
    cls = _branch_form_class(tuple(name_languages()))
    form = cls(**kwargs)
    form.branch = branch
    if branch is not None:
        del form.code
    form.set_choices()
    return form


def fill_branch_form(form: BranchForm, branch: Branch) -> None:
    """The branch's current settings, for the form shown before any change."""
    for code in name_languages():
        getattr(form, f"name_{code}").data = branch.names.get(code, "")
    form.country.data = branch.country
    form.official_languages.data = list(branch.official_languages)
    form.main_language.data = branch.official_languages[0] if branch.official_languages else None
    form.required_languages.data = list(branch.required_languages)
    form.timezone.data = branch.timezone


# --- a member's register entry ---------------------------------------------------------------------
class StatusForm(BaseForm):
    status = SelectField(_l("New status"), choices=[], validate_choice=True,
                         validators=[DataRequired(_l("Choose the new status."))])
    effective_on = DateField(_l("Effective on"),
                             validators=[InputRequired(_l("Give the date the change took effect."))])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX_LENGTH)],
                         render_kw={"rows": 3, "maxlength": NOTE_MAX_LENGTH})

    def set_choices(self, member: Member) -> None:
        self.status.choices = [("", _l("Choose the new status"))] + [
            (s.value, s.label) for s in MemberStatus if s.value != member.status]


class MemberDetailsForm(BaseForm):
    email = EmailField(_l("Email address"), validators=[
        Optional(), Length(max=320), Email(_l("Enter a valid email address, or leave it empty."))],
        render_kw={"autocomplete": "off"})
    language = SelectField(_l("Preferred language"), choices=[], validate_choice=True)
    email_consent = BooleanField(_l("Agreed to be convened to general assemblies by email"))

    def set_choices(self, member: Member) -> None:
        self.language.choices = by_name((code, language_name(code)) for code in member_languages(member))
