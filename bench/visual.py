"""Visual NER throughput: pages per second from a document to checked region results, with the
example `invoices` project's rules, against Tesseract alone on the same pages.

Cases (each on documents this script draws):

- text layer: a born-digital PDF of --pages pages (default 100), read through PDFium;
- OCR: --scans scanned pages (default 20) as PNGs at --dpi (default 300), read through Tesseract;
- Tesseract alone: the same PNGs through pytesseract's hOCR output (as alabctl runs it), nothing else.

Tesseract runs with OMP_THREAD_LIMIT=1 in every case (alabctl's default; see docs/visual.md).

Run from the repository root: `.venv/bin/python bench/visual.py [--pages N] [--scans N] [--dpi D]`.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2
import pytesseract
from PIL import Image
from reportlab.pdfgen import canvas

from alabctl import __version__, api
from alabctl.runtime.deployment import load_deployment
from alabctl.runtime.visual.document import read_pages
from alabctl.runtime.visual.project import predict_documents
from alabctl.runtime.visual.settings import VisualSettings

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "payment",
    "terms",
    "delivery",
    "order",
    "customer",
    "account",
    "balance",
    "shipping",
    "address",
    "quantity",
    "unit",
    "price",
    "amount",
    "tax",
    "net",
    "gross",
    "discount",
    "reference",
    "remittance",
    "bank",
    "transfer",
    "supplier",
    "item",
    "description",
]


def page_lines(rng: random.Random, page: int) -> list[str]:
    """About 40 lines of invoice-like text with numbers and dates the rules find."""
    lines = [
        f"Invoice no. INV-{20000 + page:05d} dated {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2024"
    ]
    for n in range(39):
        words = rng.choices(WORDS, k=rng.randint(6, 11))
        if n % 9 == 4:
            words += ["invoice", "no.", f"AB-{rng.randint(1000, 99999)}"]
        if n % 13 == 7:
            words += ["issued", f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/2023"]
        lines.append(" ".join(words))
    return lines


def draw(pages: int, seed: int) -> bytes:
    rng = random.Random(seed)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(612, 792), invariant=1)
    for page in range(pages):
        pdf.setFont("Helvetica", 11)
        for n, line in enumerate(page_lines(rng, page)):
            pdf.drawString(54, 740 - n * 17, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def render(pdf_bytes: bytes, count: int, dpi: int, folder: Path) -> list[Path]:
    document = pypdfium2.PdfDocument(pdf_bytes)
    paths = []
    try:
        for n in range(count):
            path = folder / f"scan-{n:03d}.png"
            document[n].render(scale=dpi / 72, grayscale=True).to_pil().save(path)
            paths.append(path)
    finally:
        document.close()
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=100, help="pages of the born-digital PDF (default 100)")
    parser.add_argument("--scans", type=int, default=20, help="scanned pages through OCR (default 20)")
    parser.add_argument("--dpi", type=int, default=300, help="scan resolution (default 300)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if shutil.which("tesseract") is None:
        print(
            "bench/visual.py: the tesseract program is missing (apt-get install tesseract-ocr)",
            file=sys.stderr,
        )
        return 1

    with tempfile.TemporaryDirectory(prefix="alabctl-bench-visual-") as temp:
        work = Path(temp)
        build = work / "build"
        report = api.compile(
            api.Inputs(paths=[str(ROOT / "examples")], cache=False), build, skip_license_check=True
        )
        if not report.valid_build:
            print("bench/visual.py: the examples do not compile", file=sys.stderr)
            return 1
        deployment = load_deployment(build, "invoices")
        view = deployment.view("invoices")
        docs = work / "documents"
        docs.mkdir()
        pdf_bytes = draw(max(args.pages, args.scans), args.seed)
        (docs / "born-digital.pdf").write_bytes(pdf_bytes)
        scans = render(pdf_bytes, args.scans, args.dpi, docs)
        settings = VisualSettings(documents=docs, dpi=args.dpi, max_pages=max(500, args.pages), timeout=3600)

        began = time.perf_counter()
        pages = read_pages("born-digital.pdf", settings)
        (text_prediction,) = predict_documents(deployment.engine, view, [pages[: args.pages]])
        t_text = time.perf_counter() - began

        began = time.perf_counter()
        scanned = [read_pages(p.name, settings) for p in scans]
        ocr_predictions = predict_documents(deployment.engine, view, scanned)
        t_ocr = time.perf_counter() - began

        began = time.perf_counter()
        for path in scans:
            with Image.open(path) as image:
                pytesseract.image_to_pdf_or_hocr(image, extension="hocr")
        t_tesseract = time.perf_counter() - began

        deployment.close()

    text_regions = sum(1 for r in text_prediction.result if r["type"] == "rectanglelabels")
    ocr_regions = sum(1 for p in ocr_predictions for r in p.result if r["type"] == "rectanglelabels")
    tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[
        0
    ]
    print(
        f"alabctl {__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{platform.machine()}, {tesseract}, pypdfium2 {pypdfium2.version.PYPDFIUM_INFO}"
    )
    print(f"rules: the example project 'invoices' (invoice-number, invoice-date); scans at {args.dpi} dpi\n")
    print("| case | pages | seconds | pages/s | regions |")
    print("|---|---:|---:|---:|---:|")
    rows = [
        ("text layer (PDFium) + rules + regions", args.pages, t_text, text_regions),
        ("OCR (Tesseract) + rules + regions", args.scans, t_ocr, ocr_regions),
        ("Tesseract alone (pytesseract, hOCR)", args.scans, t_tesseract, None),
    ]
    for name, count, seconds, regions in rows:
        shown = "" if regions is None else f"{regions:,}"
        print(f"| {name} | {count} | {seconds:.2f} | {count / seconds:.1f} | {shown} |")
    print(f"\nOCR path overhead over Tesseract alone: {(t_ocr / t_tesseract - 1) * 100:+.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
