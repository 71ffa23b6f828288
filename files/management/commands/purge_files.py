"""Remove deleted files after their retention period, and abandoned uploads."""

from django.core.management.base import BaseCommand

from files import services


class Command(BaseCommand):
    help = "Purge files deleted more than FILES_RETENTION_DAYS ago and abandoned uploads."

    def handle(self, *args, **options):
        files = services.purge_deleted()
        uploads = services.purge_stale_uploads()
        self.stdout.write(f"{files} deleted file(s) purged, {uploads} abandoned upload(s) removed.")
