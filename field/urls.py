from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="field-app"),
    path("sw.js", views.service_worker, name="field-sw"),
    path("manifest.webmanifest", views.manifest, name="field-manifest"),
]
