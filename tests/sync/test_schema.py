"""The OpenAPI description of sync pull and push says what the endpoints really send: every
key of a real pull, a real push request and a real push answer (200, 409, 426) is one the
documented component names, recursively, with the documented JSON type. Records are the
one open part: a record's columns are per table (each app's sync.py)."""

import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

from calls.choices import EventKind
from calls.models import Call
from tests.factories import PersonFactory, ServiceFactory
from tests.sync.helpers import (
    PULL,
    PUSH,
    SYNC_DB,
    changes,
    event_record,
    followup_record,
    migration_data,  # noqa: F401  (a fixture)
    minutes_ago_ms,
    note_record,
    person_record,
    pull_body,
    push,
    records_of,
    referral_record,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.sync.registry import SCHEMA_VERSION

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]

JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


@pytest.fixture(scope="module")
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(schema: dict, openapi: dict) -> dict:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def undocumented(value, schema: dict, openapi: dict, path: str = "$") -> list[str]:
    """What in `value` the schema does not describe: keys it does not name (where it names
    its properties), required keys missing, values of another JSON type."""
    schema = resolve(schema, openapi)
    if not schema:  # {}: any value (a record's column)
        return []
    if value is None:
        return [] if schema.get("nullable") else [f"{path}: null, not documented as nullable"]
    kind = schema.get("type")
    if kind in JSON_TYPES and (
        not isinstance(value, JSON_TYPES[kind]) or (kind != "boolean" and value is True)
    ):
        return [f"{path}: {type(value).__name__}, documented as {kind}"]
    problems = []
    if kind == "object":
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties", False)
        problems += [
            f"{path}.{key}: missing" for key in schema.get("required", []) if key not in value
        ]
        for key, item in value.items():
            if key in properties:
                problems += undocumented(item, properties[key], openapi, f"{path}.{key}")
            elif isinstance(additional, dict):
                problems += undocumented(item, additional, openapi, f"{path}.{key}")
            elif additional is not True:
                problems.append(f"{path}.{key}: not documented")
    elif kind == "array":
        for index, item in enumerate(value):
            problems += undocumented(item, schema.get("items", {}), openapi, f"{path}[{index}]")
    return problems


def operation(openapi: dict, url: str, method: str) -> dict:
    return openapi["paths"][url][method]


def response_schema(openapi: dict, url: str, method: str, status: int) -> dict:
    content = operation(openapi, url, method)["responses"][str(status)]["content"]
    return content["application/json"]["schema"]


def typed_component(schema: dict, openapi: dict, name: str) -> dict:
    """The component, asserted to be the typed one (named properties), not a bare object."""
    assert schema == {"$ref": f"#/components/schemas/{name}"}
    component = resolve(schema, openapi)
    assert component["properties"]
    assert "additionalProperties" not in component
    return component


def test_the_undocumented_finder_finds_unknown_keys_and_wrong_types(openapi):
    schema = {"$ref": "#/components/schemas/SyncPull"}
    body = {"changes": {"notes": {"created": [], "updated": [], "deleted": [7]}}}
    body |= {"timestamp": "12", "has_more": False, "cursor": 3}

    assert sorted(undocumented(body, schema, openapi)) == [
        "$.changes.notes.deleted[0]: int, documented as string",
        "$.cursor: not documented",
        "$.timestamp: str, documented as integer",
    ]


def test_a_real_pull_is_the_documented_sync_pull(openapi):
    pair = team_pair()
    person = PersonFactory(provider=pair.team.provider, given_name="Sam")
    Call.objects.filter(pk=pair.call.pk).update(person=person)
    pair.first.write("notes", note_record(pair.call, "On scene.", minutes_ago_ms(5)))
    pair.first.write(
        "status_events", event_record(pair.call, EventKind.ACKNOWLEDGED, minutes_ago_ms(9))
    )
    pair.first.write("referrals", referral_record(pair.call, ServiceFactory()))
    assert pair.first.push().status_code == 200
    first = pull_body(pair.second.client, None)
    # A later pull from the cursor, paged.
    pair.first.write("notes", note_record(pair.call, "Left with a friend.", minutes_ago_ms(1)))
    assert pair.first.push().status_code == 200
    later = pull_body(pair.second.client, first["timestamp"], limit=1)
    schema = response_schema(openapi, PULL, "get", 200)
    typed_component(schema, openapi, "SyncPull")

    assert (
        records_of(first, "notes")
        and records_of(first, "referrals")
        and first["changes"]["calls"]["created"]
    )
    assert undocumented(first, schema, openapi) == []
    assert undocumented(later, schema, openapi) == []


def test_a_real_push_request_and_answer_are_the_documented_ones(openapi):
    pair = team_pair()
    phone = pair.first
    cursor = pull_body(phone.client, None)["timestamp"]
    batch = changes(
        notes={
            "created": [
                note_record(pair.call, "Calm now.", minutes_ago_ms(3)),
                note_record(pair.call, "", minutes_ago_ms(2)),  # refused: no text
            ],
            "deleted": [str(uuid.uuid4())],  # refused: records are never erased
        },
        people={"created": [person_record(call=pair.call, given_name="Sam")]},
        follow_ups={
            "created": [followup_record(pair.call, minutes_ago_ms(-60), minutes_ago_ms(-600))]
        },
    )
    request_body = {"changes": batch}
    post = operation(openapi, PUSH, "post")
    request_schema = post["requestBody"]["content"]["application/json"]["schema"]
    typed_component(request_schema, openapi, "SyncPushBodyRequest")

    assert undocumented(request_body, request_schema, openapi) == []
    response = push(phone.client, batch, cursor, batch_id="schema-1")

    assert response.status_code == 200, response.content
    answer = response.json()
    schema = response_schema(openapi, PUSH, "post", 200)
    typed_component(schema, openapi, "SyncPushResult")
    # Both shapes of a refusal: a column's messages, and {detail, code}.
    reasons = answer["rejected"]["notes"].values()
    assert {"body"} in [set(reason) for reason in reasons]
    assert {"detail", "code"} in [set(reason) for reason in reasons]
    assert undocumented(answer, schema, openapi) == []


def test_a_real_stale_push_is_the_documented_409(openapi):
    pair = team_pair()
    person = PersonFactory(provider=pair.team.provider, given_name="Sam")
    Call.objects.filter(pk=pair.call.pk).update(person=person)
    first = pull_body(pair.first.client, None)
    second = pull_body(pair.second.client, None)
    record = records_of(first, "people")[str(person.pk)]
    edit = changes(people={"updated": [{**record, "given_name": "Partner's"}]})
    assert push(pair.second.client, edit, second["timestamp"]).status_code == 200
    mine = changes(people={"updated": [{**record, "given_name": "Mine"}]})

    response = push(pair.first.client, mine, first["timestamp"])

    assert response.status_code == 409
    schema = response_schema(openapi, PUSH, "post", 409)
    typed_component(schema, openapi, "SyncStaleConflict")
    assert undocumented(response.json(), schema, openapi) == []


@pytest.mark.parametrize(("url", "method"), [(PULL, "get"), (PUSH, "post")])
def test_a_real_unsupported_schema_version_is_the_documented_426(openapi, url, method):
    phone = team_pair().first
    query = f"?last_pulled_at=1&schema_version={SCHEMA_VERSION + 1}"

    if method == "post":
        response = phone.client.post(f"{url}{query}", {"changes": {}}, format="json")
    else:
        response = phone.client.get(f"{url}{query}")

    assert response.status_code == 426
    schema = response_schema(openapi, url, method, 426)
    typed_component(schema, openapi, "SyncUnsupportedSchemaVersion")
    assert undocumented(response.json(), schema, openapi) == []
