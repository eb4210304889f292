from django.urls import path

from . import views

urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("team/availability/", views.AvailabilityView.as_view(), name="team-availability"),
    path("team/positions/", views.PositionsView.as_view(), name="team-positions"),
]
