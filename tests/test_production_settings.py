"""Production defaults: `check --deploy` is clean with the README's production variables,
HTTPS and browser protections are on, the schema and docs need a signed-in user and do not
show the demo password, and Swagger UI comes from this site with a strict script policy."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import override_settings
from rest_framework.test import APIClient

from demo import data as demo_data
from tests.factories import ClinicianFactory, SupervisorFactory, signed_in_client

pytestmark = pytest.mark.django_db

# Only what the README's production table asks for; nothing inherited from the test run.
PRODUCTION_ENV = {
    "DATABASE_URL": os.environ["DATABASE_URL"],
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "umcr.example.org",
    "DEBUG": "false",
}


def check_deploy(**extra_env) -> subprocess.CompletedProcess:
    """`manage.py check --deploy --fail-level WARNING` in a process of its own, as a
    deployment runs it (the settings are read from the environment once, at start)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    env.update(PRODUCTION_ENV, **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issues_with_the_production_variables():
    result = check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_turning_the_ssl_redirect_off_for_a_proxy_is_the_one_warning():
    result = check_deploy(SECURE_SSL_REDIRECT="false")

    assert result.returncode != 0
    assert re.findall(r"security\.W\d+", result.stdout + result.stderr) == ["security.W008"]


def test_an_https_answer_carries_hsts_csp_and_the_browser_protections():
    response = APIClient().get("/health/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # a nonce only on pages that use one
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "http" not in response["Content-Security-Policy"]  # no other origin anywhere


def test_plain_http_is_redirected_to_https_when_the_redirect_is_on():
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = APIClient().get("/api/v1/me/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/v1/me/"


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/docs/?script"])
def test_schema_and_docs_are_closed_to_anonymous_users_in_a_deployment(url):
    response = APIClient().get(url)

    if url == "/api/schema/":
        assert response.status_code == 401
        assert b"paths" not in response.content
    else:
        # A browser is sent to the sign-in page, and comes back after it.
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=/api/docs/")


def test_a_phone_with_a_token_reads_the_schema_without_the_demo_password():
    client, _, _ = signed_in_client(ClinicianFactory())

    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    example = response.json()["paths"]["/api/v1/auth/login/"]["post"]["requestBody"]
    assert "<password>" in str(example)
    assert demo_data.PASSWORD not in response.content.decode()


def test_the_demo_shows_schema_and_docs_to_anyone_with_the_demo_password(settings):
    settings.DEBUG = True

    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    docs = APIClient().get("/api/docs/")

    assert schema.status_code == 200 and docs.status_code == 200
    assert demo_data.PASSWORD in schema.content.decode()


def test_swagger_ui_comes_from_this_site_with_its_init_script_as_a_file():
    client = APIClient()
    client.force_login(SupervisorFactory().user)

    page = client.get("/api/docs/", secure=True)
    script = client.get("/api/docs/?script", secure=True)

    html = page.content.decode()
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "cdn" not in html
    # Every script is a file of this site: the policy needs no inline script.
    assert "<script>" not in html
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert (
        "'unsafe-inline'"
        not in page["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
