"""Locale and time-zone selection, and formatting helpers for templates."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from babel import Locale
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user


def available_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """The account's language, then the session's (language switcher), then Accept-Language."""
    languages = available_languages()
    user = current_user if current_user else None
    if user is not None and user.is_authenticated and getattr(user, "language", None) in languages:
        return user.language
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return chosen
    if request:
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return default if default in languages else "en"


def select_timezone() -> str:
    user = current_user if current_user else None
    if user is not None and user.is_authenticated and getattr(user, "timezone", None):
        return user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def language_name(code: str, in_language: str | None = None) -> str:
    """The name of a language, in the reader's language by default (``language_name('nl') → 'Dutch'``)."""
    in_language = in_language or str(get_locale() or "en")
    try:
        name = Locale.parse(code).get_display_name(in_language) or code
    except (ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:]


def language_in_text(code: str, in_language: str | None = None) -> str:
    """The name of a language as it is written inside a sentence: "in Dutch", "en néerlandais", "auf
    Niederländisch" (French writes language names in lower case; :func:`language_name` capitalises them for
    labels and lists)."""
    in_language = in_language or str(get_locale() or "en")
    try:
        return Locale.parse(code).get_display_name(in_language) or code
    except (ValueError, TypeError):
        return code


def endonym(code: str) -> str:
    """The name of a language in that language, for the language switcher ('Nederlands', 'Français')."""
    return language_name(code, code)


def fallback_language(preferred: str | None, branch_languages: list[str] | tuple[str, ...] = ()) -> str:
    """A member whose language has no catalog sees their branch's first official language that has one."""
    languages = available_languages()
    if preferred in languages:
        return preferred
    for code in branch_languages:
        if code in languages:
            return code
    return "en"


def country_name(code: str) -> str:
    """A country's name in the reader's language (``country_name('BE') → 'Belgique'`` for a French reader)."""
    try:
        return Locale.parse(str(get_locale() or "en")).territories.get(code.upper(), code)
    except (ValueError, TypeError, AttributeError):
        return code


# --- multilingual content: a mapping language → text plus the original language ---------------------
@dataclass(frozen=True)
class LocalText:
    """A text chosen for a reader: ``is_fallback`` when it is not in one of the reader's languages
    (the template then says "original in …" and marks the text with its ``lang``)."""

    text: str
    language: str
    is_fallback: bool

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def reader_languages() -> list[str]:
    """The languages the reader reads content in, best first: the interface language, and the
    language of their register entry when the interface has no catalog for it (an Italian member
    reading the portal in English still prefers an Italian text)."""
    if not has_request_context():
        return ["en"]
    languages = [str(get_locale() or "en")]
    member = getattr(current_user, "member", None) if current_user else None
    if member is not None and member.language not in current_app.config["LANGUAGES"]:
        languages.insert(0, member.language)
    return languages


def pick_text(texts: Mapping[str, str] | None, original_language: str,
              languages: Iterable[str] | None = None) -> LocalText:
    """The text in the first of ``languages`` (the reader's) that has one, else the original, else any."""
    texts = texts or {}
    for code in (reader_languages() if languages is None else languages):
        if texts.get(code):
            return LocalText(texts[code], code, False)
    if texts.get(original_language):
        return LocalText(texts[original_language], original_language, True)
    for code in sorted(texts):
        if texts[code]:
            return LocalText(texts[code], code, True)
    return LocalText("", original_language, False)


def pick_version(requested: str | None, original_language: str, *texts: Mapping[str, str] | None):
    """A language version the reader asked for (``?lang=xx``), when the first of ``texts`` has it.

    Returns ``(version, [LocalText, …])`` — one LocalText per mapping in ``texts`` — or ``("", None)``
    when that version does not exist, so the caller shows the reader's own language instead."""
    if requested and texts and (texts[0] or {}).get(requested):
        return requested, [pick_text(mapping, original_language, [requested]) for mapping in texts]
    return "", None
