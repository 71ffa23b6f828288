"""URL routes: pages, accounts (allauth), the API and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from config import views
from config.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("confidentialite/", views.privacy, name="privacy"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("compte/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    re_path(r"^api/", views.api_not_found),
    path("admin/", admin.site.urls),
]

handler403 = "config.views.forbidden"
handler404 = "config.views.not_found"

if settings.DEBUG:
    admin.site.site_header = "Maillage (développement)"
