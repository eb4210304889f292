"""What the sync engine needs of the user, responder and device behind a push or pull,
as Protocols: the engine knows no app, and the responders app's models satisfy these
structurally. Not a model registry: the device model itself is found by
`umcr.sync.devices.get_device_model()`."""

from collections.abc import Iterable
from typing import Any, Protocol

# One WatermelonDB record: raw column name -> JSON value.
Record = dict[str, Any]


class UserLike(Protocol):
    """The signed-in user pushing (settings.AUTH_USER_MODEL)."""

    @property
    def pk(self) -> Any: ...


class DeviceLike(Protocol):
    """The phone a push comes from (settings.UMCR_DEVICE_MODEL)."""

    @property
    def pk(self) -> Any: ...


class ResponderLike(Protocol):
    """A responder as sync scopes them: whose team's and provider's records they see, and
    the sequence number at which that scope last changed (pull.py's resync rule)."""

    @property
    def pk(self) -> Any: ...

    @property
    def team_id(self) -> int | None: ...

    @property
    def provider_id(self) -> int | None: ...

    @property
    def scope_changed_seq(self) -> int: ...

    def refresh_from_db(
        self, using: str | None = ..., fields: Iterable[str] | None = ...
    ) -> None: ...
