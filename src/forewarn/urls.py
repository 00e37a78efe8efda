from django.urls import include, path

from forewarn.api import api
from forewarn.register.views_lists import barred_list_public

urlpatterns = [
    path("api/", api.urls),
    path("follow/", include("forewarn.portal.urls")),
    path("register/", include("forewarn.register.urls")),
    path("identification/", include("forewarn.linkage.urls")),
    path("disclosure/", include("forewarn.disclosure.urls")),
    path("intelligence/", include("forewarn.intelligence.urls")),
    # The public barred list: no sign-in (Police Act 1996 Part 4A; the College's searchable database).
    path("barred-list/", barred_list_public, name="barred-list"),
    path("", include("forewarn.documents.urls")),
    path("", include("forewarn.web.urls")),
]
