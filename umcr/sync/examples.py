"""OpenAPI examples of the sync endpoints, kept out of the views (as Sentry keeps its
apidocs examples apart). Values are what the endpoints really send; tests/sync/
test_schema.py holds the documented shapes to real answers."""

from drf_spectacular.utils import OpenApiExample

from .pull import ResyncRequired
from .registry import MIN_SCHEMA_VERSION, SCHEMA_VERSION

NOTE_ID = "6f1c2a9e-3b7d-4c1e-9a52-0f8e7d6c5b4a"
CALL_ID = "0b7e4c1a-2d3f-4e5a-8b9c-1d2e3f4a5b6c"
REFUSED_NOTE_ID = "5d0c8b1e-7a2f-4c3d-9e8b-6a5f4e3d2c1b"

NOTE_CHANGES = {
    "notes": {
        "created": [
            {
                "id": NOTE_ID,
                "call_id": CALL_ID,
                "responder_id": "7",
                "body": "Person calm, accepted water.",
                "written_at": 1795424400000,
                "recorded_at": 1795424460000,
                "amends_id": None,
            }
        ],
        "updated": [],
        "deleted": [],
    }
}

PULL_CHANGES = OpenApiExample(
    "Changes", value={"changes": NOTE_CHANGES, "timestamp": 1042, "has_more": False}
)
PULL_RESYNC_REQUIRED = OpenApiExample("Resync required", value=ResyncRequired(0).body)

PUSH_A_NOTE = OpenApiExample(
    "A note written offline",
    value={
        "changes": {
            "notes": {
                "created": [
                    {
                        "id": NOTE_ID,
                        "call_id": CALL_ID,
                        "body": "Person calm, accepted water.",
                        "written_at": 1795424400000,
                        "amends_id": None,
                    }
                ],
                "updated": [],
                "deleted": [],
            }
        }
    },
    request_only=True,
)

PUSH_APPLIED_ONE_REFUSED = OpenApiExample(
    "Applied, one refused",
    value={
        "ok": True,
        "applied": 3,
        "experimentalRejectedIds": {"notes": [REFUSED_NOTE_ID]},
        "rejected": {"notes": {REFUSED_NOTE_ID: {"body": ["A note needs some text."]}}},
    },
    response_only=True,
)

PUSH_STALE = OpenApiExample(
    "Changed on the server",
    value={
        "detail": "Some records changed on the server since your last pull; pull, then push again.",
        "code": "stale",
        "conflicts": {"follow_ups": ["3c9e1f7a-5b2d-4e8c-a1f0-9d8c7b6a5e4f"]},
    },
    response_only=True,
)

UNSUPPORTED_SCHEMA_VERSION = OpenApiExample(
    "Schema version too new",
    value={
        "detail": f"Schema version {SCHEMA_VERSION + 1} is not supported; this server syncs "
        f"versions {MIN_SCHEMA_VERSION} to {SCHEMA_VERSION}. Update the app.",
        "code": "unsupported_schema_version",
        "min_schema_version": MIN_SCHEMA_VERSION,
        "max_schema_version": SCHEMA_VERSION,
    },
    response_only=True,
)

PUSH_THROTTLED = OpenApiExample(
    "Too many records",
    value={
        "detail": "At most 10000 records a minute are taken from one device; send the rest "
        "in a minute.",
        "code": "throttled",
    },
    response_only=True,
)
