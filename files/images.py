"""Decoding untrusted images safely: avatars, file thumbnails, photos.

The pixel count is read from the header and checked before anything is decoded, so a
decompression bomb costs nothing; EXIF orientation is applied; what comes out is a fresh
image that carries no EXIF, GPS, comment or colour profile from the original.

Pillow's parsers answer malformed input with many kinds of exception (struct.error,
TypeError and KeyError from a damaged EXIF block, among others): every one of them means
"not an image we can show", never a crash of the caller.
"""

import io
import warnings

from PIL import ExifTags, Image

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

# EXIF orientation → the transposition that shows the image upright (as ImageOps.exif_transpose).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class NotAnImage(Exception):
    pass


class TooManyPixels(Exception):
    pass


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation, or 1 (as stored) when the EXIF block is missing or damaged."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # a damaged EXIF block hides nothing worth failing for
        return 1
    return value if isinstance(value, int) and value in UPRIGHT else 1


def open_rgb(fileobj, *, max_pixels: int, size_hint: int) -> Image.Image:
    """Decode `fileobj` into an upright RGB image (at least `size_hint` on its long side when
    the source allows, less work for JPEG); raise NotAnImage or TooManyPixels."""
    try:
        fileobj.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" and the like
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fileobj)
            if image.format not in ACCEPTED_FORMATS:
                raise NotAnImage
            width, height = image.size
            if width * height > max_pixels:
                raise TooManyPixels
            orientation = _orientation(image)
            image.draft("RGB", (size_hint, size_hint))
            rgb = image.convert("RGB")
            if orientation in UPRIGHT:
                rgb = rgb.transpose(UPRIGHT[orientation])
    except (NotAnImage, TooManyPixels):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels from None
    except MemoryError:
        raise
    except Exception:  # UnidentifiedImageError, truncated data, damaged chunks…
        raise NotAnImage from None
    rgb.info = {}  # no EXIF, GPS, XMP, comment or ICC profile travels to what we write
    return rgb


def webp(image: Image.Image, *, quality: int = 82) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=quality)
    return out.getvalue()
