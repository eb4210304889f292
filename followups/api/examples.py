"""The OpenAPI examples of the follow-ups API, kept apart from the views that cite them (as
Sentry keeps its apidocs/examples). Examples only: no shapes or rules live here."""

from drf_spectacular.utils import OpenApiExample

VISIT_IN_TWO_DAYS = OpenApiExample(
    "Visit in two days",
    request_only=True,
    value={
        "kind": "visit",
        "call": "0b7e4c1a-2d3f-4e5a-8b9c-1d2e3f4a5b6c",
        "not_before": "2026-11-25T16:00:00Z",
        "due_by": "2026-11-27T01:00:00Z",
        "purpose": "See whether the shelter bed worked out.",
    },
)
