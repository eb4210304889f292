"""Shared pieces of the OpenAPI description: the error bodies the API answers with.

Two shapes, as the API writes them (umcr/exceptions.py): bad fields or parameters as an
object whose property names are the field names, each mapping to its messages (a nested
object for a nested field); everything else, parse errors included, as `{detail, code}`.
A 400 is either. umcr/schema.py writes the first shape (no serializer can say "any
property name") and adds the errors every operation can meet (401, 406, 413, 415, ...).
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="What is wrong, in a sentence."),
        "code": serializers.CharField(help_text="Machine-readable, e.g. `parse_error`."),
    },
)


class FieldErrorsSerializer(serializers.Serializer):
    """Each bad field (or query parameter) named, with its messages. Its schema is written
    by umcr.schema.FieldErrorsScheme: the property names are the fields'."""


class BadRequestSerializer(serializers.Serializer):
    """A 400: FieldErrors, or Error (a body that is not JSON, say). Schema in umcr.schema."""


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERROR_RESPONSES = {
    400: OpenApiResponse(
        response=BadRequestSerializer,
        description="Bad input: each bad field or parameter named with its messages; a body "
        "that cannot be parsed is `{detail, code: parse_error}`.",
        examples=[
            OpenApiExample("Missing field", value={"device_name": ["This field is required."]}),
            OpenApiExample(
                "Not JSON",
                value={
                    "detail": "JSON parse error - unexpected character: line 1 column 2 (char 1)",
                    "code": "parse_error",
                },
            ),
        ],
    ),
    401: error_response("No valid token (missing, expired, signed out, or device revoked)."),
    403: error_response("Signed in, but this role may not do this."),
    404: error_response("No such record in your scope."),
    409: error_response("The change is not allowed in the record's current state."),
}

# Added to every operation that can meet them by umcr.schema.document_shared_errors.
SHARED_ERROR_DESCRIPTIONS = {
    401: ERROR_RESPONSES[401].description,
    403: ERROR_RESPONSES[403].description,
    404: "No such record in your scope (or a malformed id).",
    405: "The method is not allowed on this path.",
    406: "None of the `Accept`ed media types can be answered.",
    413: "The body is larger than the server takes (4 MiB).",
    415: "The body is not `application/json`.",
    503: "The database or the broker is unreachable for now; retry after `Retry-After`.",
}


def error_responses(*codes: int) -> dict:
    """The documented error answers of an endpoint, by status code."""
    return {code: ERROR_RESPONSES[code] for code in codes}


# The usual sets: a write, a list with filters (bad ones are 400), a read.
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)
LIST_ERRORS = error_responses(400, 401, 403)
READ_ERRORS = error_responses(401, 403)
