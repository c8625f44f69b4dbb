"""remelt settings: one module, every value read from the environment (see .env.example).

With nothing set, remelt runs on its embedded default: an SQLite file under var/, Celery
tasks run eagerly in the web process, DEBUG on. Production sets DATABASE_URL,
CELERY_BROKER_URL, SECRET_KEY and DEBUG=false.
"""

import importlib.util
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret, env_str
from pact.geography import COUNTRY as COUNTRY_CODE
from pact.geography import REGIONS as UN_REGIONS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("REMELT_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "remelt-development-only-not-secret"  # noqa: S105 - DEBUG only, refused above otherwise

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# With DEBUG off, remelt is served over HTTPS only; a TLS-terminating proxy in front says so
# with X-Forwarded-Proto (set SECURE_PROXY_SSL_HEADER=true only behind such a proxy).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container health checks speak plain HTTP inside the network
# PACT refuses plain HTTP itself (pact.api.middleware): a redirect would be followed by clients
# that had already sent their credentials in clear.
SECURE_REDIRECT_EXEMPT.append(r"^pact/")

# Every response says what its page may load and do. Scripts only from this server, never
# inline (the Verify button, the charts and Swagger UI load theirs as files); styles may be
# inline, since the pages', plotly's and Swagger UI's style attributes cannot carry a nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],  # the QR codes and Swagger UI's icons are data: URLs
        "font-src": [SELF],
        "connect-src": [SELF],  # the Verify button fetches the public bundle; Swagger UI the API
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# No page uses any of these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

INSTALLED_APPS = [
    "operations.site.RemeltAdminConfig",  # django.contrib.admin, with remelt's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "ledger",
    "passports",
    "epcis",
    "witness",
    "pact",
    "cbam",
    "weighbridge",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "pact.api.middleware.PactMiddleware",
    # Serves the pages' own assets (CSS, plotly.js) from the app itself, never from a CDN.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.api.problems.ApiProblemMiddleware",
    "config.limits.PageLimitsMiddleware",  # after the API's and PACT's, which answer in their formats
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of pages and problems: the switcher's cookie, else the browser's Accept-Language
    # (config.i18n.UserLanguageMiddleware then prefers a signed-in user's own setting).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.i18n.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
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


def _database(url: str | None) -> dict:
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'remelt.sqlite3'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0))
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} cannot be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes SQLite's write lock at BEGIN, so two writers queue instead of
        # failing with "database is locked" when both try to append to the ledger.
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    elif config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"DATABASE_URL must be postgres:// or sqlite://, not {url!r}")
    return config


DATABASES = {"default": _database(env_str("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Plant staff work in Chinese, importers and auditors read English (README "Languages").
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # Chinese numbers grouped in threes, as plants write them
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# plotly's Python package ships plotly.js (with Sankey diagrams); the pages load it from here.
STATICFILES_DIRS = [
    BASE_DIR / "config" / "static",
    ("plotly", Path(importlib.util.find_spec("plotly").origin).parent / "package_data"),
]
# whitenoise serves from the finders too, so the app serves its assets with or without a
# collectstatic step (the Docker image runs one into STATIC_ROOT).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when it is missing
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "audit"
LOGOUT_REDIRECT_URL = "login"

# Celery: with no broker configured, tasks run eagerly inside the request (embedded default).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One queue name per deployment, so several remelt installations can share a Redis.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE") or "remelt"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Rolls up entries whose task was never queued (e.g. the broker was down at commit).
    "rollup-stale": {"task": "passports.rollup", "schedule": env_int("ROLLUP_STALE_SECONDS", 60)},
}
# /healthz says "degraded" once an entry has waited this long for its roll-up.
ROLLUP_LAG_DEGRADED_SECONDS = env_int("ROLLUP_LAG_DEGRADED_SECONDS", 600)

# Ledger: business time may run ahead of our clock by at most this many seconds.
LEDGER_CLOCK_SKEW_SECONDS = env_int("LEDGER_CLOCK_SKEW_SECONDS", 300)
# The most items (events, and the entries of their lists) one request may record: its work
# the ledger head lock is held for grows with them (ledger/services.py batch_cost_check), so this
# bounds how long one request holds every other writer: 2,000 items held it about 0.5 s at most on
# the loaded 2-core development machine (bench/headlock.py; README "Limits").
LEDGER_MAX_BATCH_ITEMS = env_int("LEDGER_MAX_BATCH_ITEMS", 2_000)

# REST API (/api/v1/, see config/api/): bearer keys or a staff session, problem+json errors.
# The one body limit of every request (config/limits.py): larger bodies get a 413 before they
# are read. Django's own limit is the same, so no body below it gets Django's 400 page instead.
MAX_BODY_BYTES = env_int("MAX_BODY_BYTES", 5 * 2**20)
# The CJK font of the Chinese and bilingual CBAM shipment sheet (Debian's fonts-noto-cjk; cbam/documents.py).
CJK_FONT_FILE = env_str("CJK_FONT_FILE") or "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_FONT_BOLD_FILE = env_str("CJK_FONT_BOLD_FILE") or "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "6000/minute") or None  # per key; empty: no limit
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
# Beat deletes the records past that age once an hour, so the table holds about a day of keys.
# Computes CBAM reports whose task was never queued (cbam.tasks).
CELERY_BEAT_SCHEDULE["cbam-reports"] = {
    "task": "cbam.reports",
    "schedule": env_int("ROLLUP_STALE_SECONDS", 60),
}
CELERY_BEAT_SCHEDULE["idempotency-purge"] = {"task": "accounts.tasks.idempotency_purge", "schedule": 3600}
# Throttle counters are shared between web processes only in a shared cache (redis://…); each
# connect and answer is bounded, so a slow cache cannot hold a request.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("CACHE_URL"),
        "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
    }
    if env_str("CACHE_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Failed authentication (accounts/throttle.py): failures allowed per window (django-ratelimit
# rates, e.g. 30/m, 5/10m; empty: no limit), counted in the cache above; a cache outage fails open.
AUTH_FAILURES_PER_ADDRESS = env_str("AUTH_FAILURES_PER_ADDRESS", "30/m")  # wrong API keys
AUTH_FAILURES_PER_KEY = env_str("AUTH_FAILURES_PER_KEY", "10/m")  # wrong secrets for one key prefix
LOGIN_FAILURES_PER_ADDRESS = env_str("LOGIN_FAILURES_PER_ADDRESS", "20/10m")
LOGIN_FAILURES_PER_USERNAME = env_str("LOGIN_FAILURES_PER_USERNAME", "5/10m")
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True
RATELIMIT_CACHE_PREFIX = "remelt:auth:"
# Proxies in front of the web processes that append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiKeyAuthentication",
        "accounts.api.authentication.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.PerKeyThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "remelt partner API",
    "DESCRIPTION": "Post material-flow events, read lots and traces, follow the hash-chained ledger.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.add_problems",
        "ledger.api.schema.add_event_payloads",
    ],
}

# Ledger checkpoints: C2SP tlog-checkpoint notes signed with Ed25519 (see ledger/checkpoints.py).
# The origin is the checkpoints' first line; the signing key is a note signer key string,
# "PRIVATE+KEY+<name>+<key ID>+<base64>". Without one, DEBUG generates a development key once
# under VAR_DIR; with DEBUG off, signing and the key endpoint refuse to run.
LEDGER_ORIGIN = env_str("LEDGER_ORIGIN") or "remelt.example/ledger"
if "\n" in LEDGER_ORIGIN:
    raise ImproperlyConfigured("LEDGER_ORIGIN must be a single line")
LEDGER_SIGNING_KEY = env_secret("LEDGER_SIGNING_KEY")  # or LEDGER_SIGNING_KEY_FILE
if LEDGER_SIGNING_KEY:
    from remelt_verify.notes import NoteError, parse_signer_key

    try:
        parse_signer_key(LEDGER_SIGNING_KEY)
    except NoteError as exc:
        raise ImproperlyConfigured(f"LEDGER_SIGNING_KEY cannot be read: {exc.reason}") from None
# The signer's memory of what it signed last (size, root, note, and a refusal): a file outside
# the database it checks, written atomically before each checkpoint is stored. Every process
# that signs (workers, and web processes signing for an evidence bundle) must share it.
LEDGER_SIGNER_STATE = env_str("LEDGER_SIGNER_STATE") or str(VAR_DIR / "ledger-signer-state.json")
# Beat signs a new checkpoint this often when the ledger has grown; a run not started within
# the interval is dropped rather than queued behind the next one.
LEDGER_CHECKPOINT_SECONDS = env_int("LEDGER_CHECKPOINT_SECONDS", 5)
CELERY_BEAT_SCHEDULE["ledger-checkpoint"] = {
    "task": "ledger.tasks.checkpoint_sign",
    "schedule": LEDGER_CHECKPOINT_SECONDS,
    "options": {"expires": LEDGER_CHECKPOINT_SECONDS},
}


def _witnesses(entries: list[str]) -> list[tuple[str, str]]:
    from remelt_verify.cosignature import parse_witness_key
    from remelt_verify.notes import NoteError

    witnesses = []
    for entry in entries:
        url, _, key = entry.partition(" ")
        if not url.startswith(("http://", "https://")) or not key.strip():
            raise ImproperlyConfigured(f"LEDGER_WITNESSES entry {entry!r} is not '<http(s) URL> <key>'")
        try:
            parse_witness_key(key.strip())
        except NoteError as exc:
            raise ImproperlyConfigured(f"LEDGER_WITNESSES: the key of {url} cannot be read: {exc}") from None
        witnesses.append((url.rstrip("/") + "/", key.strip()))
    return witnesses


# Witnesses (C2SP tlog-witness) that cosign our checkpoints: comma-separated entries
# "<submission URL> <witness verifier key>", e.g. "https://w.veritas.example/ witness.veritas.example+…".
# The witness app submits each new checkpoint to each of them (witness/services.py).
LEDGER_WITNESSES = _witnesses(env_list("LEDGER_WITNESSES", []))
# Each request to a witness gets this long to connect and this long to answer.
LEDGER_WITNESS_TIMEOUT = env_int("LEDGER_WITNESS_TIMEOUT", 5)
if LEDGER_WITNESSES:
    # A backstop for checkpoints whose submission was lost (the signer asks on commit).
    CELERY_BEAT_SCHEDULE["witness-submit"] = {
        "task": "witness.tasks.witnesses_submit",
        "schedule": LEDGER_CHECKPOINT_SECONDS,
        "options": {"expires": LEDGER_CHECKPOINT_SECONDS},
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Eager tasks (the embedded default) would log every roll-up; a worker logs them itself.
        "celery.app.trace": {"level": "WARNING"},
        # Django's own console handler (DEBUG) would print each record of `django.*` a second
        # time beside the root's (every 4xx of the API twice): the root's handler alone.
        "django": {"level": "INFO", "handlers": []},
        # A 4xx is a warning of django.request; `dev.py demo` sets ERROR, since runserver's
        # access line already shows every request with its status (5xx are still logged).
        "django.request": {"level": env_str("REQUEST_LOG_LEVEL", "INFO")},
    },
}

# PACT v3 (pact/, README "PACT v3"): remelt's host at /pact and its recipient side.
# PACT_PUBLIC_BASE_URL is where partners reach this server (https://…, no trailing slash): the
# documents' extension schema, passport and evidence URLs and the events' source use it.
PACT_PUBLIC_BASE_URL = (env_str("PACT_PUBLIC_BASE_URL") or "https://remelt.example").rstrip("/")
# The issuer domain in remelt's product and company URNs (urn:pact:<domain>:…): keep it stable.
PACT_URN_DOMAIN = env_str("PACT_URN_DOMAIN") or "remelt.example"
# Where the plant is: ISO 3166-1 alpha-2 country, and the UN (sub)region it is in.
PACT_COUNTRY = env_str("PACT_COUNTRY") or "CN"
PACT_REGION = env_str("PACT_REGION") or "Eastern Asia"
if not COUNTRY_CODE.fullmatch(PACT_COUNTRY):
    raise ImproperlyConfigured(f"PACT_COUNTRY={PACT_COUNTRY!r} is not an ISO 3166-1 alpha-2 code")
if PACT_REGION not in UN_REGIONS:
    raise ImproperlyConfigured(f"PACT_REGION={PACT_REGION!r} is not a UN region or sub-region")
PACT_TOKEN_SECONDS = env_int("PACT_TOKEN_SECONDS", 3600)
PACT_LIST_LIMIT = env_int("PACT_LIST_LIMIT", 100)  # footprints per page without `limit`
PACT_LIST_MAX = 1000  # the most per page, and in one RequestFulfilledEvent
PACT_EVENT_RETRY_HOURS = env_int("PACT_EVENT_RETRY_HOURS", 72)  # PACT: give up sending after 72 h
# The Fernet key that encrypts the credentials remelt keeps for other PACT hosts.
PACT_CREDENTIALS_KEY = env_secret("PACT_CREDENTIALS_KEY")
# Other PACT hosts are called over HTTPS only; a CA bundle for private certificates.
PACT_PEERS_MAY_USE_HTTP = env_bool("PACT_PEERS_MAY_USE_HTTP", False)
PACT_PEER_CA_BUNDLE = env_str("PACT_PEER_CA_BUNDLE") or None
# Beat drains PACT's outboxes every minute: what a lost publish missed, and retries once due.
for _task in ("pact.sync", "pact.deliver_due", "pact.answer_requests", "pact.import_announced"):
    CELERY_BEAT_SCHEDULE[_task] = {"task": _task, "schedule": 60, "options": {"expires": 60}}
