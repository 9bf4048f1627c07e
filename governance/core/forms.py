"""The base form every form of the portal derives from."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Strips surrounding whitespace from every text field (passwords are kept as typed)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, PasswordField):
                return unbound_field.bind(form=form, **options)
            filters = [_strip, *(unbound_field.kwargs.get("filters") or [])]
            return unbound_field.bind(form=form, filters=filters, **options)


class EmptyForm(BaseForm):
    """Only the CSRF token: for buttons that POST."""
