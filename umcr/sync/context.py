"""What a push's handlers read instead of the request: who pushes, from which device,
against which cursor, and what the push has found so far. Not the request's parsing
(views.py) nor the applying (push.py)."""

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .types import DeviceLike, ResponderLike, UserLike

# Unbounded: the engine reads the context as PushContext[ResponderLike, DeviceLike], the apps
# as PushContext[Responder, Device]. (Bounded by the Protocols, mypy would refuse the apps'
# models: django-stubs types a model's fields only after bounds are checked.)
ResponderT = TypeVar("ResponderT")
DeviceT = TypeVar("DeviceT")

# Why a record was refused: `{detail, code}`, or each bad column named with its messages.
Reason = dict[str, Any]
# (table name, record id), as the quarantine and the stale check name a record.
RecordKey = tuple[str, str]


class Held:
    """What a table's handler found, parsed, locked and checked for the records of one slice
    of a push (push.py applies a table in slices, one transaction each), and the writes it
    queued to make at once: found once, read by each record's create() or update(), dropped
    when the slice commits (a lock lasts as long as its transaction). Keys are the
    handler's own."""

    def __init__(self) -> None:
        self._items: dict[object, Any] = {}

    def get(self, key: object, default: Any = None) -> Any:
        return self._items.get(key, default)

    def put(self, key: object, value: Any) -> None:
        self._items[key] = value

    def pop(self, key: object, default: Any = None) -> Any:
        return self._items.pop(key, default)


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
    # The current slice's rows and queued writes (push.py clears it at each slice).
    held: Held = field(default_factory=Held)
    # The whole push's changes, as validated (push.py sets it): for a handler whose records
    # are applied with another table's of the same push (a transport with the refusals on
    # its way, which WatermelonDB sends in their own table). Read-only.
    changes: dict[str, Any] = field(default_factory=dict)

    def is_own_write(self, row: Any) -> bool:
        """Was the row's last change this device's (or, without a device, this user's)?"""
        device: Any = self.device
        if device is not None:
            return bool(row.changed_device_id == device.pk)
        return bool(row.changed_by_id == self.user.pk)


# The engine's own view of a push: only what the Protocols promise.
AnyPushContext = PushContext[ResponderLike, DeviceLike]
