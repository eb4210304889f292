from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        # A call's follow-ups plug into calls by registering (calls/children.py).
        from . import call_children  # noqa: F401
