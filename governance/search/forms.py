"""The search form, read from the query string."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectChoice, SelectField
from wtforms.validators import ValidationError

from governance.core.forms import BaseForm
from governance.core.i18n import language_name
from governance.search.models import EntryKind
from governance.search.queries import MAX_QUERY_LENGTH, MIN_QUERY_LENGTH, parse_query


class SearchForm(BaseForm):
    """A GET form: no CSRF token (searching changes nothing)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search for"), render_kw={"maxlength": MAX_QUERY_LENGTH, "autocomplete": "off",
                                                  "spellcheck": "false"})
    kind = SelectField(_l("Show"), choices=[], validate_choice=True, default="")
    lang = SelectField(_l("Written in"), choices=[], validate_choice=True, default="")

    def set_choices(self, languages) -> None:
        self.kind.choices = [SelectChoice("", _l("Proposals and comments")),
                             SelectChoice(EntryKind.proposal.value, _l("Proposals")),
                             SelectChoice(EntryKind.comment.value, _l("Comments"))]
        self.lang.choices = ([SelectChoice("", _l("Any language"))]
                             + [SelectChoice(code, language_name(code)) for code in languages])

    def validate_q(self, field) -> None:
        text = field.data or ""
        if len(text) > MAX_QUERY_LENGTH:
            raise ValidationError(_l("Type at most %(max)s characters.", max=MAX_QUERY_LENGTH))
        if len(text) < MIN_QUERY_LENGTH:
            raise ValidationError(_l("Type at least %(min)s characters.", min=MIN_QUERY_LENGTH))
        if not parse_query(text):
            raise ValidationError(_l("Type at least one word: punctuation alone finds nothing."))
