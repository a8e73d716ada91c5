"""Clean text: one UTF-8 file per article and ``edition.txt`` with all of them in reading order.

Each article file holds the headline, byline and dateline (each on its own line, where present), a blank
line, then the paragraphs separated by blank lines. Text is NFC; characters XML forbids (C0 controls,
lone surrogates) are removed here too (see ``_common``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ocr_pipeline.export._common import (
    article_numbers,
    clean_text,
    ordered_articles,
    slugify,
    unique_name,
    write_files,
)
from ocr_pipeline.model import Article, Edition
from ocr_pipeline.util.fs import PendingWrites

log = logging.getLogger(__name__)


def article_to_text(article: Article) -> str:
    head = [clean_text(s).strip() for s in (article.headline, article.byline, article.dateline)]
    head = [s for s in head if s]
    paras = [p for p in (clean_text(p).strip() for p in article.paragraphs) if p]
    parts = []
    if head:
        parts.append("\n".join(head))
    parts.extend(paras)
    return "\n\n".join(parts) + "\n" if parts else ""


def article_file_names(edition: Edition) -> dict[str, str]:
    """Article id -> ``NN-<slug>`` (no extension), in edition reading order; shared by all formats so
    ``text/03-x.txt`` and ``newsml/items/03-x.xml`` are the same article."""
    arts = ordered_articles(edition)
    numbers = article_numbers(arts)
    taken: set[str] = set()
    return {
        a.id: unique_name(f"{numbers[a.id]}-{slugify(a.headline, fallback=a.id)}", taken) for a in arts
    }


def edition_to_text(edition: Edition, title: str = "") -> str:
    """All articles, page by page in reading order, each at its first page (a stitched continuation is
    already inside its article)."""
    arts = ordered_articles(edition)
    out: list[str] = []
    heading = " ".join(s for s in (clean_text(title or edition.title).strip(), edition.date) if s)
    if heading:
        out.append(heading)
    current: int | None = -1
    for art in arts:
        page = min(art.pages) if art.pages else None
        if page != current:
            current = page
            out.append(f"=== Page {page} ===" if page is not None else "=== Other ===")
        body = article_to_text(art)
        if body:
            out.append(body)
    # Two blank lines between articles (one separates paragraphs), so article boundaries stay visible.
    return "\n\n".join(out).rstrip("\n") + "\n"


def write_text(edition: Edition, outdir: Path, title: str = "", pending: PendingWrites | None = None) -> list[Path]:
    textdir = Path(outdir) / "text"
    names = article_file_names(edition)
    files = [(textdir / f"{names[a.id]}.txt", article_to_text(a).encode("utf-8")) for a in ordered_articles(edition)]
    files.append((textdir / "edition.txt", edition_to_text(edition, title).encode("utf-8")))
    written = write_files(files, pending)
    log.debug("wrote %d text files to %s", len(written), textdir)
    return written
