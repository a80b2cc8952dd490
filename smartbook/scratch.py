"""A throw-away database for the commands that measure on data of their own (the availability
benchmark, the waitlist simulation): made the way the test runner makes one and dropped
afterwards, so the configured database is never touched."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections


@contextmanager
def scratch_database(prefix: str) -> Iterator[None]:
    """Point the default connection at a new database (a temporary SQLite file, or a
    `<prefix>_smartbook_<pid>` PostgreSQL database) for the block, then drop it."""
    conn = connections["default"]
    original_name = conn.settings_dict["NAME"]
    test_settings = conn.settings_dict.setdefault("TEST", {})
    saved_test_name = test_settings.get("NAME")
    scratch = None
    if conn.vendor == "sqlite":
        scratch = tempfile.mkdtemp(prefix=f"{prefix}_")
        test_settings["NAME"] = os.path.join(scratch, f"{prefix}.sqlite3")
    else:
        test_settings["NAME"] = f"{prefix}_smartbook_{os.getpid()}"
    conn.close()
    conn.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        conn.creation.destroy_test_db(original_name, verbosity=0)
        test_settings["NAME"] = saved_test_name
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
