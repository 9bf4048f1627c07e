"""How each kind of notification reads: feature packages register a renderer per kind.

A renderer takes the notification's ``data`` and the reader's languages (best first) and returns one
translated sentence. It is called at display time, inside the reader's locale (the request's, or the
recipient's for the email digest), so the same row reads in Dutch for one member and in French for
another. Titles are snapshots per language in ``data``; :func:`snapshot_text` stores them and
:func:`snapshot_pick` chooses the reader's version with :func:`governance.core.i18n.pick_text`.

Kinds are registered at import time by the module that emits them (for example
``governance.proposals.notifying``), which the feature's operations import.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from governance.core.i18n import LocalText, pick_text

log = logging.getLogger(__name__)

Renderer = Callable[[Mapping[str, Any], list[str]], str]

_RENDERERS: dict[str, Renderer] = {}


def register_kind(kind: str, renderer: Renderer) -> None:
    """Say how notifications of ``kind`` read. The module that owns a kind may register it again (a reload);
    another module taking the same code is a mistake."""
    existing = _RENDERERS.get(kind)
    if existing is not None and existing.__module__ != renderer.__module__:
        raise ValueError(f"notification kind {kind!r} is registered already")
    _RENDERERS[kind] = renderer


def registered_kinds() -> list[str]:
    return sorted(_RENDERERS)


def render(kind: str, data: Mapping[str, Any], languages: Iterable[str]) -> str:
    """The sentence for one notification, in the current locale; a generic one for an unknown kind (a kind
    whose feature was removed), so an old row never breaks the page."""
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        return _("You have a notification.")
    try:
        return renderer(data or {}, list(languages))
    except (KeyError, TypeError, ValueError):  # a row written by an older version of the feature
        log.warning("notification of kind %s could not be rendered", kind, exc_info=True)
        return _("You have a notification.")


# --- snapshots of multilingual texts ---------------------------------------------------------------
def snapshot_text(texts: Mapping[str, str] | None, original_language: str) -> dict[str, Any]:
    """``{"texts": {language: text}, "original": language}``: a title as it is now, in every language."""
    return {"texts": {code: text for code, text in (texts or {}).items() if text}, "original": original_language}


def snapshot_pick(snapshot: Mapping[str, Any] | None, languages: Iterable[str]) -> LocalText:
    """The reader's version of a snapshot taken with :func:`snapshot_text`."""
    snapshot = snapshot or {}
    return pick_text(snapshot.get("texts") or {}, snapshot.get("original") or "en", list(languages))
