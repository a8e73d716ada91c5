"""Recognising input files: page images, PDFs, ALTO and PAGE XML (by content, not by name alone)."""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".tif", ".tiff", ".bmp", ".webp", ".jp2", ".j2k", ".jpf",
     ".gif", ".pbm", ".pgm", ".ppm", ".pnm"}
)
PDF_SUFFIXES = frozenset({".pdf"})
XML_SUFFIXES = frozenset({".xml"})

ALTO_NAMESPACES = frozenset(
    {
        "http://www.loc.gov/standards/alto/ns-v2#",
        "http://www.loc.gov/standards/alto/ns-v3#",
        "http://www.loc.gov/standards/alto/ns-v4#",
        # ALTO 1.x, still found in older library deliveries; the elements we read are the same.
        "http://schema.ccs-gmbh.com/ALTO",
    }
)
PAGE_NAMESPACE_PREFIX = "http://schema.primaresearch.org/PAGE/gts/pagecontent/"

# Magic numbers, so that a page named ``.dat`` or without suffix is still recognised when named explicitly.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"II+\x00", "image"),  # BigTIFF
    (b"MM\x00+", "image"),
    (b"BM", "image"),
    (b"GIF8", "image"),
    (b"\x00\x00\x00\x0cjP  ", "image"),  # JPEG 2000
)

_SIDECAR_SUFFIXES = (".alto", ".page", ".xml", ".pagexml", ".ocr")


def natural_key(name: str) -> list[object]:
    """Sort key that puts ``page-2`` before ``page-10`` (alternating text/number parts)."""
    parts = re.split(r"(\d+)", name.casefold())
    return [int(p) if i % 2 else p for i, p in enumerate(parts)]


def slugify(name: str, default: str = "edition") -> str:
    """A file-system-safe id: letters (any script) and digits kept, everything else becomes ``-``."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[^\w.]+|_+", "-", text)
    text = re.sub(r"[-.]{2,}", "-", text).strip("-.")
    return text[:80].strip("-.") or default


def xml_kind(path: Path) -> str | None:
    """"alto" or "page" from the namespace of the root element; None for any other XML or non-XML."""
    from lxml import etree

    try:
        for _event, elem in etree.iterparse(
            str(path), events=("start",), resolve_entities=False, no_network=True, huge_tree=True
        ):
            qname = etree.QName(elem)
            ns, local = qname.namespace or "", qname.localname
            if local.lower() == "alto" and (ns in ALTO_NAMESPACES or not ns):
                return "alto"
            if local == "PcGts" and ns.startswith(PAGE_NAMESPACE_PREFIX):
                return "page"
            return None
    except (etree.XMLSyntaxError, OSError) as exc:
        logger.debug("%s: not readable as XML (%s)", path, exc)
    return None


def sniff(path: Path) -> str | None:
    """Kind of a page file: "image", "pdf", "alto", "page"; None when it is none of these.

    The suffix decides for images and PDFs (so a broken ``.png`` is still listed as a page and fails with
    a clear message when loaded); XML is recognised by its root namespace; other names by magic bytes.
    """
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in XML_SUFFIXES:
        return xml_kind(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return None
    if b"%PDF-" in head:
        return "pdf"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return xml_kind(path)
    return None


def page_stem(path: Path) -> str:
    """Stem shared by a page image and its OCR file: ``p1.alto.xml`` and ``p1.tif`` both give ``p1``."""
    name = path.name
    while True:
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            return name
        if f".{ext.lower()}" in _SIDECAR_SUFFIXES or f".{ext.lower()}" in IMAGE_SUFFIXES:
            name = stem
            continue
        return name


def find_image_beside(xml_path: Path, hint: str | None = None) -> Path | None:
    """The page image next to an OCR file: same stem with any image suffix, else the file it names."""
    stem = page_stem(xml_path)
    folder = xml_path.parent
    try:
        candidates = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    except OSError:
        return None
    for p in candidates:
        if page_stem(p) == stem:
            return p
    if hint:
        named = folder / Path(hint.replace("\\", "/")).name
        if named.is_file():
            return named
        hint_stem = page_stem(named)
        for p in candidates:
            if page_stem(p) == hint_stem:
                return p
    return None
