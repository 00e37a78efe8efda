"""Settings for the test suite: the normal settings in development mode, with a fast hasher."""

import os

os.environ.setdefault("FOREWARN_DEBUG", "1")

from forewarn.settings import *  # noqa: E402,F403

# Argon2 is deliberately slow; tests that need it override this (settings fixture).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file rather than Django's in-memory test database, so that a real subprocess (the worker in
    # tests/register/test_worker_crash.py) can open the same database. Under /dev/shm where there
    # is one: memory-backed, as fast as in-memory. One file per process (pytest-django adds _gwN for
    # xdist workers), so runs side by side in one working tree never share a database; files left
    # by killed runs are removed here.
    import tempfile
    from pathlib import Path

    _shm = Path("/dev/shm")
    _test_dir = _shm if _shm.is_dir() and os.access(_shm, os.W_OK) else Path(tempfile.gettempdir())
    for _old in _test_dir.glob("forewarn-test-*.sqlite3*"):
        _pid = _old.name.removeprefix("forewarn-test-").split(".", 1)[0]
        try:
            os.kill(int(_pid), 0)
        except (ValueError, ProcessLookupError):
            _old.unlink(missing_ok=True)
        except PermissionError:  # another user's live process
            pass
    DATABASES["default"]["TEST"] = {"NAME": str(_test_dir / f"forewarn-test-{os.getpid()}.sqlite3")}  # noqa: F405

# Tests change the serious-allegation rules directly in the database: read them fresh every time.
FOREWARN_ALERT_RULES_CACHE_SECONDS = 0
FOREWARN_REGISTER_SIZE_CACHE_SECONDS = 0
