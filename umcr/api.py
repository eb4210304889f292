"""Pieces every app's API shares: the responder behind a request, and the permission that
requires one."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from responders.models import Responder


def request_responder(request) -> Responder:
    """The signed-in responder (loaded with the token in one query)."""
    try:
        return request.user.responder
    except Responder.DoesNotExist as exc:
        raise PermissionDenied("This account has no responder profile.") from exc


class IsResponder(BasePermission):
    """Signed in, with a responder profile (every field endpoint needs one)."""

    message = "This account has no responder profile."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return hasattr(request.user, "responder")
