from django.urls import path

from forewarn.web import access_views, audit_views, auth_views, views

app_name = "web"
urlpatterns = [
    path("", views.my_work, name="my-work"),
    path("sign-in/", auth_views.SignInView.as_view(), name="sign-in"),
    path("sign-in/two-factor/", auth_views.two_factor, name="two-factor"),
    path("sign-out/", auth_views.SignOutView.as_view(), name="sign-out"),
    path("overdue/", views.overdue, name="overdue"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.case_new, name="case-new"),
    path("cases/<int:case_id>/", views.case_detail, name="case-detail"),
    path("cases/<int:case_id>/parties/new/", views.party_add, name="party-add"),
    path("cases/<int:case_id>/allegations/new/", views.allegation_add, name="allegation-add"),
    path("cases/<int:case_id>/allegations/<int:allegation_id>/subjects/new/", views.subject_add, name="subject-add"),
    path("cases/<int:case_id>/viewers/", audit_views.record_viewers, name="record-viewers"),
    path("cases/<int:case_id>/restriction/", access_views.case_restriction, name="case-restriction"),
    path("cases/<int:case_id>/participants/", access_views.case_participants, name="case-participants"),
    path("cases/<int:case_id>/participants/<int:user_id>/remove/", access_views.case_participant_remove,
         name="case-participant-remove"),
    path("cases/<int:case_id>/<slug:service>/", views.case_service, name="case-service"),
    path("proceedings/<int:proceeding_id>/panel/", access_views.proceeding_panel, name="proceeding-panel"),
    path("proceedings/<int:proceeding_id>/panel/<int:user_id>/remove/", access_views.proceeding_panel_remove,
         name="proceeding-panel-remove"),
    path("break-glass/", access_views.break_glass, name="break-glass"),
    path("subjects/<int:subject_id>/link/", views.subject_link, name="subject-link"),
    path("actions/<slug:machine>/<int:obj_id>/<slug:action>/", views.action, name="action"),
    path("people/", views.person_search, name="person-search"),
    path("people/<int:person_id>/", views.person_detail, name="person-detail"),
]
