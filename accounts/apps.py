"""Accounts app configuration."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        post_migrate.connect(name_the_site, sender=self)
        from accounts import receivers

        receivers.connect()


def name_the_site(**kwargs) -> None:
    """E-mails say "Maillage" and link to SITE_DOMAIN, never Django's example.com."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    Site.objects.using(kwargs.get("using", "default")).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": settings.SITE_DOMAIN, "name": settings.SITE_NAME}
    )
