"""Images (PNG, JPEG, TIFF with one page per frame …) opened with Pillow, refused before decoding
when they are larger than the pixel cap (a decompression bomb costs nothing to refuse)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator
from typing import TypeVar

from PIL import Image, ImageSequence, UnidentifiedImageError

from alabctl.runtime.visual.errors import DocumentError, Problem

T = TypeVar("T")
ORIENTATION = 0x0112
"""The EXIF tag of how the stored pixels are turned."""


def frames(data: bytes, *, max_pixels: int, max_pages: int, name: str) -> Iterator[Image.Image]:
    """Each frame (page) of the image, greyscale, decoded one at a time."""
    try:
        with warnings.catch_warnings():
            # Pillow's warning (over its MAX_IMAGE_PIXELS) is not the cap: ``max_pixels`` is, checked
            # below from the header before anything is decoded. Its error (over twice that) stays.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_large(name, None, max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DocumentError(Problem.CORRUPT, f"{name}: not a readable image ({exc})") from None
    with image:
        count = _guarded(lambda: getattr(image, "n_frames", 1), name, max_pixels)
        if count > max_pages:
            raise DocumentError(
                Problem.TOO_MANY_PAGES,
                f"{name}: {count} frames (pages), more than the {max_pages} allowed; raise the page limit (--max-pages)",
            )
        sequence = ImageSequence.Iterator(image)
        while (frame := _guarded(lambda: next(sequence, None), name, max_pixels)) is not None:
            width, height = frame.size
            if width * height > max_pixels:
                raise _too_large(name, (width, height), max_pixels)
            yield _guarded(lambda: _upright(frame), name, max_pixels)


_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation -> what turns the stored pixels into the picture as shown (``ImageOps.exif_transpose``)."""


def _upright(frame: Image.Image) -> Image.Image:
    """The frame in greyscale, as a browser (and so Label Studio) shows it: a phone's photo is
    stored sideways with an EXIF orientation, and boxes must be on the picture the annotator sees."""
    grey = frame.convert("L")
    turn = _TURNS.get(frame.getexif().get(ORIENTATION, 1))
    return grey.transpose(turn) if turn is not None else grey


def _guarded(step: Callable[[], T], name: str, max_pixels: int) -> T:
    """One step of reading the image (counting, seeking to or decoding a frame): Pillow raises
    many kinds of errors on a damaged file (TypeError, SyntaxError, struct.error …), each of
    which means the same to the task."""
    try:
        return step()
    except Image.DecompressionBombError:
        raise _too_large(name, None, max_pixels) from None
    except Exception as exc:  # see above: any of them is a damaged image
        raise DocumentError(Problem.CORRUPT, f"{name}: the image data is damaged ({exc})") from None


def _pillow_limit() -> int:
    """The most pixels Pillow opens at all (twice its ``MAX_IMAGE_PIXELS``)."""
    return 2 * (Image.MAX_IMAGE_PIXELS or 0) or 1 << 62


def _too_large(name: str, size: tuple[int, int] | None, max_pixels: int) -> DocumentError:
    if size is None and _pillow_limit() < max_pixels:
        return DocumentError(
            Problem.TOO_LARGE,
            f"{name}: an image of more than {_pillow_limit()} pixels, the most Pillow opens "
            "(a decompression bomb?); scale it down",
        )
    what = f"{size[0]}x{size[1]} pixels" if size else "an image larger than Pillow opens"
    return DocumentError(
        Problem.TOO_LARGE,
        f"{name}: {what}, more than the {max_pixels} pixels allowed (a decompression bomb?); "
        "scale it down or raise the pixel limit (--max-pixels)",
    )
