"""What an uploaded file is, judged on its bytes, and what it may be called."""

import hashlib
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from files.models import NAME_MAX_LENGTH
from files.types import type_label

# Enough for libmagic to tell office documents (zip containers) apart.
SNIFF_BYTES = 1024 * 1024
READ_BLOCK = 1024 * 1024

# Shown inline by the download view: images browsers decode safely, and PDF (own viewer).
# Everything else, SVG and HTML among them, is sent as an attachment.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def sniff(head: bytes) -> str:
    """The MIME type the content itself shows (libmagic), whatever its name says."""
    return magic.from_buffer(head[:SNIFF_BYTES], mime=True)


def check_type(mime_type: str) -> None:
    if mime_type not in settings.FILES_ALLOWED_TYPES:
        allowed = sorted({type_label(t) for t in settings.FILES_ALLOWED_TYPES})
        raise ValidationError(
            _("Ce type de fichier (%(type)s) n'est pas accepté. Types acceptés : %(allowed)s.")
            % {"type": type_label(mime_type), "allowed": ", ".join(allowed)},
            code="type",
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


def check_size(size: int) -> None:
    if size <= 0:
        raise ValidationError(_("Le fichier est vide."), code="empty")
    if size > settings.FILES_MAX_SIZE:
        raise ValidationError(
            _("Le fichier dépasse la taille maximale de %(max)s Mo.")
            % {"max": _megabytes(settings.FILES_MAX_SIZE)},
            code="too_large",
        )


def clean_name(name: str) -> str:
    """A displayable name: no folders, no control characters, at most 255 characters.

    The name is only ever shown and offered as the download's name; blobs are stored under
    generated keys, so `../../etc/passwd` is merely a file called `passwd`.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters go; other spaces (tabs, non-breaking…) become spaces.
    name = "".join(
        " " if unicodedata.category(c)[0] == "Z" else c
        for c in name
        if unicodedata.category(c)[0] != "C"
    )
    name = " ".join(name.split()).strip(" .")
    if len(name) > NAME_MAX_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: NAME_MAX_LENGTH - len(ext)].rstrip(" .") + ext
    return name or _("fichier")


@dataclass
class Digest:
    size: int
    sha256: str
    mime_type: str


def digest(chunks: Iterable[bytes]) -> Digest:
    """Size, SHA-256 and sniffed type, in one pass over the content."""
    sha, size, head = hashlib.sha256(), 0, bytearray()
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
    return Digest(size=size, sha256=sha.hexdigest(), mime_type=sniff(bytes(head)))


def read_blocks(fileobj, block: int = READ_BLOCK) -> Iterable[bytes]:
    while chunk := fileobj.read(block):
        yield chunk
