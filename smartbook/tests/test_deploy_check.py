"""`manage.py check --deploy` with production settings reports nothing."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "smartbook.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",  # the check does not connect
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value}


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_with_production_env_reports_no_warnings(tmp_path):
    result = check_deploy(production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_the_throttle_cache_is_process_local(tmp_path):
    result = check_deploy(production_env(tmp_path, REDIS_URL=""))

    assert result.returncode != 0
    assert "smartbook.W001" in result.stderr
    assert "REDIS_URL" in result.stderr


def test_production_with_redis_url_counts_throttles_in_redis(tmp_path):
    code = (
        "from django.conf import settings; from django.core.cache import caches; "
        "print(type(caches['default']).__name__, settings.CACHES['default']['LOCATION'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.split() == ["RedisCache", "redis://127.0.0.1:6379/0"], result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "DEBUG": "0"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
