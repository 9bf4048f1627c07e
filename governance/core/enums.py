"""Enumerations whose members carry their translated label.

Each member is declared as ``value = "value", _l("Label")``; ``member.label`` is the label in the current
locale, ``Enum.sql_values()`` the quoted list for a CHECK constraint and ``Enum.choices()`` the pairs a
select field takes::

    class MandateOrigin(LabelledEnum):
        election = "election", _l("Election")
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any


def sql_values(members: Iterable[enum.Enum]) -> str:
    """The quoted values of an enumeration, for a CHECK constraint: ``'draft', 'open'``."""
    return ", ".join(f"'{member.value}'" for member in members)


class LabelledEnum(str, enum.Enum):
    def __new__(cls, value: str, label: Any = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self) -> str:
        return str(self._label)

    @classmethod
    def sql_values(cls) -> str:
        return sql_values(cls)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @classmethod
    def values(cls) -> frozenset[str]:
        return frozenset(member.value for member in cls)
