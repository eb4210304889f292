"""Sets the sync actor for each request: the admin's session user, resolved only when a
synced row is written (so token requests never load a session); token-authenticated
requests replace it with the user and device in responders.auth."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .base import Actor, current_actor


class SessionActor(Actor):
    """An actor read from the request's user the first time it is needed."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @property
    def user_id(self) -> int | None:  # type: ignore[override]
        user = getattr(self._request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None

    @property
    def device_id(self) -> None:
        return None


class SyncActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_actor.set(SessionActor(request))
        try:
            return self.get_response(request)
        finally:
            current_actor.reset(token)
