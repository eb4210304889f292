"""Reads of the responders app."""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from .choices import Role
from .models import Shift, Team


def current_shift(*, team: Team | None, at: datetime | None = None) -> Shift | None:
    """The team's shift on duty at `at` (now by default), if any."""
    if team is None:
        return None
    at = at or timezone.now()
    return (
        Shift.objects.filter(team=team, starts_at__lte=at, ends_at__gt=at)
        .order_by("starts_at")
        .first()
    )


def active_users(**responder_filters: Any) -> QuerySet[User]:
    """Active users whose responder profile matches, e.g. role=..., provider_id=..."""
    filters = {f"responder__{name}": value for name, value in responder_filters.items()}
    return get_user_model().objects.filter(is_active=True, **filters)


def supervisors_of(provider_id: int | None) -> QuerySet[User]:
    """The active supervisors of a provider: who is told when something needs a decision."""
    return active_users(role=Role.SUPERVISOR, provider_id=provider_id)
