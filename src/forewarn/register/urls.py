"""Register pages. Each feature module adds its own paths here (history and checks, alerts, lists)."""

from django.urls import path

from forewarn.register import views, views_alerts, views_lists

app_name = "register"

urlpatterns: list = [
    path("people/<int:person_id>/", views.person_history, name="person-history"),
    path("checks/new/", views.check_new, name="check-new"),
    path("checks/<int:check_id>/", views.check_detail, name="check"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<int:application_id>/close/", views.application_close, name="application-close"),
    path("disclosures/", views.disclosure_list, name="disclosures"),
    path("disclosures/new/", views.disclosure_new, name="disclosure-new"),
    path("disclosures/<int:disclosure_id>/decide/", views.disclosure_decide, name="disclosure-decide"),
    path("alerts/", views_alerts.inbox, name="alerts"),
    path("alerts/<int:alert_id>/", views_alerts.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/acknowledge/", views_alerts.alert_acknowledge, name="alert-acknowledge"),
    path("lists/", views_lists.list_entries, name="lists"),
    path("lists/<int:list_entry_id>/", views_lists.list_entry_detail, name="list-entry"),
    path("lists/<int:list_entry_id>/report/", views_lists.list_entry_report, name="list-entry-report"),
    path("lists/<int:list_entry_id>/publication/", views_lists.list_entry_publication, name="list-entry-publication"),
    path("lists/<int:list_entry_id>/removal/", views_lists.list_entry_removal, name="list-entry-removal"),
]
