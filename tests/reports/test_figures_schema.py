"""The figures' OpenAPI schema is their real shape: real answers of GET /api/v1/metrics/
(every grouping, an empty period) and the documented example validate against the
`FiguresAnswer` component, with no key the component does not name."""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator

from calls.choices import BackupReason, CallType, Disposition
from referrals.choices import ServiceCategory
from reports.api.serializers import FiguresSerializer
from reports.figures import DEFINITIONS, GROUPINGS
from tests.calls.routing_helpers import METRICS, client_for, timed_call
from tests.factories import (
    BackupRequestFactory,
    DispatcherFactory,
    DivisionFactory,
    FollowUpFactory,
    ProviderFactory,
    ReferralFactory,
    ServiceFactory,
    TeamFactory,
)

ANSWER = "FiguresAnswer"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def strict(schema: dict, node: object) -> object:
    """The component as JSON Schema, references inlined: OpenAPI 3.0's `nullable` becomes a
    null alternative, and an object that names its properties takes no other key."""
    if isinstance(node, list):
        return [strict(schema, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return strict(schema, {**schema["components"]["schemas"][name], **siblings})
    converted = {
        key: strict(schema, value) if key != "properties" else value
        for key, value in node.items()
        if key not in ("nullable", "example", "readOnly", "format")
    }
    if "properties" in node:
        converted["properties"] = {
            name: strict(schema, value) for name, value in node["properties"].items()
        }
        converted.setdefault("additionalProperties", False)
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def answer_errors(schema: dict, body: dict) -> list[str]:
    validator = Draft202012Validator(strict(schema, {"$ref": f"#/x/{ANSWER}"}))
    return [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)
    ]


@pytest.fixture
def desk():
    """Two divisions' calls of one provider, this week: one with backups, a follow-up and
    referrals, one handed to police."""
    alcott = ProviderFactory(slug="alcott")
    team = TeamFactory(provider=alcott)
    wil, oly = DivisionFactory(code="WIL"), DivisionFactory(code="OLY")
    now = timezone.now()
    helped = timed_call(
        team=team,
        division=wil,
        received_at=now - timedelta(days=2),
        response=10,
        on_scene=30,
        call_type=CallType.MENTAL_HEALTH_CRISIS,
        disposition=Disposition.REFERRED_TO_SERVICES,
    )
    BackupRequestFactory(call=helped, reason=BackupReason.WEAPON_SEEN)
    FollowUpFactory(call=helped)
    ReferralFactory(call=helped, service=ServiceFactory(category=ServiceCategory.HOUSING))
    timed_call(
        team=team,
        division=oly,
        received_at=now - timedelta(days=1),
        response=20,
        on_scene=15,
        disposition=Disposition.HANDED_TO_POLICE,
        police_involved=True,
    )
    return client_for(DispatcherFactory())


def this_month() -> dict:
    today = timezone.localdate()
    return {"from": today - timedelta(days=20), "to": today + timedelta(days=20)}


@pytest.mark.django_db
@pytest.mark.parametrize("by", [None, *GROUPINGS])
def test_a_real_answer_has_exactly_the_documented_shape(schema, desk, by):
    params = {**this_month(), **({"by": by} if by else {})}

    response = desk.get(METRICS, params)

    assert response.status_code == 200
    body = response.json()
    assert body["total"]["calls_handled"] == 2
    assert body["total"]["backup_requests_by_reason"] == {"weapon_seen": 1}
    assert body["total"]["followups_due"] == 1 and body["total"]["referrals_made"] == 1
    groups = {row["group"] for row in body["rows"]}
    if by in (None, "division", "provider"):
        assert groups == {None: set(), "division": {"WIL", "OLY"}, "provider": {"alcott"}}[by]
    assert answer_errors(schema, body) == []


@pytest.mark.django_db
def test_an_empty_period_has_the_documented_shape(schema, desk):
    response = desk.get(METRICS, {"from": "2001-01-01", "to": "2001-01-31", "by": "week"})

    body = response.json()
    assert body["rows"] == [] and body["total"]["calls_handled"] == 0
    assert body["total"]["backup_rate"] is None
    assert answer_errors(schema, body) == []


def test_the_check_finds_a_key_the_schema_does_not_name(schema):
    example = schema["paths"]["/api/v1/metrics/"]["get"]["responses"]["200"]["content"]
    body = example["application/json"]["examples"]["MarchByDivision"]["value"]
    body = {**body, "total": {**body["total"], "undocumented": 1}}

    assert answer_errors(schema, body) == [
        "['total']: Additional properties are not allowed ('undocumented' was unexpected)"
    ]


def test_the_documented_example_has_the_documented_shape(schema):
    content = schema["paths"]["/api/v1/metrics/"]["get"]["responses"]["200"]["content"]
    body = content["application/json"]["examples"]["MarchByDivision"]["value"]

    assert answer_errors(schema, body) == []
    assert content["text/csv"]["schema"] == {"type": "string"}


def test_every_figure_is_documented_with_its_definition(schema):
    figures = schema["components"]["schemas"]["FiguresRow"]["properties"]

    assert set(FiguresSerializer().fields) == set(DEFINITIONS)
    for name, definition in DEFINITIONS.items():
        assert figures[name]["description"].startswith(definition), name
    assert set(schema["components"]["schemas"]["FiguresDefinitions"]["properties"]) == set(
        DEFINITIONS
    )
