from django.urls import path

from calls.dashboard import dashboard

urlpatterns = [
    path("dashboard/", dashboard, name="umcr-dashboard"),
]
