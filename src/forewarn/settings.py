"""Django settings for Forewarn.

Configuration comes from the environment (django-environ):
- DATABASE_URL: `sqlite:///path/to/db.sqlite3` (embedded default) or `postgres://user@host:5432/name`.
- SECRET_KEY: required unless FOREWARN_DEBUG=1 (development and tests).
"""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(environ.Env().str("FOREWARN_VAR_DIR", default=str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(FOREWARN_DEBUG=(bool, False))
DEBUG = env("FOREWARN_DEBUG")

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="forewarn-development-only-not-secret")
else:
    SECRET_KEY = env.str("SECRET_KEY")  # no default outside development: fail loudly

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",  # second factor for every member of staff (organisations.authentication)
    "django_otp.plugins.otp_totp",
    "axes",  # lockout after repeated failed sign-ins
    "csp",  # Content-Security-Policy header
    "ninja",  # serves the API explorer's assets from /static, not a CDN (the CSP allows 'self' only)
    "forewarn.core",
    "forewarn.organisations",
    "forewarn.workforce",
    "forewarn.cases",
    "forewarn.proceedings",
    "forewarn.audit",
    "forewarn.documents",
    "forewarn.portal",
    "forewarn.register",
    "forewarn.linkage",
    "forewarn.intelligence",
    "forewarn.disclosure",
    "forewarn.guidance",
    "forewarn.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "forewarn.audit.context.AuditContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in: session time limits, then deny by default (password and second factor) — web/auth_middleware.py.
    "forewarn.web.auth_middleware.SessionTimeoutMiddleware",
    "forewarn.web.auth_middleware.StaffAuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires: turns a lockout into the lockout page
]

ROOT_URLCONF = "forewarn.urls"
WSGI_APPLICATION = "forewarn.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'forewarn.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a CLI job writes; IMMEDIATE transactions make
    # select_for_update-style locking meaningful on SQLite (it has no row locks).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep database connections between requests (checked before reuse): a new PostgreSQL connection per
# request cost more than the request's own queries (connection set-up, cold catalogue caches).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

AUTH_USER_MODEL = "organisations.User"
LOGIN_URL = "web:sign-in"
LOGIN_REDIRECT_URL = "web:my-work"
LOGOUT_REDIRECT_URL = "web:sign-in"

# -- staff authentication (OWASP ASVS level 2, V2 and V3) ---------------------------------------------------
# django-axes refuses further attempts before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout per username *and* address: a guesser is stopped, but someone elsewhere typing wrong
# passwords for a colleague's name cannot lock that colleague out (ASVS 2.2.1). Wrong one-time
# codes count too (web.auth_views.two_factor). The failures are forgotten only when a sign-in
# completes both steps, not when a password alone succeeds.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=15))
# Back-off: every attempt during a lockout starts the wait again, so steady guessing never gets in.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "forewarn.web.auth_views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ADMIN = False
# Never keep one-time codes or CSRF tokens in axes's record of the request (passwords are always masked).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "csrfmiddlewaretoken"]
# TOTP: the app label shown beside the code; wrong codes double the wait per device (1, 2, 4… s).
OTP_TOTP_ISSUER = "Forewarn"
OTP_TOTP_THROTTLE_FACTOR = 1

# argon2 first: OWASP ASVS 2.4.1 recommends a memory-hard hash.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it even when serving from the finders
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from app static dirs; no collectstatic step for the demo

# Session time limits (ASVS 3.3.1, 3.3.2; NIST SP 800-63B 4.2.3 at AAL2: re-authenticate after at
# most 30 minutes of inactivity): 30 minutes idle, 8 hours absolute — a working shift, after which
# the second factor is asked for again. Enforced on the server (web.auth_middleware); the cookie
# also dies with the browser.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Security headers (ASVS 14.4). HSTS only outside development: a browser remembers it for a year.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: GOV.UK Frontend's start-up script is a static file
# (web/static/forewarn/), the QR code is inline SVG markup (not a style), and /api/docs uses
# django-ninja's bundled files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # data: for the icons inside GOV.UK's and Swagger UI's CSS
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Forewarn <no-reply@forewarn.invalid>")

# Uploaded documents: stored under random names and never served by URL (no MEDIA_URL route); a
# download goes through a view that checks the reader's scope. Owner-only file modes.
MEDIA_ROOT = Path(env.str("FOREWARN_MEDIA_ROOT", default=str(VAR_DIR / "media")))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FOREWARN_MAX_UPLOAD_BYTES = env.int("FOREWARN_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# The address complainants are given in letters for following their complaint (/follow/).
FOREWARN_PUBLIC_URL = env.str("FOREWARN_PUBLIC_URL", default="http://127.0.0.1:8000")

# Outgoing mail (register alerts, complainants' codes): Django's SMTP settings from the environment.
# A timeout, so a mail server that stops answering cannot stall the notification worker.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# The register's notification worker (`forewarn worker`, register/worker.py; docs/notifications.md).
# Retry n waits base × 2^(n-1) seconds (less up to 10 % jitter), at most the cap; after the last
# attempt a message is a dead letter (`forewarn outbox dead`, `forewarn outbox retry`).
FOREWARN_OUTBOX_BACKOFF_SECONDS = env.float("FOREWARN_OUTBOX_BACKOFF_SECONDS", default=30.0)
FOREWARN_OUTBOX_BACKOFF_MAX_SECONDS = env.float("FOREWARN_OUTBOX_BACKOFF_MAX_SECONDS", default=3600.0)
FOREWARN_OUTBOX_MAX_ATTEMPTS = env.int("FOREWARN_OUTBOX_MAX_ATTEMPTS", default=8)
# Delivered messages are deleted this many days after delivery by the worker (hourly) or by
# `forewarn outbox purge`; 0 keeps them. Pending and dead messages are kept.
FOREWARN_OUTBOX_KEEP_DAYS = env.int("FOREWARN_OUTBOX_KEEP_DAYS", default=30)
# How long a process keeps the serious-allegation rules before reading them again (docs/alerts.md).
FOREWARN_ALERT_RULES_CACHE_SECONDS = env.float("FOREWARN_ALERT_RULES_CACHE_SECONDS", default=5.0)
# Subject matching (docs/identification.md): switch off, and how long a process keeps the number of
# people on the register (the prior and term frequencies) before counting again.
FOREWARN_SUBJECT_MATCHING = env.bool("FOREWARN_SUBJECT_MATCHING", default=True)
FOREWARN_REGISTER_SIZE_CACHE_SECONDS = env.float("FOREWARN_REGISTER_SIZE_CACHE_SECONDS", default=60.0)
# How long a claimed batch is the claiming worker's; longer than a batch takes to deliver
# (batch × webhook timeout), or a slow batch's tail is sent twice (harmless, keyed, but wasteful).
FOREWARN_OUTBOX_LEASE_SECONDS = env.float("FOREWARN_OUTBOX_LEASE_SECONDS", default=120.0)
FOREWARN_WEBHOOK_TIMEOUT_SECONDS = env.float("FOREWARN_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Plain http is refused for webhooks (personal data) except to this machine in development and tests.
FOREWARN_WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool("FOREWARN_WEBHOOK_ALLOW_HTTP_LOOPBACK", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
