"""The settings (ktxh/settings.py) as an operator meets them, each in a fresh process:
the HTTPS switch passes Django's deployment checks, the public demo key and a
production without its own key refuse to start, and a demo from a clean checkout
makes its own key once, beside the SQLite store, private to its owner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "k" + "".join(chr(ord("a") + (i * 7) % 26) for i in range(60)) + "-9Z_x"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m ktxh.web.manage ...`` or ``python -c ...`` with only ``env`` set among
    the KTXH_ variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KTXH_", "DATABASE_URL"))}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "KTXH_HTTPS": "1",
        "KTXH_SECRET_KEY": STRONG_KEY,
        "KTXH_ALLOWED_HOSTS": "ktxh.example.vn",
        "KTXH_DATABASE": str(tmp_path / "ktxh.sqlite3"),
        **extra,
    }


def test_check_deploy_is_clean_under_the_https_switch(tmp_path: Path) -> None:
    """Issue 10: check --deploy warned W004, W008, W009, W012 and W016."""
    done = run(
        production(tmp_path),
        "-m",
        "ktxh.web.manage",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    # and without the switch, the same checks find what it fixes
    plain = run(
        {"KTXH_SECRET_KEY": STRONG_KEY, "KTXH_DATABASE": str(tmp_path / "k.sqlite3")},
        "-m",
        "ktxh.web.manage",
        "check",
        "--deploy",
    )
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in plain.stderr, plain.stderr


def test_the_https_switch_sets_secure_cookies_hsts_and_the_proxy_header(tmp_path: Path) -> None:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'ktxh.settings'; "
        "django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.KTXH_PROXIES)"
    )
    done = run(production(tmp_path), "-c", code)
    assert done.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "1",
    ], done.stderr
    # served: an HTTP request is sent to HTTPS, an HTTPS one gets HSTS and secure cookies
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'ktxh.settings'; "
        "django.setup(); from django.test import Client; c = Client(); "
        "r = c.get('/dang-nhap/', HTTP_HOST='ktxh.example.vn'); "
        "print(r.status_code, r['Location']); "
        "r = c.get('/dang-nhap/', HTTP_HOST='ktxh.example.vn', HTTP_X_FORWARDED_PROTO='https'); "
        "print(r.status_code, r['Strict-Transport-Security']); "
        "print(r.cookies['csrftoken']['secure'])"
    )
    done = run(production(tmp_path), "-c", code)
    lines = done.stdout.splitlines()
    assert lines[0] == "301 https://ktxh.example.vn/dang-nhap/", done.stderr
    assert lines[1] == "200 max-age=31536000; includeSubDomains; preload"
    assert lines[2] == "True"


def test_production_refuses_to_start_without_its_own_key(tmp_path: Path) -> None:
    env = production(tmp_path)
    del env["KTXH_SECRET_KEY"]
    done = run(env, "-m", "ktxh.web.manage", "check")
    assert done.returncode != 0
    assert "KTXH_HTTPS=1 cần KTXH_SECRET_KEY" in done.stderr
    assert not list(tmp_path.iterdir())  # no key was made for it


def test_the_public_demo_key_is_refused_unless_debugging(tmp_path: Path) -> None:
    demo_key = "ktxh-demo-only-not-secret-change-me-0123456789"
    env = {"KTXH_SECRET_KEY": demo_key, "KTXH_DATABASE": str(tmp_path / "ktxh.sqlite3")}
    done = run(env, "-m", "ktxh.web.manage", "check")
    assert done.returncode != 0
    assert "KTXH_SECRET_KEY là khóa công khai của bản dùng thử" in done.stderr
    assert run({**env, "KTXH_DEBUG": "1"}, "-m", "ktxh.web.manage", "check").returncode == 0


def test_a_demo_makes_its_key_once_beside_the_store(tmp_path: Path) -> None:
    store = tmp_path / "du-lieu" / "ktxh.sqlite3"
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'ktxh.settings'; "
        "django.setup(); from django.core import signing; print(signing.Signer().sign('ktxh'))"
    )
    env = {"KTXH_DATABASE": str(store)}
    first = run(env, "-c", code)
    assert first.returncode == 0, first.stderr
    key = store.with_name("ktxh.sqlite3.secret-key")
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    assert len(key.read_text().strip()) >= 50
    second = run(env, "-c", code)
    assert second.stdout == first.stdout  # the same key: sessions survive a restart
    # reading the settings alone (a type check, --help) makes no key
    other = tmp_path / "khac" / "ktxh.sqlite3"
    done = run({"KTXH_DATABASE": str(other)}, "-c", "import ktxh.settings")
    assert done.returncode == 0 and not other.parent.exists()
