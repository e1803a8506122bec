"""Shared helpers of the XML formats."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from storage.formats import FormatError, number

__all__ = ["parse_xml", "points_attr", "parse_points", "local", "xml_safe", "XML_PARSER"]

#: No network, no entities, no huge trees: imported files come from anywhere.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)


def parse_xml(data: bytes, name: str) -> etree._Element:
    try:
        return etree.fromstring(data, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"{name}: not well-formed XML ({exc})") from None


#: What XML 1.0 cannot hold at all (lxml refuses it): C0 controls but tab and line ends, lone surrogates,
#: U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: object) -> str:
    """``text`` as a string XML can carry: the characters XML 1.0 cannot hold are dropped (a line's text
    may hold control characters typed or pasted; a IIIF manifest's label anything its server sent)."""
    return _NOT_XML.sub("", str(text))


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def points_attr(points: Sequence[Sequence[float]], clamp: tuple[int, int] | None = None) -> str:
    """``x,y x,y ...`` with whole, non-negative numbers (PAGE's PointsType)."""
    out = []
    for x, y in points:
        xi, yi = max(0, int(round(x))), max(0, int(round(y)))
        if clamp:
            xi, yi = min(xi, clamp[0]), min(yi, clamp[1])
        out.append(f"{xi},{yi}")
    return " ".join(out)


_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def parse_points(text: str | None, name: str) -> list[list[float]]:
    """Both ``x,y x,y`` and ``x y x y`` (older ALTO)."""
    if not text:
        return []
    nums = [number(v, "a point", name) for v in _NUM.findall(text)]
    if len(nums) % 2:
        raise FormatError(f"{name}: the points {text[:60]!r} are not x,y pairs")
    return [[nums[i], nums[i + 1]] for i in range(0, len(nums), 2)]
