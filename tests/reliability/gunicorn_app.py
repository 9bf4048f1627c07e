"""The WSGI application that ``test_killed_server.py`` serves with gunicorn (not a test module).

Settings come from the environment the test gives the server: ``RELIABILITY_DATABASE_URL`` and
``RELIABILITY_TMP``. With ``RELIABILITY_SLOW_BOX`` (seconds), every vote waits that long right after its paper is
in the box, so that a worker killed mid-way is killed inside open voting transactions.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from argon2 import PasswordHasher

from governance import create_app
from governance.accounts import passwords
from governance.votes import operations
from tests.conftest import make_settings

passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # as the test suite does

_SLOW = float(os.environ.get("RELIABILITY_SLOW_BOX", "0"))
_original_fault_point = operations.fault_point


def _slow_fault_point(name: str) -> None:
    if name == "votes.after_box_insert":
        time.sleep(_SLOW)
    _original_fault_point(name)


if _SLOW:
    operations.fault_point = _slow_fault_point

app = create_app(make_settings(os.environ["RELIABILITY_DATABASE_URL"], Path(os.environ["RELIABILITY_TMP"]),
                               RATELIMIT_ENABLED=False))
