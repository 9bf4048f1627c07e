"""Forms of the ballots: defining one (question, explanation and options per language, method, electorate,
window, quorum, majority, who sees the result), the managers' actions that need a reason or a time, casting a
vote, and looking up a receipt.

A ballot's texts are entered per language, like a workgroup's: :func:`ballot_form` builds the form class with a
question, an explanation and a list of options for each language the cooperative writes in. Options are typed
one per line: line 3 of every language is option 3. No JavaScript is needed anywhere.

Times are typed as the reader's local time (``datetime-local``) and read in the account's time zone: the
fields' data are timezone-aware, and operations store them in UTC.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import (
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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from governance.core.forms import BaseForm
from governance.core.i18n import language_in_text, language_name, select_timezone
from governance.members.models import MemberStatus
from governance.votes import wording
from governance.votes.methods.decision import QUORUM_COUNT, QUORUM_NONE, QUORUM_SHARE, MAX_QUORUM_COUNT
from governance.votes.models import BallotMethod, ElectorateKind, ResultVisibility, YnaChoice
from governance.votes.operations import (
    DESCRIPTION_MAX,
    MAX_OPTIONS,
    OPTION_MAX,
    QUESTION_MAX,
    REASON_MAX,
    RECEIPT_LENGTH,
)
from governance.workgroups.forms import MultiCheckboxField

#: how a datetime-local input is written and read (the first is how a value is rendered)
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def reader_zone() -> dt.tzinfo:
    """The reader's time zone (the account's, else the portal's default) as a zoneinfo zone."""
    try:
        return ZoneInfo(select_timezone())
    except (KeyError, ValueError):
        return dt.timezone.utc


def _local_field(label, **kwargs) -> DateTimeLocalField:
    return DateTimeLocalField(label, validators=[Optional()], format=LOCAL_FORMATS, tz=reader_zone,
                              invalid_value_message=_l("Give a date and a time, such as 2026-05-31 18:00."),
                              **kwargs)


SECRECY_CHOICES = [SelectChoice("secret", _l("Secret: nobody can see how a member voted; a vote cannot be "
                                             "changed once cast")),
                   SelectChoice("open", _l("Open (roll call): the electorate sees who voted what after the close; "
                                           "members may change their vote until then"))]


def _lines(text: str | None) -> list[str]:
    """The options typed in a text area, one per line (empty lines left out)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class BallotFormBase(BaseForm):
    original_language = SelectField(_l("Original language"), choices=[], validate_choice=True)
    method = RadioField(_l("Voting method"), choices=[], validate_choice=True, default=BallotMethod.yna.value)
    seats = IntegerField(_l("Seats to fill"), validators=[Optional(), NumberRange(min=1, max=MAX_OPTIONS)],
                         render_kw={"inputmode": "numeric", "min": 1})
    max_choices = IntegerField(_l("Most options a member may approve"),
                               validators=[Optional(), NumberRange(min=1, max=MAX_OPTIONS)],
                               render_kw={"inputmode": "numeric", "min": 1})
    secrecy = RadioField(_l("Secrecy"), choices=SECRECY_CHOICES, validate_choice=True, default="secret")

    electorate_kind = RadioField(_l("Who votes"), choices=[], validate_choice=True,
                                 default=ElectorateKind.register.value)
    branches = MultiCheckboxField(_l("Branches"), choices=[], coerce=int, validate_choice=True)
    eligible_statuses = MultiCheckboxField(_l("Membership statuses that give a vote"), choices=[],
                                           validate_choice=True, default=[MemberStatus.active.value])
    register_cutoff = DateField(_l("Register cut-off date"), validators=[Optional()],
                                invalid_value_message=_l("Give a date, such as 2026-05-31."))
    workgroup = SelectField(_l("Workgroup"), choices=[], coerce=int, validate_choice=False)

    opens_at = _local_field(_l("Opens at"))
    closes_at = _local_field(_l("Closes at"))

    quorum_kind = RadioField(_l("Quorum"), choices=[], validate_choice=True, default=QUORUM_NONE)
    quorum_share = SelectField(_l("Share of the electoral roll"), choices=[], validate_choice=True,
                               default="share:1/2")
    quorum_count = IntegerField(_l("Number of participations"),
                                validators=[Optional(), NumberRange(min=1, max=MAX_QUORUM_COUNT)],
                                render_kw={"inputmode": "numeric", "min": 1})
    majority = SelectField(_l("Majority rule"), choices=[], validate_choice=True, default="simple")
    result_visibility = RadioField(_l("Who sees the result"), choices=[], validate_choice=True,
                                   default=ResultVisibility.everyone.value)
    submit = SubmitField(_l("Save the draft"))

    #: set by :func:`ballot_form`
    languages: tuple[str, ...] = ()

    # --- texts ---
    def question_field(self, code: str):
        return self[f"question_{code}"]

    def description_field(self, code: str):
        return self[f"description_{code}"]

    def options_field(self, code: str):
        return self[f"options_{code}"]

    def questions(self) -> dict[str, str]:
        return {code: self.question_field(code).data or "" for code in self.languages}

    def descriptions(self) -> dict[str, str]:
        return {code: self.description_field(code).data or "" for code in self.languages}

    def option_lines(self) -> dict[str, list[str]]:
        return {code: _lines(self.options_field(code).data) for code in self.languages}

    def options(self) -> list[dict[str, str]]:
        """The options as label mappings (language → text), in ballot order; none for yes/no/abstain."""
        if self.method.data == BallotMethod.yna.value:
            return []
        lines = self.option_lines()
        count = len(lines.get(self.original_language.data, []))
        return [{code: values[i] for code, values in lines.items() if i < len(values)} for i in range(count)]

    @property
    def offers_workgroup(self) -> bool:
        return "workgroup" in self._fields

    @property
    def offers_register(self) -> bool:
        return "branches" in self._fields

    def quorum_code(self) -> str:
        kind = self.quorum_kind.data
        if kind == QUORUM_SHARE:
            return self.quorum_share.data or QUORUM_NONE
        if kind == QUORUM_COUNT and self.quorum_count.data:
            return f"{QUORUM_COUNT}:{self.quorum_count.data}"
        return QUORUM_NONE

    def definition(self) -> dict:
        """The keyword arguments of ``create_ballot``/``update_ballot`` (except the workgroup object)."""
        method = self.method.data
        kind = self.electorate_kind.data
        return dict(
            questions=self.questions(), descriptions=self.descriptions(),
            original_language=self.original_language.data, method=method, options=self.options(),
            seats=self.seats.data if method == BallotMethod.stv.value else None,
            max_choices=self.max_choices.data if method == BallotMethod.approval.value else None,
            is_secret=self.secrecy.data == "secret", electorate_kind=kind,
            branch_ids=set(self.branches.data or ()) if kind == ElectorateKind.register.value else set(),
            eligible_statuses=list(self.eligible_statuses.data or ()),
            register_cutoff=self.register_cutoff.data if kind == ElectorateKind.register.value else None,
            opens_at=self.opens_at.data, closes_at=self.closes_at.data, quorum=self.quorum_code(),
            majority=self.majority.data if method == BallotMethod.yna.value else "simple",
            result_visibility=self.result_visibility.data)

    def fill(self, ballot) -> None:
        """Show a draft's present values (when the form is first opened)."""
        options = list(ballot.options)
        for code in self.languages:
            self.question_field(code).data = ballot.questions.get(code, "")
            self.description_field(code).data = ballot.descriptions.get(code, "")
            self.options_field(code).data = "\n".join(o.labels.get(code, "") for o in options) \
                if any(o.labels.get(code) for o in options) else ""
        self.original_language.data = ballot.original_language
        self.method.data = ballot.method
        self.seats.data = ballot.seats
        self.max_choices.data = ballot.max_choices
        self.secrecy.data = "secret" if ballot.is_secret else "open"
        self.electorate_kind.data = ballot.electorate_kind
        if self.offers_register:
            self.branches.data = sorted(ballot.branch_ids)
        self.eligible_statuses.data = list(ballot.eligible_statuses)
        self.register_cutoff.data = ballot.register_cutoff
        if self.offers_workgroup and ballot.workgroup_id is not None:
            self.workgroup.data = ballot.workgroup_id
        self.opens_at.data = ballot.opens_at
        self.closes_at.data = ballot.closes_at
        quorum = ballot.quorum or QUORUM_NONE
        self.quorum_kind.data = quorum.split(":", 1)[0]
        if quorum.startswith(QUORUM_SHARE + ":"):
            self.quorum_share.data = quorum
        elif quorum.startswith(QUORUM_COUNT + ":"):
            self.quorum_count.data = int(quorum.split(":", 1)[1])
        self.majority.data = ballot.majority
        self.result_visibility.data = ballot.result_visibility

    # --- checks ---
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        original = self.original_language.data
        method = self.method.data
        lines = self.option_lines()
        if original in self.languages:
            name = language_in_text(original)
            if not self.question_field(original).data:
                self.question_field(original).errors.append(
                    _l("Give the question in the original language (%(language)s).", language=name))
                valid = False
            if method and method != BallotMethod.yna.value and len(lines[original]) < 2:
                self.options_field(original).errors.append(
                    _l("Give at least two options in the original language (%(language)s), one per line.",
                       language=name))
                valid = False
        for code in self.languages:
            if self.description_field(code).data and not self.question_field(code).data:
                self.question_field(code).errors.append(_l("An explanation needs the question in the same language."))
                valid = False
            if method == BallotMethod.yna.value:
                if lines[code]:
                    self.options_field(code).errors.append(
                        _l("A yes/no/abstain ballot has no options: leave this empty, or choose another method."))
                    valid = False
                continue
            if len(lines[code]) > MAX_OPTIONS:
                self.options_field(code).errors.append(
                    _l("A ballot has at most %(max)s options.", max=MAX_OPTIONS))
                valid = False
            too_long = [line for line in lines[code] if len(line) > OPTION_MAX]
            if too_long:
                self.options_field(code).errors.append(
                    _l("An option has at most %(max)s characters.", max=OPTION_MAX))
                valid = False
            if code != original and original in self.languages and lines[code] \
                    and len(lines[code]) != len(lines[original]):
                self.options_field(code).errors.append(ngettext(
                    "Give the options in the same order and number as in the original language: %(num)s line.",
                    "Give the options in the same order and number as in the original language: %(num)s lines.",
                    len(lines[original])))
                valid = False
        if method == BallotMethod.stv.value and not self.seats.data:
            self.seats.errors.append(_l("Give the number of seats to fill."))
            valid = False
        if method == BallotMethod.approval.value and not self.max_choices.data:
            self.max_choices.errors.append(_l("Give how many options a member may approve at most."))
            valid = False
        kind = self.electorate_kind.data
        if kind == ElectorateKind.register.value and self.offers_register and not self.branches.data:
            self.branches.errors.append(_l("Choose at least one branch."))
            valid = False
        if kind == ElectorateKind.workgroup.value and self.offers_workgroup \
                and self.workgroup.data not in {choice.value for choice in self.workgroup.choices}:
            self.workgroup.errors.append(_l("Choose the workgroup whose members vote."))
            valid = False
        if not self.eligible_statuses.data:
            self.eligible_statuses.errors.append(_l("Choose at least one status."))
            valid = False
        if self.quorum_kind.data == QUORUM_COUNT and not self.quorum_count.data:
            self.quorum_count.errors.append(_l("Give the number of participations the quorum needs."))
            valid = False
        if self.quorum_kind.data == QUORUM_SHARE and not self.quorum_share.data:
            self.quorum_share.errors.append(_l("Choose the share of the electoral roll."))
            valid = False
        opens, closes = self.opens_at.data, self.closes_at.data
        if opens is not None and closes is not None and closes <= opens:
            self.closes_at.errors.append(_l("The ballot must close after it opens."))
            valid = False
        return valid


def ballot_form(languages: list[str], *, branches, workgroups, **kwargs) -> BallotFormBase:
    """A ballot form with a question, an explanation and options for each of ``languages``.

    ``branches`` are the branches whose members the account may ask to vote (the register electorate is
    left out without any), ``workgroups`` the workgroups it may hold a ballot in (the workgroup electorate is
    left out without any)."""

    class BallotForm(BallotFormBase):
        pass

    BallotForm.languages = tuple(languages)
    for code in languages:
        attrs = {"lang": code, "spellcheck": "true"}
        setattr(BallotForm, f"question_{code}", StringField(
            _l("Question"), validators=[Optional(), Length(max=QUESTION_MAX)],
            render_kw={**attrs, "autocomplete": "off"}))
        setattr(BallotForm, f"description_{code}", TextAreaField(
            _l("Explanation (optional)"), validators=[Optional(), Length(max=DESCRIPTION_MAX)],
            render_kw={**attrs, "rows": 5}))
        setattr(BallotForm, f"options_{code}", TextAreaField(
            _l("Options, one per line"), validators=[Optional()], render_kw={**attrs, "rows": 5}))
    if not branches:
        BallotForm.branches = None
        BallotForm.register_cutoff = None
    if not workgroups:
        BallotForm.workgroup = None
    form = BallotForm(**kwargs)
    form.original_language.choices = [SelectChoice(code, language_name(code)) for code in languages]
    form.method.choices = [SelectChoice(m.value, m.label) for m in BallotMethod]
    kinds = []
    if branches:
        kinds.append(SelectChoice(ElectorateKind.register.value, _l("The members of some branches (the register)")))
        form.branches.choices = [SelectChoice(b.id, b.name) for b in branches]
    if workgroups:
        kinds.append(SelectChoice(ElectorateKind.workgroup.value, _l("The members of a workgroup")))
        form.workgroup.choices = [SelectChoice(w.id, w.title.text) for w in workgroups]
    form.electorate_kind.choices = kinds
    if kinds and (form.electorate_kind.data not in {k.value for k in kinds}) and not form.is_submitted():
        form.electorate_kind.data = kinds[0].value
    form.eligible_statuses.choices = [SelectChoice(s.value, s.label) for s in MemberStatus]
    form.quorum_kind.choices = [SelectChoice(code, label) for code, label in wording.quorum_kind_choices()]
    form.quorum_share.choices = [SelectChoice(code, label) for code, label in wording.quorum_share_choices()]
    form.majority.choices = [SelectChoice(code, label) for code, label in wording.majority_rule_choices()]
    form.result_visibility.choices = [SelectChoice(v.value, v.label) for v in ResultVisibility]
    return form


def put_to_vote_form(**kwargs) -> "PutToVoteForm":
    form = PutToVoteForm(**kwargs)
    form.quorum_kind.choices = [SelectChoice(code, label) for code, label in wording.quorum_kind_choices()]
    form.quorum_share.choices = [SelectChoice(code, label) for code, label in wording.quorum_share_choices()]
    form.majority.choices = [SelectChoice(code, label) for code, label in wording.majority_rule_choices()]
    form.result_visibility.choices = [SelectChoice(v.value, v.label) for v in ResultVisibility]
    return form


class PutToVoteForm(BaseForm):
    """Putting a proposal ready for a vote to a yes/no/abstain ballot of its workgroup's members: the rules;
    the texts are the proposal's, and the rest can be changed on the draft afterwards."""

    secrecy = RadioField(_l("Secrecy"), choices=SECRECY_CHOICES, validate_choice=True, default="secret")
    quorum_kind = RadioField(_l("Quorum"), choices=[], validate_choice=True, default=QUORUM_NONE)
    quorum_share = SelectField(_l("Share of the electoral roll"), choices=[], validate_choice=True,
                               default="share:1/2")
    quorum_count = IntegerField(_l("Number of participations"),
                                validators=[Optional(), NumberRange(min=1, max=MAX_QUORUM_COUNT)],
                                render_kw={"inputmode": "numeric", "min": 1})
    majority = SelectField(_l("Majority rule"), choices=[], validate_choice=True, default="simple")
    result_visibility = RadioField(_l("Who sees the result"), choices=[], validate_choice=True,
                                   default=ResultVisibility.everyone.value)
    submit = SubmitField(_l("Create the draft ballot"))

    quorum_code = BallotFormBase.quorum_code

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.quorum_kind.data == QUORUM_COUNT and not self.quorum_count.data:
            self.quorum_count.errors.append(_l("Give the number of participations the quorum needs."))
            valid = False
        return valid


# --- managers' actions -----------------------------------------------------------------------------
class ReasonForm(BaseForm):
    """Annulling: the reason is recorded and shown with the ballot."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give the reason.")),
                                                     Length(max=REASON_MAX)], render_kw={"rows": 4})
    submit = SubmitField(_l("Annul the ballot"))


class ExtendForm(BaseForm):
    closes_at = DateTimeLocalField(_l("New closing time"), format=LOCAL_FORMATS, tz=reader_zone,
                                   validators=[InputRequired(message=_l("Give the new closing time."))],
                                   invalid_value_message=_l("Give a date and a time, such as 2026-05-31 18:00."))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give the reason.")),
                                                     Length(max=REASON_MAX)], render_kw={"rows": 4})
    submit = SubmitField(_l("Extend the ballot"))


# --- casting ---------------------------------------------------------------------------------------
class VoteFormBase(BaseForm):
    """The ballot paper. :func:`vote_form` adds the fields of the ballot's method."""

    submit = SubmitField(_l("Continue"))

    ballot = None
    #: the option ids of a ranked ballot, in ballot order (one rank select each)
    ranked_ids: tuple[int, ...] = ()

    def rank_field(self, option_id: int):
        return self[f"rank_{option_id}"]

    def choice(self):
        """The choice as ``cast_vote`` takes it (valid after :meth:`validate`)."""
        ballot = self.ballot
        if ballot.is_yna:
            return self.vote.data
        if ballot.method == BallotMethod.plurality.value:
            return self.vote.data
        if ballot.method == BallotMethod.approval.value:
            chosen = set(self.vote.data or ())
            return [o.id for o in ballot.options if o.id in chosen]
        ranks = {option_id: int(self.rank_field(option_id).data) for option_id in self.ranked_ids
                 if self.rank_field(option_id).data}
        return sorted(ranks, key=lambda option_id: (ranks[option_id], option_id))

    def rank_errors(self) -> list[str]:
        """The errors of the rank selects, each once."""
        errors: list[str] = []
        for option_id in self.ranked_ids:
            for error in self.rank_field(option_id).errors:
                if str(error) not in map(str, errors):
                    errors.append(error)
        return errors

    def hidden_fields(self) -> list[tuple[str, str]]:
        """The choice as (name, value) pairs, carried in hidden fields by the confirmation step."""
        ballot = self.ballot
        if ballot.is_ranked:
            return [(f"rank_{option_id}", str(self.rank_field(option_id).data)) for option_id in self.ranked_ids
                    if self.rank_field(option_id).data]
        if ballot.method == BallotMethod.approval.value:
            return [("vote", str(value)) for value in self.choice()]
        return [("vote", str(self.vote.data))]

    def fill(self, choice) -> None:
        """Show a choice (a roll-call vote being changed, or the choice taken back from the confirmation)."""
        ballot = self.ballot
        if choice is None:
            return
        if ballot.is_ranked:
            for rank, option_id in enumerate(choice, start=1):
                if option_id in self.ranked_ids:
                    self.rank_field(option_id).data = str(rank)
        elif ballot.method == BallotMethod.approval.value:
            self.vote.data = list(choice)
        else:
            self.vote.data = choice

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        ballot = self.ballot
        if ballot.method == BallotMethod.approval.value and valid:
            chosen = self.vote.data or []
            if not chosen:
                self.vote.errors.append(_l("Choose at least one option."))
                valid = False
            elif len(chosen) > (ballot.max_choices or 0):
                self.vote.errors.append(ngettext("Choose at most %(num)s option.", "Choose at most %(num)s options.",
                                                 ballot.max_choices or 0))
                valid = False
        if ballot.is_ranked and valid:
            ranks: dict[str, list[int]] = {}
            for option_id in self.ranked_ids:
                value = self.rank_field(option_id).data
                if value:
                    ranks.setdefault(value, []).append(option_id)
            if not ranks:
                self.rank_field(self.ranked_ids[0]).errors.append(_l("Rank at least one option."))
                valid = False
            for value, option_ids in ranks.items():
                if len(option_ids) > 1:
                    for option_id in option_ids:
                        self.rank_field(option_id).errors.append(
                            _l("Rank %(rank)s is given to several options: give each rank once.", rank=value))
                    valid = False
        return valid


def vote_form(ballot, member_id: int | None = None, **kwargs) -> VoteFormBase:
    """The ballot paper of ``ballot``: radio buttons (yes/no/abstain, single choice), checkboxes (approval), or a
    rank select per option (ranked methods: 1 … n, blank for an option left unranked). The options come in the
    order shown to ``member_id`` (see :meth:`Ballot.options_for`)."""

    class VoteForm(VoteFormBase):
        pass

    VoteForm.ballot = ballot
    options = ballot.options_for(member_id)
    required = InputRequired(message=_l("Choose one."))
    if ballot.is_yna:
        VoteForm.vote = RadioField(_l("Your vote"), choices=[SelectChoice(c.value, c.label) for c in YnaChoice],
                                   validate_choice=True, validators=[required])
    elif ballot.method == BallotMethod.plurality.value:
        VoteForm.vote = RadioField(_l("Your vote"), choices=[SelectChoice(o.id, o.label.text) for o in options],
                                   coerce=int, validate_choice=True, validators=[required])
    elif ballot.method == BallotMethod.approval.value:
        VoteForm.vote = MultiCheckboxField(
            _l("Your vote"), choices=[SelectChoice(o.id, o.label.text) for o in options], coerce=int,
            validate_choice=True)
    else:
        count = len(ballot.options)
        choices = [SelectChoice("", _l("Not ranked"))] + [SelectChoice(str(n), str(n)) for n in range(1, count + 1)]
        VoteForm.ranked_ids = tuple(o.id for o in options)
        for option in options:
            setattr(VoteForm, f"rank_{option.id}", SelectField(option.label.text, choices=choices,
                                                               validate_choice=True, default=""))
    return VoteForm(**kwargs)


class ReceiptLookupForm(BaseForm):
    code = StringField(_l("Your receipt code"), validators=[DataRequired(message=_l("Give your receipt code.")),
                                                            Length(max=4 * RECEIPT_LENGTH)],
                       render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    submit = SubmitField(_l("Check"))

    def normalised_code(self) -> str:
        """Upper case, without spaces or dashes (the code may be copied in groups)."""
        return "".join(ch for ch in (self.code.data or "").upper() if ch.isalnum())
