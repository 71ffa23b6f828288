"""Previews: a thumbnail for images and for the first page of PDFs, computed once; upright,
stripped of metadata; an icon (no thumbnail) for everything else and for whatever cannot or
must not be decoded — corrupted files, polyglots, decompression bombs."""

import io
import random
import resource
import struct
import time
import zipfile
import zlib
from contextlib import contextmanager
from functools import cache

import pytest
from PIL import Image, ImageDraw, ImageOps

from files import images, previews, services
from files.models import FileVersion
from files.services import storage
from tests.files.conftest import jpeg_bytes, pdf_bytes, png_bytes, stored_blobs, upload

pytestmark = pytest.mark.django_db

READY, NONE, PENDING = (
    FileVersion.Preview.READY,
    FileVersion.Preview.NONE,
    FileVersion.Preview.PENDING,
)
ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


# --- Content -----------------------------------------------------------------------------------


def _exif(orientation: int | None = None) -> bytes:
    """EXIF as a phone writes it: maker, GPS position of the photo, maybe an orientation."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    return exif.tobytes()


def quadrants_jpeg(orientation: int | None = None, size=(80, 40)) -> bytes:
    """Green top-left, red top-right, blue bottom, as the sensor stored it (before
    orientation): no two of the eight orientations look alike."""
    width, height = size
    image = Image.new("RGB", size, "blue")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=(0, 200, 0))
    draw.rectangle((width // 2, 0, width - 1, height // 2 - 1), fill="red")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=_exif(orientation), comment=b"Maison de Marie")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def png_bomb(width: int, height: int) -> bytes:
    """A complete, valid 1-bit PNG of `width` by `height` black pixels: tiny on disk (zeros
    compress ~1000:1), gigabytes once decoded into RGB."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def noisy_png(size=(200, 150)) -> bytes:
    """Random pixels: the compressed data is as long as the image, so cutting it hurts."""
    out = io.BytesIO()
    noise = random.Random(4).randbytes(size[0] * size[1] * 3)
    Image.frombytes("RGB", size, noise).save(out, "PNG")
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("lots.txt", "Lot 4 : 2 500 m², réservé.\n")
    return out.getvalue()


def two_page_pdf() -> bytes:
    first, second = Image.new("RGB", (595, 842), "red"), Image.new("RGB", (595, 842), "green")
    out = io.BytesIO()
    first.save(out, "PDF", save_all=True, append_images=[second])
    return out.getvalue()


# --- Helpers -----------------------------------------------------------------------------------


def preview_of(file) -> FileVersion:
    return previews.make_preview(file.current_version)


def thumbnail(version: FileVersion) -> tuple[Image.Image, bytes]:
    with storage().open(version.thumbnail, "rb") as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, data


def thumbnails(root) -> list:
    return [path for path in stored_blobs(root) if "thumbnails" in path.parts]


def colour_at(image: Image.Image, x: float, y: float) -> str:
    """'red', 'green', 'blue' or 'other' at a fraction of the width and height."""
    r, g, b = image.convert("RGB").getpixel((int(x * image.width), int(y * image.height)))
    if r > 180 and g < 90 and b < 90:
        return "red"
    if g > 90 and r < 90 and b < 90:
        return "green"
    if b > 180 and r < 90 and g < 90:
        return "blue"
    return "other"


@contextmanager
def memory_ceiling(extra: int):
    """Let this process's address space grow by at most `extra` bytes: an allocation beyond
    it fails with MemoryError instead of taking the machine's memory."""
    with open("/proc/self/status", encoding="ascii") as status:
        size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = size_kb * 1024 + extra
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# --- Images ------------------------------------------------------------------------------------


def test_an_image_gets_a_webp_thumbnail_within_the_thumbnail_size(
    staff, make_file, file_storage, settings
):
    version = preview_of(make_file(staff, "plan.png", png_bytes(size=(2000, 1000))))
    assert version.preview == READY
    image, _data = thumbnail(version)
    assert image.format == "WEBP"
    assert image.size == (settings.FILES_THUMBNAIL_SIZE, settings.FILES_THUMBNAIL_SIZE // 2)
    assert thumbnails(file_storage) == [file_storage / version.thumbnail]


def test_a_small_image_is_not_enlarged(staff, make_file):
    version = preview_of(make_file(staff, "logo.png", png_bytes(size=(64, 48))))
    image, _data = thumbnail(version)
    assert image.size == (64, 48)


def test_the_preview_is_computed_once(staff, make_file, file_storage, monkeypatch):
    decoded = []
    real_open = images.open_rgb

    def counting_open(*args, **kwargs):
        decoded.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(images, "open_rgb", counting_open)
    file = make_file(staff, "photo.jpg", jpeg_bytes(size=(800, 600)))
    first = previews.make_preview(file.current_version)
    stored = thumbnails(file_storage)
    written = stored[0].stat().st_mtime_ns
    again = previews.make_preview(FileVersion.objects.get(pk=first.pk))
    assert len(decoded) == 1
    assert again.thumbnail == first.thumbnail
    assert thumbnails(file_storage) == stored
    assert stored[0].stat().st_mtime_ns == written


def test_two_workers_computing_at_once_keep_a_single_thumbnail(staff, make_file, file_storage):
    file = make_file(staff, "photo.jpg", jpeg_bytes(size=(800, 600)))
    seen_pending_by_both = FileVersion.objects.get(pk=file.current_version.pk)
    first = previews.make_preview(file.current_version)
    second = previews.make_preview(seen_pending_by_both)  # it still believed it pending
    assert second.thumbnail == first.thumbnail
    assert thumbnails(file_storage) == [file_storage / first.thumbnail]


def test_the_preview_is_scheduled_when_the_file_is_stored(
    staff, make_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file = make_file(staff, "photo.jpg", jpeg_bytes())
    assert FileVersion.objects.get(pk=file.current_version.pk).preview == READY


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_honoured(staff, make_file, orientation):
    source = quadrants_jpeg(orientation)
    version = preview_of(make_file(staff, f"photo-{orientation}.jpg", source))
    image, _data = thumbnail(version)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(source)))
    assert image.size == upright.size
    for x, y in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]:
        assert colour_at(image, x, y) == colour_at(upright, x, y)


def test_a_photo_taken_sideways_is_shown_upright(staff, make_file):
    # Orientation 6: the camera was turned a quarter clockwise; the viewer turns it back.
    version = preview_of(make_file(staff, "portrait.jpg", quadrants_jpeg(6, size=(80, 40))))
    image, _data = thumbnail(version)
    assert (image.width, image.height) == (40, 80)  # landscape pixels, portrait photo
    # Turned back a quarter clockwise: the stored top row is now the right-hand column.
    assert colour_at(image, 0.75, 0.25) == "green"
    assert colour_at(image, 0.75, 0.75) == "red"
    assert colour_at(image, 0.25, 0.5) == "blue"


def test_metadata_never_reaches_the_thumbnail(staff, make_file):
    source = quadrants_jpeg(6)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)  # the photo says where
    version = preview_of(make_file(staff, "chez-moi.jpg", source))
    image, data = thumbnail(version)
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    for trace in (b"Exif", b"PhoneMaker", b"Maison de Marie", b"XMP"):
        assert trace not in data


def test_a_damaged_exif_block_is_ignored_not_fatal(staff, make_file):
    exif = bytearray(_exif(6))
    exif[73] = 3  # the GPS entry's type now says SHORT: Pillow cannot write this EXIF back
    image = Image.new("RGB", (80, 40), "blue")
    out = io.BytesIO()
    image.save(out, "JPEG", exif=bytes(exif))
    version = preview_of(make_file(staff, "abimee.jpg", out.getvalue()))
    assert version.preview == READY  # never an error, never stuck pending
    assert thumbnail(version)[0].size == (40, 80)  # the orientation was still readable


# --- PDF ---------------------------------------------------------------------------------------


def test_a_pdf_gets_its_first_page_as_a_webp_thumbnail(staff, make_file, settings):
    version = preview_of(make_file(staff, "dossier.pdf", two_page_pdf()))
    assert version.preview == READY
    image, _data = thumbnail(version)
    assert image.format == "WEBP"
    assert image.height == settings.FILES_THUMBNAIL_SIZE  # A4 portrait
    assert image.width == pytest.approx(settings.FILES_THUMBNAIL_SIZE * 595 / 842, abs=2)
    assert colour_at(image, 0.5, 0.5) == "red"  # the first page, not the second


def test_a_damaged_pdf_gets_an_icon(staff, make_file, file_storage):
    damaged = pdf_bytes()[:400] + b"\x00" * 400
    version = preview_of(make_file(staff, "dossier.pdf", damaged))
    assert version.mime_type == "application/pdf"
    assert version.preview == NONE
    assert version.thumbnail == ""
    assert thumbnails(file_storage) == []


# --- Refused by the thumbnailer: an icon, never an error ---------------------------------------


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (30_000, 30_000),  # beyond Pillow's own bomb limit: refused on opening
        (8_000, 8_000),  # 64 Mpx: under Pillow's limit, over FILES_MAX_PIXELS (50 Mpx)
    ],
)
def test_an_image_bomb_gets_an_icon_without_exhausting_memory(
    staff, make_file, file_storage, width, height
):
    bomb = png_bomb(width, height)
    assert len(bomb) < 200_000
    file = make_file(staff, "plan-geant.png", bomb)
    assert file.current_version.mime_type == "image/png"
    started = time.perf_counter()
    with memory_ceiling(256 * 1024 * 1024):  # decoding would need gigabytes
        version = preview_of(file)
    assert time.perf_counter() - started < 2
    assert version.preview == NONE
    assert version.thumbnail == ""
    assert thumbnails(file_storage) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # A valid PNG header followed by HTML: what a browser might sniff as a page.
        ("polyglotte.png", png_bytes()[:33] + HTML),
        # A GIF header followed by a script (the GIF/JavaScript polyglot).
        ("polyglotte.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00" + HTML),
        ("coupee.png", noisy_png()[:2000]),
        ("abimee.jpg", jpeg_bytes(size=(300, 200))[:300] + b"\xff" * 200),
    ],
)
def test_a_corrupted_image_or_a_polyglot_gets_no_thumbnail(
    staff, make_file, file_storage, name, data
):
    file = make_file(staff, name, data)
    assert file.current_version.mime_type in images.MIME_TYPES  # it passed as an image
    version = preview_of(file)
    assert version.preview == NONE
    assert version.thumbnail == ""
    assert thumbnails(file_storage) == []


def test_html_hidden_after_a_complete_image_never_reaches_the_thumbnail(staff, make_file):
    version = preview_of(make_file(staff, "polyglotte.png", png_bytes() + HTML))
    _image, data = thumbnail(version)  # the pixels are fine: they are re-encoded
    assert b"<script" not in data


@pytest.mark.parametrize(
    ("name", "data", "mime_type"),
    [
        ("notes.txt", "Ordre du jour : lots 4 à 9.\n".encode(), "text/plain"),
        ("lots.zip", zip_bytes(), "application/zip"),
    ],
)
def test_other_types_get_an_icon(staff, make_file, file_storage, name, data, mime_type):
    version = preview_of(make_file(staff, name, data))
    assert version.mime_type == mime_type
    assert version.preview == NONE
    assert version.thumbnail == ""
    assert thumbnails(file_storage) == []


def test_a_new_version_gets_its_own_preview(staff, make_file):
    file = make_file(staff, "plan.png", png_bytes(size=(300, 300), color="red"))
    first = preview_of(file)
    second = services.add_version(
        actor=staff, file=file, incoming=upload("plan.pdf", two_page_pdf())
    )
    assert second.preview == PENDING
    second = previews.make_preview(second)
    assert second.preview == READY
    assert second.thumbnail != first.thumbnail
    assert FileVersion.objects.get(pk=first.pk).thumbnail == first.thumbnail
