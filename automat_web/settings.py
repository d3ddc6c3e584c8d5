"""Django settings, read from ``AUTOMAT_*`` environment variables (see deploy/automat.env.example).

Two environments: ``local`` (default; what ``make run`` starts: embedded PostgreSQL, the
same database as the Celery broker, plain HTTP on 127.0.0.1) and ``production`` (secrets and
hosts required, HTTPS-only cookies, HSTS; passes ``manage.py check --deploy``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from automat_web.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_torch_device,
)

BASE_DIR = Path(__file__).resolve().parent.parent
ENVIRONMENT = env_choice("ENV", "local", ("local", "production"))
PRODUCTION = ENVIRONMENT == "production"

VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var").resolve()
DATA_DIR = Path(env_str("DATA_DIR") or VAR_DIR / "data").resolve()
#: Where the embedded PostgreSQL keeps its cluster (used when DATABASE_URL is not set).
EMBEDDED_PGDATA = VAR_DIR / "postgres"
#: The running embedded server's address, written by ``automat run`` for other processes.
EMBEDDED_URL_FILE = VAR_DIR / "run" / "database.url"

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("AUTOMAT_SECRET_KEY (or AUTOMAT_SECRET_KEY_FILE) is required")
    # Local installs keep a generated key under var/, so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("AUTOMAT_ALLOWED_HOSTS is required in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served by us, not from a CDN
    "csp",
    "axes",
    "automat_web.accounts",
    "automat_web.system",
    "automat_web.samples",
    "automat_web.properties",
    "automat_web.runs",
    "automat_web.structures",
    "templates_lib",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a refused login into the lockout page
]

ROOT_URLCONF = "automat_web.urls"
WSGI_APPLICATION = "automat_web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
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


def _database_url() -> str:
    url = env_str("DATABASE_URL")
    if url:
        return url
    if EMBEDDED_URL_FILE.exists():
        return EMBEDDED_URL_FILE.read_text().strip()
    return f"postgresql://postgres@/automat?host={EMBEDDED_PGDATA}"


DATABASE_URL = _database_url()
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins are counted per user name and, apart, per client address (django-axes, in
# the database, so every gunicorn worker sees them): at the limit, that name or address may
# not log in until the cool-off has passed since its last failure. The portal's and the
# admin's login both authenticate through it; API tokens carry no password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MIN", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A try while locked out does not restart the cool-off: the wait the page names holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; successful logins are not logged
AXES_VERBOSE = False  # no banner at every start (the CLI's stderr); lockouts still logged
AXES_LOCKOUT_CALLABLE = "automat_web.accounts.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "automat_web.accounts.throttle.client_ip"
# Reverse proxies in front of the portal that append the client's address to
# X-Forwarded-For (production expects one: it already trusts its X-Forwarded-Proto).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if PRODUCTION else 0, minimum=0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "samples:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
# Browser libraries come from the npm registry (frontend/package.json) and are served by us:
# only the files the pages load, not the packages' folders (see automat_web/static_finders.py).
NODE_MODULES = BASE_DIR / "frontend" / "node_modules"
VENDOR_STATIC = {
    "vendor/htmx": (NODE_MODULES / "htmx.org" / "dist", ["htmx.min.js"]),
    "vendor/3dmol": (
        NODE_MODULES / "3dmol" / "build",
        ["3Dmol-min.js", "3Dmol-min.js.LICENSE.txt"],  # the file its header names
    ),
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "automat_web.static_finders.VendorFinder",
]
# Hashed, compressed files once ``collectstatic`` has run (``make run`` does); before that
# (tests, development) the files are served straight from the finders.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", (STATIC_ROOT / "staticfiles.json").exists())
# Where the blobs (micrographs, renditions, step artifacts) live: on this host's disk under
# DATA_DIR (local, the default), or in an S3-compatible bucket shared by every host
# (AUTOMAT_STORAGE=s3), DATA_DIR then being this host's cache (automat_web/lib/blobstore.py).
STORAGE = env_choice("STORAGE", "local", ("local", "s3"))


def _default_storage() -> dict:
    if STORAGE == "local":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(DATA_DIR)},
        }
    bucket = env_str("S3_BUCKET")
    if not bucket:
        raise ImproperlyConfigured("AUTOMAT_STORAGE=s3 needs AUTOMAT_S3_BUCKET")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,  # None: AWS itself
            "region_name": env_str("S3_REGION") or None,
            # Keys from AUTOMAT_S3_*_KEY[_FILE]; unset: boto3's own chain (instance roles).
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("S3_PREFIX", "automat"),
            "default_acl": None,
            "querystring_auth": True,  # files are served through the portal, never linked
            "file_overwrite": True,  # content-addressed: same name, same bytes
        },
    }


STORAGES = {
    "default": _default_storage(),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST  # no STATIC_ROOT to scan before collectstatic

REST_FRAMEWORK = {
    # Tokens for scripts and other groups' services (created in the admin or with
    # `manage.py drf_create_token <user>`); sessions for the browsable API.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "600/minute"},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# The OpenAPI 3 schema of /api/v1/ (/api/v1/schema/, pages at /api/v1/docs/ and /redoc/).
SPECTACULAR_SETTINGS = {
    "TITLE": "automat API",
    "DESCRIPTION": (
        "STEM micrographs in, crystal structures out. Authenticate with "
        "`Authorization: Token <key>` (create one on /accounts/profile/); every file URL "
        "the API returns takes the same header."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # /api/ is the unversioned alias of v1: the schema describes v1 only.
    "PREPROCESSING_HOOKS": ["automat_web.accounts.api.schema.only_v1"],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from validator.swagger.io: the page loads nothing from elsewhere.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Uploads -------------------------------------------------------------------------------
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 1024, minimum=1)
MAX_PIXELS = env_int("MAX_PIXELS", 100_000_000, minimum=1)
# Uploads larger than this are spooled to DATA_DIR/tmp, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp")
# Created here because Django's system check (files.E001) refuses a missing one.
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_HANDLERS = ["automat_web.samples.uploads.SizeLimitedUploadHandler"]

# --- Celery (state lives in database rows; the result backend is not used) -----------------
BROKER_URL = env_str("BROKER_URL") or ""
if not BROKER_URL:
    # The embedded default: the same PostgreSQL, through kombu's SQLAlchemy transport.
    BROKER_URL = "sqla+" + DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    BROKER_URL = BROKER_URL.replace("postgres://", "postgresql+psycopg://", 1)
TASK_TIME_LIMIT_S = env_int("TASK_TIME_LIMIT_S", 3600, minimum=10)
CELERY_BROKER_URL = BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = TASK_TIME_LIMIT_S
CELERY_TASK_SOFT_TIME_LIMIT = TASK_TIME_LIMIT_S - 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers unacknowledged tasks after the visibility timeout: keep it above the
# longest task so a slow run is not started twice.
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": TASK_TIME_LIMIT_S + 600} if BROKER_URL.startswith("redis") else {}
)
# A run keeps going when the broker connection drops (Redis restarting); its message, not
# acknowledged, comes back after the visibility timeout, and the run's claim makes that
# delivery a no-op (tests/worker/test_it_survives_a_broker_restart.py). Cancelling it instead
# (Celery 6's default) would repeat the whole run.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "worker.tasks.heartbeat", "schedule": 30.0},
    "sweep-runs": {"task": "worker.tasks.sweep_runs", "schedule": 300.0},
}
# Two queues: "gpu" for the torch work (denoising and ML-potential energies), "cpu" for
# everything else. A worker started with ``-Q cpu`` or ``-Q gpu`` takes only that queue;
# one started without ``-Q`` (``automat run``, the Procfile) takes both. A run's agent is
# one task (its policy picks the tools as it goes, denoise and energy included), so the
# whole run goes to AUTOMAT_RUN_QUEUE: "gpu" by default, "cpu" where the CPU workers should
# take runs (the potentials score a monolayer in seconds on a CPU).
CPU_QUEUE, GPU_QUEUE = "cpu", "gpu"
RUN_QUEUE = env_choice("RUN_QUEUE", GPU_QUEUE, (CPU_QUEUE, GPU_QUEUE))
# Each queue on its own exchange and routing key (a bare Queue(name) would inherit the
# default queue's, and both queues would get every message).
CELERY_TASK_QUEUES = [Queue(q, Exchange(q), routing_key=q) for q in (CPU_QUEUE, GPU_QUEUE)]
CELERY_TASK_DEFAULT_QUEUE = CPU_QUEUE
CELERY_TASK_ROUTES = {
    "worker.tasks.run_agent": {"queue": RUN_QUEUE},
    "structures.tasks.compute_energy": {"queue": GPU_QUEUE},
}
# The torch device of this worker's science (auto: CUDA when torch sees one, else the CPU);
# see automat_web/devices.py for how the services and each worker process apply it.
TORCH_DEVICE = env_torch_device("TORCH_DEVICE", "auto")
# A run whose worker was lost is redelivered; after this many attempts it fails instead.
RUN_MAX_ATTEMPTS = env_int("RUN_MAX_ATTEMPTS", 3, minimum=1)
# The sweep requeues runs "running" for longer than the task time limit plus this margin.
RUN_SWEEP_MARGIN_S = env_int("RUN_SWEEP_MARGIN_S", 300, minimum=0)
# What a run computes: relax before the energy (off: single point), and with which
# potential ("" = the energy package's default).
RUN_RELAX = env_bool("RUN_RELAX", True)
RUN_ENERGY_MODEL = env_str("ENERGY_MODEL", "")
# The "llm" policy's OpenAI-compatible endpoint (runs with that policy fail without one).
LLM_BASE_URL = env_str("LLM_BASE_URL", "")
LLM_MODEL = env_str("LLM_MODEL", "")
LLM_API_KEY = env_str("LLM_API_KEY", "none")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "run" / "celerybeat-schedule")

# --- Admin bootstrap (``manage.py ensure_admin``, run by ``automat run``) ------------------
ADMIN_USERNAME = env_str("ADMIN_USERNAME")
ADMIN_PASSWORD = env_str("ADMIN_PASSWORD")
ADMIN_EMAIL = env_str("ADMIN_EMAIL", "")
DEFAULT_LAB_GROUP = env_str("DEFAULT_LAB_GROUP", "Lab")

# --- Security ------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Scripts and styles from our own static files only (htmx, 3Dmol.js are vendored via npm).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
