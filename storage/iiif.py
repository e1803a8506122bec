"""IIIF in: reading a Presentation API manifest (v2 or v3) into its canvases, the Image API URL of a
canvas at a chosen size, and a polite HTTP client (time-outs, a size cap, retries with back-off on the
answers that mean "later": 429, 5xx, a dropped connection). No Dash here: ``services.iiif`` imports the
canvases as pages through the same staged import as an upload (``storage.ingest``).

Every failure is an ``IIIFError`` whose message says, in a reader's words, what the server did (a
login asked, HTML instead of JSON, JSON that is not IIIF, a collection instead of a manifest).
"""

from __future__ import annotations

import html
import http.client
import ipaddress
import json
import random
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.errors import InvalidInput

__all__ = ["Canvas", "Manifest", "IIIFError", "HttpClient", "parse_manifest", "image_url", "thumbnail_url",
           "MAX_MANIFEST_BYTES", "is_url"]

MAX_MANIFEST_BYTES = 30 * 1024 * 1024  #: the Vatican's largest codices have manifests of a few MB
USER_AGENT = "Kalamos (manuscript OCR workbench; IIIF import)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class IIIFError(InvalidInput):
    """A manifest or image that could not be had; the message is for the user."""


def is_url(text: str) -> bool:
    return urllib.parse.urlsplit(text.strip()).scheme in ("http", "https")


@dataclass(frozen=True)
class Canvas:
    """One canvas (a page view) of a manifest, with what is needed to fetch its image."""

    index: int  #: 1-based position in the manifest's sequence
    id: str
    label: str
    width: int  #: canvas coordinate space (not necessarily the image's pixels)
    height: int
    service: str | None  #: Image API base URL (``…/iiif/2/abc``), when the image has a service
    service_version: int  #: 2 or 3 (the size keyword differs: ``full`` / ``max``)
    image: str | None  #: the image resource's own URL (used when there is no service)
    thumbnail: str | None

    def record(self, image: str) -> dict[str, Any]:
        """What a page keeps of its canvas (``Page.iiif``)."""
        return {"canvas": self.id, "label": self.label, "index": self.index, "width": self.width,
                "height": self.height, "image": image}


@dataclass(frozen=True)
class Manifest:
    url: str  #: where it was read from (a URL, or a file the CLI was given)
    id: str
    version: int  #: Presentation API 2 or 3
    label: str
    attribution: str
    rights: str
    license: str
    canvases: tuple[Canvas, ...]  #: those with an image (their ``index`` counts every canvas listed)
    messages: tuple[str, ...] = field(default=())  #: canvases left out, and why
    total: int = 0  #: canvases listed, those left out included: the numbers the user sees run 1..total

    def canvas(self, index: int) -> Canvas | None:
        """The canvas numbered ``index`` (1-based, in the manifest's list), if it has an image."""
        return next((c for c in self.canvases if c.index == index), None)

    def source_record(self) -> dict[str, Any]:
        """What the document keeps of its manifest (``Document.source``)."""
        return {"kind": "iiif", "manifest": self.id or self.url, "read_from": self.url, "version": self.version,
                "label": self.label, "attribution": self.attribution, "rights": self.rights, "license": self.license}


# ---- reading manifests ----------------------------------------------------------------------------------

def _text(value: Any) -> str:
    """A IIIF label/value in any of its forms (a string, a v2 ``@value`` object or list, a v3 language
    map) as plain text: the "none" or English entry first, HTML tags removed."""
    if value is None:
        return ""
    if isinstance(value, str):
        raw = value
    elif isinstance(value, list):
        raw = "; ".join(t for t in (_text(v) for v in value) if t)
    elif isinstance(value, Mapping):
        if "@value" in value:
            raw = str(value["@value"])
        else:
            keys = [k for k in ("none", "en", "el", "grc", "la") if k in value] + [k for k in value if k not in
                                                                                 ("none", "en", "el", "grc", "la")]
            raw = _text(value[keys[0]]) if keys else ""
    else:
        raw = str(value)
    raw = re.sub(r"<(script|style)\b[^>]*>.*?</\1\s*>", " ", raw, flags=re.I | re.S)  # their content is no text
    raw = html.unescape(re.sub(r"<[^>]*>", " ", raw))
    return re.sub(r"\s+([,.;:!?)])", r"\1", " ".join(raw.split()))[:500]


def _id(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, Mapping):
        return str(obj.get("id") or obj.get("@id") or "")
    return ""


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _size(raw: Any) -> int:
    try:
        n = int(float(raw))
    except (TypeError, ValueError):
        return 0
    return n if 0 < n <= 1_000_000 else 0


def _service(resource: Mapping[str, Any]) -> tuple[str | None, int]:
    services = resource.get("service")
    for svc in services if isinstance(services, list) else [services]:
        if not isinstance(svc, Mapping):
            continue
        sid = _id(svc).rstrip("/")
        kind = " ".join(str(svc.get(k, "")) for k in ("type", "@type", "@context", "profile"))
        if not sid or "auth" in kind.lower() and "image" not in kind.lower():
            continue
        return sid, 3 if ("ImageService3" in kind or "image/3" in kind) else 2
    return None, 2


def _thumb(obj: Mapping[str, Any]) -> str | None:
    thumb = _first(obj.get("thumbnail"))
    url = _id(thumb)
    return url if url and is_url(url) else None


def _image_of(resource: Any) -> Mapping[str, Any] | None:
    """The image resource itself (the default of a choice)."""
    if not isinstance(resource, Mapping):
        return None
    kind = str(resource.get("type") or resource.get("@type") or "")
    if "Choice" in kind:
        return _image_of(resource.get("default") or _first(resource.get("item") or resource.get("items")))
    return resource


def _canvas(raw: Any, index: int, version: int, messages: list[str]) -> Canvas | None:
    if not isinstance(raw, Mapping):
        messages.append(f"canvas {index}: not a canvas object, left out")
        return None
    cid, label = _id(raw), _text(raw.get("label")) or f"canvas {index}"
    if version == 2:
        anno = _first(raw.get("images"))
        resource = _image_of(anno.get("resource")) if isinstance(anno, Mapping) else None
    else:
        page = _first(raw.get("items"))
        anno = _first(page.get("items")) if isinstance(page, Mapping) else None
        resource = _image_of(anno.get("body")) if isinstance(anno, Mapping) else None
    if resource is None:
        messages.append(f"canvas {index} ({label}): it has no image, left out")
        return None
    service, sversion = _service(resource)
    image = _id(resource) or None
    if not service and not (image and is_url(image)):
        messages.append(f"canvas {index} ({label}): its image has no usable address, left out")
        return None
    return Canvas(index, cid or f"canvas-{index}", label, _size(raw.get("width")) or _size(resource.get("width")),
                  _size(raw.get("height")) or _size(resource.get("height")), service, sversion,
                  image if image and is_url(image) else None, _thumb(raw))


def parse_manifest(data: bytes, url: str) -> Manifest:
    """A manifest's canvases and metadata, or ``IIIFError`` saying what the file is instead."""
    head = data[:200].decode("utf-8", "replace").strip()
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        if head.lower().startswith(("<!doctype", "<html")):
            what = "the server sent an HTML page, not JSON (a viewer's page? look for its IIIF manifest link)"
        elif head.startswith("<"):
            what = "the server sent XML, not JSON"
        elif data[:4] in (b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xdb") or data[:8] == b"\x89PNG\r\n\x1a\n":
            what = "this is an image, not a manifest (the manifest is the JSON that lists the images)"
        elif head.startswith(("{", "[")):
            what = "its JSON is cut off or malformed"
        else:
            what = "the server sent something else than JSON" + (f" (beginning {head[:40]!r})" if head.isprintable() else "")
        raise IIIFError(f"{url}: not a IIIF manifest: {what}") from None
    if not isinstance(doc, Mapping):
        raise IIIFError(f"{url}: not a IIIF manifest: the JSON is not an object")
    context = json.dumps(doc.get("@context", ""))
    kind = str(doc.get("type") or doc.get("@type") or "")
    if "presentation/3" in context:
        version = 3
    elif "presentation/2" in context or kind.startswith("sc:"):
        version = 2
    else:
        raise IIIFError(f"{url}: JSON, but not a IIIF Presentation manifest (its @context names neither "
                        "presentation/2 nor presentation/3)")
    if "Collection" in kind:
        members = doc.get("manifests") or doc.get("items") or []
        names = [_text(m.get("label")) or _id(m) for m in members if isinstance(m, Mapping)][:3]
        raise IIIFError(f"{url}: this is a collection of {len(members)} manifests, not one manuscript; "
                        f"give the address of one of them ({'; '.join(names)}{'…' if len(members) > 3 else ''})")
    if "Manifest" not in kind:
        raise IIIFError(f"{url}: a IIIF {kind or 'object'}, not a manifest")
    messages: list[str] = []
    if version == 2:
        sequence = _first(doc.get("sequences"))
        raws = sequence.get("canvases", []) if isinstance(sequence, Mapping) else []
        attribution, rights = _text(doc.get("attribution")), _id(_first(doc.get("license")))
    else:
        raws = doc.get("items", [])
        statement = doc.get("requiredStatement")
        attribution = _text(statement.get("value")) if isinstance(statement, Mapping) else ""
        rights = str(doc.get("rights") or "")
    if not isinstance(raws, list):
        raws = []
    canvases = [c for c in (_canvas(r, i, version, messages) for i, r in enumerate(raws, 1)) if c]
    if not canvases:
        raise IIIFError(f"{url}: the manifest lists no canvas with an image"
                        + (f" ({messages[0]})" if messages else ""))
    licence = next((_text(m.get("value")) for m in doc.get("metadata", []) or []
                    if isinstance(m, Mapping) and _text(m.get("label")).lower() in ("license", "licence", "rights")), "")
    return Manifest(url, _id(doc), version, _text(doc.get("label")) or "IIIF manuscript", attribution, rights, licence,
                    tuple(canvases), tuple(messages), len(raws))


def image_url(canvas: Canvas, width: int | None) -> str:
    """The address of the canvas's image through the Image API: the full image (``width`` None) or
    ``width`` pixels wide; without an image service, the image resource itself (its size as it is)."""
    if canvas.service:
        size = (f"{width}," if width else "max" if canvas.service_version >= 3 else "full")
        return f"{canvas.service}/full/{size}/0/default.jpg"
    assert canvas.image is not None
    return canvas.image


def thumbnail_url(canvas: Canvas, width: int = 160) -> str | None:
    """A small picture of the canvas: its own thumbnail, else one asked of the image service, else the
    image itself (a "level 0" library without a service: the server makes the thumbnail)."""
    if canvas.thumbnail:
        return canvas.thumbnail
    if canvas.service:
        return f"{canvas.service}/full/{width},/0/default.jpg"
    return canvas.image


# ---- HTTP -------------------------------------------------------------------------------------------------

@dataclass
class HttpClient:
    """Fetches http(s) addresses with a time-out, a size cap and retries with exponential back-off
    (with jitter, and the server's Retry-After up to ``max_wait_s``) on 408/425/429/5xx and dropped
    connections; other answers fail at once with a message that says what they mean."""

    timeout_s: float = 60.0
    attempts: int = 4
    backoff_s: float = 1.0
    max_wait_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    #: whether addresses of the server's own networks (loopback, private, link-local) may be fetched: on a
    #: shared server they must not be (a user's "manifest" would make the server read its neighbours)
    allow_private: bool = True

    def check_address(self, url: str) -> None:
        """Refuse what is not http(s), and (unless ``allow_private``) a host that resolves to an address
        of a private, loopback, link-local or reserved network."""
        if not is_url(url):
            raise IIIFError(f"{url[:200]!r} is not an http(s) address")
        if self.allow_private:
            return
        host = urllib.parse.urlsplit(url).hostname or ""
        try:
            infos = socket.getaddrinfo(host, None)
        except (socket.gaierror, UnicodeError):
            raise IIIFError(f"{url[:200]}: the server {host!r} is unknown (no such name)") from None
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                    or address.is_multicast or address.is_unspecified):
                raise IIIFError(f"{url[:200]}: {host} is an address of this server's own network; Kalamos fetches "
                                "IIIF only from public servers here (KALAMOS_IIIF_PRIVATE=1 allows it)")

    def get(self, url: str, max_bytes: int, what: str = "file") -> bytes:
        self.check_address(url)
        delay = self.backoff_s
        for attempt in range(1, self.attempts + 1):
            wait: float | None = None
            try:
                return self._once(url, max_bytes, what)
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_STATUSES or attempt == self.attempts:
                    raise IIIFError(self._http_message(url, exc.code, what, attempt)) from None
                after = exc.headers.get("Retry-After", "") if exc.headers else ""
                wait = min(self.max_wait_s, float(after)) if after.strip().isdigit() else None
            except (urllib.error.URLError, http.client.HTTPException, socket.timeout, ConnectionError, TimeoutError) as exc:
                reason = getattr(exc, "reason", exc)
                if attempt == self.attempts:
                    raise IIIFError(f"{url}: no answer after {attempt} tries ({reason})") from None
            self.sleep(wait if wait is not None else delay * (1 + random.random() / 2))
            delay *= 2
        raise AssertionError("unreachable")

    @staticmethod
    def _http_message(url: str, code: int, what: str, attempt: int) -> str:
        if code in (401, 403):
            return (f"{url}: the server asks for a login or refuses access (HTTP {code}). Kalamos cannot sign in "
                    "to a library's IIIF server; if the manuscript is public, check the address")
        if code == 404:
            return f"{url}: no such {what} on the server (HTTP 404)"
        tries = f" after {attempt} tries" if attempt > 1 else ""
        return f"{url}: the server failed (HTTP {code}){tries}"

    def _once(self, url: str, max_bytes: int, what: str) -> bytes:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                       "Accept": "application/ld+json, application/json, image/*, */*"})
        opener = urllib.request.build_opener(_CheckedRedirects(self.check_address))
        with opener.open(request, timeout=self.timeout_s) as answer:
            declared = answer.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise IIIFError(f"{url}: the {what} is {int(declared) / 1e6:.1f} MB, over the limit of "
                                f"{max_bytes / 1e6:.0f} MB")
            data = answer.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise IIIFError(f"{url}: the {what} is over the limit of {max_bytes / 1e6:.0f} MB")
            if declared and declared.isdigit() and len(data) < int(declared):
                raise ConnectionError(f"the connection closed after {len(data)} of {declared} bytes")
            return data

    def get_to(self, url: str, dest: Path, max_bytes: int, what: str = "image") -> Path:
        dest.write_bytes(self.get(url, max_bytes, what))
        return dest


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an address the client may fetch (http(s), and a public network when
    private ones are refused): never to ``file:``, nor from a public server to a private one."""

    def __init__(self, check: Callable[[str], None]) -> None:
        super().__init__()
        self.check = check

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not is_url(newurl):
            raise IIIFError(f"{req.full_url}: the server redirects to {newurl[:100]!r}, which is not http(s)")
        self.check(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)
