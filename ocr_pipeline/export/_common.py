"""Helpers shared by the exporters: text that XML can carry, safe file names, ids, numbers, ordering.

XML 1.0 cannot carry every Unicode string: C0 control characters other than tab, line feed and carriage
return (``\\x00``, ``\\x0c`` …), lone UTF-16 surrogates (``\\ud800``) and the non-characters U+FFFE/U+FFFF
are forbidden even as character references. OCR engines do emit such characters, so every exporter passes
its text through :func:`xml_safe`, which removes exactly those characters and nothing else: markup-like
text (``<b>&amp;``) is escaped by the serializer, and right-to-left marks, emoji and other characters are
kept. The plain-text export removes the same characters (a lone surrogate cannot be encoded as UTF-8,
and a NUL byte in a text file breaks the tools researchers use) and applies NFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from ocr_pipeline.model import Article, Edition
from ocr_pipeline.util.fs import PendingWrites, atomic_write_bytes

# Everything XML 1.0 forbids: C0 controls except \t \n \r, surrogates, U+FFFE/U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")

SLUG_MAX_BYTES = 60


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (see the module docstring)."""
    if not text:
        return ""
    return _XML_FORBIDDEN.sub("", text)


def clean_text(text: str) -> str:
    """Text for the plain-text export: XML-forbidden characters removed, NFC."""
    return unicodedata.normalize("NFC", xml_safe(text))


def has_forbidden(text: str) -> bool:
    return bool(_XML_FORBIDDEN.search(text))


def slugify(text: str, fallback: str = "article", max_bytes: int = SLUG_MAX_BYTES) -> str:
    """A file-name-safe slug of ``text``: letters, digits and combining marks of any script (CJK kept),
    everything else collapsed to single hyphens; at most ``max_bytes`` UTF-8 bytes, never empty, never
    "." / "..", no path separators or control characters.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", xml_safe(text)):
        cat = unicodedata.category(ch)
        if cat[0] in "LN" or (cat[0] == "M" and out and out[-1] != "-"):
            out.append(ch.lower())
        elif out and out[-1] != "-":
            out.append("-")
    slug = "".join(out).strip("-")
    slug = _truncate_bytes(slug, max_bytes).strip("-")
    if not slug:
        if fallback and fallback != text:
            return slugify(fallback, fallback="article", max_bytes=max_bytes)
        return "article"
    return slug


def _truncate_bytes(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    cut = data[:max_bytes].decode("utf-8", errors="ignore")
    # Cutting could leave a combining mark without its base on the next export; drop a trailing one.
    while cut and unicodedata.category(cut[-1])[0] == "M":
        cut = cut[:-1]
    return cut


def unique_name(name: str, taken: set[str]) -> str:
    """``name`` or ``name-2``, ``name-3`` … so that no two names in ``taken`` differ only by case."""
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate.casefold())
    return candidate


class IdMaker:
    """XML ids (xsd:ID, i.e. NCName) unique within one document, keeping the model's id where possible
    so that a reader of the file gets the same ids back."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def make(self, preferred: str, prefix: str = "id_") -> str:
        base = preferred or ""
        if not _NCNAME.match(base):
            base = re.sub(r"[^A-Za-z0-9._-]", "_", base)
            if not _NCNAME.match(base):
                base = prefix + base
        candidate, n = base, 1
        while candidate in self._used:
            n += 1
            candidate = f"{base}_{n}"
        self._used.add(candidate)
        return candidate


_NUMS: dict[float, str] = {}  # num's text of the values met so far (about half of a page's coordinates repeat)


def num(value: float) -> str:
    """A coordinate or size as XML text: integers without a decimal point, else at most 3 decimals
    (exact for the 1/8 px steps of 1/1200-inch ALTO scaled to 150 dpi)."""
    text = _NUMS.get(value)
    if text is None:
        text = _num(value)
        if len(_NUMS) < 1 << 16:
            _NUMS[value] = text
    return text


def _num(value: float) -> str:
    if type(value) is int:
        return str(value)
    v = float(value)
    if v.is_integer():
        return str(int(v))
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def unit(value: float) -> str:
    """A confidence clamped to [0, 1] (schemas reject values outside)."""
    v = float(value)
    if v >= 1.0:
        return "1"
    if v <= 0.0 or v != v:  # NaN from a broken engine counts as no confidence
        return "0"
    return f"{v:.4f}".rstrip("0").rstrip(".")


def write_files(files: Sequence[tuple[Path, bytes]], pending: PendingWrites | None = None) -> list[Path]:
    """Write each file atomically. Threads overlap the per-file fsync, which otherwise dominates an
    export of many small files (128 article files: 0.44 s serial, 0.08 s with 8 threads).

    ``pending``: the writes are added to it and left running (the caller waits for them), else they are in
    place when this returns."""
    if pending is None and len(files) < 4:
        for path, data in files:
            atomic_write_bytes(path, data)
        return [p for p, _ in files]
    for parent in {p.parent for p, _ in files}:
        parent.mkdir(parents=True, exist_ok=True)
    writes = pending if pending is not None else PendingWrites()
    for path, data in files:
        writes.write(path, data)
    if pending is None:
        writes.wait()
    return [p for p, _ in files]


def ordered_articles(edition: Edition) -> list[Article]:
    """Articles in edition reading order: page by page, each placed at its first page; within a page
    the article stage's order is kept (it owns reading order). Articles without pages go last."""
    indexed = list(enumerate(edition.articles))
    indexed.sort(key=lambda ia: (min(ia[1].pages) if ia[1].pages else float("inf"), ia[0]))
    return [a for _, a in indexed]


def article_numbers(articles: Iterable[Article]) -> dict[str, str]:
    """Article id -> the zero-padded number used in file names (01, 02 … or 001 … past 99)."""
    arts = list(articles)
    width = max(2, len(str(len(arts))))
    return {a.id: str(i).zfill(width) for i, a in enumerate(arts, start=1)}


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")


def is_cjk_text(text: str) -> bool:
    return bool(_CJK.search(text))


def language_tag(edition_language: str, text: str) -> str:
    """BCP 47 tag for an article: the edition's language (zh -> zh-Hans), unless the article's script
    plainly says otherwise (an English article in a Chinese paper), or the edition's is not one tag."""
    lang = (edition_language or "").strip()
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    detected = "zh-Hans" if cjk and cjk >= latin / 4 else ("en" if latin else "")
    low = lang.lower().replace("_", "-")
    if low in ("zh", "zh-cn", "zh-sg", "zh-hans", "chi_sim", "chi", "zho"):
        tag = "zh-Hans"
    elif low in ("zh-tw", "zh-hk", "zh-mo", "zh-hant", "chi_tra"):
        tag = "zh-Hant"
    elif low in ("en", "eng") or low.startswith("en-"):
        tag = "en" if low in ("en", "eng") else lang
    elif re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", lang):
        return lang
    else:
        return detected or "und"
    if tag.startswith("zh") and detected == "en" and cjk == 0:
        return "en"
    if tag.startswith("en") and detected == "zh-Hans" and cjk > latin:
        return "zh-Hans"
    return tag


def article_text(article: Article) -> str:
    return "\n".join([article.headline, article.byline, article.dateline, *article.paragraphs])
