"""OpenAPI examples of the transports endpoints (kept apart from the views)."""

from drf_spectacular.utils import OpenApiExample

START = OpenApiExample(
    "To the crisis stabilization unit, with consent",
    request_only=True,
    value={
        "id": "5a3c1f7e-9b1d-4c2a-8f4e-2d6b7c8a9e01",
        "call": "0f0e9a52-2b43-4a55-9c3e-6a7b8c9d0e1f",
        "destination": 12,
        "departed_at": "2026-03-04T10:42:00-08:00",
        "consent_given": True,
        "consent_method": "verbal",
    },
)
REFUSED = OpenApiExample(
    "Full tonight: on to the sobering centre",
    request_only=True,
    value={
        "reason": "No beds until morning.",
        "next_destination": 14,
        "refused_at": "2026-03-04T11:05:00-08:00",
    },
)
HANDED_OFF = OpenApiExample(
    "Taken over by the charge nurse",
    request_only=True,
    value={"handed_off_at": "2026-03-04T11:31:00-08:00", "received_by": "J. Ortiz, RN"},
)
