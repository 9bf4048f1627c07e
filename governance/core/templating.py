"""Template filters and globals shared by every page and email."""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from governance.core.i18n import country_name, endonym, language_in_text, language_name
from governance.core.markdown import render_markdown, render_plain


def init_templating(app: Flask) -> None:
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.add_extension("jinja2.ext.loopcontrols")
    app.jinja_env.filters.update(
        markdown=render_markdown,
        plain=render_plain,
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "",
        number=lambda value: format_decimal(value) if value is not None else "",
        language_name=language_name,
        language_in_text=language_in_text,
        country_name=country_name,
    )

    @app.context_processor
    def layout_globals():
        return {
            "current_language": str(get_locale() or "en"),
            "interface_languages": [(code, endonym(code)) for code in current_app.config["LANGUAGES"]],
            "audit_latest_hash": _audit_latest_hash,
            "request_path": request.full_path.rstrip("?") if request else "/",
        }


def _audit_latest_hash() -> str:
    from governance.core.audit import latest_hash

    return latest_hash()
