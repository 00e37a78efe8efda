from django.urls import include, path

from forewarn.api import api

urlpatterns = [
    path("api/", api.urls),
    path("follow/", include("forewarn.portal.urls")),
    path("register/", include("forewarn.register.urls")),
    path("", include("forewarn.documents.urls")),
    path("", include("forewarn.web.urls")),
]
