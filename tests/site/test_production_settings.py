"""The production settings: `check --deploy` is clean, the proxy and CSRF origins come from the
environment, and a missing or malformed value stops the process naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from triage_site.settings.env import read_production_env

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k" * 20 + "-production-test-secret-" + "q" * 20  # 64 characters, several distinct


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "BROKER_URL", "TRIAGE_"))}
    environ.update(DJANGO_SETTINGS_MODULE="triage_site.settings.production", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_reports_nothing():
    checked = run_manage("check", "--deploy", "--fail-level", "WARNING",
                         DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS="triage.example.org")
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert "no issues" in checked.stdout


def test_the_proxy_settings_come_from_the_environment():
    code = ("from django.conf import settings as s; "
            "print(s.SECURE_PROXY_SSL_HEADER, s.USE_X_FORWARDED_HOST, s.CSRF_TRUSTED_ORIGINS, s.DEBUG, "
            "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)")
    shown = run_manage("shell", "-c", code, DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS="triage.example.org",
                       DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
                       DJANGO_USE_X_FORWARDED_HOST="1",
                       DJANGO_CSRF_TRUSTED_ORIGINS="https://triage.example.org, https://*.example.org:8443")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == ("('HTTP_X_FORWARDED_PROTO', 'https') True "
                                           "['https://triage.example.org', 'https://*.example.org:8443'] "
                                           "False True True True 31536000")


@pytest.mark.parametrize("env,variable", [
    ({"DJANGO_ALLOWED_HOSTS": "triage.example.org"}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_SECRET_KEY": SECRET}, "DJANGO_ALLOWED_HOSTS"),
    ({"DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "h", "DJANGO_DEBUG": "1"}, "DJANGO_DEBUG"),
    ({"DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": "h", "DJANGO_CSRF_TRUSTED_ORIGINS": "example.org"},
     "DJANGO_CSRF_TRUSTED_ORIGINS"),
])
def test_a_missing_or_wrong_value_stops_it_naming_the_variable(env, variable):
    failed = run_manage("check", **env)
    assert failed.returncode != 0
    assert "ImproperlyConfigured" in failed.stderr and variable in failed.stderr
    assert SECRET not in failed.stderr


@pytest.mark.parametrize("env,variable", [
    ({"DJANGO_CSRF_TRUSTED_ORIGINS": "https://ok.example.org,triage.example.org/path"},
     "DJANGO_CSRF_TRUSTED_ORIGINS entry 2"),
    ({"DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "DJANGO_SECURE_PROXY_SSL_HEADER"),
    ({"DJANGO_SECURE_PROXY_SSL_HEADER": "X Forwarded: https"}, "DJANGO_SECURE_PROXY_SSL_HEADER"),
    ({"DJANGO_USE_X_FORWARDED_HOST": "perhaps"}, "DJANGO_USE_X_FORWARDED_HOST"),
    ({"DJANGO_SECURE_HSTS_SECONDS": "-1"}, "DJANGO_SECURE_HSTS_SECONDS"),
    ({"DJANGO_SECURE_HSTS_PRELOAD": "2"}, "DJANGO_SECURE_HSTS_PRELOAD"),
])
def test_malformed_production_variables_are_refused(env, variable):
    with pytest.raises(ImproperlyConfigured, match=variable):
        read_production_env(env)


def test_unset_production_variables_leave_the_defaults_to_the_settings():
    env = read_production_env({"DJANGO_CSRF_TRUSTED_ORIGINS": " ", "DJANGO_SECURE_HSTS_SECONDS": "0"})
    assert env.csrf_trusted_origins is None and env.hsts_seconds == 0 and env.proxy_ssl_header is None
