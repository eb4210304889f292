"""What makes a model syncable: a change sequence stamped on every write, and provenance
(who changed it, from which device) - on save(), on queryset update() and bulk_create().

The actor (user and device) of the current request is set by the token authentication and
the push engine; writes outside a request (the admin, scripts) record the user if known.
"""

from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import models

from . import sequence


class Actor:
    """Who is writing: a user, and the device they write from if known."""

    def __init__(self, user_id: int | None, device_id: Any = None):
        self.user_id = user_id
        self.device_id = device_id


NO_ACTOR = Actor(None, None)
current_actor: ContextVar[Actor] = ContextVar("umcr_sync_actor", default=NO_ACTOR)

STAMP_FIELDS = ("sync_seq", "changed_by", "changed_device")


def _stamp(obj: Any, seq: int, actor: Actor) -> None:
    # Always both, None for a task or script: a stale "last writer" would let a phone
    # take the server's change for its own and overwrite it without a 409.
    obj.sync_seq = seq
    obj.changed_by_id = actor.user_id
    obj.changed_device_id = actor.device_id


_M = TypeVar("_M", bound="SyncedModel")


class SyncQuerySet(models.QuerySet[_M]):
    def update(self, **kwargs: Any) -> int:
        with sequence.atomic_claim():
            kwargs["sync_seq"] = sequence.claim()
            actor = current_actor.get()
            kwargs.setdefault("changed_by_id", actor.user_id)
            kwargs.setdefault("changed_device_id", actor.device_id)
            return super().update(**kwargs)

    def bulk_create(self, objs: Iterable[_M], *args: Any, **kwargs: Any) -> list[_M]:
        objs = list(objs)
        if not objs:
            return objs
        with sequence.atomic_claim():
            last = sequence.claim(len(objs))
            actor = current_actor.get()
            for offset, obj in enumerate(objs):
                _stamp(obj, last - len(objs) + 1 + offset, actor)
                obj.created_seq = obj.sync_seq
            return super().bulk_create(objs, *args, **kwargs)

    def touch(self) -> int:
        """Re-stamp the rows so phones pull them again (a record entering a team's scope)."""
        return self.update()


class SyncedModel(models.Model):
    """Abstract base of every model phones sync."""

    sync_seq = models.BigIntegerField(default=0, db_index=True, editable=False)
    created_seq = models.BigIntegerField(default=0, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    changed_device = models.ForeignKey(
        settings.UMCR_DEVICE_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = SyncQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        with sequence.atomic_claim():
            _stamp(self, sequence.claim(), current_actor.get())
            if self._state.adding:
                self.created_seq = self.sync_seq
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *STAMP_FIELDS}
            super().save(*args, **kwargs)
