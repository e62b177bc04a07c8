"""TokenTracker settings, read from the environment (twelve-factor).

Every value has an embedded default that works for a first run on one machine (SQLite file,
eager tasks, local-memory cache). A value that is present but malformed stops start-up with
ImproperlyConfigured instead of being silently replaced by the default.
"""

import logging
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

from tokentracker.env import (
    envbool,
    envfernetkeys,
    envint,
    envlist,
    envseconds,
    envstr,
)
from tokentracker.logs import FORMATTERS as LOG_FORMATTERS
from tokentracker.logs import log_format_from_env
from tokentracker.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = envbool("DEBUG", False)

DEV_SECRET_KEY = "dev-insecure-secret-key-set-SECRET_KEY-in-production"
SECRET_KEY = envstr("SECRET_KEY", DEV_SECRET_KEY)

# Encrypts stored request/response payloads (and provider credentials) at rest.
FIELD_ENCRYPTION_KEYS = envfernetkeys(
    "FIELD_ENCRYPTION_KEY", dev_secret=SECRET_KEY if SECRET_KEY == DEV_SECRET_KEY else None
)

# The first run's hosts; `check --deploy` refuses them (tokentracker.checks): production
# names the host its clients use.
DEV_ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", list(DEV_ALLOWED_HOSTS))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "tokentracker",
    "carbon",
    "usage",
    "opendata",
    "billing",
]

MIDDLEWARE = [
    # First: one log line per request with its id, timed over every other middleware.
    "tokentracker.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, as WhiteNoise asks: static responses skip the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy header of every page (settings below, "HTTPS and CSP").
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tokentracker.urls"
WSGI_APPLICATION = "tokentracker.wsgi.application"

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
                "tokentracker.context_processors.dashboard",
            ],
        },
    },
]

_DEFAULT_DATABASE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            envstr("DATABASE_URL", _DEFAULT_DATABASE_URL),
            conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: WAL lets the dev server read while a batch is being written.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiles any query the planner prices above 100k: on a 180-day rollup aggregate
    # or a log export it spent 1.8 s compiling to save milliseconds (bench/RESULTS.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envstr("REDIS_URL", "")


# Redis only speeds requests up (tokentracker.cache) and queues follow-up work, so a down
# or hung Redis must cost milliseconds, not redis-py's defaults (no socket timeout: a hung
# server hangs the request). Seconds to connect, and to wait for one command's answer, for
# the cache and the broker.
REDIS_CONNECT_TIMEOUT = envseconds("REDIS_CONNECT_TIMEOUT", 0.25)
REDIS_SOCKET_TIMEOUT = envseconds("REDIS_SOCKET_TIMEOUT", 0.5)
# After a failed cache (or broker publish) call, each process skips the cache (publishes)
# for this long, then lets one call try again (tokentracker.cache, tokentracker.broker).
REDIS_BREAKER_SECONDS = envseconds("REDIS_BREAKER_SECONDS", 5)

# Passed to redis-py's connection pool. No retry on timeout: the breaker decides when to
# try again. The health check pings a connection idle for 30 s before using it, so a pooled
# connection from before a Redis restart is replaced instead of failing (and tripping the
# breaker) on first use.
CACHE_REDIS_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "retry_on_timeout": False,
    "health_check_interval": 30,
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "tt"),
            "OPTIONS": CACHE_REDIS_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: with no broker configured, tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Don't let a down broker hang a request that is only queueing follow-up work.
# The socket timeouts are the cache's (REDIS_*): without them a publish to a Redis that
# hangs (rather than refusing connections) waits forever, as kombu's docs warn.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
# Celery's default publish retries (3, 0.2 s apart) cost a request 0.6 s per publish with
# Redis down; one immediate retry still replaces a pooled connection from before a Redis
# restart, and tokentracker.broker stops publishing for a while after a failure.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
CELERY_BEAT_SCHEDULE = {
    # A safety net: ingest queues a merge after each batch, this catches any it could not.
    "rollups-merge": {"task": "usage.tasks.rollups_merge_task", "schedule": 10.0},
    "session-summaries-merge": {
        "task": "usage.tasks.session_summaries_merge_task",
        "schedule": 10.0,
    },
    # A safety net: a tracked event whose task was lost is persisted from its pending row.
    "tracked-events-sweep": {"task": "usage.tasks.pending_tracks_sweep_task", "schedule": 60.0},
    # Budgets are also evaluated after rollup merges; this catches months turning, edits,
    # manual costs and whatever a throttled evaluation left for later.
    "budgets-evaluate": {"task": "billing.tasks.budgets_evaluate_all_task", "schedule": 300.0},
    # A safety net: an alert delivery whose task was lost (broker down, worker killed
    # mid-send) is queued again.
    "alert-deliveries-sweep": {
        "task": "billing.tasks.alert_deliveries_sweep_task",
        "schedule": 60.0,
    },
    # A safety net: a receipt whose reading task was lost is queued again.
    "receipts-read-sweep": {
        "task": "billing.tasks.receipts_read_sweep_task",
        "schedule": 300.0,
    },
    # Provider admin APIs (billing.services.sync): every connected integration, hourly,
    # each in its own task; integrations whose key was refused wait for a new key.
    "integrations-sync": {
        "task": "billing.tasks.integrations_sync_all",
        "schedule": crontab(minute=7),
    },
    # A safety net: a Stripe webhook event whose task was lost is queued again.
    "stripe-events-sweep": {"task": "billing.tasks.stripe_events_sweep_task", "schedule": 300.0},
    # Past-due subscriptions whose grace period ended fall to the default plan.
    "subscriptions-enforce": {
        "task": "billing.tasks.subscriptions_enforce",
        "schedule": crontab(minute=23),
    },
    # The open datasets publish whole UTC days: rebuild them shortly after midnight.
    "opendata-refresh": {
        "task": "opendata.tasks.opendata_refresh_task",
        "schedule": crontab(hour=0, minute=15),
    },
    # Raw events past each organization's retention (usage.services.retention), at night.
    "events-retention-purge": {
        "task": "usage.tasks.events_retention_purge_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # A safety net: an organization deletion whose task was lost is queued again.
    "organizations-deletion-resume": {
        "task": "tokentracker.tasks.organizations_deletion_resume_task",
        "schedule": 600.0,
    },
}

# Retention (usage.services.retention): events deleted per batch (one short transaction),
# batches per organization per nightly run, and how long a run may take in all.
EVENT_RETENTION_BATCH_SIZE = envint("EVENT_RETENTION_BATCH_SIZE", 5000, minimum=1)
EVENT_RETENTION_MAX_BATCHES_PER_RUN = envint("EVENT_RETENTION_MAX_BATCHES_PER_RUN", 1000, minimum=1)
EVENT_RETENTION_RUN_SECONDS = envint("EVENT_RETENTION_RUN_SECONDS", 3000, minimum=1)

# CORS (django-cors-headers) for the browser-facing APIs: carbon-llm's estimate, track and
# today's session, and the public open data (any origin always, see opendata.signals). Keys
# go in the Authorization header, never cookies, so credentials stay off and any origin may
# be allowed; list origins to restrict the carbon-llm endpoints.
CORS_URLS_REGEX = r"^/api/v1/(estimate|track|session/.+/today|data(/[a-z-]+)?)$"
_CORS_ORIGINS = envlist("CORS_ALLOWED_ORIGINS", ["*"])
CORS_ALLOW_ALL_ORIGINS = _CORS_ORIGINS == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else _CORS_ORIGINS
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = (*default_headers, "if-none-match", "if-modified-since", "cache-control")
CORS_EXPOSE_HEADERS = [
    "X-Event-Id",
    "X-Response-Time",
    "X-Request-Id",
    "ETag",
    "Last-Modified",
    "Content-Disposition",
]
CORS_PREFLIGHT_MAX_AGE = 86400

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-up creates a user and their first organization; turn it off on an install where an
# admin creates accounts (invitations still let people join).
SIGNUP_ENABLED = envbool("SIGNUP_ENABLED", True)
# Invitations an organization, and one person, may send per hour (tokentracker.ratelimit).
INVITATIONS_PER_HOUR_PER_ORGANIZATION = envint(
    "INVITATIONS_PER_HOUR_PER_ORGANIZATION", 50, minimum=1
)
INVITATIONS_PER_HOUR_PER_USER = envint("INVITATIONS_PER_HOUR_PER_USER", 20, minimum=1)

# Budget alerts (billing.services.deliveries): each email, Slack or webhook delivery is tried
# up to this many times; the wait after failed attempt n is BACKOFF * 4**(n-1) seconds
# (1, 4, 16 and 64 minutes by default). HTTP waits at most TIMEOUT seconds for an answer.
ALERT_DELIVERY_MAX_ATTEMPTS = envint("ALERT_DELIVERY_MAX_ATTEMPTS", 5, minimum=1)
ALERT_DELIVERY_BACKOFF_SECONDS = envseconds("ALERT_DELIVERY_BACKOFF_SECONDS", 60)
ALERT_DELIVERY_TIMEOUT_SECONDS = envseconds("ALERT_DELIVERY_TIMEOUT_SECONDS", 10)
# Webhooks may post to private, loopback and link-local addresses (an internal Mattermost);
# off, a tenant's URL cannot reach into the network we run in (billing.webhook_targets).
ALERT_WEBHOOK_ALLOW_PRIVATE = envbool("ALERT_WEBHOOK_ALLOW_PRIVATE", False)

# Provider admin-API sync (billing.services.sync, billing.sync): where each provider's
# admin API is (a test server, a proxy), how far back a first (or forced) sync reads, how
# far back an incremental one reads again for the providers' late corrections, and how
# long one request may take: a connection waits CONNECT seconds, an answer READ seconds; a
# 429, 5xx or timeout is tried up to ATTEMPTS times in all, BACKOFF * 2**(n-1) seconds
# apart (with jitter) or as the provider's Retry-After says, waiting MAX_WAIT seconds at
# most over one sync.
OPENAI_ADMIN_API_BASE_URL = envstr("OPENAI_ADMIN_API_BASE_URL", "https://api.openai.com")
ANTHROPIC_ADMIN_API_BASE_URL = envstr("ANTHROPIC_ADMIN_API_BASE_URL", "https://api.anthropic.com")
for _name in ("OPENAI_ADMIN_API_BASE_URL", "ANTHROPIC_ADMIN_API_BASE_URL"):
    if not globals()[_name].startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"{_name} must be an http(s) URL, got {globals()[_name]!r}")
PROVIDER_SYNC_FIRST_DAYS = envint("PROVIDER_SYNC_FIRST_DAYS", 31, minimum=1)
PROVIDER_SYNC_LOOKBACK_DAYS = envint("PROVIDER_SYNC_LOOKBACK_DAYS", 3, minimum=0)
PROVIDER_SYNC_CONNECT_TIMEOUT_SECONDS = envseconds("PROVIDER_SYNC_CONNECT_TIMEOUT_SECONDS", 5)
PROVIDER_SYNC_READ_TIMEOUT_SECONDS = envseconds("PROVIDER_SYNC_READ_TIMEOUT_SECONDS", 30)
PROVIDER_SYNC_ATTEMPTS = envint("PROVIDER_SYNC_ATTEMPTS", 4, minimum=1)
PROVIDER_SYNC_BACKOFF_SECONDS = envseconds("PROVIDER_SYNC_BACKOFF_SECONDS", 2)
PROVIDER_SYNC_MAX_WAIT_SECONDS = envseconds("PROVIDER_SYNC_MAX_WAIT_SECONDS", 120)

# Plans sold through Stripe (issue 17; billing.payments). Billing is off unless both the
# secret key and the webhook signing secret are set: the billing endpoints then answer 503
# and the Plan & billing page shows the plan without payment buttons. STRIPE_API_BASE is
# Stripe's API (a test server in the suite). A past-due subscription keeps its plan for
# STRIPE_PAST_DUE_GRACE_DAYS after the first failed payment, then falls to the default plan.
# Checkout's and the portal's return URLs must be on this deployment: the hosts of
# ALLOWED_HOSTS (wildcards left out) and those of BILLING_RETURN_HOSTS.
STRIPE_SECRET_KEY = envstr("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = envstr("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = envstr("STRIPE_API_BASE", "https://api.stripe.com")
if not STRIPE_API_BASE.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"STRIPE_API_BASE must be an http(s) URL, got {STRIPE_API_BASE!r}")
STRIPE_PAST_DUE_GRACE_DAYS = envint("STRIPE_PAST_DUE_GRACE_DAYS", 7, minimum=0)
BILLING_RETURN_HOSTS = envlist("BILLING_RETURN_HOSTS", [])

# Behind an https reverse proxy, and the throttles of the account pages.
# The origins (scheme://host[:port]) whose forms may POST here: the public https address
# when a proxy terminates TLS and the Host/Origin differ from what Django sees.
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")) or _origin.rstrip("/").count("/") != 2:
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entries are scheme://host[:port], got {_origin!r}"
        )
# Opt-in: only behind a proxy that always sets (and strips any client-sent) the header; a
# client could otherwise claim https on a plain-http connection.
TRUST_X_FORWARDED_PROTO = envbool("TRUST_X_FORWARDED_PROTO", False)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Opt-in likewise: throttles count the last X-Forwarded-For entry instead of the proxy's IP.
TRUST_X_FORWARDED_FOR = envbool("TRUST_X_FORWARDED_FOR", False)

# HTTPS and the Content-Security-Policy (README "Security settings"). Production (DEBUG
# off) redirects plain http to https and tells browsers to use only https for a year; DEBUG
# (`make run`) serves plain http on localhost and sends neither. Behind a proxy that ends
# TLS, TRUST_X_FORWARDED_PROTO must be on too, or every request redirects to itself.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer probes the health checks, and Prometheus scrapes /metrics, over plain
# http inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^api/health$", r"^api/health/live$", r"^metrics$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Opt-in: `preload` in the header lets anyone submit the domain to the browsers' built-in
# https-only list, which takes months to leave; that is the domain owner's decision, so
# check --deploy's advice to turn it on (W021) is silenced while it is off.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# django-csp. No page runs inline script (each page's script is a file under static/js/;
# JSON data blocks do not execute), so the policy needs no nonce. Two pages keep an inline
# <style>, allowed by its hash on that page only: 500.html (tokentracker.api.handlers) and
# Swagger UI (tokentracker.urls).
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
_CSP_REPORT_URI = envstr("CSP_REPORT_URI", "")
if _CSP_REPORT_URI and (
    not _CSP_REPORT_URI.startswith(("https://", "http://", "/"))
    or any(character in _CSP_REPORT_URI for character in " ;,\t\r\n")
):
    # Spliced into the header as it is: a ';' would smuggle in a directive of its own.
    raise ImproperlyConfigured(
        f"CSP_REPORT_URI must be an absolute URL or a /path, got {_CSP_REPORT_URI!r}"
    )
if _CSP_REPORT_URI:
    _CSP_DIRECTIVES["report-uri"] = [_CSP_REPORT_URI]
# Report-only: browsers report (to the console and CSP_REPORT_URI) what the policy would
# block and block nothing, to try the policy on an install with customised templates.
if envbool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}
    CONTENT_SECURITY_POLICY = None
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# Cookies only over https in production; DEBUG (`make run`) serves plain http on localhost.
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
# A refused form says when plain http or an untrusted proxy is the cause (views/csrf.py).
CSRF_FAILURE_VIEW = "tokentracker.views.csrf.csrf_failure"
# Attempts per hour (tokentracker.throttle); over them the page answers 429.
LOGIN_ATTEMPTS_PER_HOUR_PER_IP = envint("LOGIN_ATTEMPTS_PER_HOUR_PER_IP", 100, minimum=1)
# Failed log-ins (Django's login page and admin's) are counted by django-axes per account AND
# client address: a guesser's address is locked out, while the owner still signs in from
# their own. Counting per account alone let anyone lock anyone out. The per-IP limit above
# still stops one address from trying many accounts.
INSTALLED_APPS += ["axes"]
# Last, as axes asks: it turns the lockout its backend flagged into the 429 page.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked pair before any check
    "django.contrib.auth.backends.ModelBackend",
]
# The database handler: the lockout survives a Redis outage (the login needs the database
# anyway), and admins see and clear lockouts under "Access attempts".
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURES_PER_ACCOUNT_AND_IP", 10, minimum=1)
# Minutes a locked pair waits; failures older than this no longer count.
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 60, minimum=1))
AXES_CLIENT_IP_CALLABLE = "tokentracker.throttle.login_client_ip"  # honours TRUST_X_FORWARDED_FOR
AXES_USERNAME_CALLABLE = "tokentracker.throttle.login_username"
AXES_LOCKOUT_CALLABLE = "tokentracker.views.accounts.login_locked_out"
AXES_RESET_ON_SUCCESS = True  # the owner's own typos are forgotten once they get in
# No row per successful log-in: only failures are kept, and only for the cool-off.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
PASSWORD_RESETS_PER_HOUR_PER_IP = envint("PASSWORD_RESETS_PER_HOUR_PER_IP", 20, minimum=1)
PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = envint("PASSWORD_RESETS_PER_HOUR_PER_ADDRESS", 3, minimum=1)
SIGN_UPS_PER_HOUR_PER_IP = envint("SIGN_UPS_PER_HOUR_PER_IP", 20, minimum=1)
ORGANIZATIONS_PER_HOUR_PER_USER = envint("ORGANIZATIONS_PER_HOUR_PER_USER", 10, minimum=1)

# Email (password reset, invitations): printed to the console unless an SMTP host is set.
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", EMAIL_PORT == 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "TokenTracker <tokentracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Dashboard pages: static files and the explorer's limits.
# Static files. With DEBUG off (production: gunicorn, no runserver) WhiteNoise serves
# /static/ from STATIC_ROOT, which `manage.py collectstatic --noinput` fills: hashed names
# (cached for a year, immutable) and gzip/Brotli copies. Manifest names need that collected
# manifest, so DEBUG (`make run`) keeps plain names served by runserver from static/; the
# test suite does too (tests/conftest.py), except the test of production serving.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
PRODUCTION_STATICFILES_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
# Receipts (billing.models.Receipt) are private: kept under RECEIPTS_ROOT, never under a URL
# the web server serves, and read back only through a view that checks membership.
RECEIPTS_ROOT = Path(envstr("RECEIPTS_ROOT", str(BASE_DIR / "var" / "receipts")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "receipts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": RECEIPTS_ROOT},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else PRODUCTION_STATICFILES_STORAGE
    },
}
# In development WhiteNoise looks files up per request, so a STATIC_ROOT not yet collected
# is no warning at every start.
WHITENOISE_AUTOREFRESH = DEBUG
# The explorer's log count and rows on PostgreSQL are cancelled past this (the page then
# says to narrow the filters): a backstop behind the capped count and the sort limit.
EXPLORER_STATEMENT_TIMEOUT_MS = envint("EXPLORER_STATEMENT_TIMEOUT_MS", 5000, minimum=100)

# A batch of 500 events with metadata is well under this; the ceiling stops abuse.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, minimum=1)
# POST /api/v1/agent-logs: one coding agent's session log (JSON lines). A long Claude Code
# session is tens of MB, most of it the conversation; past this, use import_agent_logs.
AGENT_LOG_UPLOAD_MAX_BYTES = envint("AGENT_LOG_UPLOAD_MAX_BYTES", 50 * 1024 * 1024, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tokentracker.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tokentracker.permissions.HasApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's own, except JSON: deep nesting and NUL characters are a 4xx, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "tokentracker.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tokentracker.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "TokenTracker API",
    "DESCRIPTION": (
        "Self-hosted LLM usage, cost and CO2e tracking. Authenticate with an API key: "
        "`Authorization: Bearer mtt_...`."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name (`kind`, `service`): each enum gets its own name
    # rather than a hashed one (drf_spectacular.W001, which `check --deploy` fails on).
    "ENUM_NAME_OVERRIDES": {
        "BudgetAlertKindEnum": "billing.models.AlertKind",
        "WebhookKindEnum": "billing.models.WebhookKind",
        # The 13 services, and an expense's service: one of them, or `other`.
        "ServiceEnum": "billing.models.Service",
        "ExpenseServiceEnum": "tokentracker.api.native.expenses.SERVICES",
        # Expenses, receipts and alert deliveries each have a `status` of their own.
        "ExpenseStatusEnum": "billing.models.ExpenseStatus",
        "ReceiptStatusEnum": "billing.models.ReceiptStatus",
        "DeliveryStatusEnum": "billing.models.DeliveryStatus",
        "IntegrationStatusEnum": "billing.models.IntegrationStatus",
        "SyncedProviderEnum": "billing.models.SyncedProvider",
        "HealthStatusEnum": ["healthy", "degraded", "unhealthy"],
        "BillingRedirectKindEnum": "tokentracker.api.native.checkout.REDIRECT_KINDS",
    },
}

TOKENTRACKER_VERSION = SPECTACULAR_SETTINGS["VERSION"]

# The plan every new organization gets; generous enough that a self-hosted install never
# meets it by accident. Admins change plans and per-organization assignment in Django admin.
DEFAULT_PLAN_DAILY_EVENT_LIMIT = envint("DEFAULT_PLAN_DAILY_EVENT_LIMIT", 10_000_000, minimum=1)
DEFAULT_PLAN_HOURLY_REQUEST_LIMIT = envint("DEFAULT_PLAN_HOURLY_REQUEST_LIMIT", 100_000, minimum=1)
# CodingVibez's published per-minute limits (seed 004), the defaults of each plan's fields:
# GET, POST (other writes too), provider sync (/api/sync*) and receipt upload.
DEFAULT_PLAN_READS_PER_MINUTE = envint("DEFAULT_PLAN_READS_PER_MINUTE", 100, minimum=1)
DEFAULT_PLAN_WRITES_PER_MINUTE = envint("DEFAULT_PLAN_WRITES_PER_MINUTE", 30, minimum=1)
DEFAULT_PLAN_SYNCS_PER_MINUTE = envint("DEFAULT_PLAN_SYNCS_PER_MINUTE", 10, minimum=1)
DEFAULT_PLAN_UPLOADS_PER_MINUTE = envint("DEFAULT_PLAN_UPLOADS_PER_MINUTE", 5, minimum=1)
# Per-plan request rate limits on the compatibility surfaces (tokentracker.ratelimit).
RATE_LIMIT_ENABLED = envbool("RATE_LIMIT_ENABLED", True)

# Open data (/api/v1/data*): the license and attribution every dataset carries, how long
# clients and proxies may cache a response, and k, the fewest organizations a published
# community row may stand for (below k it is dropped).
OPENDATA_LICENSE = envstr("OPENDATA_LICENSE", "CC BY 4.0")
OPENDATA_ATTRIBUTION = envstr("OPENDATA_ATTRIBUTION", "TokenTracker Open Data")
OPENDATA_CACHE_MAX_AGE = envint("OPENDATA_CACHE_MAX_AGE", 3600, minimum=0)
OPENDATA_COMMUNITY_MIN_CONTRIBUTORS = envint("OPENDATA_COMMUNITY_MIN_CONTRIBUTORS", 5, minimum=2)

# Logs (tokentracker.logs): one JSON object a line, each with the request's id and
# organization; readable text under DEBUG. LOG_FORMAT (json or text) overrides that.
LOG_FORMAT = log_format_from_env()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "tokentracker.logs.RequestContextFilter"}},
    "formatters": {"line": {"()": f"tokentracker.logs.{LOG_FORMATTERS[LOG_FORMAT].__name__}"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # httpx2 logs each request's full URL at INFO (httpcore2 more at DEBUG): budget alerts
    # post to Slack URLs whose path is their credential (billing.services.deliveries).
    "loggers": {
        "httpx2": {"level": "WARNING"},
        "httpcore2": {"level": "WARNING"},
    },
}

# Python's warnings (no STATIC_ROOT yet, a deprecation) as log lines too, not bare text.
logging.captureWarnings(True)

# Health (tokentracker.api.health, README "Health, logs and metrics"). Beat queues a
# heartbeat task every HEARTBEAT seconds and a worker runs it; with none for STALE
# seconds /api/health answers 503 degraded. Likewise when a rollup delta has waited more
# than ROLLUP_LAG seconds to be merged (beat merges every 10 s).
HEALTH_WORKER_HEARTBEAT_SECONDS = envint("HEALTH_WORKER_HEARTBEAT_SECONDS", 30, minimum=1)
HEALTH_WORKER_STALE_SECONDS = envint("HEALTH_WORKER_STALE_SECONDS", 120, minimum=2)
if HEALTH_WORKER_STALE_SECONDS <= HEALTH_WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "HEALTH_WORKER_STALE_SECONDS must be longer than HEALTH_WORKER_HEARTBEAT_SECONDS, "
        f"got {HEALTH_WORKER_STALE_SECONDS} and {HEALTH_WORKER_HEARTBEAT_SECONDS}"
    )
HEALTH_ROLLUP_LAG_SECONDS = envint("HEALTH_ROLLUP_LAG_SECONDS", 300, minimum=1)
CELERY_BEAT_SCHEDULE["worker-heartbeat"] = {
    "task": "tokentracker.tasks.worker_heartbeat_task",
    "schedule": float(HEALTH_WORKER_HEARTBEAT_SECONDS),
    # A heartbeat no worker took in time proves nothing later: dropped, not run in a burst.
    "options": {"expires": HEALTH_WORKER_HEARTBEAT_SECONDS},
}

# Prometheus /metrics (tokentracker.api.prometheus): answers only a request bearing this
# token (`Authorization: Bearer <METRICS_TOKEN>`); unset, /metrics is a 404.
METRICS_TOKEN = envstr("METRICS_TOKEN", "")

# Errors to Sentry (tokentracker.sentry) when a DSN is set; nothing is sent otherwise.
SENTRY_DSN = envstr("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = envstr("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=TOKENTRACKER_VERSION)
