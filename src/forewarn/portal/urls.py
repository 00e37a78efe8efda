from django.urls import path

from forewarn.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.start, name="start"),
    path("code/", views.code, name="code"),
    path("complaint/", views.case, name="case"),
    path("letters/<int:document_id>/", views.letter, name="letter"),
    path("leave/", views.sign_out, name="sign-out"),
]
