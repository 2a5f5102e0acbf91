"""Images (PNG, JPEG, TIFF with one page per frame …) opened with Pillow, refused before decoding
when they are larger than the pixel cap (a decompression bomb costs nothing to refuse)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, ImageSequence, UnidentifiedImageError

from alabctl.runtime.visual.errors import DocumentError, Problem


def frames(data: bytes, *, max_pixels: int, max_pages: int, name: str) -> Iterator[Image.Image]:
    """Each frame (page) of the image, greyscale, decoded one at a time."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(name, None, max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DocumentError(Problem.CORRUPT, f"{name}: not a readable image ({exc})") from None
    with image:
        count = getattr(image, "n_frames", 1)
        if count > max_pages:
            raise DocumentError(
                Problem.TOO_MANY_PAGES,
                f"{name}: {count} frames (pages), more than the {max_pages} allowed; raise the page limit (--max-pages)",
            )
        for frame in ImageSequence.Iterator(image):
            width, height = frame.size
            if width * height > max_pixels:
                raise _too_large(name, (width, height), max_pixels)
            try:
                yield frame.convert("L")
            except (OSError, ValueError, SyntaxError) as exc:
                raise DocumentError(Problem.CORRUPT, f"{name}: the image data is damaged ({exc})") from None


def _too_large(name: str, size: tuple[int, int] | None, max_pixels: int) -> DocumentError:
    what = f"{size[0]}x{size[1]} pixels" if size else "an image far larger than Pillow allows"
    return DocumentError(
        Problem.TOO_LARGE,
        f"{name}: {what}, more than the {max_pixels} pixels allowed (a decompression bomb?); "
        "scale it down or raise the pixel limit (--max-pixels)",
    )
