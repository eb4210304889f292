"""The OpenAPI examples of the calls API, kept apart from the views that cite them (as
Sentry keeps its apidocs/examples). Examples only: no shapes or rules live here."""

from drf_spectacular.utils import OpenApiExample

EXAMPLE_ID = "6f1c2a9e-3b7d-4c1e-9a52-0f8e7d6c5b4a"

STATUS_EVENT_ON_SCENE = OpenApiExample(
    "On scene",
    request_only=True,
    value={"id": EXAMPLE_ID, "kind": "on_scene", "occurred_at": "2026-11-23T09:41:00Z"},
)

NOTE = OpenApiExample(
    "Note",
    request_only=True,
    value={
        "id": EXAMPLE_ID,
        "body": "Person calm, accepted water, talking about a shelter bed.",
        "written_at": "2026-11-23T09:45:00Z",
    },
)

OUTCOME_REFERRED = OpenApiExample(
    "Referred",
    request_only=True,
    value={
        "id": EXAMPLE_ID,
        "disposition": "referred_to_services",
        "police_involved": False,
        "people_served": 1,
        "summary": "Agreed to a shelter bed; referral made.",
        "occurred_at": "2026-11-23T10:20:00Z",
    },
)

BACKUP_WEAPON_SEEN = OpenApiExample(
    "Weapon seen",
    request_only=True,
    value={
        "id": EXAMPLE_ID,
        "reason": "weapon_seen",
        "details": "Knife in waistband; we stepped back to the van.",
        "occurred_at": "2026-11-23T09:50:00Z",
    },
)

BACKUP_POLICE_EN_ROUTE = OpenApiExample(
    "Police en route", request_only=True, value={"status": "police_en_route"}
)

INTAKE_WELFARE_CHECK = OpenApiExample(
    "Welfare check",
    request_only=True,
    value={
        "source": "cad_911",
        "cad_incident_number": "LAPD-26-1123-0042",
        "received_at": "2026-11-23T17:02:00Z",
        "call_type": "welfare_check",
        "priority": 2,
        "division": "WIL",
        "address": "5800 Wilshire Blvd",
        "latitude": "34.062300",
        "longitude": "-118.356400",
        "narrative": "Man sitting in the bus shelter for hours, not responding.",
    },
)

ASSIGN_TO_TEAM = OpenApiExample("To ALCOTT-2", request_only=True, value={"team": "ALCOTT-2"})
MOVE_TO_PROGRAM = OpenApiExample(
    "To the outreach program",
    request_only=True,
    value={"program": "circle", "reason": "Caller says he sleeps there; no crisis."},
)
