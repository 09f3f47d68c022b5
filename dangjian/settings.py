"""Settings for 党建云, read from the environment with small typed helpers.

Every value has a development default, so ``make run`` needs no configuration;
production overrides them through environment variables (see docs/deploy.md).
"""

import os
from pathlib import Path

import dj_database_url

from dangjian.keys import read_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DANGJIAN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = read_secret("DJANGO_SECRET_KEY", 32)
# SM4 is a 128-bit cipher; the blind index key is a separate secret so that an index
# leak does not help decrypt, and a ciphertext leak does not help search.
DATA_KEY = read_secret("DANGJIAN_DATA_KEY", 16)
INDEX_KEY = read_secret("DANGJIAN_INDEX_KEY", 32)

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "treebeard",
    "ninja",
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.orgs",
    "dangjian.members",
    "dangjian.recruitment",
    "dangjian.activities",
    "dangjian.dues",
    "dangjian.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangjian.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dangjian.orgs.middleware.CurrentOrgMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dangjian" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dangjian.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while an import writes; a busy timeout instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# PBKDF2 over SM3 first: new passwords use it, older hashes are upgraded on the next login.
PASSWORD_HASHERS = [
    "dangjian.accounts.hashers.PBKDF2SM3PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "dangjian.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "dangjian.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Lockout after repeated failed logins, and the idle timeout of a session.
LOGIN_MAX_FAILURES = env_int("DANGJIAN_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("DANGJIAN_LOGIN_LOCKOUT_MINUTES", 15)
SESSION_IDLE_MINUTES = env_int("DANGJIAN_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True  # each request restarts the idle clock
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
API_TOKEN_DAYS = env_int("DANGJIAN_API_TOKEN_DAYS", 30)

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "dangjian" / "static"]
# Served by WhiteNoise straight from the source folders: one box, no separate web server needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Imports: files larger than this are refused with a message, not half-read.
IMPORT_MAX_ROWS = env_int("DANGJIAN_IMPORT_MAX_ROWS", 50_000)
# After a commit of at least this many rows the filled tables are analyzed, so lists stay fast at once.
IMPORT_ANALYZE_ROWS = env_int("DANGJIAN_IMPORT_ANALYZE_ROWS", 10_000)

# A transfer letter (组织关系介绍信) expires after this many months unless accepted.
MEMBER_TRANSFER_VALID_MONTHS = env_int("DANGJIAN_TRANSFER_VALID_MONTHS", 3)

# No back-filling (RULES.md §3 [L]): activities dated more than this many days ago need a supervisor's unlock.
ACTIVITY_BACKFILL_DAYS = env_int("DANGJIAN_ACTIVITY_BACKFILL_DAYS", 30)
# QR check-in opens this many minutes before an activity's start and closes as long after its end.
ACTIVITY_CHECKIN_EARLY_MINUTES = env_int("DANGJIAN_ACTIVITY_CHECKIN_MINUTES", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
