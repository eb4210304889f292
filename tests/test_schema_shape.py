"""The documented errors are the real ones (issue 11, finding 4): a 400 is a map of field
names to messages or `{detail, code}`, every operation lists every status it can answer, and
every query parameter carries its bounds."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.factories import ClinicianFactory, signed_in_client

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(schema, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_the_400_is_field_errors_or_a_detail_and_code(schema):
    components = schema["components"]["schemas"]
    assert components["BadRequest"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/FieldErrors"},
            {"$ref": "#/components/schemas/Error"},
        ]
    }
    field_errors = components["FieldErrors"]
    assert "properties" not in field_errors
    assert field_errors["additionalProperties"]["anyOf"][0]["type"] == "array"
    assert set(components["Error"]["required"]) == {"detail", "code"}
    assert "field_name" not in str(schema)


def test_every_documented_400_is_the_shared_shape(schema):
    for path, method, operation in operations(schema):
        bad = operation["responses"].get("400")
        if bad is None:
            continue
        ref = bad["content"]["application/json"]["schema"]
        assert ref == {"$ref": "#/components/schemas/BadRequest"}, (path, method)


def test_every_operation_documents_the_statuses_any_request_can_meet(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        assert {"406", "414", "503"} <= codes, (path, method)
        if operation.get("security") and any(operation["security"]):
            assert {"401", "403"} <= codes, (path, method)
        if "{" in path:
            assert "404" in codes, (path, method)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, (path, method)
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "400" in codes, (path, method)


def test_page_sizes_are_bounded_in_the_schema(schema):
    sizes = [
        parameter["schema"]
        for _, _, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page_size"
    ]
    assert sizes
    for size in sizes:
        assert size["minimum"] == 1 and size["maximum"] == 200


def test_enum_filters_list_their_values(schema):
    calls = schema["paths"]["/api/v1/calls/"]["get"]
    state = next(p for p in calls["parameters"] if p["name"] == "state")
    assert state["schema"]["enum"] == ["closed", "open"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "request_args",
    [
        ("post", "/api/v1/auth/login/", {"data": "{oops", "content_type": "application/json"}),
        ("post", "/api/v1/auth/login/", {"data": {}, "format": "json"}),
        ("get", "/api/v1/followups/?queue=nope&page_size=0", {}),
        ("get", "/api/v1/calls/?received_after=2026-01-01T00:00:00%2B16:00", {}),
    ],
)
def test_real_400s_have_the_documented_shape(schema, request_args):
    method, url, kwargs = request_args
    client, _, _ = signed_in_client(ClinicianFactory())
    if url.startswith("/api/v1/auth/"):
        client = APIClient()

    body = getattr(client, method)(url, **kwargs).json()

    is_error = isinstance(body.get("detail"), str) and isinstance(body.get("code"), str)
    is_field_errors = bool(body) and all(
        isinstance(messages, list | dict) for messages in body.values()
    )
    assert is_error != is_field_errors, body
    if is_field_errors:
        assert all(isinstance(message, str) for messages in body.values() for message in messages)
