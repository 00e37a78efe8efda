from django.urls import include, path

from forewarn.api import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("forewarn.web.urls")),
]
