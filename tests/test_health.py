"""`/health/` and `/ready/`: the load balancer's probes. Health never touches the database;
readiness answers 503 with Retry-After when the database or the broker does not answer."""

import socket
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.test import override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

NOTHING_LISTENS = "redis://127.0.0.1:9/0"  # the discard port: connection refused


def redis_is_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_health_answers_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = APIClient().get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_answers_while_the_database_is_down():
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError):
        response = APIClient().get("/health/")

    assert response.status_code == 200


def test_ready_with_the_orm_broker_checks_the_database_twice_over():
    with override_settings(REDIS_URL=""):
        response = APIClient().get("/ready/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.skipif(not redis_is_running(), reason="no Redis on 127.0.0.1:6379")
def test_ready_with_redis_pings_it():
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/0"):
        response = APIClient().get("/ready/")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_ready_is_503_with_retry_after_when_redis_does_not_answer():
    with override_settings(REDIS_URL=NOTHING_LISTENS):
        response = APIClient().get("/ready/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json() == {
        "detail": "Not ready: broker unavailable.",
        "code": "unavailable",
        "checks": {"database": "ok", "broker": "unavailable"},
    }


def test_ready_is_503_when_the_database_does_not_answer():
    with (
        override_settings(REDIS_URL=""),
        mock.patch.object(connections["default"], "cursor", side_effect=OperationalError),
    ):
        response = APIClient().get("/ready/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json() == {
        "detail": "Not ready: database and broker unavailable.",
        "code": "unavailable",
        "checks": {"database": "unavailable", "broker": "unavailable"},
    }


@pytest.mark.parametrize("url", ["/health/", "/ready/"])
def test_probes_are_public_get_only_and_not_redirected_to_https(url):
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = APIClient().get(url)
        refused = APIClient().post(url)

    assert response.status_code == 200
    assert refused.status_code == 405


@pytest.mark.parametrize("url", ["/health/", "/ready/"])
def test_probes_are_not_in_the_api_schema(url, settings):
    settings.DEBUG = True
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert url not in schema["paths"]
    assert not any(path.endswith(url) for path in schema["paths"])
