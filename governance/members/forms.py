from __future__ import annotations

from flask import current_app
from flask_babel import format_decimal, lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SearchField, SelectField, SubmitField
from wtforms.validators import Length, Optional, ValidationError

from governance.core.forms import BaseForm
from governance.members.models import MemberStatus

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
