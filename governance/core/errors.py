"""Domain errors and the HTTP error pages.

Operations raise a :class:`DomainError` with a translatable message; views turn it into a flashed
message and a 4xx status (see :func:`governance.core.views_helpers.handle_domain_error`).
"""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
#: refused requests (403), for the security monitoring: who, what, from where (the time is the record's)
security_log = logging.getLogger("governance.security")


class DomainError(Exception):
    """A rule of the cooperative was not met. ``message`` is shown to the user, translated."""

    status_code = 400
    default_message = _l("This action is not possible.")

    def __init__(self, message=None, **params):
        self.message = message if message is not None else self.default_message
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotAllowed(DomainError):
    status_code = 403
    default_message = _l("You are not allowed to do this.")


class NotFound(DomainError):
    status_code = 404
    default_message = _l("This page does not exist.")


class Conflict(DomainError):
    """The object changed state meanwhile, or a uniqueness rule would be broken."""

    status_code = 409
    default_message = _l("This was changed meanwhile; please reload the page and try again.")


class InvalidInput(DomainError):
    status_code = 422
    default_message = _l("Some of the information given is not valid.")


ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Changed meanwhile"),
    413: _l("File too large"),
    422: _l("Invalid information"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}

ERROR_TEXTS = {
    400: _l("The request could not be understood. If you submitted a form, please go back and try again."),
    403: _l("You do not have access to this page. If you think you should, contact your branch's secretary."),
    404: _l("We could not find this page. It may have been moved or deleted, or the address may be mistyped."),
    405: _l("This page cannot be used this way."),
    409: _l("This was changed meanwhile; please reload the page and try again."),
    413: _l("The file you sent is larger than the portal accepts."),
    422: _l("Some of the information given is not valid."),
    429: _l("You have made too many requests in a short time. Please wait a moment and try again."),
    500: _l("An unexpected error happened on our side. It has been logged; please try again later."),
}


def render_error(code: int, detail: str | None = None):
    from governance.extensions import db

    db.session.rollback()
    code = code if code in ERROR_TITLES else 500
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=ERROR_TITLES[code],
            text=ERROR_TEXTS[code],
            detail=detail,
        ),
        code,
    )


def _route() -> str:
    """The route of the request (``/account/password/reset/<token>``), never its path: a path can carry a token,
    and control characters that would forge log lines."""
    rule = request.url_rule
    return rule.rule if rule is not None else "(no route)"


def _log_refused(code: int) -> None:
    from flask_login import current_user

    account_id = getattr(current_user, "id", None) if current_user and current_user.is_authenticated else None
    security_log.warning("access refused (%s): %s %s, endpoint %s, account %s, address %s", code, request.method,
                         _route(), request.endpoint, account_id, request.remote_addr)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 403:
            _log_refused(403)
        if exc.code == 400 and getattr(exc, "description", "") and "CSRF" in str(exc.description):
            from flask_babel import gettext as _

            return render_error(400, _("Your form had expired or was sent from elsewhere. Please reload the page and try again."))
        if exc.code in ERROR_TITLES:
            return render_error(exc.code)
        return exc

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if exc.status_code == 403:
            _log_refused(403)
        return render_error(exc.status_code if exc.status_code in ERROR_TITLES else 400, str(exc))

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        log.exception("Unhandled error on %s %s (endpoint %s)", request.method, _route(), request.endpoint)
        return render_error(500)
