from django.apps import AppConfig


class UmcrConfig(AppConfig):
    name = "umcr"
    verbose_name = "UMCR program"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)
