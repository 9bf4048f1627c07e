"""Forms of the assembly's session: registration (and proxy), the check-in search and buttons, the vote of a
present member (their own and their grantors'), the tellers' room totals, the minutes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, ValidationError

from governance.assemblies.models import AttendanceMode, RegistrationMode
from governance.assemblies.minutes import MINUTES_MAX
from governance.core.forms import BaseForm
from governance.votes.models import YnaChoice


class RegistrationForm(BaseForm):
    mode = RadioField(_l("How will you attend?"), validators=[InputRequired(_l("Choose how you will attend."))])
    holder_number = StringField(_l("Member number of the member who will carry your proxy"),
                                validators=[Optional(), Length(max=32)])

    def set_modes(self, assembly) -> None:
        """Offer what the assembly allows: in person (a place), online (a link), a proxy (if it takes any)."""
        choices = []
        if assembly.place:
            choices.append(SelectChoice(RegistrationMode.in_person.value, RegistrationMode.in_person.label))
        if assembly.online_url:
            choices.append(SelectChoice(RegistrationMode.online.value, RegistrationMode.online.label))
        if assembly.max_proxies_per_holder > 0:
            choices.append(SelectChoice(RegistrationMode.proxy.value,
                                        _l("I give my proxy to another member on the roll")))
        self.mode.choices = choices

    def validate_holder_number(self, field) -> None:
        if self.mode.data == RegistrationMode.proxy.value and not field.data:
            raise ValidationError(_l("Give the member number of the member who will carry your proxy."))


class CheckInSearchForm(BaseForm):
    """The check-in desk's search (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or member number"), validators=[Optional(), Length(max=120)])


class CheckInForm(BaseForm):
    mode = HiddenField(validators=[InputRequired(), AnyOf([m.value for m in AttendanceMode])])


class RoomTallyForm(BaseForm):
    yes = IntegerField(YnaChoice.yes.label, validators=[InputRequired(_l("Give a number (0 if none).")),
                                                        NumberRange(min=0, message=_l("Give 0 or more."))])
    no = IntegerField(YnaChoice.no.label, validators=[InputRequired(_l("Give a number (0 if none).")),
                                                      NumberRange(min=0, message=_l("Give 0 or more."))])
    abstain = IntegerField(_l("Abstentions"), validators=[InputRequired(_l("Give a number (0 if none).")),
                                                          NumberRange(min=0, message=_l("Give 0 or more."))])


def _choices():
    return [SelectChoice(c.value, c.label) for c in YnaChoice]


def vote_form(slots, formdata=None):
    """One yes/no/abstain question per person the reader votes for (``slots``: the members who may still vote
    online), field ``member_<id>``; at least one must be answered."""

    class VoteForm(BaseForm):
        def validate(self, extra_validators=None) -> bool:
            ok = super().validate(extra_validators)
            if ok and not self.choices():
                self.form_errors.append(_l("Choose yes, no or abstain."))
                return False
            return ok

        def choices(self) -> dict[int, str]:
            return {int(name.removeprefix("member_")): field.data for name, field in self._fields.items()
                    if name.startswith("member_") and field.data}

        def person_fields(self):
            return [(slot, self[f"member_{slot.member.id}"]) for slot in slots]

        def hidden_fields(self):
            return [(f"member_{member_id}", choice) for member_id, choice in self.choices().items()]

    for slot in slots:
        label = (_l("Your vote") if slot.is_self else slot.member.full_name)
        setattr(VoteForm, f"member_{slot.member.id}",
                RadioField(label, choices=_choices(), validators=[Optional()], validate_choice=True))
    return VoteForm(formdata=formdata) if formdata is not None else VoteForm()


def minutes_form(languages, texts=None, formdata=None):
    """A text area per language of the minutes (``text_<code>``)."""
    from governance.core.i18n import language_in_text

    class MinutesForm(BaseForm):
        def texts(self) -> dict[str, str]:
            return {code: self[f"text_{code}"].data or "" for code in languages}

        def language_fields(self):
            return [(code, self[f"text_{code}"]) for code in languages]

    for code in languages:
        setattr(MinutesForm, f"text_{code}", TextAreaField(
            _l("Minutes in %(language)s (Markdown)", language=language_in_text(code)),
            validators=[InputRequired(_l("The minutes cannot be empty.")), Length(max=MINUTES_MAX)]))
    data = {f"text_{code}": (texts or {}).get(code, "") for code in languages}
    if formdata is not None:
        return MinutesForm(formdata=formdata)
    return MinutesForm(data=data)
