"""Settings for the takedown case tracker: one module, read from the environment.

Defaults are the embedded ones that `make run` uses (SQLite under var/, a local
Redis). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and
EMAIL_URL; every security switch turns on when DEBUG is off.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

VAR_DIR = Path(env("TRACKER_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key_from_var() -> str:
    """Generate the embedded secret key once and keep it under var/ (never committed)."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="") or _secret_key_from_var()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, whose forms it extends with each language's field
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tracker.core",
    "tracker.accounts",
    "platforms",
    "tracker.items",
    "tracker.evidence",
    "tracker.cases",
    "tracker.imports",
    "notices",
    "blocking",
    "tracker.search",
    "tracker.calendar",
    "tracker.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tracker.core.middleware.ContentSecurityPolicyMiddleware",
    # Early: an address over REQUEST_URL_MAX_LENGTH gets a 414 (with the headers above) before any other work.
    "tracker.core.middleware.RefuseLongUrlsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tracker.core.middleware.NeverStoreSignedInPagesMiddleware",
    "tracker.core.middleware.UserPreferencesMiddleware",
    "tracker.core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tracker.accounts.middleware.IdleSessionMiddleware",
    "tracker.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# --- Sign-in ------------------------------------------------------------------
# django-axes counts failed sign-ins per account and, separately, per address: AXES_FAILURE_LIMIT in a row lock
# that account or address out until AXES_COOLOFF_MINUTES pass or an administrator lifts it
# (`manage.py axes_reset_username NAME`). A success clears the account's count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "tracker.accounts.backends.ModelBackendInOneQuery"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tracker.core.middleware.client_address"  # the proxy's header only behind the proxy
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "tracker.conf.urls"
WSGI_APPLICATION = "tracker.conf.wsgi.application"
AUTH_USER_MODEL = "tracker.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
CSRF_FAILURE_VIEW = "tracker.core.views.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.core.navigation.navigation",
            ],
        },
    },
]
# Inputs and selects written in Python, as Django's templates write them (tracker/core/widget_renderer.py).
FORM_RENDERER = "tracker.core.widget_renderer.WidgetsInPython"

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, worker and beat share one file; IMMEDIATE avoids
    # "database is locked" on write upgrades inside transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis and Celery -------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="tracker")
# Outgoing email has a queue of its own, which every worker consumes beside the default one (taking from each in
# turn), so a batch's emails go out while later batches of lapses are still being worked, not after all of them.
CELERY_MAIL_QUEUE = env("CELERY_MAIL_QUEUE", default=f"{CELERY_TASK_DEFAULT_QUEUE}.mail")
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in (CELERY_TASK_DEFAULT_QUEUE, CELERY_MAIL_QUEUE)
]
CELERY_TASK_ROUTES = {
    "notices.send_delivery": {"queue": CELERY_MAIL_QUEUE},
    "notices.send_deliveries": {"queue": CELERY_MAIL_QUEUE},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Email ------------------------------------------------------------------------
EMAIL_FILE_PATH = VAR_DIR / "outbox"
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="takedown@tracker.invalid")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Time and language -------------------------------------------------------------
TIME_ZONE = env("TIME_ZONE", default="Asia/Jakarta")  # shown to users; stored as UTC
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Reference data (categories and their legal bases, ladders and steps, advisory reasons) in both languages: the
# page's language picks `name_id` or `name_en`, an empty translation falls back to English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "id")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

# --- Files ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env.bool("TRACKER_TESTING", default=False)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
EVIDENCE_ROOT = Path(env("EVIDENCE_ROOT", default=str(VAR_DIR / "evidence")))
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
# Evidence files: what may be attached, and how large (bytes).
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=50 * 1024 * 1024)
EVIDENCE_ALLOWED_TYPES = env.list(
    "EVIDENCE_ALLOWED_TYPES",
    default=[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/html",
        "multipart/related",  # a page saved as MHTML
        "text/plain",
        "video/mp4",
        "video/webm",
    ],
)
# Bulk imports of items: the largest upload, the most rows, rows per committed chunk.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=2_000_000)
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=5000)

# --- Auth -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# API tokens (tracker/accounts/tokens.py): how long a new one lasts unless its issuer says, and at most.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
# The authenticator apps show this name beside the account.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Takedown tracker")

# --- API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an API call without credentials gets 401 with WWW-Authenticate.
        "tracker.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.core.permissions.ModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": [
        "tracker.core.json_renderer.JSONRenderer",  # orjson, DRF's bytes
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "tracker.core.rest.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "tracker.core.filters.StrictFilterBackend",
        "tracker.core.rest.Ordering",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tracker.core.rest.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "tracker.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Takedown case tracker API",
    "DESCRIPTION": "Flagged content, cases, notices, block orders and the blocklist.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tracker.core.schema.document_errors",
    ],
    # Several models have a "status" or "source"; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "FlaggedItemStatusEnum": "tracker.items.models.FlaggedItem.Status",
        "CaseStatusEnum": "tracker.cases.models.Case.Status",
        "ItemImportStatusEnum": "tracker.imports.models.ItemImport.Status",
        "ItemSourceEnum": "tracker.items.models.FlaggedItem.Source",
        "UrgencyEnum": "tracker.items.models.Urgency",
        "AuditSourceEnum": "tracker.core.models.AuditEntry.Source",
        "TrackerRoleEnum": "tracker.core.models.Role",
        "BlockOrderStatusEnum": "blocking.models.BlockOrder.Status",
        "BlockProposalStatusEnum": "blocking.models.BlockProposal.Status",
        "AdvisoryStatusEnum": "platforms.models.GovernmentAdvisory.Status",
        "NoticeStatusEnum": "notices.models.Notice.Status",
        "DeliveryStateEnum": "notices.models.Delivery.State",
        "SanctionStateEnum": "notices.models.Sanction.State",
        "InboundMailStateEnum": "notices.models.InboundMail.State",
        "InboundMailSourceEnum": "notices.models.InboundMail.Source",
        "InboundMailKindEnum": "notices.models.InboundMail.Kind",
        "EscalationStepKindEnum": "notices.models.EscalationStep.Kind",
        "ContactKindEnum": "notices.models.ContactEntry.Kind",
        "PlatformContactRoleEnum": "platforms.models.PlatformContact.Role",
        "ContentCheckOutcomeEnum": "notices.models.ContentCheck.Outcome",
        "ContentCheckOccasionEnum": "notices.models.ContentCheck.Occasion",
        "NoticeItemOutcomeEnum": "notices.models.NoticeItem.Outcome",
    },
}

# --- Notices ------------------------------------------------------------------------
NOTICES_OWNER_REMINDERS = env.list("NOTICES_OWNER_REMINDERS", cast=int, default=[1440, 120])  # minutes before
NOTICES_SWEEP_LEASE_SECONDS = env.int("NOTICES_SWEEP_LEASE_SECONDS", default=600)
NOTICES_SWEEP_BUDGET_SECONDS = env.float("NOTICES_SWEEP_BUDGET_SECONDS", default=30)  # under the beat interval
NOTICES_SWEEP_BATCH = env.int("NOTICES_SWEEP_BATCH", default=5000)  # notices (and deliveries) per committed claim
NOTICES_FROM_EMAIL = env("NOTICES_FROM_EMAIL", default="")  # "" = DEFAULT_FROM_EMAIL
NOTICES_MESSAGE_ID_DOMAIN = env("NOTICES_MESSAGE_ID_DOMAIN", default="")  # "" = the sender's domain
NOTICES_SANCTION_CURRENCY = env("NOTICES_SANCTION_CURRENCY", default="IDR")
# Inbound email: a larger message is kept (headers only from IMAP) and sent to triage unread.
NOTICES_INBOUND_MAX_BYTES = env.int("NOTICES_INBOUND_MAX_BYTES", default=25 * 1024 * 1024)
# The notices mailbox the tracker polls over IMAP; an empty host turns polling off.
NOTICES_IMAP_HOST = env("NOTICES_IMAP_HOST", default="")
NOTICES_IMAP_PORT = env.int("NOTICES_IMAP_PORT", default=993)
NOTICES_IMAP_USER = env("NOTICES_IMAP_USER", default="")
NOTICES_IMAP_PASSWORD = env("NOTICES_IMAP_PASSWORD", default="")
NOTICES_IMAP_MAILBOX = env("NOTICES_IMAP_MAILBOX", default="INBOX")
NOTICES_IMAP_USE_SSL = env.bool("NOTICES_IMAP_USE_SSL", default=True)
NOTICES_IMAP_POLL_SECONDS = env.int("NOTICES_IMAP_POLL_SECONDS", default=60)  # the beat schedule's first interval
NOTICES_IMAP_BATCH = env.int("NOTICES_IMAP_BATCH", default=20)  # messages fetched per IMAP command
NOTICES_IMAP_TIMEOUT = env.int("NOTICES_IMAP_TIMEOUT", default=60)  # seconds

# --- Letters (printed notices and orders) --------------------------------------------
LETTERHEAD_MINISTRY_NAME = env("LETTERHEAD_MINISTRY_NAME", default="Ministry of Communication and Informatics")
LETTERHEAD_ADDRESS = env("LETTERHEAD_ADDRESS", default="")  # a line under the name; "" = none
# A static file (path under the static directories) or an absolute path; read from disk, never fetched.
LETTERHEAD_LOGO = env("LETTERHEAD_LOGO", default="tracker/letterhead-logo.svg")

# --- Blocking ------------------------------------------------------------------------
BLOCKING_BLOCK_PAGE_TARGET = env("BLOCKING_BLOCK_PAGE_TARGET", default="")  # "" = NXDOMAIN (CNAME .)
BLOCKING_RPZ_ZONE = env("BLOCKING_RPZ_ZONE", default="rpz.blocklist.invalid")
BLOCKING_SIGNING_KEY = env("BLOCKING_SIGNING_KEY", default="")  # Ed25519 private key, PEM; else generated on first use
BLOCKING_SIGNING_KEY_PATH = env("BLOCKING_SIGNING_KEY_PATH", default=str(VAR_DIR / "blocklist-signing-key.pem"))
BLOCKING_ACK_DEADLINE = env.int("BLOCKING_ACK_DEADLINE", default=240)  # minutes from issue to acknowledge
BLOCKING_IMPLEMENT_DEADLINE = env.int("BLOCKING_IMPLEMENT_DEADLINE", default=1440)  # minutes to report implemented
BLOCKING_DEADLINE_BUSINESS_HOURS = env.bool("BLOCKING_DEADLINE_BUSINESS_HOURS", default=False)
BLOCKING_DEADLINE_TIME_ZONE = env("BLOCKING_DEADLINE_TIME_ZONE", default="")  # "" = the default escalation policy's
BLOCKING_DEADLINE_HOLIDAY_COUNTRY = env("BLOCKING_DEADLINE_HOLIDAY_COUNTRY", default="")  # "" = the policy's
BLOCKING_ISP_REMINDERS = env.list("BLOCKING_ISP_REMINDERS", cast=int, default=[60])  # minutes before each deadline
BLOCKING_COMPLIANCE_NAMES = env.int("BLOCKING_COMPLIANCE_NAMES", default=200)
BLOCKING_COMPLIANCE_TIMEOUT = env.float("BLOCKING_COMPLIANCE_TIMEOUT", default=2.0)
# The RPZ by zone transfer (blocking/zone_transfer.py): the BIND primary the tracker configures and updates.
BLOCKING_BIND_DIR = env("BLOCKING_BIND_DIR", default=str(VAR_DIR / "bind"))  # named.conf, keys, zones, logs; "" = off
BLOCKING_BIND_ADDRESS = env("BLOCKING_BIND_ADDRESS", default="127.0.0.1")  # where ISPs' resolvers transfer from
BLOCKING_BIND_PORT = env.int("BLOCKING_BIND_PORT", default=5300)  # 53 in production
BLOCKING_BIND_RNDC_PORT = env.int("BLOCKING_BIND_RNDC_PORT", default=9530)  # control channel, loopback only
BLOCKING_BIND_UPDATE_MAX_NAMES = env.int("BLOCKING_BIND_UPDATE_MAX_NAMES", default=5000)  # more: zone file reload
BLOCKING_BIND_TIMEOUT = env.float("BLOCKING_BIND_TIMEOUT", default=10.0)

# --- Security ------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Django's database sessions, each read by one prepared statement (tracker/accounts/sessions.py).
SESSION_ENGINE = "tracker.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)  # signed out after this long without a request
# Behind the ministry's reverse proxy: trust its X-Forwarded-Proto, and its X-Forwarded-For for the audit trail.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by local monitors and load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# /healthz: how long to wait for a worker's pong; how old beat's last heartbeat may be.
HEALTH_WORKER_TIMEOUT = env.float("HEALTH_WORKER_TIMEOUT", default=1.5)
HEALTH_BEAT_MAX_AGE = env.int("HEALTH_BEAT_MAX_AGE", default=180)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Stuck imports (tracker/imports/services.py, requeue_stuck_imports) ----------------------------------------
# Seconds an import may wait queued before it is queued again (its message lost while Redis was down); seconds a
# running import keeps its claim without committing a chunk before it is queued again (its worker died). The
# lease must be longer than one chunk (IMPORT_CHUNK_ROWS) takes to commit.
IMPORT_QUEUED_SECONDS = env.int("IMPORT_QUEUED_SECONDS", default=300)
IMPORT_LEASE_SECONDS = env.int("IMPORT_LEASE_SECONDS", default=300)
# Seconds to pause after each committed chunk, leaving the database to others during a huge import (0: none).
IMPORT_CHUNK_PAUSE_SECONDS = env.float("IMPORT_CHUNK_PAUSE_SECONDS", default=0)

# The longest address (path and query string, in characters) the tracker answers; longer ones get 414.
# Below gunicorn's own limit on the request line (deploy/gunicorn.conf.py), so the answer is the tracker's.
REQUEST_URL_MAX_LENGTH = env.int("REQUEST_URL_MAX_LENGTH", default=4096)

# --- Re-checks of content a platform said it removed (notices/rechecks.py) ------------------------------------
# The HTTP forward proxy the ministry controls; every check goes through it. Unset: no check is made (each is
# recorded as "not configured"); the tracker never connects to a platform directly.
RECHECK_PROXY_URL = env("RECHECK_PROXY_URL", default="")
# When to check after a "removed" or "restricted" answer, in hours: at once, after a day, after a week.
RECHECK_AFTER_HOURS = [float(hours) for hours in env.list("RECHECK_AFTER_HOURS", default=["0", "24", "168"])]
RECHECK_CONNECT_TIMEOUT = env.float("RECHECK_CONNECT_TIMEOUT", default=5)
RECHECK_READ_TIMEOUT = env.float("RECHECK_READ_TIMEOUT", default=10)
RECHECK_TOTAL_SECONDS = env.float("RECHECK_TOTAL_SECONDS", default=30)  # the whole fetch, redirects included
RECHECK_MAX_BYTES = env.int("RECHECK_MAX_BYTES", default=2 * 1024 * 1024)
RECHECK_MAX_REDIRECTS = env.int("RECHECK_MAX_REDIRECTS", default=5)
RECHECK_HOST_INTERVAL_SECONDS = env.float("RECHECK_HOST_INTERVAL_SECONDS", default=2)  # per platform host
RECHECK_CONCURRENCY = env.int("RECHECK_CONCURRENCY", default=2)  # checks running at once, all workers together
RECHECK_QUEUE = env("RECHECK_QUEUE", default=CELERY_TASK_DEFAULT_QUEUE)
RECHECK_LEASE_SECONDS = env.int("RECHECK_LEASE_SECONDS", default=600)  # a claimed check whose task was lost
RECHECK_USER_AGENT = env("RECHECK_USER_AGENT", default="takedown-tracker re-check")
