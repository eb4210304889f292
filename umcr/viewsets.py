"""The shape every responder-scoped view shares: rows depend on who is asking.

A view names its `model` and a `scoped_queryset(responder)`; while drf-spectacular draws the
schema (no request user), the view answers an empty queryset of its model instead. This is the
one place that knows about `swagger_fake_view`.

ScopedRecordViewSet builds on it for the records a responder lists, reads and moves through
their lifecycle (follow-ups, referrals); `record_change` declares one such move.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer

from .api import UUID_PATTERN, IsResponder, request_responder
from .api_docs import WRITE_ERRORS
from .concurrency import expected_version, if_match_parameter


class ResponderScopedMixin:
    model: type[Model]

    def scoped_queryset(self, responder: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.scoped_queryset(request_responder(self.request))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ChangeRequest:
    """A state-changing request on one record, parsed: what its service is called with."""

    record: Any
    data: dict[str, Any]
    responder: Any
    # The version the client based its change on (If-Match or `version`), if it named one.
    expected_version: int | None


# The records of one kind a responder reaches (follow-ups, referrals): a list of rows, one
# record with its history, and POSTs that move one record through its service under
# optimistic concurrency, each answering the record as it now stands. A view names `model`,
# `scoped_queryset(responder)`, `serializer_class` (a row of the list),
# `detail_serializer_class`, `detail_related` (what the detail selects with the record) and
# `history` (the prefetch path of its history rows).
# (Said in a comment: drf-spectacular would print a docstring here as the description of
# every operation of every viewset built on this one.)
class ScopedRecordViewSet(
    ResponderScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsResponder]
    lookup_value_regex = UUID_PATTERN
    detail_serializer_class: type[Serializer[Any]]
    detail_related: tuple[str, ...] = ()
    history: str

    def get_queryset(self) -> QuerySet[Any]:
        rows = super().get_queryset()
        if self.action == "retrieve":
            rows = rows.prefetch_related(self.history)
        return rows

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "retrieve":
            return self.detail_serializer_class
        return super().get_serializer_class()

    def detail_body(self, record: Model) -> Any:
        # Not through the scope: a record its writer can no longer see (a follow-up just
        # handed to another team, a referral whose call went to another team) is still
        # shown to them, on the change and on a retry.
        fresh = (
            self.model._default_manager.select_related(*self.detail_related)
            .prefetch_related(self.history)
            .get(pk=record.pk)
        )
        return self.detail_serializer_class(fresh).data

    def written_response(self, written: Any) -> Response:
        """A create's answer: 201 with the new record, or 200 with the stored one when the
        same id came again (`written` is a calls.services.Written: record, created)."""
        code = status.HTTP_201_CREATED if written.created else status.HTTP_200_OK
        return Response(self.detail_body(written.record), status=code)

    def change_request(
        self, request: Request, pk: Any, input_serializer: type[Serializer[Any]]
    ) -> ChangeRequest:
        """The record in the responder's scope (404 otherwise) and the request's input,
        parsed by `input_serializer` (400 naming each bad field)."""
        record = get_object_or_404(self.get_queryset(), pk=pk)
        serializer = input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return ChangeRequest(
            record=record,
            data=serializer.validated_data,
            responder=request_responder(request),
            expected_version=expected_version(request),
        )

    def changed_response(self, record: Model) -> Response:
        return Response(self.detail_body(record))


def record_change(
    *,
    summary: str,
    request: type[Serializer[Any]],
    response: type[Serializer[Any]],
    description: str | None = None,
    examples: Sequence[OpenApiExample] = (),
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A POST on one record (`/<id>/<name>/`) that changes it, documented with the If-Match
    header its optimistic concurrency reads and the errors of a write."""
    documented: dict[str, Any] = {"description": description} if description else {}
    if examples:
        documented["examples"] = list(examples)

    def decorate(method: Callable[..., Response]) -> Callable[..., Response]:
        # In this order: DRF's @action replaces what @extend_schema put on a plain function.
        routed = action(detail=True, methods=["post"])(method)
        return extend_schema(
            summary=summary,
            parameters=[if_match_parameter()],
            request=request,
            responses={200: response, **WRITE_ERRORS},
            **documented,
        )(routed)

    return decorate
