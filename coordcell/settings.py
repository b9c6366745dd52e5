"""The one settings module. Everything an installation changes comes from the environment.

DATABASE_URL        postgres://user:pass@host:5432/name
                    (default: SQLite in WAL mode under COORDCELL_DATA_DIR)
COORDCELL_DATA_DIR  where the SQLite database, uploads and static files live (default ./var)
SECRET_KEY          required with COORDCELL_PRODUCTION=1: 50+ random characters (a weak or
                    published key is refused); without it, a random key kept in the data folder
DEBUG             "1" for development
ALLOWED_HOSTS     comma-separated host names
COORDCELL_CLASSIFICATION  the marking on every page and briefing ("UNCLASSIFIED // DEMO")
COORDCELL_TASKS_BACKEND   another Django tasks backend for background jobs (default: the database)
COORDCELL_FIGURES_SECONDS how long dashboard and report figures are reused (default 60; 0 = never)
COORDCELL_WORKER_NICE     CPU priority of `coordcell worker` and its solvers (nice 0-19; default
                          10), and of exports and first figures computed in a request
COORDCELL_TRUSTED_PROXIES addresses of the reverse proxies in front (comma-separated; default none)
COORDCELL_IMPORT_MAX_ROWS rows one import reads at most (default 100000); COORDCELL_IMPORT_MAX_MB
                          the largest upload (default 200); COORDCELL_IMPORT_MAX_UNPACKED_MB and
                          COORDCELL_IMPORT_MAX_RATIO how far a workbook may unpack (500, 100)
COORDCELL_EMAIL_HOST      the SMTP server for notifications (unset: mails are written to files
                          under COORDCELL_DATA_DIR/mail); COORDCELL_EMAIL_PORT, _USER, _PASSWORD,
                          _TLS, _SSL, _TIMEOUT, _FROM; COORDCELL_EMAIL_BACKEND and _OPTIONS (JSON)
                          for another mail backend; COORDCELL_BASE_URL for the links in mails
COORDCELL_NOTIFY_DIGEST_HOUR  the hour (UTC) the daily digest goes out (default 7)
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Secret keys that have been public: examples in our documentation and tests, and the fixed
# development key coordcell once fell back to. Never accepted in production.
KNOWN_SECRET_KEYS = frozenset(
    {
        "...",
        "insecure-dev-key-set-SECRET_KEY-in-production",
        "kkkkkkkkkk-production-secret-key-for-the-deploy-check-0123456789",
        "change-me",
        "changeme",
        "secret",
    }
)


def secret_key_weakness(key: str) -> str:
    """Why ``key`` is unfit to sign sessions in production ('' if it is fit).

    The rules of Django's own deploy check (security.W009), plus the keys known to be public.
    """
    if key in KNOWN_SECRET_KEYS:
        return "it is an example published with coordcell"
    if key.startswith("django-insecure"):
        return "it is a key Django generated for development (django-insecure...)"
    if len(key) < 50:
        return f"it has {len(key)} characters, fewer than 50"
    if len(set(key)) < 5:
        return f"it has {len(set(key))} distinct characters, fewer than 5"
    return ""


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("COORDCELL_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Without SECRET_KEY (the demo, a developer's machine) each installation makes its own random
    # key once and keeps it in its data folder: never a key that is public in this repository.
    _key_file = DATA_DIR / "secret-key"
    if not _key_file.exists():
        import secrets
        import tempfile

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=DATA_DIR, delete=False) as _new:
            _new.write(secrets.token_urlsafe(64))  # created 0600 by tempfile
        try:
            os.link(_new.name, _key_file)  # atomic: of processes starting together, one wins
        except FileExistsError:
            pass
        finally:
            os.unlink(_new.name)
    SECRET_KEY = _key_file.read_text().strip()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "django_tasks_db",
    "coordcell.jobs",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "coordcell.registry",
    "coordcell.audit",
    "coordcell.numbering",
    "coordcell.requirements",
    "coordcell.pledges",
    "coordcell.api",
    "coordcell.exchange",
    "coordcell.allocation",
    "coordcell.logistics",
    "coordcell.reports",
    "coordcell.training",
    "coordcell.readiness",
    "coordcell.notifications",
    "coordcell.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "coordcell.registry.middleware.SessionTimeoutMiddleware",
    "coordcell.registry.two_factor.SecondFactorMiddleware",
    "coordcell.registry.middleware.NoStoreMiddleware",
    "coordcell.audit.middleware.RefusedAccessMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coordcell.urls"
WSGI_APPLICATION = "coordcell.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coordcell.registry.context_processors.installation",
                "coordcell.notifications.context_processors.inbox",
            ],
            "builtins": ["coordcell.registry.templatetags.figures", "coordcell.guidance"],
        },
    },
]

# Forms and widgets render with Django's own Jinja2 templates for them (django/forms/jinja2/): the
# same HTML as the Django-language ones for less CPU (a shipment's page, with its event form:
# median 90 -> 64 ms). The pages themselves stay Django templates; the admin's own widget
# templates, which exist only in the Django language, render with it (registry/forms.py).
FORM_RENDERER = "coordcell.registry.forms.FormRenderer"

SQLITE_PATH = DATA_DIR / "coordcell.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                # WAL lets readers work while one writer writes; FULL survives power loss;
                # IMMEDIATE takes the write lock at BEGIN: two writers queue, never deadlock.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 60,  # seconds a writer waits for the lock before giving up
            },
        }
    }

# Dashboard and report figures (coordcell/reports/reuse.py), in the database: every app server
# and every worker, on any machine, reads and refreshes the same ones. The table is made by the
# reports app's first migration.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "coordcell_cache",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
}
COORDCELL_FIGURES_SECONDS = int(os.environ.get("COORDCELL_FIGURES_SECONDS", "60"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "registry.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: 5 failures lock the account, and 5 lock the address, for 15 minutes. The
# address is the TCP peer (REMOTE_ADDR), or behind a reverse proxy named in
# COORDCELL_TRUSTED_PROXIES the address that proxy saw (registry/client_address.py): a forged
# X-Forwarded-For header cannot reset the count.
COORDCELL_TRUSTED_PROXIES = env_list("COORDCELL_TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "coordcell.registry.client_address.client_address"
AXES_FAILURE_LIMIT = int(os.environ.get("COORDCELL_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("uk", "Українська")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format per language, numbers grouped per language (coordcell/formats/<lang>).
FORMAT_MODULE_PATH = ["coordcell.formats"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
COORDCELL_IDLE_MINUTES = int(os.environ.get("COORDCELL_IDLE_MINUTES", "30"))
COORDCELL_SESSION_HOURS = int(os.environ.get("COORDCELL_SESSION_HOURS", "12"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# No inline script or style anywhere: htmx and every asset are files served from 'self'.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"

# A second factor (TOTP) is optional for everyone and, when this is on, required for coordinators.
COORDCELL_2FA_REQUIRED = env_bool("COORDCELL_2FA_REQUIRED", env_bool("COORDCELL_PRODUCTION"))
OTP_TOTP_ISSUER = "coordcell"

# COORDCELL_PRODUCTION=1: the settings `manage.py check --deploy` asks for, behind HTTPS.
PRODUCTION = env_bool("COORDCELL_PRODUCTION", False)
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("COORDCELL_PRODUCTION=1 runs with DEBUG off.")
    _new_key = "e.g. from `python3 -c 'import secrets; print(secrets.token_urlsafe(64))'`"
    if not os.environ.get("SECRET_KEY"):
        raise ImproperlyConfigured(
            f"COORDCELL_PRODUCTION=1 needs SECRET_KEY (50+ random characters, {_new_key})."
        )
    if _weakness := secret_key_weakness(SECRET_KEY):
        # Django's deploy check only warns; a guessable key lets anyone sign a session cookie.
        raise ImproperlyConfigured(
            f"COORDCELL_PRODUCTION=1 refuses this SECRET_KEY: {_weakness}. "
            f"Set 50+ random characters, {_new_key}."
        )
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are only accepted over HTTPS, for this host and path "/".
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

COORDCELL_CLASSIFICATION = os.environ.get("COORDCELL_CLASSIFICATION", "UNCLASSIFIED // DEMO")
COORDCELL_PAGE_SIZE = 50

# Background jobs (allocation runs, ...) go through Django's tasks framework; by default the queue
# is a table in the database itself, worked by `coordcell worker` (no extra server needed).
# COORDCELL_TASKS_BACKEND names another Django tasks backend (a dedicated queue server; its
# package installed separately), COORDCELL_TASKS_OPTIONS its OPTIONS as JSON. See
# docs/deployment.md.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("COORDCELL_TASKS_BACKEND") or "django_tasks_db.DatabaseBackend",
        "OPTIONS": json.loads(os.environ.get("COORDCELL_TASKS_OPTIONS") or "{}"),
    }
}
# Each `coordcell worker` beats every COORDCELL_WORKER_HEARTBEAT seconds; a worker on another
# machine silent for COORDCELL_WORKER_STALE_AFTER seconds has stopped, and its running job is
# marked failed (coordcell/jobs/services.py).
COORDCELL_WORKER_HEARTBEAT = float(os.environ.get("COORDCELL_WORKER_HEARTBEAT") or "10")
COORDCELL_WORKER_STALE_AFTER = float(os.environ.get("COORDCELL_WORKER_STALE_AFTER") or "60")
COORDCELL_WORKER_NICE = int(os.environ.get("COORDCELL_WORKER_NICE") or "10")

# The REST API (coordcell/api): personal bearer tokens or the browser session, problem details.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "coordcell.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["coordcell.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "coordcell.api.pagination.Pagination",
    "EXCEPTION_HANDLER": "coordcell.api.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "coordcell API",
    "DESCRIPTION": "Registers, requirements, pledges and the audit trail. See docs/api.md.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Choices named alike in several models (a run's status, a shipment's status...): one
    # enumeration each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "AllocationRunKindEnum": "coordcell.allocation.models.AllocationRun.Kind",
        "AllocationRunStatusEnum": "coordcell.allocation.models.AllocationRun.Status",
        "AllocationRunMethodEnum": "coordcell.allocation.models.AllocationRun.Method",
        "ScheduleRunStatusEnum": "coordcell.training.models.ScheduleRun.Status",
        "ShipmentStatusEnum": "coordcell.logistics.lifecycle.ShipmentStatus",
        "DiscrepancyResolutionEnum": "coordcell.logistics.models.Discrepancy.Resolution",
        "ChangeTypeEnum": "coordcell.api.changes.TYPE_CHOICES",
        "DiscrepancyKindEnum": "coordcell.logistics.models.Discrepancy.Kind",
        "NotificationKindEnum": "coordcell.notifications.models.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "coordcell.api.schema.add_problem_responses",
        "coordcell.api.schema.type_enumerations",
    ],
}
# Spreadsheet import (coordcell/exchange): uploads, their reports and rejected rows live here
# (shared by the app servers and the workers, which run the imports). Limits, each refused with a
# message before any heavy work (docs/import.md): the upload's size (the page), the rows of one
# import (page and command), and how far a workbook may unpack.
COORDCELL_IMPORT_DIR = DATA_DIR / "imports"
COORDCELL_IMPORT_MAX_BYTES = int(os.environ.get("COORDCELL_IMPORT_MAX_MB") or "200") * 2**20
# An import's rows are written in one transaction and other writers wait for it (SQLite's busy
# timeout above is 60 s): 100,000 new pledges take about 11 s of CPU, 29-52 s on a two-core
# machine busy with other work (docs/import.md#limits). Change it with that in mind.
COORDCELL_IMPORT_MAX_ROWS = int(os.environ.get("COORDCELL_IMPORT_MAX_ROWS") or "100000")
COORDCELL_IMPORT_MAX_UNPACKED_BYTES = (
    int(os.environ.get("COORDCELL_IMPORT_MAX_UNPACKED_MB") or "500") * 2**20
)
COORDCELL_IMPORT_MAX_RATIO = int(os.environ.get("COORDCELL_IMPORT_MAX_RATIO") or "100")

# E-mail of notifications (coordcell/notifications/mail.py, docs/deployment.md): always sent by a
# background job, through Django's default mailer. Without COORDCELL_EMAIL_HOST each mail is
# written to a file under the data folder (nothing leaves the machine); with it, SMTP.
# COORDCELL_EMAIL_BACKEND names any other Django mail backend (e.g.
# django.core.mail.backends.console.EmailBackend), with COORDCELL_EMAIL_OPTIONS as JSON.
_EMAIL_HOST = os.environ.get("COORDCELL_EMAIL_HOST", "")
if os.environ.get("COORDCELL_EMAIL_BACKEND"):
    _MAILER = {
        "BACKEND": os.environ["COORDCELL_EMAIL_BACKEND"],
        "OPTIONS": json.loads(os.environ.get("COORDCELL_EMAIL_OPTIONS") or "{}"),
    }
elif _EMAIL_HOST:
    _MAILER = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _EMAIL_HOST,
            "port": int(os.environ.get("COORDCELL_EMAIL_PORT") or "25"),
            "username": os.environ.get("COORDCELL_EMAIL_USER", ""),
            "password": os.environ.get("COORDCELL_EMAIL_PASSWORD", ""),
            "use_tls": env_bool("COORDCELL_EMAIL_TLS", False),
            "use_ssl": env_bool("COORDCELL_EMAIL_SSL", False),
            "timeout": int(os.environ.get("COORDCELL_EMAIL_TIMEOUT") or "30"),
        },
    }
else:
    # Django's file backend under a name of coordcell's: the default on purpose, also in
    # production (coordcell/notifications/outbox.py).
    _MAILER = {
        "BACKEND": "coordcell.notifications.outbox.EmailBackend",
        "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
    }
MAILERS = {"default": _MAILER}
DEFAULT_FROM_EMAIL = os.environ.get("COORDCELL_EMAIL_FROM", "coordcell@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[coordcell] "
# Links in mails: the address users reach coordcell at (e.g. https://coordcell.example.org).
COORDCELL_BASE_URL = os.environ.get("COORDCELL_BASE_URL", "")
COORDCELL_NOTIFY_DIGEST_HOUR = int(os.environ.get("COORDCELL_NOTIFY_DIGEST_HOUR") or "7")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
