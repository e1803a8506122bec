"""The data model shared by the store, the engine and the UI: plain dataclasses, no I/O.

Each record maps one-to-one to a JSON file in the data directory (see ARCHITECTURE.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ocr.regions import zone_label

__all__ = ["LINE_KINDS", "LINE_STATUSES", "Document", "Line", "LineKind", "LineStatus", "Page", "PageSource", "Project", "Region", "SourceKind",
           "MAX_SUBTYPE"]

SourceKind = Literal["jpeg", "png", "tiff", "webp", "pdf"]


@dataclass
class Project:
    id: str
    name: str
    created: str
    updated: str
    #: Project-wide settings, JSON values (e.g. "presets": named preprocessing pipelines).
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Project":
        return cls(id=d["id"], name=d["name"], created=d["created"], updated=d.get("updated", d["created"]),
                   settings=dict(d.get("settings", {})))


@dataclass
class Document:
    id: str
    project_id: str
    name: str
    created: str
    updated: str
    #: Reading order of the pages: the only place page order is kept.
    page_ids: list[str] = field(default_factory=list)
    #: Document-wide settings of the later steps (default pipeline, presets...), JSON values.
    settings: dict[str, Any] = field(default_factory=dict)
    #: Where the document came from, when it was imported from a library (``storage.iiif``):
    #: {"kind": "iiif", "manifest": URL, "version": 2|3, "label", "attribution", "rights", "license",
    #: "imported": time}; carried into every export (PAGE, ALTO, TEI, Web Annotations).
    source: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Document":
        return cls(
            id=d["id"],
            project_id=d["project_id"],
            name=d["name"],
            created=d["created"],
            updated=d.get("updated", d["created"]),
            page_ids=list(d.get("page_ids", [])),
            settings=dict(d.get("settings", {})),
            source=dict(d["source"]) if d.get("source") else None,
        )


@dataclass
class PageSource:
    """Where a page came from: the uploaded file, kept byte for byte, and which frame of it."""

    filename: str  #: the user's file name, cleaned, for display only (never used as a path)
    sha256: str  #: of the uploaded file
    original: str  #: path of the kept original, relative to the document folder
    kind: SourceKind
    frame: int = 0  #: TIFF frame or PDF page, 0-based
    frames: int = 1  #: how many frames/pages the file had
    size: int = 0  #: bytes

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PageSource":
        return cls(**{k: d[k] for k in ("filename", "sha256", "original", "kind")},
                   frame=int(d.get("frame", 0)), frames=int(d.get("frames", 1)), size=int(d.get("size", 0)))


@dataclass
class Page:
    id: str
    document_id: str
    source: PageSource
    #: The image the engine reads, relative to the page folder ("../../originals/<sha>.jpg" when the
    #: upload is directly usable, "image.png" when it had to be decoded: TIFF frame, PDF page, EXIF turn).
    image: str
    width: int
    height: int
    dpi: int | None
    created: str
    #: This page's own preprocessing pipeline (JSON steps), or None to use the document's.
    pipeline: list[dict[str, Any]] | None = None
    #: The last full-resolution preprocessing result: {"key", "image", "width", "height", "notes",
    #: "matrix" (3×3, original page pixels → processed pixels), "pipeline", "at"}.
    processed: dict[str, Any] | None = None
    #: Estimated x-height of the writing in page pixels (for default line bands), once measured.
    xheight: float | None = None
    #: The IIIF canvas the page was fetched from: {"canvas": id, "label", "width", "height" (canvas
    #: coordinates), "image": the URL fetched}; None for uploaded files.
    iiif: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        s = self.source
        return f"{s.filename} ({'p.' if s.kind == 'pdf' else 'frame '}{s.frame + 1}/{s.frames})" if s.frames > 1 else s.filename

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Page":
        return cls(
            id=d["id"],
            document_id=d["document_id"],
            source=PageSource.from_dict(d["source"]),
            image=d["image"],
            width=int(d["width"]),
            height=int(d["height"]),
            dpi=d.get("dpi"),
            created=d["created"],
            pipeline=d.get("pipeline"),
            processed=d.get("processed"),
            xheight=d.get("xheight"),
            iiif=dict(d["iiif"]) if d.get("iiif") else None,
        )


LineKind = Literal["baseline", "box", "polygon"]
LineStatus = Literal["empty", "machine", "aligned", "edited", "verified"]
LINE_KINDS: tuple[str, ...] = ("baseline", "box", "polygon")
#: empty: no text; machine: read by Tesseract, unchecked; edited: typed or corrected by a person but
#: not confirmed (autosaved); verified: confirmed by a person's explicit act on that line (Enter, ✓,
#: a bulk verification they confirmed): only these are training data unless the user chooses more.
#: aligned: the text of a known edition put on the line by "Align a known text" (``ocr.align``), to
#: check: better than machine text, not yet a person's.
LINE_STATUSES: tuple[str, ...] = ("empty", "machine", "aligned", "edited", "verified")


@dataclass
class Line:
    """One text line of a page, in full-resolution page pixels (of the original image).

    ``kind`` says what ``points`` are: a baseline polyline (left to right), the four corners of a
    box, or a closed polygon. ``baseline`` may also be given for boxes and polygons (imports);
    ``above``/``below`` are the band heights around a baseline (None: the page's default).
    ``rev`` grows with every change and detects concurrent edits of the same line.
    """

    id: str
    kind: LineKind
    points: list[list[float]]
    text: str = ""
    status: LineStatus = "empty"
    above: float | None = None
    below: float | None = None
    baseline: list[list[float]] | None = None
    rev: int = 1
    updated: str = ""
    source: str = "drawn"  #: drawn, detected, ocr:<model>, or imported:<format>
    conf: float | None = None  #: Tesseract's confidence (0–100) in machine text
    #: The last changes, newest last: {"rev", "what": ["text"] / ["shape"] / both, "editor"}; the
    #: conflict rule reads them to tell someone else's change from one's own (storage/lines.py).
    changes: list[dict[str, Any]] = field(default_factory=list)
    region: str | None = None  #: the id of the page region the line belongs to (``Region``), if any
    #: For an ``aligned`` line: {"reading": what Tesseract read there, "score": 0–1 agreement of the
    #: edition's text with that reading, "attention": a poor alignment to look at}; the line editor
    #: shows the differences (the variants) from it.
    aligned: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Line":
        return cls(
            id=d["id"], kind=d["kind"], points=[[float(x), float(y)] for x, y in d["points"]],
            text=d.get("text", ""), status=d.get("status", "empty"), above=d.get("above"), below=d.get("below"),
            baseline=[[float(x), float(y)] for x, y in d["baseline"]] if d.get("baseline") else None,
            rev=int(d.get("rev", 1)), updated=d.get("updated", ""), source=d.get("source", "drawn"),
            conf=d.get("conf"), changes=[dict(c) for c in d.get("changes", [])], region=d.get("region") or None,
            aligned=dict(d["aligned"]) if d.get("aligned") else None,
        )


MAX_SUBTYPE = 60  #: characters of a region's subtype (typed, or read from a file)


@dataclass
class Region:
    """A region of a page (a column, a margin, a running title, ...): a polygon in full-resolution
    page pixels with a SegmOnto type (``MainZone``, ``NumberingZone``, ..., or one of the project's
    own) and an optional subtype (``commentary``, ``column#2``, ``gloss``). A page's regions are kept
    in reading order; a line belongs to at most one (``Line.region``)."""

    id: str
    type: str
    points: list[list[float]]
    subtype: str = ""
    source: str = "drawn"  #: drawn, detected, imported:<format>
    updated: str = ""

    @property
    def label(self) -> str:
        return zone_label(self.type, self.subtype)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Region:
        return cls(id=d["id"], type=d["type"], points=[[float(x), float(y)] for x, y in d["points"]],
                   subtype=d.get("subtype", ""), source=d.get("source", "drawn"), updated=d.get("updated", ""))
