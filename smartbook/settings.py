"""SmartBook settings: one module, switched by the environment.

Development (`make run`) needs nothing set: SQLite, each email summed up in one console line
(in full under var/emails), tasks in-process.
Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and
CELERY_BROKER_URL (`check --deploy` says what is missing).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from smartbook.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1

INSTALLED_APPS = [
    "web.apps.SmartBookAdminConfig",  # django.contrib.admin with web's SmartBookAdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.postgres",
    # third party
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "axes",
    "django_celery_beat",
    "csp",
    "rest_framework_api_key",
    # ours
    "smartbook",
    "accounts",
    "providers",
    "scheduling",
    "recommendations",
    "waitlist",
    "attendance",
    "notifications",
    "analytics",
    "integrations",
    "calendars",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Refuses API keys on views that do not authenticate; logs every key-authenticated write.
    "accounts.middleware.APIKeyMiddleware",
    "smartbook.debug_pages.DebugNotFoundMiddleware",
    # AxesMiddleware must be last: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "smartbook.urls"
WSGI_APPLICATION = "smartbook.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # lazy: the nav's unread count and the home page's catalogue
                "web.context_processors.page_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Invariant 1 on SQLite: take the write lock at BEGIN so check-then-insert is serialised.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env_str("SQLITE_TEST_NAME", "") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # AxesBackend first: it refuses locked-out credentials before anything checks them.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

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

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
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
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MODEL_ARTIFACT_DIR = Path(env_str("MODEL_ARTIFACT_DIR", str(BASE_DIR / "var" / "models")))

# --- cache: Redis when configured, otherwise process-local ---
# The API's throttles count in this cache, so production needs the shared one (REDIS_URL):
# with a process-local cache every worker keeps its own counters. `check --deploy` warns
# (smartbook.W001, smartbook/checks/deploy.py).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- email ---
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "smartbook.mail.DevelopmentEmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SmartBook <no-reply@smartbook.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The clinic's currency (ISO 4217): prices are shown with it.
CURRENCY = env_str("CURRENCY", "GBP")
# Where people write to us: shown on the account pages and in the account emails.
CONTACT_EMAIL = env_str("CONTACT_EMAIL", "help@smartbook.local")

# --- django-allauth (web sign-up, login, verification, reset) ---
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[SmartBook] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupZoneForm"  # the browser's time zone
ACCOUNT_FORMS = {  # our labels on allauth's forms
    name: f"accounts.allauth_forms.{form}"
    for name, form in {
        "login": "LoginForm",
        "signup": "SignupForm",
        "reset_password": "ResetPasswordForm",
        "reset_password_from_key": "ResetPasswordKeyForm",
        "change_password": "ChangePasswordForm",
        "set_password": "SetPasswordForm",
        "add_email": "AddEmailForm",
        "reauthenticate": "ReauthenticateForm",
    }.items()
}
ACCOUNT_RATE_LIMITS = False  # django-axes and DRF throttling own brute-force protection
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"

# --- django-axes ---
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"
# One name per person whether they came through the web (login/email) or the API (username).
AXES_USERNAME_CALLABLE = "accounts.axes.axes_username"
AXES_HTTP_RESPONSE_CODE = 429
# The client address follows NUM_PROXIES, like the API's throttles (one answer for both).
AXES_CLIENT_IP_CALLABLE = "accounts.axes.axes_client_ip"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_VERBOSE = False

# --- client address ---
# How many reverse proxies in front of the app append to X-Forwarded-For. 0 (the default):
# the header is not trusted and REMOTE_ADDR is the client. With N, the N-th address from
# the right is the client (what the outermost trusted proxy saw). Throttles and lockouts
# both read it; a wrong value lets a client choose its own address.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# --- REST framework ---
REST_FRAMEWORK = {
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        # `Authorization: Api-Key <key>`; also enforces each view's `api_key_scopes`.
        "accounts.api.keys.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "smartbook.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "smartbook.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "smartbook.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "auth": env_str("THROTTLE_AUTH", "30/min"),
        # Free times read without an account (the booking page's visitors), per address.
        "anon": env_str("THROTTLE_ANON", "120/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SmartBook API",
    "DESCRIPTION": "Appointment booking with time-zone-correct availability and learned slot "
    "recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # one name for each choice set used by several serializers
    "ENUM_NAME_OVERRIDES": {
        "UrgencyEnum": "providers.models.Urgency",
        "AppointmentStatusEnum": "scheduling.models.AppointmentStatus",
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "smartbook.api.schema.document_error_responses",
        "integrations.openapi.as_x_webhooks",
    ],
    # The webhook payloads, as `x-webhooks` (OpenAPI 3.0 has no `webhooks`).
    "WEBHOOKS": "integrations.openapi.WEBHOOKS",
}

# --- Celery: Redis when configured; otherwise tasks run in-process ---
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Eager tasks still acquire a producer; an in-memory transport keeps that off the network.
    CELERY_BROKER_URL = "memory://localhost//"
CELERY_TASK_EAGER_PROPAGATES = False
# One broker can serve several deployments (staging, the soak) on their own queues.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- booking ---
# How long a booking waits for another booking of the same provider (PostgreSQL row lock)
# before answering 503 with Retry-After.
BOOKING_LOCK_TIMEOUT_MS = env_int("BOOKING_LOCK_TIMEOUT_MS", 3000)
# How long an Idempotency-Key's first answer is kept for its retries (a day).
IDEMPOTENCY_KEY_TTL_SECONDS = env_int("IDEMPOTENCY_KEY_TTL_SECONDS", 24 * 3600)

# --- notifications ---
# Ceiling on email send retries (exponential back-off); staff may set fewer in the admin.
NOTIFICATIONS_EMAIL_MAX_RETRIES = env_int("NOTIFICATIONS_EMAIL_MAX_RETRIES", 8)
# Where the file-based email backends (development's default, smartbook.mail) write messages.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "emails"))

# --- webhooks (integrations) ---
# Networks (CIDRs, comma-separated) webhooks may call although they are not public; empty
# refuses every private, loopback and link-local address.
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])
# Seconds to connect and to read the answer of one webhook request.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
# An endpoint whose every attempt failed for this long is disabled and staff are emailed.
WEBHOOK_DISABLE_AFTER_HOURS = env_int("WEBHOOK_DISABLE_AFTER_HOURS", 72)
# How long a rotated secret's predecessor still signs (both signatures are sent).
WEBHOOK_ROTATION_OVERLAP_HOURS = env_int("WEBHOOK_ROTATION_OVERLAP_HOURS", 24)

# --- external calendars (calendars) ---
# Networks (CIDRs, comma-separated) calendar addresses may reach although they are not public;
# empty refuses every private, loopback and link-local address.
CALENDAR_ALLOWED_NETWORKS = env_list("CALENDAR_ALLOWED_NETWORKS", [])
# Seconds to connect, to read, and for a whole download of one calendar request.
CALENDAR_TIMEOUT_SECONDS = env_int("CALENDAR_TIMEOUT_SECONDS", 15)
# The most one answer of a calendar server may be (bytes); past it the sync fails.
CALENDAR_MAX_BYTES = env_int("CALENDAR_MAX_BYTES", 10 * 1024 * 1024)
# A Fernet key for the stored app passwords; empty derives one from SECRET_KEY.
CALENDAR_CREDENTIALS_KEY = env_str("CALENDAR_CREDENTIALS_KEY", "")

# --- security (production) ---
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): every page loads only our own files. Scripts are
# files under /static/; the one inline script (Swagger UI's start-up, our override of its
# template) carries the per-request nonce. Styles are files too: no inline <style> blocks or
# style attributes in our templates (scripts may still set element.style, which CSP allows).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
