"""The home page is made of sections that feature packages register, so core imports none of them.

A feature registers ``(template, provider)``: the provider returns the template's data, or None to leave
the section out (for example when nobody is signed in). Sections render in ``order``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

_KEY = "governance.home_sections"


@dataclass(frozen=True)
class Section:
    template: str
    provider: Callable[[], Any]
    order: int = 50


def register_section(app: Flask, template: str, provider: Callable[[], Any], *, order: int = 50) -> None:
    sections: list[Section] = app.extensions.setdefault(_KEY, [])
    if all(s.template != template for s in sections):
        sections.append(Section(template, provider, order))
        sections.sort(key=lambda s: s.order)


def rendered_sections() -> list[tuple[str, Any]]:
    """``(template, data)`` for each section that has something to show."""
    shown = []
    for section in current_app.extensions.get(_KEY, []):
        data = section.provider()
        if data is not None:
            shown.append((section.template, data))
    return shown
