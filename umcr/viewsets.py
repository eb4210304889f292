"""The shape every responder-scoped view shares: rows depend on who is asking.

A view names its `model` and a `scoped_queryset(responder)`; while drf-spectacular draws the
schema (no request user), the view answers an empty queryset of its model instead. This is the
one place that knows about `swagger_fake_view`.
"""

from typing import Any

from django.db.models import Model, QuerySet

from .api import request_responder


class ResponderScopedMixin:
    model: type[Model]

    def scoped_queryset(self, responder: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.scoped_queryset(request_responder(self.request))  # type: ignore[attr-defined]
