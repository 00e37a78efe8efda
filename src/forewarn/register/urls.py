"""Register pages. Each feature module adds its own paths here (history and checks, alerts, lists)."""

from django.urls import path  # noqa: F401  (used as features add their paths)

app_name = "register"

urlpatterns: list = []
