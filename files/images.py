"""Decoding untrusted images safely: avatars, file thumbnails, photos.

The pixel count is read from the header and checked before anything is decoded, so a
decompression bomb costs nothing; EXIF orientation is applied; what comes out is a fresh
image that carries no EXIF, GPS or comment from the original.
"""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


class NotAnImage(Exception):
    pass


class TooManyPixels(Exception):
    pass


def open_rgb(fileobj, *, max_pixels: int, size_hint: int) -> Image.Image:
    """Decode `fileobj` into an upright RGB image (at least `size_hint` on its long side when
    the source allows, less work for JPEG); raise NotAnImage or TooManyPixels."""
    try:
        fileobj.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fileobj)
            if image.format not in ACCEPTED_FORMATS:
                raise NotAnImage
            width, height = image.size
            if width * height > max_pixels:
                raise TooManyPixels
            image.draft("RGB", (size_hint, size_hint))
            image = ImageOps.exif_transpose(image)
            return image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise NotAnImage from None


def webp(image: Image.Image, *, quality: int = 82) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=quality)
    return out.getvalue()
