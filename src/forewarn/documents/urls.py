from django.urls import path

from forewarn.documents import views

app_name = "documents"
urlpatterns = [
    path("cases/<int:case_id>/documents/new/", views.document_upload, name="upload"),
    path("cases/<int:case_id>/letters/new/", views.letter_issue, name="letter-issue"),
    path("documents/<int:document_id>/download/", views.document_download, name="download"),
]
