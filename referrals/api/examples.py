"""The OpenAPI examples of the referrals API, kept apart from the views that cite them (as
Sentry keeps its apidocs/examples). Examples only: no shapes or rules live here."""

from drf_spectacular.utils import OpenApiExample

SHELTER_BED = OpenApiExample(
    "Shelter bed",
    request_only=True,
    value={
        "service": 20,
        "call": "0b7e4c1a-2d3f-4e5a-8b9c-1d2e3f4a5b6c",
        "consent_given": True,
        "consent_method": "verbal",
        "notes": "Wants a bed tonight; has a dog.",
    },
)

ACCEPTED = OpenApiExample(
    "Accepted",
    request_only=True,
    value={"status": "accepted", "note": "Intake Tuesday 10am."},
)
