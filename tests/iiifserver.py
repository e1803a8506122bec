"""A IIIF server for tests and benchmarks, on 127.0.0.1 (nothing touches the internet): Presentation
API v2 and v3 manifests of ``n`` canvases, an Image API (v2 and v3 URL forms: full, max, ``w,``, ``,h``
and regions, so tiles work too) serving page images drawn once into memory, and faults to inject:

- ``/login/manifest.json`` answers 401, ``/html/manifest.json`` an HTML page, ``/plain/manifest.json``
  JSON that is not IIIF, ``/collection.json`` a collection;
- canvas ids listed in ``broken`` always answer 500, in ``flaky`` answer 503 the first ``flaky_times``
  times, in ``liar`` send an image of other proportions than the canvas, in ``html_image`` an HTML page
  with status 200;
- ``delay_s`` slows every image (to kill an import midway), and the server counts requests and the
  most it served at once (politeness).
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, ImageDraw

__all__ = ["IIIFServer"]

_IMAGE = re.compile(r"^/iiif/(?P<v>[23])/(?P<id>[a-z0-9-]+)/(?P<region>[^/]+)/(?P<size>[^/]+)/0/default\.jpg$")


def _page(index: int, width: int, height: int) -> bytes:
    """A page-like picture: dark text-like bars on a light ground, different on every canvas."""
    img = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(img)
    for row in range(12):
        y = 80 + row * (height - 160) // 12
        draw.rectangle([60, y, width - 60 - (index * 37 + row * 53) % 300, y + 18], fill=40)
    draw.text((width // 2, 20), f"{index}", fill=0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


@dataclass
class IIIFServer:
    n: int = 6
    width: int = 1200  #: the images' full size (the canvases say the same unless ``canvas_scale``)
    height: int = 1600
    canvas_scale: float = 1.0  #: canvas coordinates = image pixels × this
    broken: set[str] = field(default_factory=set)
    flaky: set[str] = field(default_factory=set)
    flaky_times: int = 2
    liar: set[str] = field(default_factory=set)
    html_image: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    level0: bool = False  #: images without an Image API service (static files: no size can be asked for)
    imageless: set[str] = field(default_factory=set)  #: canvases listed without an image
    attribution: str = "Test Library <b>(CC BY)</b>"
    requests: list[str] = field(default_factory=list)
    most_at_once: int = 0

    def __post_init__(self) -> None:
        self._images = {self.canvas_id(i): _page(i, self.width, self.height) for i in range(1, self.n + 1)}
        self._lock = threading.Lock()
        self._busy = 0
        self._failures: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

            def do_GET(self) -> None:  # noqa: N802
                server._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "IIIFServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @staticmethod
    def canvas_id(i: int) -> str:
        return f"c{i:03d}"

    def url(self, version: int) -> str:
        return f"{self.base}/v{version}/manifest.json"

    # ---- manifests ----
    def _canvas_size(self, cid: str) -> tuple[int, int]:
        return round(self.width * self.canvas_scale), round(self.height * self.canvas_scale)

    def manifest(self, version: int) -> dict:
        ids = [self.canvas_id(i) for i in range(1, self.n + 1)]
        if version == 2:
            return {
                "@context": "http://iiif.io/api/presentation/2/context.json", "@type": "sc:Manifest",
                "@id": self.url(2), "label": "Vat. gr. 1 (test)", "attribution": self.attribution,
                "license": "https://creativecommons.org/licenses/by/4.0/",
                "sequences": [{"@type": "sc:Sequence", "canvases": [{
                    "@id": f"{self.base}/canvas/{cid}", "@type": "sc:Canvas", "label": f"f. {i}r",
                    "width": self._canvas_size(cid)[0], "height": self._canvas_size(cid)[1],
                    "images": [] if cid in self.imageless else [{
                        "@type": "oa:Annotation", "motivation": "sc:painting", "on": f"{self.base}/canvas/{cid}",
                        "resource": {"@id": f"{self.base}/iiif/2/{cid}/full/full/0/default.jpg",
                                     "@type": "dctypes:Image", "format": "image/jpeg",
                                     **({} if self.level0 else {"service": {
                                         "@context": "http://iiif.io/api/image/2/context.json",
                                         "@id": f"{self.base}/iiif/2/{cid}",
                                         "profile": "http://iiif.io/api/image/2/level1.json"}})}}]}
                    for i, cid in enumerate(ids, 1)]}]}
        return {
            "@context": "http://iiif.io/api/presentation/3/context.json", "id": self.url(3), "type": "Manifest",
            "label": {"en": ["Barocci 59 (test)"]},
            "requiredStatement": {"label": {"en": ["Attribution"]}, "value": {"en": ["Test Libraries"]}},
            "rights": "http://creativecommons.org/licenses/by-nc-sa/3.0/",
            "items": [{
                "id": f"{self.base}/canvas/{cid}", "type": "Canvas", "label": {"none": [f"{i}v"]},
                "width": self._canvas_size(cid)[0], "height": self._canvas_size(cid)[1],
                "thumbnail": [{"id": f"{self.base}/iiif/3/{cid}/full/120,/0/default.jpg", "type": "Image"}],
                "items": [{"id": f"{self.base}/page/{cid}", "type": "AnnotationPage", "items": [{
                    "id": f"{self.base}/anno/{cid}", "type": "Annotation", "motivation": "painting",
                    "target": f"{self.base}/canvas/{cid}",
                    "body": {"id": f"{self.base}/iiif/3/{cid}/full/max/0/default.jpg", "type": "Image",
                             "format": "image/jpeg",
                             "service": [{"id": f"{self.base}/iiif/3/{cid}", "type": "ImageService3",
                                          "profile": "level1"}]}}]}]}
                for i, cid in enumerate(ids, 1)]}

    # ---- serving ----
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        with self._lock:
            self.requests.append(path)
        if path in ("/v2/manifest.json", "/v3/manifest.json"):
            return self._send(h, 200, json.dumps(self.manifest(int(path[2]))).encode(), "application/ld+json")
        if path == "/login/manifest.json":
            return self._send(h, 401, b'{"error": "login"}', "application/json")
        if path == "/html/manifest.json":
            return self._send(h, 200, b"<!DOCTYPE html><html><body>Viewer</body></html>", "text/html")
        if path == "/plain/manifest.json":
            return self._send(h, 200, b'{"title": "not iiif"}', "application/json")
        if path == "/collection.json":
            body = {"@context": "http://iiif.io/api/presentation/3/context.json", "type": "Collection",
                    "id": f"{self.base}/collection.json",
                    "items": [{"id": self.url(3), "type": "Manifest", "label": {"en": ["Barocci 59 (test)"]}}]}
            return self._send(h, 200, json.dumps(body).encode(), "application/json")
        m = _IMAGE.match(path)
        if not m or m["id"] not in self._images:
            return self._send(h, 404, b"not found", "text/plain")
        cid = m["id"]
        with self._lock:
            self._busy += 1
            self.most_at_once = max(self.most_at_once, self._busy)
        try:  # what the server answers, worked out while the request counts as in flight
            if self.delay_s:
                time.sleep(self.delay_s)
            answer = self._answer(cid, m["region"], m["size"])
        finally:  # (before the body goes out: once it has, the client may already ask for the next image)
            with self._lock:
                self._busy -= 1
        self._send(h, *answer)

    def _answer(self, cid: str, region: str, size: str) -> tuple[int, bytes, str]:
        if cid in self.broken:
            return 500, b"image server error", "text/plain"
        if cid in self.flaky:
            with self._lock:
                n = self._failures[cid] = self._failures.get(cid, 0) + 1
            if n <= self.flaky_times:
                return 503, b"busy", "text/plain"
        if cid in self.html_image:
            return 200, b"<html><body>Please sign in</body></html>", "image/jpeg"
        return 200, self._render(cid, region, size), "image/jpeg"

    def _render(self, cid: str, region: str, size: str) -> bytes:
        img = Image.open(io.BytesIO(self._images[cid]))
        if region != "full":
            x, y, w, hh = (int(v) for v in region.split(","))
            img = img.crop((x, y, x + w, y + hh))
        if cid in self.liar:  # a server that squeezes the image
            img = img.resize((img.width, img.height // 2))
        if size not in ("full", "max"):
            w_s, _, h_s = size.partition(",")
            if w_s:
                w = int(w_s)
                img = img.resize((w, max(1, round(img.height * w / img.width))))
            elif h_s:
                hh = int(h_s)
                img = img.resize((max(1, round(img.width * hh / img.height)), hh))
        buf = io.BytesIO()
        img.convert("L").save(buf, "JPEG", quality=85)
        return buf.getvalue()

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
