"""Extract the text of current versions that have none yet (files uploaded before text search,
or whose job was lost), through the same background job as uploads."""

from django.core.management.base import BaseCommand

from files import extraction
from files.models import File, FileText
from files.tasks import extract_text


class Command(BaseCommand):
    help = "Queue text extraction for current file versions that have no extracted text yet."

    def handle(self, *args, **options):
        versions = (
            File.objects.filter(
                deleted_at__isnull=True,
                current_version__isnull=False,
                current_version__mime_type__in=list(extraction.EXTRACTORS),
            )
            .exclude(current_version__in=FileText.objects.values("version"))
            .values_list("current_version", flat=True)
            .order_by("pk")
        )
        queued = 0
        for version_id in versions.iterator(chunk_size=500):
            extract_text.delay(version_id)
            queued += 1
        self.stdout.write(f"{queued} file version(s) queued for text extraction.")
