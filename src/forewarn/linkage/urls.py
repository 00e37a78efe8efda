"""Identity resolution pages (issue #5 §1)."""

from django.urls import path

from forewarn.linkage import views

app_name = "linkage"

urlpatterns = [
    path("review/", views.review_queue, name="review-queue"),
    path("subjects/<int:subject_id>/", views.subject_identification, name="subject-identification"),
    path("subjects/<int:subject_id>/identify/", views.identify, name="subject-identify"),
    path("subjects/<int:subject_id>/unlink/", views.unlink, name="subject-unlink"),
    path("subjects/<int:subject_id>/identifications/<int:identification_id>/decide/", views.decide,
         name="decide"),
]
