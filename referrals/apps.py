from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        # A call's referrals plug into calls by registering (calls/children.py).
        from . import call_children  # noqa: F401
