"""Named fault points, so tests can make the code fail at an exact place, the same way every time.

Production code calls ``fault_point("outbox.after_send")``; a test arms it with
``with inject_fault("outbox.after_send"): …``. Unarmed points cost one dictionary look-up.
"""
from __future__ import annotations

from contextlib import contextmanager

_armed: dict[str, BaseException | type[BaseException]] = {}


class InjectedFault(RuntimeError):
    """Raised by an armed fault point."""


def fault_point(name: str) -> None:
    exc = _armed.get(name)
    if exc is not None:
        raise exc if isinstance(exc, BaseException) else exc(name)


@contextmanager
def inject_fault(name: str, exc: BaseException | type[BaseException] = InjectedFault):
    _armed[name] = exc
    try:
        yield
    finally:
        _armed.pop(name, None)
