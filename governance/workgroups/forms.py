"""Forms of the workgroups: the directory's filters, and creating or editing a workgroup.

A workgroup's title and description are entered per language: :func:`workgroup_form` builds the form
class with one title and one description field for each language the cooperative writes in.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from governance.core.forms import BaseForm
from governance.core.i18n import language_in_text, language_name
from governance.workgroups.models import JoinPolicy, WorkgroupTheme
from governance.workgroups.operations import DESCRIPTION_MAX, SUPPORT_THRESHOLD_MAX, TITLE_MAX
from governance.workgroups.queries import COOPERATIVE


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (rendered in a fieldset by the ``choice_group`` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DirectoryFilterForm(BaseForm):
    """Read from the query string: no CSRF token."""

    class Meta:
        csrf = False

    branch = SelectField(_l("Open to"), choices=[], validate_choice=True, default="")
    language = SelectField(_l("Working language"), choices=[], validate_choice=True, default="")
    theme = SelectField(_l("Theme"), choices=[], validate_choice=True, default="")
    mine = BooleanField(_l("Only my workgroups"))
    archived = BooleanField(_l("Archived workgroups"))
    submit = SubmitField(_l("Show"))

    def set_choices(self, branches, languages) -> None:
        self.branch.choices = ([SelectChoice("", _l("Everyone I can see")),
                                SelectChoice(COOPERATIVE, _l("The whole cooperative"))]
                               + [SelectChoice(b.code, b.name) for b in branches])
        self.language.choices = ([SelectChoice("", _l("Any language"))]
                                 + [SelectChoice(code, language_name(code)) for code in languages])
        self.theme.choices = [SelectChoice("", _l("Any theme"))] + [SelectChoice(t.value, t.label) for t in WorkgroupTheme]


SCOPE_CHOICES = [SelectChoice("cooperative", _l("The whole cooperative")),
                 SelectChoice("branches", _l("The members of some branches"))]


class WorkgroupFormBase(BaseForm):
    original_language = SelectField(_l("Original language"), choices=[], validate_choice=True)
    working_languages = MultiCheckboxField(_l("Working languages"), choices=[], validate_choice=True)
    theme = SelectField(_l("Theme"), choices=[], validate_choice=True)
    joining = RadioField(_l("Joining"), choices=[], validate_choice=True, default=JoinPolicy.open.value)
    scope = RadioField(_l("Open to"), choices=SCOPE_CHOICES, validate_choice=True, default="cooperative")
    branches = MultiCheckboxField(_l("Branches"), choices=[], coerce=int, validate_choice=True)
    facilitate = BooleanField(_l("I will facilitate this workgroup"), default=True)
    support_threshold = IntegerField(
        _l("Supports that make a proposal ready for a vote"),
        validators=[Optional(), NumberRange(min=1, max=SUPPORT_THRESHOLD_MAX,
                                            message=_l("Give a number between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric", "min": 1, "max": SUPPORT_THRESHOLD_MAX})
    submit = SubmitField(_l("Save"))

    #: set by :func:`workgroup_form`
    languages: tuple[str, ...] = ()

    def title_field(self, code: str):
        return self[f"title_{code}"]

    def description_field(self, code: str):
        return self[f"description_{code}"]

    def titles(self) -> dict[str, str]:
        return {code: self.title_field(code).data or "" for code in self.languages}

    def descriptions(self) -> dict[str, str]:
        return {code: self.description_field(code).data or "" for code in self.languages}

    @property
    def has_scope(self) -> bool:
        return "branches" in self._fields

    def branch_ids(self) -> set[int] | None:
        """None for the whole cooperative, else the chosen branches' ids."""
        if "scope" in self._fields and self.scope.data == "cooperative":
            return None
        return set(self.branches.data or ())

    def fill(self, workgroup) -> None:
        """Show a workgroup's present values (when the form is first opened)."""
        for code in self.languages:
            self.title_field(code).data = workgroup.titles.get(code, "")
            self.description_field(code).data = workgroup.descriptions.get(code, "")
        self.original_language.data = workgroup.original_language
        self.working_languages.data = list(workgroup.working_languages)
        self.theme.data = workgroup.theme
        self.joining.data = workgroup.joining
        self.support_threshold.data = workgroup.support_threshold
        if "scope" in self._fields:
            self.scope.data = "cooperative" if workgroup.is_cooperative_wide else "branches"
        if self.has_scope:
            self.branches.data = sorted(workgroup.branch_ids)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        original = self.original_language.data
        if original in self.languages:
            if not self.title_field(original).data:
                self.title_field(original).errors.append(
                    _l("Give the title in the original language (%(language)s).", language=language_in_text(original)))
                valid = False
            if not self.description_field(original).data:
                self.description_field(original).errors.append(
                    _l("Give the description in the original language (%(language)s).",
                       language=language_in_text(original)))
                valid = False
        for code in self.languages:
            if self.description_field(code).data and not self.title_field(code).data:
                self.title_field(code).errors.append(_l("A description needs a title in the same language."))
                valid = False
        if not self.working_languages.data:
            self.working_languages.errors.append(_l("Choose at least one working language."))
            valid = False
        if self.has_scope and self.branch_ids() is not None and not self.branches.data:
            self.branches.errors.append(_l("Choose at least one branch."))
            valid = False
        return valid


def workgroup_form(languages: list[str], *, branches, scope: bool = True,
                   cooperative_scope: bool = True, facilitate: bool = False, **kwargs) -> WorkgroupFormBase:
    """A form with a title and description field per language of ``languages``.

    ``branches`` are the branches the account may choose; without ``scope`` the scope fields are left out
    (a facilitator edits texts, not the audience); without ``cooperative_scope`` only the branches are
    asked for (board members restrict workgroups to their branches); ``facilitate`` offers the creator to
    facilitate it.
    """

    class WorkgroupForm(WorkgroupFormBase):
        pass

    WorkgroupForm.languages = tuple(languages)
    for code in languages:
        attrs = {"lang": code, "spellcheck": "true"}
        setattr(WorkgroupForm, f"title_{code}", StringField(
            _l("Title"), validators=[Optional(), Length(max=TITLE_MAX)], render_kw={**attrs, "autocomplete": "off"}))
        setattr(WorkgroupForm, f"description_{code}", TextAreaField(
            _l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)], render_kw={**attrs, "rows": 8}))
    if not scope or not cooperative_scope:
        WorkgroupForm.scope = None
    if not scope:
        WorkgroupForm.branches = None
    if not facilitate:
        WorkgroupForm.facilitate = None
    form = WorkgroupForm(**kwargs)
    form.original_language.choices = [SelectChoice(code, language_name(code)) for code in languages]
    form.working_languages.choices = [SelectChoice(code, language_name(code)) for code in languages]
    form.theme.choices = [SelectChoice(t.value, t.label) for t in WorkgroupTheme]
    form.joining.choices = [SelectChoice(p.value, p.label) for p in JoinPolicy]
    if scope:
        form.branches.choices = [SelectChoice(b.id, b.name) for b in branches]
    return form
