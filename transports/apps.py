from django.apps import AppConfig


class TransportsConfig(AppConfig):
    name = "transports"
    verbose_name = "Transports"

    def ready(self) -> None:
        # A call's rides plug into calls by registering (calls/children.py).
        from . import call_children  # noqa: F401
