"""Shared pieces of the OpenAPI description: the error body every endpoint may return."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
    },
)

ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "field_name": serializers.ListField(
            child=serializers.CharField(), help_text="Each bad field maps to its messages."
        )
    },
)


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERROR_RESPONSES = {
    400: OpenApiResponse(
        response=ValidationErrorSerializer,
        description="Bad input: each bad field is named with its messages.",
        examples=[
            OpenApiExample("Missing field", value={"device_name": ["This field is required."]})
        ],
    ),
    401: error_response("No valid token (missing, expired, signed out, or device revoked)."),
    403: error_response("Signed in, but this role may not do this."),
    404: error_response("No such record in your scope."),
    409: error_response("The change is not allowed in the record's current state."),
}


def error_responses(*codes: int) -> dict:
    """The documented error answers of an endpoint, by status code."""
    return {code: ERROR_RESPONSES[code] for code in codes}


# The usual sets: a write, a list with filters (bad ones are 400), a read.
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)
LIST_ERRORS = error_responses(400, 401, 403)
READ_ERRORS = error_responses(401, 403)
