"""The API's JSON parser: DRF's, guarded, so no body can exhaust the stack or memory. The
standard library's parser recurses once per level of nesting and raises RecursionError about
1,000 levels deep, which DRF does not catch (a 500); a body over DATA_UPLOAD_MAX_MEMORY_SIZE
is refused before it is read whole. Every refusal is a DRF exception, answered in the API's
error shape: `{"detail": ..., "code": "parse_error"}` (400) or `"too_large"` (413).

Numbers keep the standard library's meaning (an integer of any size stays an integer), so
the sync push can still name a value no column can keep (umcr/sync/push.py)."""

import json

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils.json import strict_constant


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int):
        super().__init__(
            f"The request body is larger than {limit} bytes; send less at once "
            "(a sync push: split it into several pushes)."
        )


def body_limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (UTF-8, no NaN or Infinity) with a size limit and a nesting guard."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = body_limit()
        context = parser_context or {}
        declared = _content_length(context.get("request"))
        if declared is not None and declared > limit:
            raise RequestTooLarge(limit)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(limit)
        try:
            text = raw.decode(context.get("encoding", settings.DEFAULT_CHARSET))
            return json.loads(text, parse_constant=strict_constant)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except (ValueError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _content_length(request) -> int | None:
    if request is None:
        return None
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return None
