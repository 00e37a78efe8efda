"""Intelligence record pages (issue #6 §1)."""

from django.urls import path

from forewarn.intelligence import views

app_name = "intelligence"

urlpatterns = [
    path("", views.intelligence_list, name="list"),
    path("new/", views.intelligence_new, name="new"),
    path("<int:intelligence_id>/", views.intelligence_detail, name="detail"),
    path("<int:intelligence_id>/link/", views.intelligence_link, name="link"),
    path("<int:intelligence_id>/unlink/", views.intelligence_unlink, name="unlink"),
]
