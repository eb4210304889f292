"""One error shape for the whole API: a JSON body naming what is wrong, never an HTML page.

Validation errors keep DRF's field map (`{"field": ["message"]}`); everything else is
`{"detail": "...", "code": "..."}`. Database integrity errors that slip past validation
become a 400 or 409 naming the constraint instead of a 500.
"""

from django.db import IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import DomainError


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
    return None
