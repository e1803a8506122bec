"""Reading uploaded files into page images: type sniffing, limits, TIFF frames, PDF pages, thumbnails.

Files are identified by their first bytes, never by their extension. Every decoder error becomes an
``UnreadableImage`` whose message says why, in words a user understands.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "UnreadableImage", "Frame", "KINDS", "EXTENSIONS", "sniff", "describe_unsupported",
    "count_frames", "measure", "iter_frames", "to_page_mode", "thumbnail_jpeg", "downscaled", "load_array", "encode_preview", "png_bytes",
]

log = logging.getLogger(__name__)

# Kalamos enforces its own, configurable pixel limit (before decoding) in ``iter_frames``; Pillow's
# fixed one (179 MP) would refuse pages below the default 300 MP limit. Set once, at import.
Image.MAX_IMAGE_PIXELS = None

#: Types Kalamos imports, by the name used in page records.
KINDS = ("jpeg", "png", "tiff", "webp", "pdf")
EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "webp": ".webp", "pdf": ".pdf"}
#: Pages (TIFF frames, PDF pages) accepted from one file unless configured otherwise.
DEFAULT_MAX_PAGES = 1000


class UnreadableImage(ValueError):
    """The file cannot become pages; the message says why."""


@dataclass
class Frame:
    index: int  #: 0-based frame (TIFF) or page (PDF)
    count: int
    image: Image.Image  #: mode "L" or "RGB", fully loaded, upright
    dpi: int | None
    #: True when ``image`` differs from the file as stored (a frame of a multi-page file, a PDF
    #: rendering, an EXIF rotation, a mode conversion): the page then needs its own decoded copy.
    derived: bool


def sniff(head: bytes) -> str | None:
    """The kind of file from its first bytes (at least 12), or None when it is not one Kalamos reads."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.lstrip(b"\xef\xbb\xbf\x00\t\n\r\x0c ").startswith(b"%PDF-"):  # at the start (white space allowed):
        return "pdf"  # a PDF "found" later in a file is something else
    return None


_OTHER_MAGIC = [
    (b"GIF8", "a GIF image"), (b"BM", "a BMP image"), (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\xff\x4f\xff\x51", "a JPEG 2000 codestream"), (b"PK\x03\x04", "a ZIP archive (or Office document)"),
    (b"\x1f\x8b", "a gzip archive"), (b"<?xml", "an XML file"), (b"<svg", "an SVG drawing"),
]


def describe_unsupported(head: bytes) -> str:
    """A short description of a file Kalamos does not read, for the error message."""
    for magic, what in _OTHER_MAGIC:
        if head.startswith(magic):
            return what
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "a HEIC photo (export it as JPEG)"
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "not an image"


def to_page_mode(img: Image.Image) -> tuple[Image.Image, bool]:
    """Convert to 8-bit "L" or "RGB" (transparency flattened on white); says whether it changed."""
    if img.mode in ("L", "RGB"):
        return img, False
    if img.mode in ("1", "I;16", "I;16B", "I;16L", "I", "F"):
        if img.mode == "1":
            return img.convert("L"), True
        arr = img.point(lambda v: v / 256) if img.mode.startswith("I;16") else img
        return arr.convert("L"), True
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # pasted through the alpha channel onto white: one RGB copy and the alpha plane, rather than
        # the three full RGBA copies of alpha_composite (a 300 MP page: 2.4 GB instead of 5.8 GB)
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        out = Image.new("RGB", rgba.size, (255, 255, 255))
        alpha = rgba.getchannel("A")
        out.paste(rgba, mask=alpha)
        del alpha
        return out, True
    return img.convert("RGB"), True


def _dpi(img: Image.Image) -> int | None:
    dpi = img.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    return value if value and 20 <= value <= 10000 else None


def _check_pixels(width: int, height: int, max_pixels: int, where: str) -> None:
    if width <= 0 or height <= 0:
        raise UnreadableImage(f"{where} has no pixels ({width}×{height})")
    if width * height > max_pixels:
        raise UnreadableImage(
            f"{where} is {width}×{height} = {width * height / 1e6:.0f} megapixels, over the limit of "
            f"{max_pixels / 1e6:.0f} (KALAMOS_MAX_MEGAPIXELS); a decompression bomb or a scan to reduce first"
        )


def count_frames(path: Path, kind: str) -> int:
    if kind == "pdf":
        return len(_open_pdf(path))
    with Image.open(path) as img:
        return int(getattr(img, "n_frames", 1))


def _too_many(count: int | None, max_pages: int, what: str) -> UnreadableImage:
    """``count`` None: more than ``max_pages`` (frames are not counted beyond the limit)."""
    how_many = f"{count} pages, more than" if count is not None else "more pages than"
    return UnreadableImage(f"the {what} has {how_many} the limit of {max_pages} per file "
                           "(KALAMOS_MAX_PAGES); split it, or ask the administrator to raise the limit")


def measure(path: Path, kind: str, *, max_pages: int, pdf_dpi: int = 300) -> tuple[int, int]:
    """(pages, pixels of all of them) of a file, read from its headers without decoding any pixel;
    ``UnreadableImage`` past ``max_pages`` or when the file cannot even be opened."""
    if kind == "pdf":
        import pypdfium2 as pdfium

        pdf = _open_pdf(path)
        try:
            n = len(pdf)
            if n > max_pages:
                raise _too_many(n, max_pages, "PDF")
            total, scale = 0, pdf_dpi / 72.0
            for i in range(n):
                try:
                    w, h = pdf.get_page_size(i)
                except (pdfium.PdfiumError, OSError, ValueError):
                    continue  # iter_frames names the page that cannot be loaded
                if math.isfinite(w) and math.isfinite(h):
                    total += max(0, round(w * scale)) * max(0, round(h * scale))
            return n, total
        finally:
            pdf.close()
    try:
        with Image.open(path) as img:
            n = _frames_within(img, max_pages)
            total = 0
            for i in range(n):
                img.seek(i)
                total += img.width * img.height
            return n, total
    except UnreadableImage:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError) as exc:
        raise _damaged(kind, exc) from None


def _damaged(kind: str, exc: BaseException) -> UnreadableImage:
    """Why a file cannot be decoded, in words (never the decoder's message with the file's path)."""
    if isinstance(exc, UnidentifiedImageError):
        return UnreadableImage(f"the data is not a readable {kind.upper()} image")
    reason = str(exc) or type(exc).__name__
    if "truncated" in reason.lower() or isinstance(exc, EOFError):
        reason = "the file is truncated (incomplete download or copy?)"
    elif "/" in reason:
        reason = type(exc).__name__
    return UnreadableImage(f"the {kind.upper()} data is damaged: {reason}")


def _frames_within(img: Image.Image, max_pages: int) -> int:
    """The number of frames, found without walking more than ``max_pages + 1`` of them (a TIFF
    announcing 50,000 tiny frames is refused at once, not after counting them all)."""
    if not getattr(img, "is_animated", False):
        return 1
    count = 0
    try:
        while count <= max_pages:  # frame by frame: each seek reads one more directory
            img.seek(count)
            count += 1
    except EOFError:
        pass
    img.seek(0)
    if count > max_pages:
        raise _too_many(None, max_pages, "file")
    return count


def _open_pdf(path: Path):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        # PDFium's error codes are unreliable here (a PDF without pages fails as "password error"
        # or "success"), so the reason is read from the file's own dictionaries.
        data = path.read_bytes()
        if b"/Encrypt" in data:
            raise UnreadableImage("the PDF is protected by a password; save an unprotected copy") from None
        if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Count\s+[1-9]", data):
            raise UnreadableImage("the PDF has no pages") from None
        raise UnreadableImage(f"the PDF is damaged and cannot be read ({exc})") from None
    return pdf


def _iter_pdf(path: Path, max_pixels: int, dpi: int, max_pages: int) -> Iterator[Frame]:
    import pypdfium2 as pdfium

    pdf = _open_pdf(path)
    try:
        n = len(pdf)
        if n == 0:
            raise UnreadableImage("the PDF has no pages")
        if n > max_pages:
            raise _too_many(n, max_pages, "PDF")
        scale = dpi / 72.0
        for i in range(n):
            try:
                page = pdf[i]
            except (pdfium.PdfiumError, OSError, ValueError) as exc:
                raise UnreadableImage(f"PDF page {i + 1} of {n} is damaged and cannot be loaded ({exc})") from None
            try:
                w_pt, h_pt = page.get_size()
                if not (math.isfinite(w_pt) and math.isfinite(h_pt)):
                    raise UnreadableImage(f"PDF page {i + 1} of {n} declares no usable size")
                _check_pixels(round(w_pt * scale), round(h_pt * scale), max_pixels, f"PDF page {i + 1} at {dpi} dpi")
                bitmap = page.render(scale=scale, grayscale=False)
                img = bitmap.to_pil().convert("RGB")
            except UnreadableImage:
                raise
            except (pdfium.PdfiumError, OSError, ValueError) as exc:
                raise UnreadableImage(f"PDF page {i + 1} of {n} is damaged and cannot be drawn ({exc})") from None
            finally:
                page.close()
            yield Frame(i, n, img, dpi, True)
    finally:
        pdf.close()


def iter_frames(path: Path, kind: str, *, max_pixels: int, pdf_dpi: int = 300,
                max_pages: int = DEFAULT_MAX_PAGES) -> Iterator[Frame]:
    """Decode every page of a file, checking its size before decoding any pixel.

    At most one decoded frame is held at a time (a single-frame image's own pixels are released
    once it is converted), so memory is bounded by the pixel limit, not by the file.

    Raises:
        UnreadableImage: empty, truncated or corrupt data, too many pixels or pages, a PDF with a
            password or without pages. Frames already yielded must then be discarded by the caller.
    """
    if kind == "pdf":
        yield from _iter_pdf(path, max_pixels, pdf_dpi, max_pages)
        return
    try:
        with Image.open(path) as img:
            n = _frames_within(img, max_pages)
            for i, frame in enumerate(ImageSequence.Iterator(img)):
                where = f"frame {i + 1}" if n > 1 else "the image"
                _check_pixels(frame.width, frame.height, max_pixels, where)
                frame.load()
                turned = kind == "jpeg" and frame.getexif().get(0x0112, 1) not in (0, 1)
                upright = ImageOps.exif_transpose(frame) if turned else frame
                converted, _ = to_page_mode(upright)
                # Tesseract, OpenCV and Pillow read palette and 1-bit PNGs directly; a decoded 8-bit
                # copy of such a scan is larger and made Tesseract 13 % slower (BENCHMARKS.md)
                readable = frame.mode in ("L", "RGB", "1") or (frame.mode == "P" and "transparency" not in frame.info)
                info = (_dpi(frame), n > 1 or turned or not readable or kind in ("tiff", "webp"))
                if n == 1:  # no copy: the caller is done with it before the file is closed
                    if converted is not frame:
                        del upright
                        img.close()  # the decoded original (say 1.2 GB of RGBA) is not needed any more
                    yield Frame(i, n, converted, info[0], derived=info[1])
                    break
                yield Frame(i, n, converted.copy() if converted is frame else converted, info[0], derived=info[1])
    except UnreadableImage:
        raise
    except Image.DecompressionBombError as exc:  # pragma: no cover - limit disabled above
        raise UnreadableImage(str(exc)) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError) as exc:
        raise _damaged(kind, exc) from None


def downscaled(img: Image.Image, max_side: int) -> Image.Image:
    """A copy no larger than ``max_side`` on its long side (the image itself if already smaller).

    Resized straight from the image (no full-size copy first): reducing by whole factors, then
    Lanczos, as ``Image.thumbnail`` does.
    """
    if max(img.size) <= max_side:
        return img
    scale = max_side / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def thumbnail_jpeg(img: Image.Image, max_side: int = 400, quality: int = 80) -> bytes:
    small = downscaled(img, max_side)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def load_array(path: Path) -> "np.ndarray":
    """A page image as a uint8 array: H×W for grey images, H×W×3 (RGB) otherwise."""
    import numpy as np

    with Image.open(path) as img:
        img.load()
        page, _ = to_page_mode(img)
        return np.asarray(page).copy()


def encode_preview(arr: "np.ndarray", quality: int = 85) -> tuple[bytes, str]:
    """Encode an image for the browser: 1-bit PNG when it is black and white, else JPEG.

    Returns the bytes and the file suffix (".png" or ".jpg").
    """
    import numpy as np

    import cv2

    buf = io.BytesIO()
    if arr.ndim == 2 and arr.dtype == np.uint8 and cv2.countNonZero(cv2.inRange(arr, 1, 254)) == 0:
        ok, png = cv2.imencode(".png", arr, [cv2.IMWRITE_PNG_BILEVEL, 1, cv2.IMWRITE_PNG_COMPRESSION, 1])
        if ok:  # 1-bit, written by OpenCV: several times faster than Pillow's convert("1") and save
            return png.tobytes(), ".png"
    Image.fromarray(arr).save(buf, "JPEG", quality=quality)
    return buf.getvalue(), ".jpg"


def png_bytes(arr: "np.ndarray", compression: int = 1) -> bytes:
    """A grey or RGB array as PNG (fast compression: these are working files and caches)."""
    import cv2

    ok, buf = cv2.imencode(".png", arr if arr.ndim == 2 else cv2.cvtColor(arr, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise UnreadableImage("the image could not be encoded as PNG")
    return buf.tobytes()
