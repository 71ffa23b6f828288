"""URL routes: pages, accounts (allauth), the API and the admin."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.i18n import set_language

from config import views
from config.api import api
from social import views as social_views

urlpatterns = [
    # First: every API call would otherwise be tried against each page pattern below (the
    # resolver builds the list of what it tried for every include that does not match).
    path("api/v1/", api.urls),
    re_path(r"^api/", views.api_not_found),
    path("", social_views.home, name="home"),
    path("confidentialite/", views.privacy, name="privacy"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("compte/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("groups.urls")),
    path("", include("social.urls")),
    path("", include("files.urls")),
    path("", include("messaging.urls")),
    path("", include("meetings.urls")),
    path("", include("search.urls")),
    path("", include("consultations.urls")),
    path("", include("notifications.urls")),
    # Visitors choose their language before signing in, too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

handler403 = "config.views.forbidden"
handler404 = "config.views.not_found"

if settings.DEBUG:
    admin.site.site_header = "Maillage (développement)"
