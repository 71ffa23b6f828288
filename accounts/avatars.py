"""Avatar images: checked on their content, re-encoded small, metadata stripped."""

import io
import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def process_avatar(upload) -> ContentFile:
    """Return a square WebP thumbnail of `upload`, or raise a ValidationError in French.

    The content decides, not the name or the browser's claim; the pixel count is read from the
    header and checked before any decoding, so a decompression bomb costs nothing.
    """
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(
            _("La photo dépasse la taille maximale de %(size)s Mo.")
            % {"size": settings.AVATAR_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    not_an_image = ValidationError(
        _("Ce fichier n'est pas une image reconnue (JPEG, PNG, GIF ou WebP)."), code="invalid"
    )
    too_many_pixels = ValidationError(
        _("L'image est trop grande : %(max)s millions de pixels au plus.")
        % {"max": settings.AVATAR_MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in ACCEPTED_FORMATS:
                raise not_an_image
            width, height = image.size
            if width * height > settings.AVATAR_MAX_PIXELS:
                raise too_many_pixels
            image.draft("RGB", (settings.AVATAR_SIZE * 2, settings.AVATAR_SIZE * 2))
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    thumbnail = ImageOps.fit(image, (settings.AVATAR_SIZE, settings.AVATAR_SIZE))
    out = io.BytesIO()
    # A fresh image carries no EXIF, GPS or comment from the original.
    thumbnail.save(out, format="WEBP", quality=85)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.webp")
