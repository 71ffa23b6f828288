"""Fixtures for shared files: isolated storage folders, and real content of each kind."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from files import services
from files.models import File
from tests.social.conftest import world, world_once  # noqa: F401 (the matrix's fixtures)


def stored_blobs(root: Path) -> list[Path]:
    """Every file under the storage folder (blobs and thumbnails)."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def png_bytes(size=(64, 48), color="teal", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG", **save)
    return out.getvalue()


def jpeg_bytes(size=(64, 48), color="orange", exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    image.save(out, "JPEG", **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def pdf_bytes(text_color="navy") -> bytes:
    """A one-page PDF (Pillow writes it; pdfium can render it)."""
    out = io.BytesIO()
    Image.new("RGB", (595, 842), text_color).save(out, "PDF")
    return out.getvalue()


def upload(name: str, data: bytes) -> services.Incoming:
    return services.from_upload(SimpleUploadedFile(name, data))


@pytest.fixture
def make_file():
    """make_file(owner, name="plan.png", data=png_bytes(), group=None, post=None) -> File"""

    def make(owner, name="plan.png", data=None, **where) -> File:
        return services.create_file(
            owner=owner, incoming=upload(name, data if data is not None else png_bytes()), **where
        )

    return make
