"""The text found inside a file's current version, kept for search (files.tasks runs it).

Once per version: the blob is read (bounded), its text extracted (files.extraction), and stored
as a FileText row, which the search of files reads (the substring backend) and, on PostgreSQL,
as a weight-C vector copied into the file's stored search vector (`content_vector`, a column
the ORM does not declare: lists of files never load it). A new version empties the vector at
once (files.services.add_version), so the old text stops matching before the new one is read.

A malformed, encrypted or oversized file, or a zip bomb, gets no text: logged, never an error
for the person who uploaded it. Reading the blob may fail for a while (storage down): that
error propagates, and the task retries it later.
"""

import logging
import time

from django.core.files.storage import storages
from django.db import transaction

from files import extraction
from files.models import File, FileText, FileVersion
from search import backend as search_backend

logger = logging.getLogger(__name__)

# Lower than a file's name (A) and description (B).
TEXT_WEIGHT = "C"
VECTOR_COLUMN = "content_vector"


def wanted(version: FileVersion) -> bool:
    return extraction.supports(version.mime_type)


def _read(version: FileVersion, limit: int) -> bytes:
    with storages["files"].open(version.blob, "rb") as source:
        return source.read(limit + 1)


def index_version(version_id: int) -> FileText | None:
    """Extract and store the text of a version if it is still its file's current one; again
    for the same version, nothing happens (idempotent). The stored row, or None."""
    version = FileVersion.objects.filter(pk=version_id).select_related("file").first()
    if version is None or not wanted(version):
        return None
    done = FileText.objects.filter(version=version).first()
    if done is not None:
        return done
    if version.file.current_version_id != version.pk or version.file.is_deleted:
        return None  # superseded: the newer version's own task reads it
    limits = extraction.Limits.from_settings()
    started = time.perf_counter()
    status, found = FileText.Status.EXTRACTED, extraction.Extracted(text="", truncated=False)
    if version.size > limits.max_bytes:
        status = FileText.Status.TOO_LARGE
        logger.info(
            "No text for file version %s: %s bytes, over FILES_TEXT_MAX_BYTES",
            version.pk,
            version.size,
        )
    else:
        data = _read(version, limits.max_bytes)  # storage errors propagate: retried
        try:
            found = extraction.extract(data, version.mime_type, limits)
        except extraction.Unreadable as error:
            status = FileText.Status.UNREADABLE
            logger.warning(
                "No text for file version %s (%s): %s", version.pk, version.mime_type, error
            )
        else:
            if not found.text:
                status = FileText.Status.EMPTY
    with transaction.atomic():
        file = File.objects.select_for_update().get(pk=version.file_id)
        if file.current_version_id != version.pk:
            return None  # a newer version arrived while this one was read
        row, _created = FileText.objects.update_or_create(
            version=version,
            defaults={"status": status, "text": found.text, "truncated": found.truncated},
        )
        FileText.objects.filter(version__file=file).exclude(version=version).delete()
        search_backend.write_vector(
            table=File._meta.db_table,
            column=VECTOR_COLUMN,
            pk=file.pk,
            text=found.text,
            weight=TEXT_WEIGHT,
        )
    if status == FileText.Status.EXTRACTED:
        logger.info(
            "Text of file version %s (%s): %s characters%s in %.2f s",
            version.pk,
            version.mime_type,
            len(found.text),
            " (cut at a limit)" if found.truncated else "",
            time.perf_counter() - started,
        )
    return row


def forget_text(file: File) -> None:
    """A new version is current: the previous one's text stops matching now (in the caller's
    transaction), before the new one is read."""
    FileText.objects.filter(version__file=file).exclude(version=file.current_version_id).delete()
    search_backend.write_vector(
        table=File._meta.db_table, column=VECTOR_COLUMN, pk=file.pk, text=None, weight=TEXT_WEIGHT
    )
