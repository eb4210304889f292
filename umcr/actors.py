"""The responder behind a signed-in user, found without importing the responders app.

The kernel knows no app (tests/test_layers.py): it reaches a user's responder profile through
the reverse one-to-one `user.responder` that the responders app declares. The profile is
typed `Any`, not a Protocol: every caller hands it on to an app's service typed with the
app's own `Responder` model, which no Protocol the kernel could declare is a subtype of.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist


def user_responder(user: Any) -> Any | None:
    """`user`'s responder profile, or None when it has none (or is anonymous). Loaded with
    the token in one query for phones (responders/auth.py), cached on the user after."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.responder
    except ObjectDoesNotExist:
        return None
