from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SearchField, SelectField,
                     StringField, SubmitField)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from governance.accounts.models import DigestFrequency
from governance.accounts.operations import available_timezones
from governance.accounts.passwords import MAX_LENGTH, password_problem
from governance.core.forms import BaseForm
from governance.core.i18n import endonym

_NEW_PASSWORD_KW = {"autocomplete": "new-password"}


class SignInForm(BaseForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=320)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class SecondFactorForm(BaseForm):
    """One field for a 6-digit code or a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"})
    submit = SubmitField(_l("Continue"))


class TotpSetupForm(BaseForm):
    code = StringField(_l("Code shown by your app"), validators=[DataRequired(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"})
    submit = SubmitField(_l("Turn on two-step sign-in"))


class TotpDisableForm(SecondFactorForm):
    submit = SubmitField(_l("Turn off two-step sign-in"))


class RecoveryCodesForm(SecondFactorForm):
    submit = SubmitField(_l("Create new recovery codes"))


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=320)],
                       render_kw={"autocomplete": "email"})
    submit = SubmitField(_l("Send me a link"))


class _NewPasswordMixin:
    #: set by the view, so the password rules can refuse the account's own email address
    account_email: str | None = None

    def validate_new_password(self, field):
        problem = password_problem(field.data or "", email=self.account_email)
        if problem:
            raise ValidationError(str(problem))


class ResetPasswordForm(_NewPasswordMixin, BaseForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                 render_kw=_NEW_PASSWORD_KW)
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords are not the same."))],
        render_kw=_NEW_PASSWORD_KW,
    )
    submit = SubmitField(_l("Save the new password"))


class ChangePasswordForm(_NewPasswordMixin, BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                 render_kw=_NEW_PASSWORD_KW)
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords are not the same."))],
        render_kw=_NEW_PASSWORD_KW,
    )
    submit = SubmitField(_l("Change my password"))


class ProfileForm(BaseForm):
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), Length(max=120)],
                               render_kw={"autocomplete": "nickname"})
    language = SelectField(_l("Language"), validators=[DataRequired()], render_kw={"autocomplete": "language"})
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "off", "list": "timezone-options", "spellcheck": "false"})
    notify_workgroup_email = BooleanField(_l("Email me about activity in my workgroups"))
    notify_ballot_email = BooleanField(_l("Email me when a ballot I can vote in opens"))
    notify_convocation_email = BooleanField(_l("Email me convocations to general assemblies"))
    digest_frequency = SelectField(_l("Email summary of my notifications"), validators=[DataRequired()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [(code, endonym(code)) for code in current_app.config["LANGUAGES"]]
        self.digest_frequency.choices = [(d.value, d.label) for d in DigestFrequency]

    def validate_timezone(self, field):
        if field.data not in available_timezones():
            raise ValidationError(_l("Choose a time zone from the list, for example Europe/Brussels."))


# --- invitations, claims, export, deletion ---------------------------------------------------------
#: the status choices of the invitation page: the statuses for which an account can be created
_BOTH_STATUSES = "active,applicant"


class InvitationsForm(BaseForm):
    """Whom to invite in bulk. Read from the query string to show counts (no CSRF token then), and
    posted with the same values to send."""

    branch = SelectField(_l("Branch"), choices=[], validate_choice=True, default="")
    status = SelectField(_l("Status in the register"), choices=[], validate_choice=True, default=_BOTH_STATUSES)
    resend = BooleanField(_l("Also send a new invitation to members whose earlier invitation still works"))
    show = SubmitField(_l("Count the members"))
    submit = SubmitField(_l("Send the invitations"))

    def set_choices(self, branches, *, all_branches: bool) -> None:
        from governance.members.models import MemberStatus

        self.branch.choices = ([("", _l("All branches"))] if all_branches else []) + [
            (b.code, f"{b.name} ({b.code})") for b in branches]
        self.status.choices = [
            (_BOTH_STATUSES, _l("Active members and applicants")),
            (MemberStatus.active.value, MemberStatus.active.label),
            (MemberStatus.applicant.value, MemberStatus.applicant.label),
        ]

    @property
    def statuses(self) -> list[str]:
        return (self.status.data or _BOTH_STATUSES).split(",")


class AcceptInvitationForm(_NewPasswordMixin, BaseForm):
    display_name = StringField(_l("Name shown to others"), validators=[DataRequired(), Length(max=120)],
                               render_kw={"autocomplete": "name"})
    new_password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                 render_kw=_NEW_PASSWORD_KW)
    confirm_password = PasswordField(
        _l("Password, again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords are not the same."))],
        render_kw=_NEW_PASSWORD_KW,
    )
    language = SelectField(_l("Language"), validators=[DataRequired()], render_kw={"autocomplete": "language"})
    submit = SubmitField(_l("Create my account"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [(code, endonym(code)) for code in current_app.config["LANGUAGES"]]


class ClaimForm(BaseForm):
    number = StringField(_l("Member number"), validators=[DataRequired(), Length(max=32)],
                         render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=320)],
                       render_kw={"autocomplete": "email"})
    submit = SubmitField(_l("Send me a link"))


class DeleteAccountForm(BaseForm):
    current_password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                                     render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Delete my account"))


class DeleteAccountWithCodeForm(DeleteAccountForm):
    """For accounts with two-step sign-in: the code too."""

    code = StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"})


class InviteMemberForm(BaseForm):
    """The button that (re)sends one member their invitation; ``next`` is the page to return to."""

    next = HiddenField()
    submit = SubmitField(_l("Invite to create an account"))


# --- roles -----------------------------------------------------------------------------------------
class RoleSearchForm(BaseForm):
    """The search of the roles list: read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search accounts by name or email"), validators=[Optional(), Length(max=200)])


class GrantRoleForm(BaseForm):
    role = SelectField(_l("Role"), choices=[], validate_choice=True,
                       validators=[DataRequired(_l("Choose the role to give."))])
    branch = SelectField(_l("For"), choices=[], validate_choice=True, default="")

    def set_choices(self, branches) -> None:
        from flask_babel import gettext as _

        from governance.accounts.permissions import MANAGED_ROLES

        self.role.choices = [("", _("Choose a role"))] + [(r.value, r.label) for r in MANAGED_ROLES]
        # plain strings, made at request time: a branch's name is escaped like any other text
        self.branch.choices = [("", _("The whole cooperative"))] + [
            (b.code, _("Branch %(name)s (%(code)s)", name=b.name, code=b.code)) for b in branches]


class RevokeRoleForm(BaseForm):
    """The button that takes one role away; ``assignment`` names the role held."""

    assignment = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
