"""Avatar images: checked on their content, re-encoded small, metadata stripped."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import ImageOps

from files import images


def process_avatar(upload) -> ContentFile:
    """Return a square WebP thumbnail of `upload`, or raise a ValidationError in French.

    The content decides, not the name or the browser's claim (see files.images).
    """
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(
            _("La photo dépasse la taille maximale de %(size)s Mo.")
            % {"size": settings.AVATAR_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    try:
        image = images.open_rgb(
            upload, max_pixels=settings.AVATAR_MAX_PIXELS, size_hint=settings.AVATAR_SIZE * 2
        )
    except images.TooManyPixels:
        raise ValidationError(
            _("L'image est trop grande : %(max)s millions de pixels au plus.")
            % {"max": settings.AVATAR_MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from None
    except images.NotAnImage:
        raise ValidationError(
            _("Ce fichier n'est pas une image reconnue (JPEG, PNG, GIF ou WebP)."), code="invalid"
        ) from None
    thumbnail = ImageOps.fit(image, (settings.AVATAR_SIZE, settings.AVATAR_SIZE))
    return ContentFile(images.webp(thumbnail, quality=85), name=f"{uuid.uuid4().hex}.webp")
