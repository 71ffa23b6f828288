"""Search app configuration: SQLite connections learn `maillage_fold` (see search.backend)."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Recherche")

    def ready(self) -> None:
        from search.backend import register_fold

        connection_created.connect(register_fold, dispatch_uid="search.register_fold")
