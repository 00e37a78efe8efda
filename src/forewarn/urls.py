from django.urls import include, path

urlpatterns = [
    path("", include("forewarn.web.urls")),
]
