from django.urls import path

from calls.api import metrics

urlpatterns = [
    path("metrics/", metrics.MetricsView.as_view(), name="metrics"),
]
