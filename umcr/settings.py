"""Settings for the UMCR field backend, all read from the environment.

With nothing configured it runs embedded (SQLite file beside manage.py, django-q2's ORM
broker, DEBUG on) so a newcomer's first command works; a deployment sets DATABASE_URL,
REDIS_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS. There are no local settings files.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Embedded mode: no DATABASE_URL means a laptop or a demo, never a deployment.
EMBEDDED = not env.str("DATABASE_URL", default="")

DEBUG = env.bool("DEBUG", default=EMBEDDED)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="embedded-demo-only-not-a-secret" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and ReDoc served from our own static files, never a CDN.
    "drf_spectacular_sidecar",
    "csp",
    "django_q",
    "axes",
    "umcr",
    "responders",
    "calls",
    "followups",
    "referrals",
    "transports",
    "reports",
    "demo",
    "field",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A view that cannot reach the database answers 503 + Retry-After, not an HTML 500.
    "umcr.outage.OutageMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # ETag on every GET and 304 for a matching If-None-Match: phones on weak signal
    # re-download nothing that has not changed.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "umcr.sync.middleware.SyncActorMiddleware",
    "umcr.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a lockout into the response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "umcr.urls"
WSGI_APPLICATION = "umcr.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "umcr" / "templates"],
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

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3; app servers keep connections and check them before reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Lock out per (username, IP) pair: phones behind one carrier NAT must not lock each other out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "responders.auth.lockout_response"
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"]
)

# knox: one token per device, hashed at rest. A token lives a shift plus a long offline
# stretch and is refreshed on use; revoking a device deletes its tokens.
KNOX_TOKEN_MODEL = "responders.DeviceToken"
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("TOKEN_TTL_HOURS", default=72)),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=env.int("TOKEN_MAX_TTL_DAYS", default=30)),
    "MIN_REFRESH_INTERVAL": 3600,
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "responders.auth.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # DRF's own default is AllowAny.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only, on orjson with size and nesting limits (umcr/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["umcr.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "umcr.exceptions.json_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("LOGIN_THROTTLE_RATE", default="120/min"),
    },
    "COMPACT_JSON": True,
    # Trust X-Forwarded-For only from this many proxies in front (0: use REMOTE_ADDR).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

# A push of a shift's records fits; more is answered 413 in the API's error shape.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

SPECTACULAR_SETTINGS = {
    "TITLE": "UMCR field backend",
    "DESCRIPTION": (
        "API for unarmed crisis-response programs: clinician pairs' phones, the dispatch "
        "desk and case managers. Authenticate with `Authorization: Token <token>` from "
        "`POST /api/v1/auth/login/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The schema and its docs need a signed-in user unless DEBUG is on: umcr/urls.py.
    # Demo credentials appear in the examples only in demo mode (demo/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "demo.schema.hide_demo_password",
        # Every operation documents the errors every request can meet (umcr/schema.py).
        "umcr.schema.document_shared_errors",
    ],
    # Swagger UI from drf-spectacular-sidecar's static files; no request leaves the site
    # (the validator badge would call validator.swagger.io).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "CallStatusEnum": "calls.choices.CallStatus",
        "EventKindEnum": "calls.choices.EventKind",
        "BackupStatusEnum": "calls.choices.BackupStatus",
        "BackupReasonEnum": "calls.choices.BackupReason",
        "DispositionEnum": "calls.choices.Disposition",
        "NotificationKindEnum": "umcr.models.NotificationKind",
        "FollowUpStatusEnum": "followups.choices.FollowUpStatus",
        "FollowUpKindEnum": "followups.choices.FollowUpKind",
        "ReferralStatusEnum": "referrals.choices.ReferralStatus",
        "OutOfServiceReasonEnum": "responders.choices.OutOfServiceReason",
    },
}

# --- Background work (django-q2) -------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER: dict = {
    "name": "umcr",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 60,
    # A task whose worker died is handed out again after `retry` seconds (> timeout).
    "retry": 90,
    "max_attempts": 5,
    "ack_failures": True,
    "catch_up": False,
    # Tests run tasks in-process (Q_SYNC=1); a deployment never does.
    "sync": env.bool("Q_SYNC", default=False),
    "save_limit": 1000,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    # Without this django-q2 assumes a Redis on localhost.
    Q_CLUSTER["orm"] = "default"

# Per-device push limits (umcr/sync/limits.py): over either, a push is refused whole (429).
SYNC_PUSH_RECORDS_PER_MINUTE = env.int("SYNC_PUSH_RECORDS_PER_MINUTE", default=10_000)
SYNC_QUARANTINE_PER_HOUR = env.int("SYNC_QUARANTINE_PER_HOUR", default=2_000)
# What a phone holds (umcr/sync/window.py): its open calls, the calls received in the last
# SYNC_WINDOW_DAYS days (0: the whole history) and what open follow-ups and referrals point
# at. A pull answers at most SYNC_MAX_PAGE records at once (has_more says more remain), a
# first sync's download after its open calls at most SYNC_FIRST_SYNC_PAGE.
SYNC_WINDOW_DAYS = env.int("SYNC_WINDOW_DAYS", default=30)
SYNC_MAX_PAGE = env.int("SYNC_MAX_PAGE", default=4_000)
# The pages of a first sync after its open calls (a download of the whole window) hold up to
# this many records: each page costs its own request and reads (umcr/sync/pull.py), and the
# server holds a page as JSON text, not objects (bench/RESULTS.md: memory and time per size).
SYNC_FIRST_SYNC_PAGE = env.int("SYNC_FIRST_SYNC_PAGE", default=32_000)
# Exit rows (deletes for phones) are kept this long; an older cursor must resync.
SYNC_EXIT_RETENTION_DAYS = env.int("SYNC_EXIT_RETENTION_DAYS", default=90)
UMCR_DEVICE_MODEL = "responders.Device"  # the phones syncing (umcr.sync.get_device_model)

# The program's cost comparison (GET /api/v1/metrics/): dollars per hour of a clinician
# pair and of a police response (Los Angeles' first-year figures).
# Acknowledgement windows (calls/tasks.py): a call dispatched and not acknowledged within its
# priority's window re-alerts the team; a second window later the desk and the supervisors.
ACK_WINDOW_SECONDS = {
    1: env.int("ACK_WINDOW_URGENT_SECONDS", default=120),
    2: env.int("ACK_WINDOW_PROMPT_SECONDS", default=300),
    3: env.int("ACK_WINDOW_ROUTINE_SECONDS", default=600),
}
# On: a call still not acknowledged when the desk is alerted (two windows) moves to the next
# team by itself (calls/reroute.py). Off by default: the desk reroutes in one action.
ACK_AUTO_REROUTE = env.bool("ACK_AUTO_REROUTE", default=False)
# Team positions (responders/services.py): a position older than this is not used for
# routing; pings are kept this many days, then removed by a scheduled task.
POSITION_FRESH_MINUTES = env.int("POSITION_FRESH_MINUTES", default=10)
POSITION_RETENTION_DAYS = env.int("POSITION_RETENTION_DAYS", default=7)
UMCR_TEAM_HOURLY_COST = env.float("UMCR_TEAM_HOURLY_COST", default=35.0)
UMCR_POLICE_HOURLY_COST = env.float("UMCR_POLICE_HOURLY_COST", default=85.0)

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="umcr@localhost")
# The SMTP server the alerts go through (with the SMTP backend, i.e. DEBUG off).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# A hung mail server must not hold a worker past the task timeout (60 s).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Locale, static ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` writes (whitenoise serves from there), e.g. /var/lib/umcr/static.
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# The field app's modules (/app/, field/static/field/) import each other by plain names, which
# is what its service worker caches: keep whitenoise's default of serving the unhashed copies
# too (never WHITENOISE_KEEP_ONLY_HASHED_FILES).

# --- HTTPS and browser protections (`manage.py check --deploy` is clean with DEBUG off) ------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
if REST_FRAMEWORK["NUM_PROXIES"]:
    # Only behind a trusted proxy, which sets (and strips any client's) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Plain HTTP is redirected to HTTPS. Set SECURE_SSL_REDIRECT=false only where nothing speaks
# TLS (a laptop) or the proxy in front already redirects; a proxy that terminates TLS and sets
# X-Forwarded-Proto (with NUM_PROXIES) works with it on.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer probes over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$"]
# HSTS: browsers refuse plain HTTP to this host for this long. A first rollout may start
# with SECURE_HSTS_SECONDS=3600 and raise it once HTTPS is known to work everywhere.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Only consents to browsers' preload list; the host is on it once submitted to hstspreload.org.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp 4): the admin, the dashboard and the API docs load
# scripts only from this site or with the per-request nonce (`{{ request.csp_nonce }}`);
# Swagger UI's init script is a file of its own (SpectacularSwaggerSplitView). Inline styles
# are allowed: the dashboard draws its bars with style attributes and Swagger UI's page has
# a <style> block; a style cannot run code. Nothing is loaded from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# On-scene safety check-ins (calls/checkins.py): the phone asks "all OK?" every interval while
# the team is on scene; a check-in missed for the grace period raises a safety alert to the
# desk and the supervisors, repeated every escalation period until someone acknowledges it.
CHECKIN_INTERVAL_MINUTES = env.int("CHECKIN_INTERVAL_MINUTES", default=20)
CHECKIN_GRACE_MINUTES = env.int("CHECKIN_GRACE_MINUTES", default=5)
CHECKIN_ESCALATE_MINUTES = env.int("CHECKIN_ESCALATE_MINUTES", default=5)
