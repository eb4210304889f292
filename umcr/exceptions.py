"""One error shape for the whole API: a JSON body naming what is wrong, never an HTML page.

Validation errors keep DRF's field map (`{"field": ["message"]}`); everything else is
`{"detail": "...", "code": "..."}`. Database integrity errors that slip past validation
become a 409 instead of a 500; a NUL character PostgreSQL refuses is a 400 naming the
parameter; a body over the size limit is a 413. Whatever still fails is a JSON 500 under
/api/ (`server_error`, the project's handler500).
"""

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, IntegrityError
from django.http import JsonResponse
from django.views.defaults import server_error as html_server_error
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import DomainError

NUL = "\x00"


def json_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_body(), status=exc.status_code)
    response = exception_handler(exc, context)
    if response is not None:
        if isinstance(response.data, dict) and "detail" in response.data:
            detail = response.data["detail"]
            response.data["code"] = getattr(detail, "code", None) or "error"
        return response
    if isinstance(exc, IntegrityError):
        # A race the validation could not see (two writers at once): the request was
        # well-formed, the state changed under it.
        return Response(
            {"detail": "The change conflicts with data stored meanwhile.", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "The request body is too large.", "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DataError):
        named = _parameters_with_nul(context.get("request"))
        if named:
            # A value no check before the query saw: PostgreSQL's text holds no NUL.
            return Response(
                {name: ["Contains a NUL character."] for name in named},
                status=status.HTTP_400_BAD_REQUEST,
            )
    return None


def _parameters_with_nul(request) -> list[str]:
    if request is None:
        return []
    named = [
        name
        for name, values in request.query_params.lists()
        if NUL in name or any(NUL in value for value in values)
    ]
    return [name.replace(NUL, "\ufffd") for name in named]


def server_error(request, *args, **kwargs):
    """handler500: under /api/ the API's error shape, elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "The server failed to answer; the failure is logged.", "code": "error"},
            status=500,
        )
    return html_server_error(request, *args, **kwargs)
