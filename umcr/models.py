"""Abstract bases shared by the apps' models; no concrete tables of its own yet."""

import uuid

from django.db import models


class TimeStampedModel(models.Model):
    """Every row keeps when it was created and last changed on the server."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ClientRecord(TimeStampedModel):
    """A record a phone may create offline: its UUID primary key is generated on the phone,
    so a retry after a lost response names the same row instead of creating a second one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True
