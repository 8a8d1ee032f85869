"""Production settings: HTTPS only, secure cookies, HSTS; a secret key and host names required.

``DJANGO_SETTINGS_MODULE=triage_site.settings.production``. Everything the environment can set
is parsed in ``env.py`` (a malformed value stops the process with the variable's name); what it
leaves unset gets the safe default, so ``manage.py check --deploy`` reports nothing. README,
"Production", lists the variables.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from triage_site.settings.base import *  # noqa: F403
from triage_site.settings.base import ENV
from triage_site.settings.env import read_production_env

PRODUCTION_ENV = read_production_env(os.environ)

if ENV.debug:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production: the debug pages show code and "
                               "settings (use triage_site.settings.local to debug).")
DEBUG = False

if ENV.secret_key is None:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production: at least 50 random characters, "
                               "e.g. from python -c 'import secrets; print(secrets.token_urlsafe(50))'.")
SECRET_KEY = ENV.secret_key

if ENV.allowed_hosts is None:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production: the host names clients use, "
                               "comma-separated (e.g. triage.example.org).")
ALLOWED_HOSTS = list(ENV.allowed_hosts)

# HTTPS only: plain HTTP is redirected (except the load balancer's health probe), cookies travel
# only over HTTPS, and browsers are told to use nothing else (HSTS) for a year.
SECURE_SSL_REDIRECT = True if PRODUCTION_ENV.ssl_redirect is None else PRODUCTION_ENV.ssl_redirect
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION_ENV.hsts_seconds is None else PRODUCTION_ENV.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading puts the domain in browsers' built-in HTTPS-only lists, hard to undo: only on request.
SECURE_HSTS_PRELOAD = bool(PRODUCTION_ENV.hsts_preload)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "not preloaded": a deliberate default, see above

# Behind a TLS-terminating proxy: which header says the client used HTTPS, whether to trust its
# X-Forwarded-Host, and the origins a form may be posted from (the proxy's public https:// URL).
if PRODUCTION_ENV.proxy_ssl_header is not None:
    SECURE_PROXY_SSL_HEADER = PRODUCTION_ENV.proxy_ssl_header
USE_X_FORWARDED_HOST = bool(PRODUCTION_ENV.use_x_forwarded_host)
CSRF_TRUSTED_ORIGINS = list(PRODUCTION_ENV.csrf_trusted_origins or ())
