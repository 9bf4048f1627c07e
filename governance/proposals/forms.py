"""Forms of the proposals: writing or editing one (a title and a text per language), choosing a co-author,
and recording a decision."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from governance.core.forms import BaseForm
from governance.core.i18n import language_in_text, language_name
from governance.proposals.operations import BODY_MAX, COMMENT_MAX, REASON_MAX, TITLE_MAX


class ProposalFormBase(BaseForm):
    original_language = SelectField(_l("Original language"), choices=[], validate_choice=True)
    submit = SubmitField(_l("Save"))

    languages: tuple[str, ...] = ()

    def title_field(self, code: str):
        return self[f"title_{code}"]

    def body_field(self, code: str):
        return self[f"body_{code}"]

    def titles(self) -> dict[str, str]:
        return {code: self.title_field(code).data or "" for code in self.languages}

    def bodies(self) -> dict[str, str]:
        return {code: self.body_field(code).data or "" for code in self.languages}

    def fill(self, proposal) -> None:
        for code in self.languages:
            self.title_field(code).data = proposal.titles.get(code, "")
            self.body_field(code).data = proposal.bodies.get(code, "")
        self.original_language.data = proposal.original_language

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        original = self.original_language.data
        if original in self.languages:
            name = language_in_text(original)
            if not self.title_field(original).data:
                self.title_field(original).errors.append(
                    _l("Give the title in the original language (%(language)s).", language=name))
                valid = False
            if not self.body_field(original).data:
                self.body_field(original).errors.append(
                    _l("Give the text in the original language (%(language)s).", language=name))
                valid = False
        for code in self.languages:
            if self.body_field(code).data and not self.title_field(code).data:
                self.title_field(code).errors.append(_l("A text needs a title in the same language."))
                valid = False
        return valid


def proposal_form(languages: list[str], **kwargs) -> ProposalFormBase:
    """A form with a title and a text field for each of ``languages``."""

    class ProposalForm(ProposalFormBase):
        pass

    ProposalForm.languages = tuple(languages)
    for code in languages:
        attrs = {"lang": code, "spellcheck": "true"}
        setattr(ProposalForm, f"title_{code}", StringField(
            _l("Title"), validators=[Optional(), Length(max=TITLE_MAX)], render_kw={**attrs, "autocomplete": "off"}))
        setattr(ProposalForm, f"body_{code}", TextAreaField(
            _l("Text"), validators=[Optional(), Length(max=BODY_MAX)], render_kw={**attrs, "rows": 12}))
    form = ProposalForm(**kwargs)
    form.original_language.choices = [SelectChoice(code, language_name(code)) for code in languages]
    return form


class CoauthorForm(BaseForm):
    member = SelectField(_l("Co-author"), choices=[], coerce=int, validate_choice=True,
                         validators=[InputRequired()])
    submit = SubmitField(_l("Add as co-author"))

    def set_choices(self, members, exclude: set[int]) -> None:
        self.member.choices = [SelectChoice(m.id, m.full_name) for m in members if m.id not in exclude]


DECISION_CHOICES = [SelectChoice("adopted", _l("Adopted")), SelectChoice("rejected", _l("Rejected"))]


class DecisionForm(BaseForm):
    outcome = RadioField(_l("Decision"), choices=DECISION_CHOICES, validate_choice=True,
                         validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)], render_kw={"rows": 4})
    submit = SubmitField(_l("Record the decision"))


# --- comments --------------------------------------------------------------------------------------
class CommentForm(BaseForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=COMMENT_MAX)],
                         render_kw={"rows": 6})
    submit = SubmitField(_l("Publish the comment"))


class ReplyForm(CommentForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=COMMENT_MAX)],
                         render_kw={"rows": 6})
    submit = SubmitField(_l("Publish the reply"))


class EditCommentForm(CommentForm):
    submit = SubmitField(_l("Save the comment"))


class FlagForm(BaseForm):
    reason = TextAreaField(_l("Why should a facilitator look at this comment? (optional)"),
                           validators=[Optional(), Length(max=REASON_MAX)], render_kw={"rows": 3})
    submit = SubmitField(_l("Flag for the facilitators"))


class HideForm(BaseForm):
    reason = TextAreaField(_l("Reason for hiding"), validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 3})
    submit = SubmitField(_l("Hide the comment"))


# --- amendments ------------------------------------------------------------------------------------
class AmendmentForm(BaseForm):
    language = SelectField(_l("Language version to amend"), choices=[], validate_choice=True,
                           validators=[InputRequired()])
    original_excerpt = TextAreaField(_l("Passage to replace"), validators=[Optional(), Length(max=BODY_MAX)],
                                     render_kw={"rows": 5, "spellcheck": "false"})
    replacement = TextAreaField(_l("New text"), validators=[Optional(), Length(max=BODY_MAX)],
                                render_kw={"rows": 5, "spellcheck": "true"})
    explanation = TextAreaField(_l("Why this amendment?"), validators=[DataRequired(), Length(max=REASON_MAX)],
                                render_kw={"rows": 4})
    submit = SubmitField(_l("Propose the amendment"))

    def set_languages(self, languages: list[str]) -> None:
        self.language.choices = [SelectChoice(code, language_name(code)) for code in languages]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.original_excerpt.data and not self.replacement.data:
            self.replacement.errors.append(_l("Give the passage to replace, the new text, or both."))
            valid = False
        elif self.original_excerpt.data and self.original_excerpt.data == self.replacement.data:
            self.replacement.errors.append(_l("The new text is the same as the passage it replaces."))
            valid = False
        return valid


class RejectAmendmentForm(BaseForm):
    reason = TextAreaField(_l("Reason for rejecting"), validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 3})
    submit = SubmitField(_l("Reject the amendment"))


# --- translations by members -----------------------------------------------------------------------
class TranslationForm(BaseForm):
    """A proposal's title and text in another language (``set_language`` marks the fields with it)."""

    title = StringField(_l("Translated title"), validators=[DataRequired(), Length(max=TITLE_MAX)],
                        render_kw={"autocomplete": "off", "spellcheck": "true"})
    body = TextAreaField(_l("Translated text"), validators=[DataRequired(), Length(max=BODY_MAX)],
                         render_kw={"rows": 14, "spellcheck": "true"})
    submit = SubmitField(_l("Save the translation"))

    def set_language(self, code: str) -> None:
        for f in (self.title, self.body):
            f.render_kw = {**(f.render_kw or {}), "lang": code}


class CommentTranslationForm(BaseForm):
    source_language = SelectField(_l("The comment is written in"), choices=[], validate_choice=True)
    body = TextAreaField(_l("Translation"), validators=[DataRequired(), Length(max=COMMENT_MAX)],
                         render_kw={"rows": 8, "spellcheck": "true"})
    submit = SubmitField(_l("Save the translation"))

    def set_languages(self, language: str, sources: list[str]) -> None:
        """Translating into ``language``, from one of ``sources``."""
        self.source_language.choices = [SelectChoice(code, language_name(code)) for code in sources if code != language]
        self.body.render_kw = {**(self.body.render_kw or {}), "lang": language}
