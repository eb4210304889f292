from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class UmcrConfig(AppConfig):
    name = "umcr"
    verbose_name = "UMCR program"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)

        # Each app's permissions.py registers its rows of the role matrix (umcr/policy.py),
        # and its sync.py its synced tables, as admin.py registers models.
        autodiscover_modules("permissions")
        autodiscover_modules("sync")
