"""Every page carries a strict Content-Security-Policy, and the pages still work under it."""

import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_the_home_page_loads_only_our_own_files(client):
    response = client.get("/")

    assert response.status_code == 200
    rules = policy(response)
    assert rules["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in rules["script-src"]
    assert "'unsafe-eval'" not in rules["script-src"]
    assert rules["object-src"] == ["'none'"]
    assert rules["frame-ancestors"] == ["'none'"]


def test_the_admin_has_the_policy_and_still_renders(client, admin_user):
    client.force_login(admin_user)

    login_page = client.get("/admin/login/")
    index = client.get("/admin/")

    assert "'unsafe-inline'" not in policy(login_page)["script-src"]
    assert index.status_code == 200
    assert "'unsafe-inline'" not in policy(index)["script-src"]


def test_pages_have_no_inline_scripts_the_policy_would_block(client, admin_user):
    client.force_login(admin_user)
    for path in ("/", "/admin/", "/api/docs/"):
        response = client.get(path)
        html = response.content.decode()
        nonces = re.findall(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        for attributes in re.findall(r"<script([^>]*)>", html):
            if "src=" in attributes or 'type="application/json"' in attributes:
                continue
            assert nonces and f'nonce="{nonces[0]}"' in attributes, f"{path}: <script{attributes}>"


def test_swagger_ui_is_served_locally_with_its_start_up_script_nonced(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    rules = policy(response)
    nonce = next(v for v in rules["script-src"] if v.startswith("'nonce-"))[len("'nonce-") : -1]
    assert f'<script nonce="{nonce}">' in html
    assert "SwaggerUIBundle" in html
    for src in re.findall(r'<script src="([^"]+)"', html):
        assert src.startswith("/static/"), src
    # A second request gets a fresh nonce.
    assert nonce not in client.get("/api/docs/")["Content-Security-Policy"]


def test_styles_are_files_only_and_every_page_renders_without_inline_styles(client, admin_user):
    client.force_login(admin_user)
    for path in ("/", "/book", "/admin/", "/admin/scheduling/appointment/", "/api/docs/"):
        response = client.get(path)

        assert response.status_code == 200, path
        assert policy(response)["style-src"] == ["'self'"], path
        html = response.content.decode()
        assert "<style" not in html, path
        assert not re.search(r"\sstyle=", html), path


def test_no_template_of_ours_has_an_inline_style_the_policy_would_block():
    # Emails are not pages: mail clients need inline styles and no policy applies to them.
    templates = settings.BASE_DIR / "templates"
    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if path.parts[len(templates.parts)] != "emails"
        and re.search(r"<style|\sstyle=", path.read_text())
    ]

    assert offenders == []
