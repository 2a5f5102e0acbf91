"""Documents from strangers: each bad one is a clear per-document error, quickly, cheaply."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import pytest

from alabctl.runtime.visual.document import read_pages
from alabctl.runtime.visual.errors import DocumentError, Problem
from alabctl.runtime.visual.settings import VisualSettings
from tests.visual.drawing import INVOICE, draw_pdf


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge image; its few bytes would inflate to width*height."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def many_pages_pdf(count: int) -> bytes:
    """A valid PDF of ``count`` empty pages, written directly (with its cross-reference table)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{n} 0 R" for n in range(3, count + 3))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
    objects.extend([page] * count)
    return _pdf(objects)


def image_bomb_pdf(side: int) -> bytes:
    """One letter page showing one image whose dictionary says ``side`` x ``side`` grey pixels,
    all zeros: a few hundred bytes of Flate data that would inflate to side² bytes."""
    pixels = zlib.compress(b"\x00" * 65536, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /XObject << /Im0 5 0 R >> >> >>",
    ]
    content = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (side, side, len(pixels))
        + pixels
        + b"\nendstream"
    )
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _error(documents: Path, name: str, data: bytes, **options: object) -> DocumentError:
    (documents / name).write_bytes(data)
    started = time.monotonic()
    with pytest.raises(DocumentError) as caught:
        read_pages(name, VisualSettings(documents=documents, **options))  # type: ignore[arg-type]
    assert time.monotonic() - started < 10, "a bad document must be refused quickly"
    assert name in str(caught.value)
    return caught.value


def test_a_corrupt_pdf(documents: Path) -> None:
    error = _error(documents, "broken.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert error.problem is Problem.CORRUPT
    assert "not a readable PDF" in str(error)


def test_an_encrypted_pdf(documents: Path) -> None:
    error = _error(documents, "locked.pdf", draw_pdf([INVOICE], encrypt="secret"))
    assert error.problem is Problem.ENCRYPTED
    assert "password" in str(error) and "decrypted copy" in str(error)


def test_a_20000_page_pdf_is_refused_before_any_page_is_read(documents: Path) -> None:
    error = _error(documents, "huge.pdf", many_pages_pdf(20_000))
    assert error.problem is Problem.TOO_MANY_PAGES
    assert "20000 pages" in str(error) and "500" in str(error)


def test_the_page_limit_is_a_setting(documents: Path) -> None:
    ten = draw_pdf([["page"]] * 10)
    (documents / "ten.pdf").write_bytes(ten)
    assert len(read_pages("ten.pdf", VisualSettings(documents=documents, max_pages=10))) == 10
    error = _error(documents, "ten-again.pdf", ten, max_pages=9)
    assert error.problem is Problem.TOO_MANY_PAGES


def test_a_decompression_bomb_is_refused_before_decoding(documents: Path) -> None:
    error = _error(documents, "bomb.png", bomb_png(100_000, 100_000))
    assert error.problem is Problem.TOO_LARGE
    assert "pixels" in str(error)


def test_an_image_over_the_pixel_cap_is_refused(documents: Path) -> None:
    error = _error(documents, "big.png", bomb_png(5000, 5000), max_pixels=10_000_000)
    assert error.problem is Problem.TOO_LARGE
    assert "5000x5000" in str(error)


def test_a_pdf_page_too_large_to_render_is_refused(documents: Path) -> None:
    # an empty page (no text layer, so it would be OCRed) of 200 x 200 inches
    data = many_pages_pdf(1).replace(b"/MediaBox [0 0 612 792]", b"/MediaBox [0 0 14400 14400]")
    error = _error(documents, "poster.pdf", data)
    assert error.problem is Problem.TOO_LARGE
    assert "at 300 dpi" in str(error)


def test_an_image_bomb_inside_a_pdf_is_refused_before_rendering(documents: Path) -> None:
    error = _error(documents, "bomb.pdf", image_bomb_pdf(100_000))
    assert error.problem is Problem.TOO_LARGE
    assert "100000x100000 pixels inside the PDF" in str(error)


def test_a_file_over_the_byte_cap_is_refused_unread(documents: Path) -> None:
    error = _error(documents, "large.pdf", draw_pdf([INVOICE]), max_bytes=100)
    assert error.problem is Problem.TOO_LARGE
    assert "bytes" in str(error)


def test_neither_pdf_nor_image(documents: Path) -> None:
    error = _error(documents, "notes.txt", b"just some text\n")
    assert error.problem is Problem.UNSUPPORTED


def test_a_damaged_image(documents: Path) -> None:
    error = _error(documents, "cut.png", bomb_png(100, 100)[:40])
    assert error.problem is Problem.CORRUPT


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        (42, "the task's document is a number: give a path or URL"),
        ({"invoice.pdf": 1}, "an object"),  # its keys were read as page names
        (["invoice.png", 3], "a list with an item that is not a string"),
        ([], "an empty list"),
        (None, "null"),
    ],
)
def test_a_document_that_is_not_a_string_or_a_list_of_them(
    documents: Path, reference: object, says: str
) -> None:
    with pytest.raises(DocumentError) as caught:
        read_pages(reference, VisualSettings(documents=documents))
    assert says in str(caught.value)


def test_a_second_frame_that_cannot_be_found_is_a_damaged_image(documents: Path) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, "TIFF", save_all=True, append_images=[Image.new("L", (9, 9))])
    data = bytearray(buffer.getvalue())
    first = struct.unpack("<I", data[4:8])[0]
    entries = struct.unpack("<H", data[first : first + 2])[0]
    link = first + 2 + 12 * entries  # where the first frame says the second one starts
    data[link : link + 4] = struct.pack("<I", len(data) + 1000)
    error = _error(documents, "two.tif", bytes(data))
    assert error.problem is Problem.CORRUPT
    assert "damaged" in str(error)


def test_the_pixel_limit_can_be_raised_past_pillows_warning(documents: Path) -> None:
    # 100 M pixels: over Pillow's MAX_IMAGE_PIXELS (89 M, a warning), under twice it (an error)
    (documents / "tall.png").write_bytes(bomb_png(10_000, 10_000))
    with pytest.raises(DocumentError) as caught:
        read_pages("tall.png", VisualSettings(documents=documents, max_pixels=200_000_000))
    # allowed, so decoded: and only then found to be cut short
    assert caught.value.problem is Problem.CORRUPT, caught.value


def test_an_image_pillow_will_not_open_says_so_whatever_the_pixel_limit(documents: Path) -> None:
    error = _error(documents, "huge.png", bomb_png(20_000, 20_000), max_pixels=500_000_000)
    assert error.problem is Problem.TOO_LARGE
    assert "the most Pillow opens" in str(error) and "--max-pixels" not in str(error)


def test_a_page_pdfium_cannot_load_is_a_damaged_page(documents: Path) -> None:
    # the page tree counts two pages and holds one: PDFium opens the file, then fails on page 2
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    error = _error(documents, "short.pdf", _pdf(objects), ocr_text_layer_min_chars=0)
    assert error.problem is Problem.CORRUPT
    assert "page 2 is damaged" in str(error)
