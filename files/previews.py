"""Previews of a file version, computed once: a thumbnail for images, the first page of PDFs."""

import logging
import uuid

import pypdfium2
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from files import images
from files.extraction import PDFIUM_LOCK
from files.models import FileVersion
from files.services import storage

logger = logging.getLogger(__name__)

PDF_MAX_BYTES = 50 * 1024 * 1024


def _image_thumbnail(version: FileVersion) -> Image.Image:
    with storage().open(version.blob, "rb") as source:
        image = images.open_rgb(
            source,
            max_pixels=settings.FILES_MAX_PIXELS,
            size_hint=settings.FILES_THUMBNAIL_SIZE,
        )
    image.thumbnail((settings.FILES_THUMBNAIL_SIZE, settings.FILES_THUMBNAIL_SIZE))
    return image


def _pdf_first_page(version: FileVersion) -> Image.Image:
    if version.size > PDF_MAX_BYTES:
        raise images.NotAnImage
    with storage().open(version.blob, "rb") as source:
        data = source.read()
    with PDFIUM_LOCK:  # one thread in PDFium at a time
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            raise images.NotAnImage from None
        try:
            if len(pdf) == 0:
                raise images.NotAnImage
            page = pdf[0]
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                raise images.NotAnImage
            scale = settings.FILES_THUMBNAIL_SIZE / max(width, height)
            image = page.render(scale=scale).to_pil().convert("RGB")
            page.close()
        finally:
            pdf.close()
    return image


def make_preview(version: FileVersion) -> FileVersion:
    """Compute the preview once; a file that cannot be previewed gets an icon, never an error."""
    if version.preview != FileVersion.Preview.PENDING:
        return version
    if version.mime_type in images.MIME_TYPES:
        build = _image_thumbnail
    elif version.mime_type == "application/pdf":
        build = _pdf_first_page
    else:
        build = None
    thumbnail = ""
    if build is not None:
        try:
            image = build(version)
        except (images.NotAnImage, images.TooManyPixels):
            logger.info("No preview for file version %s (%s)", version.pk, version.mime_type)
        else:
            thumbnail = storage().save(
                f"thumbnails/{uuid.uuid4().hex}.webp", ContentFile(images.webp(image))
            )
    updated = FileVersion.objects.filter(pk=version.pk, preview=FileVersion.Preview.PENDING).update(
        preview=FileVersion.Preview.READY if thumbnail else FileVersion.Preview.NONE,
        thumbnail=thumbnail,
    )
    if not updated and thumbnail:  # computed concurrently: keep the first one
        storage().delete(thumbnail)
    version.refresh_from_db()
    return version
