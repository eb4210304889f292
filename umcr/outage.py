"""Answers during an outage: while the database (or a broker a request needs) cannot be
reached, the API says so in its own error shape - 503 `{"detail", "code": "unavailable"}`
with `Retry-After` - so phones back off and retry instead of parsing an HTML 500.

`OutageMiddleware` turns such an error raised by a view into that answer; the handler500
(`umcr.exceptions.server_error`) asks `outage_response` for errors raised elsewhere.
"""

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

# Seconds a client should wait before it tries again: a database restart takes a few.
RETRY_AFTER_SECONDS = 5


def is_outage(exc: BaseException | None) -> bool:
    """A failure to reach a service, not a bug: a lost or refused database connection, or a
    broker that does not answer (redis' ConnectionError and TimeoutError)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        return False
    return isinstance(exc, RedisConnectionError | RedisTimeoutError)


def outage_response(request, exc: BaseException | None) -> JsonResponse | None:
    """The 503 for an outage under /api/ (and the health checks), else None."""
    if not is_outage(exc) or not request.path.startswith("/api/"):
        return None
    response = JsonResponse(
        {
            "detail": "The service is briefly unavailable (its database or queue cannot "
            "be reached); try again shortly. Nothing you sent was lost unless this "
            "answer is all you got: send it again with the same ids.",
            "code": "unavailable",
        },
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OutageMiddleware:
    """A view that fails to reach the database answers 503 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return outage_response(request, exception)
