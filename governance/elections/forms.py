"""Forms of the board pages and of board elections: the board's settings, adding and ending a mandate, an
election's definition, its balanced-representation rules, a candidacy, the review of a candidacy, and the
reason for cancelling.

Texts are entered per language (titles and descriptions of an election, statements and profiles of a candidacy):
the ``*_form`` builders make a form class with one field per language the cooperative writes in. Dates and times
of an election are typed in the board's time zone (its branch's; Brussels for the group's board), which the form
shows next to them; :meth:`ElectionFormBase.fields_for_operation` turns them into UTC.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from governance.core.forms import BaseForm
from governance.core.i18n import language_in_text, language_name
from governance.elections.models import (
    ConstraintCategory,
    ElectionMethod,
    Gender,
    MandateEnd,
    MandateOrigin,
    OrderRule,
)
from governance.members.models import MemberStatus
from governance.workgroups.forms import MultiCheckboxField

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
STATEMENT_MAX = 10_000
PROFILE_MAX = 600
REASON_MAX = 2_000
NOTE_MAX = 2_000
MAX_SEATS = 99
MAX_TERM_YEARS = 12
MAX_MEMBERSHIP_DAYS = 36_500
#: rows of the constraints editor (empty rows are ignored)
CONSTRAINT_ROWS = 6


def in_zone(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A naive local date and time typed in ``zone``, as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


def to_local(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A UTC time as the naive local time the form shows."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _local_field(label) -> DateTimeLocalField:
    return DateTimeLocalField(label, validators=[InputRequired(_l("Give a date and a time."))], format=LOCAL_FORMATS,
                              render_kw={"step": 60})


def _language_choices(languages) -> list[SelectChoice]:
    return [SelectChoice(code, language_name(code)) for code in languages]


class MultilingualMixin:
    """Per-language fields named ``<name>_<code>``; ``languages`` is set by the builder."""

    languages: tuple[str, ...] = ()

    def texts(self, name: str) -> dict[str, str]:
        return {code: self[f"{name}_{code}"].data for code in self.languages
                if f"{name}_{code}" in self and self[f"{name}_{code}"].data}

    def fill_texts(self, name: str, values: dict[str, str] | None) -> None:
        for code in self.languages:
            if f"{name}_{code}" in self:
                self[f"{name}_{code}"].data = (values or {}).get(code, "")

    def ordered_languages(self) -> list[str]:
        original = self.original_language.data
        if original in self.languages:
            return [original, *(code for code in self.languages if code != original)]
        return list(self.languages)

    def _require_original(self, name: str, message) -> bool:
        original = self.original_language.data
        if original in self.languages and not self[f"{name}_{original}"].data:
            self[f"{name}_{original}"].errors.append(message % {"language": language_in_text(original)})
            return False
        return True


def _add_text_fields(cls, languages, fields) -> None:
    """``fields``: (name, label, maximum length, textarea rows or 0 for one line)."""
    for code in languages:
        attrs = {"lang": code, "spellcheck": "true"}
        for name, label, limit, rows in fields:
            if rows:
                field = TextAreaField(label, validators=[Optional(), Length(max=limit)],
                                      render_kw={**attrs, "rows": rows})
            else:
                field = StringField(label, validators=[Optional(), Length(max=limit)],
                                    render_kw={**attrs, "autocomplete": "off"})
            setattr(cls, f"{name}_{code}", field)


# --- the board -------------------------------------------------------------------------------------
class BoardForm(BaseForm):
    seats = IntegerField(_l("Seats on the board"), validators=[InputRequired(), NumberRange(min=1, max=MAX_SEATS)],
                         render_kw={"inputmode": "numeric", "min": 1, "max": MAX_SEATS})
    term_years = IntegerField(_l("Usual term of a mandate (years)"),
                              validators=[InputRequired(), NumberRange(min=1, max=MAX_TERM_YEARS)],
                              render_kw={"inputmode": "numeric", "min": 1, "max": MAX_TERM_YEARS})
    submit = SubmitField(_l("Save"))


#: the scope choice of a new board that stands for the whole cooperative
GROUP_SCOPE = "group"


class NewBoardForm(BoardForm):
    """A board for a branch that has none yet, or the group's board."""

    scope = SelectField(_l("Board of"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Set up the board"))

    def set_scopes(self, choices: list[tuple[str, str]]) -> None:
        self.scope.choices = [SelectChoice(value, label) for value, label in choices]


class MandateForm(BaseForm):
    """A co-opted or appointed director (elected mandates come from a confirmed election)."""

    member_number = StringField(_l("Member number"), validators=[DataRequired(), Length(max=40)],
                                render_kw={"autocomplete": "off"})
    origin = RadioField(_l("How the seat is obtained"), choices=[], validate_choice=True,
                        default=MandateOrigin.cooption.value)
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(_l("Give a date."))])
    ends_on = DateField(_l("Term ends on"), validators=[InputRequired(_l("Give a date."))])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 3})
    submit = SubmitField(_l("Add the mandate"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.origin.choices = [SelectChoice(o.value, o.label) for o in MandateOrigin if o != MandateOrigin.election]

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data <= self.starts_on.data:
            raise ValidationError(_l("The term must end after it starts."))


class EndMandateForm(BaseForm):
    ended_on = DateField(_l("Ended on"), validators=[InputRequired(_l("Give a date."))])
    reason = RadioField(_l("Why the mandate ends"), choices=[], validate_choice=True,
                        default=MandateEnd.resignation.value)
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)], render_kw={"rows": 3})
    submit = SubmitField(_l("End the mandate"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [SelectChoice(r.value, r.label) for r in MandateEnd]


# --- an election -----------------------------------------------------------------------------------
class ElectionFormBase(MultilingualMixin, BaseForm):
    original_language = SelectField(_l("Original language"), choices=[], validate_choice=True)
    seats = IntegerField(_l("Seats to fill"), validators=[InputRequired(), NumberRange(min=1, max=MAX_SEATS)],
                         render_kw={"inputmode": "numeric", "min": 1, "max": MAX_SEATS})
    method = RadioField(_l("Counting method"), choices=[], validate_choice=True, default=ElectionMethod.stv.value)
    max_choices = IntegerField(_l("Approval vote: candidates a voter may approve"),
                               validators=[Optional(), NumberRange(min=1, max=MAX_SEATS)],
                               render_kw={"inputmode": "numeric", "min": 1})
    is_secret = BooleanField(_l("Secret ballot"), default=True)
    eligible_statuses = MultiCheckboxField(_l("Members who vote and may stand (by status)"), choices=[],
                                           validate_choice=True)
    register_cutoff = DateField(_l("Only members who joined on or before (optional)"), validators=[Optional()])
    min_membership_days = IntegerField(_l("Candidates: minimum length of membership (days)"),
                                       validators=[InputRequired(), NumberRange(min=0, max=MAX_MEMBERSHIP_DAYS)],
                                       default=0, render_kw={"inputmode": "numeric", "min": 0})
    exclude_staff = BooleanField(_l("Employees of the cooperative may not stand"), default=True)
    candidacy_opens_at = _local_field(_l("Call for candidates opens"))
    candidacy_deadline = _local_field(_l("Deadline for candidacies"))
    voting_opens_at = _local_field(_l("Voting opens"))
    voting_closes_at = _local_field(_l("Voting closes"))
    term_starts_on = DateField(_l("Term of the new mandates starts on"), validators=[InputRequired(_l("Give a date."))])
    term_ends_on = DateField(_l("Term ends on"), validators=[InputRequired(_l("Give a date."))])
    order_rule = RadioField(_l("Order of the candidates on the ballot"), choices=[], validate_choice=True,
                            default=OrderRule.alphabetical_from_letter.value)
    submit = SubmitField(_l("Save"))

    #: the board's time zone (set by the builder)
    zone: str = "Europe/Brussels"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid &= self._require_original("title", _l("Give the title in the original language (%(language)s)."))
        if self.method.data == ElectionMethod.approval.value and not self.max_choices.data:
            self.max_choices.errors.append(_l("Give the number of candidates a voter may approve."))
            valid = False
        if self.method.data == ElectionMethod.irv.value and self.seats.data and self.seats.data != 1:
            self.method.errors.append(_l("An instant-runoff vote fills one seat only."))
            valid = False
        if not self.eligible_statuses.data:
            self.eligible_statuses.errors.append(_l("Choose at least one status."))
            valid = False
        # (earlier, later, may they be equal): deadline after the call, voting not before the deadline, …
        steps = [(self.candidacy_opens_at, self.candidacy_deadline, False),
                 (self.candidacy_deadline, self.voting_opens_at, True),
                 (self.voting_opens_at, self.voting_closes_at, False)]
        for earlier, later, equal_allowed in steps:
            if earlier.data and later.data and (later.data < earlier.data
                                                or (later.data == earlier.data and not equal_allowed)):
                later.errors.append(_l("This must come after “%(previous)s”.", previous=earlier.label.text))
                valid = False
        if self.term_starts_on.data and self.term_ends_on.data and self.term_ends_on.data <= self.term_starts_on.data:
            self.term_ends_on.errors.append(_l("The term must end after it starts."))
            valid = False
        return valid

    def fields_for_operation(self) -> dict:
        """The operation's keyword arguments (times in UTC, read in the board's time zone)."""
        zone = self.zone
        approval = self.method.data == ElectionMethod.approval.value
        return {
            "titles": self.texts("title"), "descriptions": self.texts("description"),
            "original_language": self.original_language.data, "seats": self.seats.data,
            "method": self.method.data, "max_choices": self.max_choices.data if approval else None,
            "is_secret": bool(self.is_secret.data), "eligible_statuses": tuple(self.eligible_statuses.data or ()),
            "register_cutoff": self.register_cutoff.data, "min_membership_days": self.min_membership_days.data or 0,
            "exclude_staff": bool(self.exclude_staff.data),
            "candidacy_opens_at": in_zone(self.candidacy_opens_at.data, zone),
            "candidacy_deadline": in_zone(self.candidacy_deadline.data, zone),
            "voting_opens_at": in_zone(self.voting_opens_at.data, zone),
            "voting_closes_at": in_zone(self.voting_closes_at.data, zone),
            "term_starts_on": self.term_starts_on.data, "term_ends_on": self.term_ends_on.data,
            "order_rule": self.order_rule.data,
        }

    def fill(self, election) -> None:
        zone = self.zone
        self.fill_texts("title", election.titles)
        self.fill_texts("description", election.descriptions)
        self.original_language.data = election.original_language
        self.seats.data = election.seats
        self.method.data = election.method
        self.max_choices.data = election.max_choices
        self.is_secret.data = election.is_secret
        self.eligible_statuses.data = list(election.eligible_statuses or ())
        self.register_cutoff.data = election.register_cutoff
        self.min_membership_days.data = election.min_membership_days
        self.exclude_staff.data = election.exclude_staff
        for name in ("candidacy_opens_at", "candidacy_deadline", "voting_opens_at", "voting_closes_at"):
            self[name].data = to_local(getattr(election, name), zone)
        self.term_starts_on.data = election.term_starts_on
        self.term_ends_on.data = election.term_ends_on
        self.order_rule.data = election.order_rule


def election_form(languages: list[str], *, zone: str, **kwargs) -> ElectionFormBase:
    class ElectionForm(ElectionFormBase):
        pass

    ElectionForm.languages = tuple(languages)
    ElectionForm.zone = zone
    _add_text_fields(ElectionForm, languages, [("title", _l("Title"), TITLE_MAX, 0),
                                               ("description", _l("Explanation (optional)"), DESCRIPTION_MAX, 5)])
    form = ElectionForm(**kwargs)
    form.original_language.choices = _language_choices(languages)
    form.method.choices = [SelectChoice(m.value, m.label) for m in ElectionMethod]
    form.eligible_statuses.choices = [SelectChoice(s.value, s.label) for s in MemberStatus]
    form.order_rule.choices = [SelectChoice(r.value, r.label) for r in OrderRule]
    return form


# --- balanced representation -----------------------------------------------------------------------
class ConstraintRowForm(BaseForm):
    """One row: "at least ``minimum`` / at most ``maximum`` seats for ``group`` of ``category``"."""

    class Meta:
        csrf = False

    category = SelectField(_l("Category"), choices=[], validate_choice=True, default="")
    group = SelectField(_l("Group"), choices=[], validate_choice=True, default="")
    minimum = IntegerField(_l("At least"), validators=[Optional(), NumberRange(min=0, max=MAX_SEATS)],
                           render_kw={"inputmode": "numeric", "min": 0})
    maximum = IntegerField(_l("At most"), validators=[Optional(), NumberRange(min=0, max=MAX_SEATS)],
                           render_kw={"inputmode": "numeric", "min": 0})

    def is_empty(self) -> bool:
        return not self.category.data and not self.group.data and self.minimum.data is None \
            and self.maximum.data is None


def group_choices(branch_codes: list[str]) -> list[SelectChoice]:
    """The groups a row may name: the genders, then the branches (by code)."""
    return ([SelectChoice("", _l("Choose a group"))]
            + [SelectChoice(f"gender:{g.value}", g.label) for g in Gender]
            + [SelectChoice(f"branch:{code}", code) for code in branch_codes])


class ConstraintsForm(BaseForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            # the rows take no filter themselves (their fields are stripped by their own form)
            if issubclass(unbound_field.field_class, (FieldList, FormField)):
                return unbound_field.bind(form=form, **options)
            return BaseForm.Meta.bind_field(self, form, unbound_field, options)

    each_gender_minimum = IntegerField(
        _l("At least this many seats for each gender (woman, man)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_SEATS)], render_kw={"inputmode": "numeric", "min": 0})
    rows = FieldList(FormField(ConstraintRowForm), min_entries=CONSTRAINT_ROWS, max_entries=CONSTRAINT_ROWS + 10)
    submit = SubmitField(_l("Save the rules"))

    def set_choices(self, branch_codes: list[str]) -> None:
        categories = [SelectChoice("", _l("None"))] + [SelectChoice(c.value, c.label) for c in ConstraintCategory]
        groups = group_choices(branch_codes)
        for row in self.rows:
            row.category.choices = categories
            row.group.choices = groups

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        seen = set()
        for row in self.rows:
            if row.is_empty():
                continue
            if not row.group.data:
                row.group.errors.append(_l("Choose the group this rule is about."))
                valid = False
                continue
            category, _sep, group = row.group.data.partition(":")
            if row.category.data and row.category.data != category:
                row.category.errors.append(_l("The group chosen is not of this category."))
                valid = False
            if row.minimum.data is None and row.maximum.data is None:
                row.minimum.errors.append(_l("Give at least a minimum or a maximum."))
                valid = False
            elif row.minimum.data is not None and row.maximum.data is not None and row.minimum.data > row.maximum.data:
                row.maximum.errors.append(_l("The maximum cannot be below the minimum."))
                valid = False
            if (category, group) in seen:
                row.group.errors.append(_l("This group has a rule already."))
                valid = False
            seen.add((category, group))
        quick = self.each_gender_minimum.data
        if quick and any(("gender", g) in seen for g in (Gender.woman.value, Gender.man.value)):
            self.each_gender_minimum.errors.append(
                _l("A row below is about a gender already: give its minimum there instead."))
            valid = False
        return valid

    def constraint_rows(self) -> list[tuple[str, str, int | None, int | None]]:
        """(category, group, minimum, maximum) of every filled row, the quick gender minimum first."""
        rows: list[tuple[str, str, int | None, int | None]] = []
        if self.each_gender_minimum.data:
            rows += [(ConstraintCategory.gender.value, g.value, self.each_gender_minimum.data, None)
                     for g in (Gender.woman, Gender.man)]
        for row in self.rows:
            if row.is_empty():
                continue
            category, _sep, group = row.group.data.partition(":")
            rows.append((category, group, row.minimum.data, row.maximum.data))
        return rows

    def fill(self, constraints) -> None:
        filled = list(constraints)
        while len(self.rows) < len(filled) + 2:
            self.rows.append_entry()
        for row, constraint in zip(self.rows, filled):
            row.category.data = constraint.category
            row.group.data = f"{constraint.category}:{constraint.group_key}"
            row.minimum.data = constraint.minimum
            row.maximum.data = constraint.maximum


# --- candidacies -----------------------------------------------------------------------------------
class CandidacyFormBase(MultilingualMixin, BaseForm):
    original_language = SelectField(_l("The language you write in"), choices=[], validate_choice=True)
    gender = SelectField(_l("Gender (optional)"), choices=[], validate_choice=True, default="")
    declares_employee = BooleanField(_l("I am employed by the cooperative"))
    submit = SubmitField(_l("Submit my candidacy"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid &= self._require_original(
            "statement", _l("Write your statement in the language you chose (%(language)s)."))
        valid &= self._require_original(
            "profile", _l("Write your short profile in the language you chose (%(language)s)."))
        return valid

    @property
    def asks_gender(self) -> bool:
        return "gender" in self._fields

    def fields_for_operation(self) -> dict:
        return {"statements": self.texts("statement"), "profiles": self.texts("profile"),
                "original_language": self.original_language.data,
                "gender": (self.gender.data or None) if self.asks_gender else None,
                "declares_employee": bool(self.declares_employee.data)}

    def fill(self, candidacy) -> None:
        self.original_language.data = candidacy.original_language
        self.fill_texts("statement", candidacy.statements)
        self.fill_texts("profile", candidacy.profiles)
        if self.asks_gender:
            self.gender.data = candidacy.gender or ""
        self.declares_employee.data = candidacy.declares_employee


def candidacy_form(languages: list[str], *, asks_gender: bool, **kwargs) -> CandidacyFormBase:
    class CandidacyForm(CandidacyFormBase):
        pass

    CandidacyForm.languages = tuple(languages)
    _add_text_fields(CandidacyForm, languages, [
        ("statement", _l("Statement (why you stand, what you would do)"), STATEMENT_MAX, 8),
        ("profile", _l("Short profile (who you are: work, experience; no photo)"), PROFILE_MAX, 3)])
    if not asks_gender:
        CandidacyForm.gender = None
    form = CandidacyForm(**kwargs)
    form.original_language.choices = _language_choices(languages)
    if asks_gender:
        form.gender.choices = [SelectChoice("", _l("I prefer not to say"))] + [SelectChoice(g.value, g.label)
                                                                               for g in Gender]
    return form


class ReviewForm(BaseForm):
    decision = RadioField(_l("Decision"), choices=[], validate_choice=True)
    reason = TextAreaField(_l("Reason (required for a refusal; the candidate reads it)"),
                           validators=[Optional(), Length(max=REASON_MAX)], render_kw={"rows": 2})
    submit = SubmitField(_l("Record the decision"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision.choices = [SelectChoice("accept", _l("Accept")), SelectChoice("refuse", _l("Refuse"))]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data == "refuse" and not self.reason.data:
            self.reason.errors.append(_l("Give the reason for the refusal."))
            valid = False
        return valid


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)], render_kw={"rows": 3})
    submit = SubmitField(_l("Confirm"))
