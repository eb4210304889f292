"""drf-spectacular extensions: how our authentication and error bodies appear in the
OpenAPI schema, and a postprocessing hook that adds to every operation the error answers
any request to it can meet, so a client (or schemathesis) finds every status documented.

Imported from UmcrConfig.ready() so the extensions are registered before any schema is built.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension

from .api_docs import SHARED_ERROR_DESCRIPTIONS, ErrorSerializer


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "responders.auth.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` from `POST /api/v1/auth/login/` (one per device).",
        }


MESSAGES = {"type": "array", "items": {"type": "string"}, "description": "Its messages."}


class FieldErrorsScheme(OpenApiSerializerExtension):
    """`{"<field>": ["message", ...]}`: any property name, each a list of messages, or for a
    nested field an object of the same shape (a list of them for a list of objects)."""

    target_class = "umcr.api_docs.FieldErrorsSerializer"

    def get_name(self, auto_schema=None, direction=None):
        return "FieldErrors"

    def map_serializer(self, auto_schema, direction):
        nested = {"type": "object", "description": "A nested field's own errors, by field."}
        return {
            "type": "object",
            "description": "Each bad field or query parameter, named, with its messages.",
            "minProperties": 1,
            "additionalProperties": {
                "anyOf": [
                    {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, nested]},
                        "description": "Its messages (for a list: each item's errors).",
                    },
                    nested,
                ]
            },
            "example": {"device_name": ["This field is required."]},
        }


class BadRequestScheme(OpenApiSerializerExtension):
    """A 400 is FieldErrors or, for a body that cannot be parsed, Error."""

    target_class = "umcr.api_docs.BadRequestSerializer"

    def get_name(self, auto_schema=None, direction=None):
        return "BadRequest"

    def map_serializer(self, auto_schema, direction):
        from .api_docs import FieldErrorsSerializer

        field_errors = auto_schema.resolve_serializer(FieldErrorsSerializer, direction)
        error = auto_schema.resolve_serializer(ErrorSerializer, direction)
        return {"oneOf": [field_errors.ref, error.ref]}


ERROR_REF = {"$ref": "#/components/schemas/Error"}
BAD_REQUEST_REF = {"$ref": "#/components/schemas/BadRequest"}
METHODS = ("get", "put", "patch", "post", "delete", "head", "options", "trace")


def document_shared_errors(result, generator, request, public):
    """A postprocessing hook: every operation documents 406, 414 and 503 (the database or
    the broker unreachable, umcr/outage.py); one that needs a token 401 and 403; one with a
    path parameter 404; one with query parameters or a body 400; one with a body 413 and
    415; a GET 304 (ETag). The API answers each in its error shape (414: the WSGI server,
    in its own)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if "Error" not in schemas or "BadRequest" not in schemas:
        return result
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            _add_shared_errors(method, operation)
    return result


def _add_shared_errors(method: str, operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    parameters = operation.get("parameters", [])
    codes = [406, 503]
    if any(requirement for requirement in operation.get("security", [{}])):
        codes += [401, 403]
    if any(p.get("in") == "path" for p in parameters):
        codes.append(404)
    has_body = "requestBody" in operation
    if has_body:
        codes += [413, 415]
    takes_input = has_body or any(p.get("in") == "query" for p in parameters)
    if takes_input and "400" not in responses:
        responses["400"] = {
            "description": "Bad input: each bad field or parameter named.",
            "content": {"application/json": {"schema": BAD_REQUEST_REF}},
        }
    for code in codes:
        responses.setdefault(
            str(code),
            {
                "description": SHARED_ERROR_DESCRIPTIONS[code],
                "content": {"application/json": {"schema": ERROR_REF}},
            },
        )
    if method == "get":
        responses.setdefault("304", {"description": "Not modified: `If-None-Match` matched."})
    # Answered by the WSGI server in front of the app (gunicorn: a request line over 4094
    # bytes), before any of this code runs, hence in its own shape.
    responses.setdefault("414", {"description": "The URL is too long for the server."})
