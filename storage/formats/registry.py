"""Every file format Kalamos reads or writes, listed once. The CLI's choices, the routes and the UI's
links are built from this list: adding a format is one module in ``storage/formats/`` and one entry
here.

- ``transcript``: writes a document's (or a page's) lines, all of them with text: the Transcribe
  tab's exports, ``kalamos ocr --format``, ``/transcript/...``.
- ``ground_truth``: writes the verified lines as training data beside their images: the Annotate
  tab's export links, ``kalamos export-gt --format``, ``/export/...``.
- ``read``: ground truth in (``kalamos import-gt``, the Annotate tab's import), recognised by content.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from storage.errors import InvalidInput
from storage.formats import ImportedPage, PageLines

__all__ = ["Format", "FORMATS", "get", "transcript_formats", "ground_truth_formats", "import_formats"]

Writer = Callable[[Sequence[PageLines], str], dict[str, bytes]]


@dataclass(frozen=True)
class Format:
    key: str  #: in URLs and on the command line
    label: str  #: in the UI
    extension: str  #: of the files it writes or reads
    media_type: str
    transcript: Writer | None = None  #: pages → {file name: bytes}
    ground_truth: bool = False  #: offered as a ground-truth export (lines + images)
    read: Callable[[bytes, str], list[ImportedPage]] | None = None  #: a file's bytes → its pages
    xml_root: str | None = None  #: the root element that tells an XML file of this format


def _xml(kind: str) -> Writer:
    def write(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
        from storage.formats.alto import write_alto
        from storage.formats.pagexml import write_page_xml

        writer = write_page_xml if kind == "page" else write_alto
        return {f"{stem}_p{p.number:04d}.{kind}.xml": writer(p.image_name, p.page.width, p.page.height, p.rows, p.regions,
                                                             source=p.source, canvas=p.page.iiif)
                for p in pages}
    return write


def _text(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    from storage.formats.text import write_text
    return write_text(pages, stem)


def _hocr(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    from storage.formats.hocr import write_hocr
    return write_hocr(pages, stem)


def _pdf(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    from storage.formats.pdf import write_pdf
    return write_pdf(pages, stem)


def _tei(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    from storage.formats.tei import write_tei
    return write_tei(pages, stem)


def _webanno(pages: Sequence[PageLines], stem: str) -> dict[str, bytes]:
    from storage.formats.webanno import write_web_annotations
    return write_web_annotations(pages, stem)


def _read_page(data: bytes, name: str) -> list[ImportedPage]:
    from storage.formats.pagexml import read_page_xml
    return [read_page_xml(data, name)]


def _read_alto(data: bytes, name: str) -> list[ImportedPage]:
    from storage.formats.alto import read_alto
    return [read_alto(data, name)]


def _read_tsv(data: bytes, name: str) -> list[ImportedPage]:
    from storage.formats.tsv import read_tsv
    return read_tsv(data, name)


FORMATS: tuple[Format, ...] = (
    Format("txt", "text", ".txt", "text/plain; charset=utf-8", transcript=_text),
    Format("hocr", "hOCR", ".hocr", "text/html; charset=utf-8", transcript=_hocr),
    Format("alto", "ALTO", ".xml", "application/xml", transcript=_xml("alto"), ground_truth=True, read=_read_alto,
           xml_root="alto"),
    Format("page", "PAGE XML", ".xml", "application/xml", transcript=_xml("page"), ground_truth=True, read=_read_page,
           xml_root="PcGts"),
    Format("pdf", "searchable PDF", ".pdf", "application/pdf", transcript=_pdf),
    Format("tei", "TEI P5", ".tei.xml", "application/tei+xml", transcript=_tei),
    Format("webanno", "IIIF Web Annotations", ".annotations.json",
           'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"', transcript=_webanno),
    Format("tesstrain", "tesstrain (PNG + .gt.txt)", ".gt.txt", "text/plain; charset=utf-8", ground_truth=True),
    Format("tsv", "GT4HistComment TSV", ".tsv", "text/tab-separated-values; charset=utf-8", read=_read_tsv),
)
_BY_KEY = {f.key: f for f in FORMATS}


def get(key: str, what: str = "format") -> Format:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise InvalidInput(f"unknown {what} {key!r}; choose one of {', '.join(_BY_KEY)}") from None


def transcript_formats() -> tuple[Format, ...]:
    return tuple(f for f in FORMATS if f.transcript)


def ground_truth_formats() -> tuple[Format, ...]:
    """Ground-truth exports, tesstrain first (the layout training reads)."""
    return tuple(sorted((f for f in FORMATS if f.ground_truth), key=lambda f: f.key != "tesstrain"))


def import_formats() -> tuple[Format, ...]:
    return tuple(f for f in FORMATS if f.read)


def media_type(filename: str) -> str:
    """The media type of an exported file, by its name (``.zip`` for several files); the longest
    extension that fits wins (``.tei.xml`` is TEI, not ALTO's ``.xml``)."""
    if filename.endswith(".zip"):
        return "application/zip"
    fitting = [f for f in FORMATS if f.transcript and filename.endswith(f.extension)]
    return max(fitting, key=lambda f: len(f.extension)).media_type if fitting else "application/octet-stream"
