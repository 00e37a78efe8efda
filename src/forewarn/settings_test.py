"""Settings for the test suite: the normal settings in development mode, with a fast hasher."""

import os

os.environ.setdefault("FOREWARN_DEBUG", "1")

from forewarn.settings import *  # noqa: E402,F403

# Argon2 is deliberately slow; tests that need it override this (settings fixture).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
