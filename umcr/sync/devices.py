"""The device model phones sync from, named by a setting as Django names the user model
(settings.UMCR_DEVICE_MODEL, like AUTH_USER_MODEL), so the engine imports no app.

The model must have a `responder` foreign key and a nullable `revoked_at` time: a push
without a device token names its device by id, and only an unrevoked one of the pusher's
own is accepted (umcr/sync/views.py)."""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def get_device_model() -> type[models.Model]:
    """The model settings.UMCR_DEVICE_MODEL names ("app_label.ModelName")."""
    try:
        return apps.get_model(settings.UMCR_DEVICE_MODEL, require_ready=False)
    except ValueError:
        raise ImproperlyConfigured(
            "UMCR_DEVICE_MODEL must be of the form 'app_label.model_name'."
        ) from None
    except LookupError:
        raise ImproperlyConfigured(
            f"UMCR_DEVICE_MODEL refers to model {settings.UMCR_DEVICE_MODEL!r}, which is not "
            "installed."
        ) from None
