"""Lighthouse on the main pages of a running SmartBook (`make run`), printing performance,
accessibility and best-practices scores per page:

    .venv/bin/python -m proof.lighthouse [--base-url http://127.0.0.1:8000]
        [--client alice@smartbook.test] [--preset mobile|desktop] [--runs 1] [--json]

It signs the demo client in by writing a session to the server's own database (so run it
with the same settings as the server), installs Lighthouse 12.2.3 into
`proof/lighthouse/node_modules` (git-ignored) on first use, and drives Debian's Chromium
headless (`CHROME_PATH`, default /usr/bin/chromium) through `run.mjs`, which gives the
browser the session cookie before Lighthouse opens the page. A benchmark, not a test: the goals
(95 or more for accessibility and best practices, 90 or more for performance) are read off
its output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIGHTHOUSE_VERSION = "12.2.3"
BINARY = HERE / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
# (label, path, signed in)
PAGES = (
    ("home, visitor", "/", False),
    ("book, visitor", "/book?service={service}", False),
    ("home, client", "/", True),
    ("book, client", "/book?service={service}", True),
    ("my appointments", "/appointments", True),
)


def install() -> None:
    if BINARY.exists():
        return
    subprocess.run(
        [
            "npm",
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(HERE),
            f"lighthouse@{LIGHTHOUSE_VERSION}",
        ],
        check=True,
    )


def session_cookie(email: str) -> tuple[str, str, int]:
    """(cookie name, value, a service id) for the user, from the server's database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartbook.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from providers.models import Service

    client = Client()
    client.force_login(User.objects.get(email=email))
    service = Service.objects.filter(is_active=True).order_by("pk").first()
    name = settings.SESSION_COOKIE_NAME
    return name, client.cookies[name].value, service.pk


def score(url: str, *, cookie: tuple[str, str] | None, preset: str) -> dict[str, int]:
    """One run's scores (`run.mjs`: Lighthouse in a Chromium that holds the session cookie,
    so the page's own API requests are signed in as well)."""
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    problem = ""
    for _attempt in range(3):  # Chromium or a trace gatherer sometimes fails: again
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "report.json"
            command = ["node", str(HERE / "run.mjs"), url, str(report), preset, *(cookie or ())]
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode != 0 or not report.exists():
                problem = done.stderr[-2000:]
                continue
            categories = json.loads(report.read_text())["categories"]
        scores = {name: categories[name]["score"] for name in CATEGORIES}
        if None not in scores.values():
            return {name: round(value * 100) for name, value in scores.items()}
        problem = f"no score for {[name for name, value in scores.items() if value is None]}"
    raise SystemExit(f"Lighthouse failed on {url}: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proof.lighthouse")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--client", default="alice@smartbook.test")
    parser.add_argument("--preset", choices=("mobile", "desktop"), default="mobile")
    parser.add_argument("--runs", type=int, default=1, help="Runs per page (the median).")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args(argv)
    install()
    name, value, service = session_cookie(options.client)
    results = {}
    for label, path, signed_in in PAGES:
        url = options.base_url.rstrip("/") + path.format(service=service)
        cookie = (name, value) if signed_in else None
        runs = [score(url, cookie=cookie, preset=options.preset) for _ in range(options.runs)]
        results[label] = {
            category: int(statistics.median(run[category] for run in runs))
            for category in CATEGORIES
        }
    if options.json:
        print(json.dumps({"preset": options.preset, "pages": results}))
    else:
        print(f"Lighthouse {LIGHTHOUSE_VERSION}, {options.preset}, median of {options.runs}")
        print(f"{'page':<18}" + "".join(f"{c:>16}" for c in CATEGORIES))
        for label, scores in results.items():
            print(f"{label:<18}" + "".join(f"{scores[c]:>16}" for c in CATEGORIES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
