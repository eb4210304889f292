"""Every answer is JSON in the project's error shape: deep nesting, oversized bodies, bad
offsets and NUL bytes in query parameters are 400 or 413 naming what is wrong, never a 500
(issue 11, findings 2-4)."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from calls.models import Call
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    ServiceFactory,
    SupervisorFactory,
    signed_in_client,
)

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


def deep_json(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.fixture
def clinician_client():
    clinician = ClinicianFactory()
    client, _, _ = signed_in_client(clinician)
    return client, CallFactory(team=clinician.team)


# --- finding 2: deep JSON --------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_json_nested_a_thousand_deep_is_a_parse_error_at_sign_in_without_a_token(depth):
    response = APIClient().post(LOGIN, data=deep_json(depth), content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "parse_error"
    assert "detail" in response.json()


@pytest.mark.parametrize("tail", ["events/", "notes/", "outcome/", "backup-requests/"])
def test_json_nested_a_thousand_deep_is_a_parse_error_on_every_write(clinician_client, tail):
    client, call = clinician_client

    response = client.post(
        f"/api/v1/calls/{call.pk}/{tail}", data=deep_json(1000), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_json_nested_a_thousand_deep_is_a_parse_error_on_sync_push(clinician_client):
    client, _ = clinician_client
    body = '{"changes": ' + "[" * 1000 + "]" * 1000 + "}"

    response = client.post(
        "/api/v1/sync/push/?last_pulled_at=null", data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_json_as_deep_as_allowed_is_parsed():
    response = APIClient().post(LOGIN, data=deep_json(200), content_type="application/json")

    assert response.status_code == 400
    assert "username" in response.json()


def test_a_body_that_is_not_utf8_json_is_a_parse_error():
    response = APIClient().post(LOGIN, data=b"\xff\xfe{", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_body_that_is_not_json_is_415_in_the_error_shape():
    response = APIClient().post(LOGIN, data="username=a", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# --- finding 4: oversized body -----------------------------------------------------------------


def test_a_body_over_the_size_limit_is_a_json_413():
    body = '{"username": "' + "x" * (5 * 1024 * 1024) + '"}'

    response = APIClient().post(LOGIN, data=body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "too_large"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_sync_push_over_the_size_limit_is_a_json_413(clinician_client):
    client, call = clinician_client
    note = {"id": "6f1c2a9e-3b7d-4c1e-9a52-0f8e7d6c5b4a", "call_id": str(call.pk)}
    note |= {"body": "x" * 2000, "written_at": 1795424400000}

    response = client.post(
        "/api/v1/sync/push/?last_pulled_at=null",
        {"changes": {"notes": {"created": [note], "updated": [], "deleted": []}}},
        format="json",
    )

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


# --- finding 3: query parameters -----------------------------------------------------------


@pytest.mark.parametrize(
    "param",
    [
        "received_after=2026-01-01T00:00:00%2B16:00",
        "received_before=2026-01-01T00:00:00-16:00",
        "received_after=0001-01-01T00:00:00%2B14:00",
        "received_after=9999-12-31T23:59:59-14:00",
        "received_after=2026-01-01T00:00:00%2B05:30:15",
    ],
)
def test_a_received_time_postgresql_cannot_take_is_a_400_naming_it(clinician_client, param):
    client, _ = clinician_client

    response = client.get(f"/api/v1/calls/?{param}")

    assert response.status_code == 400
    assert list(response.json()) == [param.split("=")[0]]


def test_a_received_time_in_bounds_filters(clinician_client):
    client, call = clinician_client

    response = client.get("/api/v1/calls/?received_after=2020-01-01T00:00:00%2B15:59")

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [str(call.pk)]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/services/?q=%00",
        "/api/v1/services/?division=%00",
        "/api/v1/services/?q=shelter%00bed",
        "/api/v1/followups/?division=%00",
        "/api/v1/calls/?status=%00",
        "/api/v1/referrals/?person=%00",
        "/api/v1/notifications/?kind=%00",
        "/api/v1/backup-requests/?status=%00",
    ],
)
def test_a_nul_byte_in_a_query_parameter_is_a_400_naming_it(clinician_client, url):
    client, _ = clinician_client
    ServiceFactory()

    response = client.get(url)

    assert response.status_code == 400, response.content
    name = url.split("?")[1].split("=")[0]
    assert name in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/calls/?state=",
        "/api/v1/calls/?status=",
        "/api/v1/calls/?received_after=",
        "/api/v1/followups/?queue=",
        "/api/v1/followups/?status=",
        "/api/v1/followups/?kind=",
        "/api/v1/followups/?person=",
        "/api/v1/referrals/?mine=",
        "/api/v1/referrals/?person=",
        "/api/v1/referrals/?category=",
        "/api/v1/notifications/?unread=",
        "/api/v1/notifications/?kind=",
        "/api/v1/backup-requests/?open=",
    ],
)
def test_an_empty_enum_uuid_boolean_or_time_filter_is_a_400_naming_it(clinician_client, url):
    client, _ = clinician_client

    response = client.get(url)

    assert response.status_code == 400, response.content
    name = url.split("?")[1].split("=")[0]
    assert list(response.json()) == [name]


def test_an_empty_free_text_filter_is_no_filter(clinician_client):
    client, _ = clinician_client

    response = client.get("/api/v1/followups/?division=")

    assert response.status_code == 200


@pytest.mark.parametrize("page_size", ["0", "201", "99999999999999999999", "%00", ""])
def test_a_page_size_out_of_range_is_a_400_naming_it(clinician_client, page_size):
    client, _ = clinician_client

    response = client.get(f"/api/v1/followups/?page_size={page_size}")

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


# --- finding 4: metrics CSV errors in plain text -------------------------------------------


def test_metrics_csv_errors_are_plain_text_not_python_reprs():
    client, _, _ = signed_in_client(SupervisorFactory())

    response = client.get("/api/v1/metrics/?format=csv&from=not-a-date&by=nothing")

    assert response.status_code == 400
    text = response.content.decode()
    assert "ErrorDetail" not in text
    assert "{" not in text
    lines = text.replace('"', "").splitlines()
    assert lines[0] == "field,message"
    assert any(line.startswith("from,Date has wrong format.") for line in lines)
    assert any(line.startswith("by,") for line in lines)


def test_metrics_csv_permission_error_is_plain_text():
    clinician = ClinicianFactory()
    client, _, _ = signed_in_client(clinician)

    response = client.get("/api/v1/metrics/", HTTP_ACCEPT="text/csv")

    assert response.status_code == 403
    assert response.content.decode().splitlines()[0] == "field,message"
    assert "ErrorDetail" not in response.content.decode()


def test_metrics_rejects_a_nul_in_its_parameters_with_a_400():
    client, _, _ = signed_in_client(DispatcherFactory())

    response = client.get("/api/v1/metrics/?division=%00&provider=%00")

    assert response.status_code == 400
    assert set(response.json()) == {"division", "provider"}


# --- handler500 ------------------------------------------------------------------------------


def test_an_unforeseen_failure_under_api_is_a_json_500(clinician_client, monkeypatch):
    client, _ = clinician_client
    client.raise_request_exception = False

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(Call.objects, "filter", fail, raising=False)
    monkeypatch.setattr("calls.selectors.call_list", fail)

    response = client.get("/api/v1/calls/")

    assert response.status_code == 500
    assert response.json() == {
        "detail": "The server failed to answer; the failure is logged.",
        "code": "error",
    }
