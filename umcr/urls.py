"""Root URLs: the admin, the versioned API, its OpenAPI schema and docs, the field app, and
the load balancer's health and readiness probes."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import URLPattern, URLResolver, include, path, re_path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import BasePermission

from . import health, views
from .sync import views as sync_views

api_v1: list[URLPattern | URLResolver] = [
    path("", include("responders.api.urls")),
    path("", include("calls.api.urls")),
    path("", include("followups.api.urls")),
    path("", include("referrals.api.urls")),
    path("", include("transports.api.urls")),
    path("", include("reports.api.urls")),
    path("sync/pull/", sync_views.SyncPullView.as_view(), name="sync-pull"),
    path("sync/push/", sync_views.SyncPushView.as_view(), name="sync-push"),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/<int:notification_id>/read/",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
]


def not_found(request, exception=None):
    """Unknown URLs under /api/ answer in the API's own error shape, not an HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)


handler404 = "umcr.urls.not_found"


# --- The schema and its docs --------------------------------------------------------------


class SignedInUnlessDemo(BasePermission):
    """The schema and docs are for signed-in users (session or token) in a deployment; the
    demo (DEBUG on) shows them to anyone."""

    def has_permission(self, request, view) -> bool:
        return settings.DEBUG or bool(request.user and request.user.is_authenticated)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its init script served as a file of its own (`?script`), so the
    Content-Security-Policy needs no inline script; a browser that is not signed in is sent
    to the sign-in page."""

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated | AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path(), reverse("admin:login"))
        return super().handle_exception(exc)


handler500 = "umcr.exceptions.server_error"

urlpatterns = [
    path("board/", include("calls.board_urls")),
    # The clinicians' phone web app (field/): a page, its service worker and manifest.
    path("app/", include("field.urls")),
    path("admin/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[SignedInUnlessDemo]),
        name="schema",
    ),
    path(
        "api/docs/",
        DocsView.as_view(url_name="schema", permission_classes=[SignedInUnlessDemo]),
        name="docs",
    ),
    path("health/", health.health, name="health"),
    path("ready/", health.ready, name="ready"),
    # Last: any other /api/ URL, in any method, is the JSON 404 (with DEBUG on too, where
    # Django would otherwise show its HTML page).
    re_path(r"^api/", csrf_exempt(not_found)),
]
