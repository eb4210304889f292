"""What a push's handlers read instead of the request: who pushes, from which device,
against which cursor, and what the push has found so far. Not the request's parsing
(views.py) nor the applying (push.py)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from django.db import models

from .types import DeviceLike, ResponderLike, UserLike

# Unbounded: the engine reads the context as PushContext[ResponderLike, DeviceLike], the apps
# as PushContext[Responder, Device]. (Bounded by the Protocols, mypy would refuse the apps'
# models: django-stubs types a model's fields only after bounds are checked.)
ResponderT = TypeVar("ResponderT")
DeviceT = TypeVar("DeviceT")
ModelT = TypeVar("ModelT", bound=models.Model)

# Why a record was refused: `{detail, code}`, or each bad column named with its messages.
Reason = dict[str, Any]
# (table name, record id), as the quarantine and the stale check name a record.
RecordKey = tuple[str, str]


class Lookups:
    """Rows the handlers look up again and again within one push (the call of each of its
    notes), keyed by (model, id); a row not found is remembered as None too."""

    def __init__(self) -> None:
        self._rows: dict[tuple[type[models.Model], object], models.Model | None] = {}

    def get(
        self, model: type[ModelT], key: object, load: Callable[[], ModelT | None]
    ) -> ModelT | None:
        """The row of `model` with id `key`, loaded by `load()` the first time it is asked."""
        if (model, key) not in self._rows:
            self._rows[model, key] = load()
        return cast(ModelT | None, self._rows[model, key])


@dataclass
class PushContext(Generic[ResponderT, DeviceT]):
    """Who pushes, from where, against which cursor; handlers read it, not the request.
    An app's handler names its own models: `PushContext[Responder, Device]`."""

    user: UserLike
    responder: ResponderT
    device: DeviceT | None
    last_pulled_at: int | None
    batch_id: str = ""
    # table -> record id -> why it was refused, as the push answers it.
    rejected: dict[str, dict[str, Reason]] = field(default_factory=dict)
    # This user's unresolved quarantine entries: applied now, they are settled.
    quarantined: set[RecordKey] = field(default_factory=set)
    # Stale writes of a phone that must reset (its cursor predates its scope): each is
    # refused alone, as no pull can mend it (push.py, push_changes).
    stale_until_reset: set[RecordKey] = field(default_factory=set)
    lookups: Lookups = field(default_factory=Lookups)

    def is_own_write(self, row: Any) -> bool:
        """Was the row's last change this device's (or, without a device, this user's)?"""
        device: Any = self.device
        if device is not None:
            return bool(row.changed_device_id == device.pk)
        return bool(row.changed_by_id == self.user.pk)


# The engine's own view of a push: only what the Protocols promise.
AnyPushContext = PushContext[ResponderLike, DeviceLike]
