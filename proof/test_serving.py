"""Production serving: `check --deploy` is clean and gunicorn serves with the production
settings (DEBUG off, WhiteNoise compressed static files, TLS redirect, security headers)."""

import http.client
import subprocess
import sys

from proof.soak import BASE_DIR, gunicorn_server, production_env


def _production_env(**overrides: str) -> dict[str, str]:
    env = production_env(ALLOWED_HOSTS="smartbook.example.com,127.0.0.1", **overrides)
    env.pop("SECURE_SSL_REDIRECT")  # production default: on
    env.pop("SECURE_HSTS_SECONDS", None)
    # Production counts throttles in the shared cache (check --deploy warns without it).
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secret_key():
    env = _production_env()
    env.pop("SECRET_KEY")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _get(base_url: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_gunicorn_serves_compressed_static_files_and_secure_headers(tmp_path):
    env = _production_env(STATIC_ROOT=str(tmp_path / "static"))
    collected = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()

    with gunicorn_server(env=env, workers=1, threads=2, log_path=tmp_path / "web.log") as url:
        plain = _get(url, "/api/schema/", {"Host": "smartbook.example.com"})
        assert plain.status == 301
        assert plain.getheader("Location") == "https://smartbook.example.com/api/schema/"

        behind_tls = {"Host": "smartbook.example.com", "X-Forwarded-Proto": "https"}
        static = _get(
            url, "/static/vendor/chart.umd.min.js", {**behind_tls, "Accept-Encoding": "gzip"}
        )
        assert static.status == 200
        assert static.getheader("Content-Encoding") == "gzip"
        assert static.getheader("X-Content-Type-Options") == "nosniff"
        assert "max-age=31536000" in static.getheader("Strict-Transport-Security")

        schema = _get(url, "/api/schema/", behind_tls)
        assert schema.status == 200
        assert schema.getheader("X-Frame-Options") == "DENY"
        assert schema.getheader("Referrer-Policy") == "same-origin"

        unknown = _get(url, "/no-such-page", behind_tls)
        assert unknown.status == 404
        assert b"Traceback" not in (unknown.read() or b"")
