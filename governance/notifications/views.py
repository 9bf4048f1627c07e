"""The notifications page, opening one notification (marks it read, then goes to what it is about),
marking all read, and the unread count in every page's header."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from governance.core.i18n import reader_languages
from governance.core.navigation import safe_next_url
from governance.extensions import db
from governance.notifications import operations as ops
from governance.notifications import queries, registry

log = logging.getLogger(__name__)

bp = Blueprint("notifications", __name__, template_folder="templates")


def _account():
    return current_user._get_current_object()


def unread_count_for_header() -> int | None:
    """The signed-in reader's unread notifications (one query per page, then kept for the request); None
    for a visitor. An error page whose database has failed still renders, without the count."""
    if not current_user or not current_user.is_authenticated:
        return None
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = queries.unread_count(current_user.id)
        except SQLAlchemyError:
            log.warning("unread notifications could not be counted", exc_info=True)
            db.session.rollback()
            g.unread_notifications = None
    return g.unread_notifications


@bp.app_context_processor
def notification_globals():
    return {"unread_notification_count": unread_count_for_header, "notification_cap": queries.COUNT_CAP}


def rendered(notifications) -> list[tuple]:
    """``(notification, sentence)`` in the reader's language."""
    languages = reader_languages()
    return [(n, registry.render(n.kind, n.data, languages)) for n in notifications]


@bp.route("/")
@login_required
def index():
    page = queries.notifications_page(_account().id, request.args.get("page", 1, type=int) or 1)
    return render_template("notifications/list.html", page=page, items=rendered(page.items),
                           unread=unread_count_for_header() or 0)


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    """Mark the notification read and go to what it is about."""
    account = _account()
    notification = queries.notification_of(account.id, notification_id)
    if notification is None:
        abort(404)
    ops.mark_read(notification, actor=account)
    link = safe_next_url(notification.link)
    target = request.script_root + link if link else url_for(".index")
    db.session.commit()
    return redirect(target, 303)


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    account = _account()
    count = ops.mark_all_read(account, actor=account)
    db.session.commit()
    if count:
        flash(ngettext("%(num)s notification marked as read.", "%(num)s notifications marked as read.", count),
              "success")
    else:
        flash(_("You had no unread notifications."), "info")
    return redirect(url_for(".index"), 303)
