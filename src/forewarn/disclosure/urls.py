"""Disclosure schedule pages (issue #6 §1)."""

from django.urls import path

from forewarn.disclosure import views

app_name = "disclosure"

urlpatterns = [
    path("drift/", views.drift_notices, name="drift"),
    path("cases/<int:case_id>/new/", views.schedule_new, name="schedule-new"),
    path("<int:schedule_id>/", views.schedule_detail, name="schedule"),
    path("<int:schedule_id>/items/<int:item_id>/decide/", views.item_decide, name="item-decide"),
    path("<int:schedule_id>/serve/", views.schedule_serve, name="serve"),
    path("<int:schedule_id>/complete/", views.schedule_complete, name="complete"),
    path("<int:schedule_id>/export.csv", views.schedule_export, {"fmt": "csv"}, name="export-csv"),
    path("<int:schedule_id>/export.pdf", views.schedule_export, {"fmt": "pdf"}, name="export-pdf"),
]
