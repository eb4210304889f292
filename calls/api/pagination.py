"""Keyset pagination of a team's call queue: open calls first (by priority, then oldest
first, the order a pair works them), then closed calls newest first.

DRF's CursorPagination pages on one ordering; the queue has two sections in different
orders, so the cursor names the section and the last row's sort key. Each page costs at
most two queries whatever the number of calls.
"""

import base64
import binascii
import json
import uuid
from datetime import datetime

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from umcr.api import page_size_schema, parse_page_size

from ..selectors import open_filter

OPEN, CLOSED = "open", "closed"


class CallQueuePagination(BasePagination):
    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    # The queue pages a queryset of calls only (the base class also takes a list).
    def paginate_queryset(self, queryset: QuerySet, request, view=None):  # type: ignore[override]
        self.request = request
        size = self._page_size(request)
        cursor = self._decode(request.query_params.get(self.cursor_query_param))
        results: list = []
        self.next_cursor = None
        if cursor is None or cursor["s"] == OPEN:
            rows = self._open_page(queryset, cursor, size + 1)
            if len(rows) > size:
                results = rows[:size]
                self.next_cursor = self._cursor_for(OPEN, results[-1])
                return results
            results = rows
            cursor = None
            if len(results) == size:
                # The open calls filled the page exactly: the next page starts after the
                # last of them, finds no more open calls and goes on to the closed ones.
                if self._closed_page(queryset, None, 1):
                    self.next_cursor = self._cursor_for(OPEN, results[-1])
                return results
        remaining = size - len(results)
        rows = self._closed_page(queryset, cursor, remaining + 1)
        if len(rows) > remaining:
            rows = rows[:remaining]
            self.next_cursor = self._cursor_for(CLOSED, rows[-1])
        return results + rows

    def _open_page(self, queryset, cursor, limit):
        qs = queryset.filter(open_filter(True)).order_by("priority", "received_at", "id")
        if cursor is not None:
            p, t, pk = cursor["p"], cursor["t"], cursor["id"]
            qs = qs.filter(
                Q(priority__gt=p)
                | Q(priority=p, received_at__gt=t)
                | Q(priority=p, received_at=t, id__gt=pk)
            )
        return list(qs[:limit])

    def _closed_page(self, queryset, cursor, limit):
        qs = queryset.filter(open_filter(False)).order_by("-received_at", "-id")
        if cursor is not None:
            t, pk = cursor["t"], cursor["id"]
            qs = qs.filter(Q(received_at__lt=t) | Q(received_at=t, id__lt=pk))
        return list(qs[:limit])

    def _page_size(self, request) -> int:
        return parse_page_size(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    @staticmethod
    def _cursor_for(section: str, call) -> str:
        payload = {"s": section, "p": call.priority, "t": call.received_at.isoformat()}
        payload["id"] = str(call.pk)
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    def _decode(self, raw: str | None) -> dict | None:
        if not raw:
            return None
        try:
            padded = raw + "=" * (-len(raw) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
            payload["t"] = datetime.fromisoformat(payload["t"])
            payload["id"] = uuid.UUID(payload["id"])
            payload["p"] = int(payload["p"])
            if not isinstance(payload, dict) or not -(2**31) < payload["p"] < 2**31:
                raise ValueError
            if payload["s"] not in (OPEN, CLOSED):
                raise ValueError
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            OverflowError,
            binascii.Error,
        ):
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None
        return payload

    def get_paginated_response(self, data):
        next_url = None
        if self.next_cursor is not None:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), self.cursor_query_param, self.next_cursor
            )
        return Response({"next": next_url, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Calls per page (1–{self.max_page_size}, default {self.page_size}).",
                "schema": page_size_schema(self.page_size, self.max_page_size),
            },
        ]
