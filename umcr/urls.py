"""Root URLs: the admin, the versioned API, and its OpenAPI schema and docs."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from calls.dashboard import dashboard

from . import views
from .sync import views as sync_views

api_v1 = [
    path("", include("responders.api.urls")),
    path("", include("calls.api.urls")),
    path("", include("followups.api.urls")),
    path("", include("referrals.api.urls")),
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

urlpatterns = [
    path("admin/dashboard/", dashboard, name="umcr-dashboard"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Last: any other /api/ URL, in any method, is the JSON 404 (with DEBUG on too, where
    # Django would otherwise show its HTML page).
    re_path(r"^api/", csrf_exempt(not_found)),
]
