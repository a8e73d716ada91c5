"""Review flags: what a reviewer should look at first, each with a reason and a place.

Flags other stages already set (on articles: ``unmatched-jump-out``/``-in`` from the edition stage,
``join-no-word`` and ``paragraph-end-no-punct`` from the text stage, ``no-headline`` from layout; on the
edition) are kept; the report adds:

==========================  ========  ===============================================================
code                        severity  when
==========================  ========  ===============================================================
``page-failed``             1.0       ``page.status == "failed"`` (OCR or input failure), with errors
``page-error``              0.7       a page that went through but recorded errors
``unmatched-jump-out/-in``  0.8       an unmatched continuation no stage has flagged yet
``unassigned-block``        0.6       a text block in no article (its text is in no export)
``unassigned-photo``        0.3       a photo in no article and with no caption article beside it
``sparse-page``             0.5       a page with < 35 % of the median character count of the others
``no-headline``             0.4       a news article with an empty headline
``low-confidence-article``  0.4–0.9   article confidence below the threshold (lower is worse)
``low-confidence-line``     0.4–0.9   line confidence below the threshold (lower is worse)
==========================  ========  ===============================================================
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass

from ocr_pipeline.model import Article, Block, Edition, Flag, Page

LOW_CONFIDENCE = 0.8
SPARSE_RATIO = 0.35
# Blocks that never belong to an article by design.
_NEVER_IN_ARTICLE = frozenset({"masthead", "folio"})
UNMATCHED_CODES = frozenset({"unmatched-jump-out", "unmatched-jump-in"})


@dataclass(slots=True)
class ReportFlag:
    """A flag with the article it belongs to (``model.Flag`` has no article field)."""

    flag: Flag
    article_id: str | None = None


def _confidence_severity(conf: float, threshold: float) -> float:
    if threshold <= 0:
        return 0.4
    return round(min(0.9, max(0.4, 0.4 + 0.5 * (threshold - conf) / threshold)), 3)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class _Index:
    """Where blocks and lines are, to fill in the page/block of flags that name only a line or block."""

    def __init__(self, edition: Edition) -> None:
        self.pages: dict[int, Page] = {}
        self.block_of_line: dict[tuple[int, str], str] = {}
        for p in edition.pages:
            self.pages.setdefault(p.number, p)
            for b in p.blocks:
                for lid in b.line_ids:
                    self.block_of_line[(p.number, lid)] = b.id

    def locate(self, flag: Flag, article: Article | None) -> Flag:
        page, block_id = flag.page, flag.block_id
        if page is None and article is not None:
            if block_id is not None:
                page = next((r.page for r in article.blocks if r.block_id == block_id), None)
            elif flag.line_id is not None:
                page = next((p for p in article.pages if (p, flag.line_id) in self.block_of_line), None)
            if page is None and article.pages:
                page = article.pages[0]
        if block_id is None and page is not None and flag.line_id is not None:
            block_id = self.block_of_line.get((page, flag.line_id))
        if block_id is None and flag.line_id is None and article is not None:
            # An article-wide flag points at the article's first block on its page, so it has a place.
            block_id = next((r.block_id for r in article.blocks if r.page == page), None)
        if page == flag.page and block_id == flag.block_id:
            return flag
        return dataclasses.replace(flag, page=page, block_id=block_id)


def _has_caption_article(page: Page, photo: Block) -> bool:
    w = photo.bbox[2] - photo.bbox[0]
    for b in page.blocks:
        if b.kind != "caption" or b.article_id is None:
            continue
        overlap = min(photo.bbox[2], b.bbox[2]) - max(photo.bbox[0], b.bbox[0])
        if overlap > 0.3 * min(w, b.bbox[2] - b.bbox[0]):
            return True
    return False


def _page_flags(page: Page, threshold: float) -> list[ReportFlag]:
    out: list[ReportFlag] = []
    n = page.number
    if page.status == "failed":
        why = "; ".join(page.errors) or "no reason recorded"
        out.append(ReportFlag(Flag("page-failed", f"page {n} failed ({page.source}): {why}", 1.0, page=n)))
        return out
    if page.errors:
        out.append(ReportFlag(Flag("page-error", f"page {n} went through with errors: {'; '.join(page.errors)}",
                                   0.7, page=n)))
    lines = page.line_map()
    block_of: dict[str, Block] = {}
    for b in page.blocks:
        for lid in b.line_ids:
            block_of[lid] = b
        if b.article_id is not None or b.kind in _NEVER_IN_ARTICLE:
            continue
        if b.kind == "photo":
            if not _has_caption_article(page, b):
                out.append(ReportFlag(Flag("unassigned-photo", f"photo {b.id} on page {n} has no caption and "
                                           "is in no article", 0.3, page=n, block_id=b.id)))
            continue
        nchars = sum(len("".join(lines[i].text.split())) for i in b.line_ids if i in lines)
        if nchars == 0:
            continue
        out.append(ReportFlag(Flag("unassigned-block", f"{b.kind} block {b.id} on page {n} is in no article: "
                                   f"its {nchars} characters are missing from the exports", 0.6,
                                   page=n, block_id=b.id)))
    for line in page.lines:
        if not line.text.strip() or line.confidence >= threshold:
            continue
        blk = block_of.get(line.id)
        out.append(ReportFlag(
            Flag("low-confidence-line",
                 f"line confidence {line.confidence:.2f} < {threshold:.2f}: “{_short(line.text)}”",
                 _confidence_severity(line.confidence, threshold), page=n,
                 block_id=blk.id if blk else None, line_id=line.id),
            blk.article_id if blk else None))
    return out


def _sparse_pages(edition: Edition) -> list[ReportFlag]:
    ok = [(p, sum(len("".join(ln.text.split())) for ln in p.lines)) for p in edition.pages if p.status != "failed"]
    out: list[ReportFlag] = []
    if len(ok) < 2:
        return out
    for i, (page, chars) in enumerate(ok):
        others = [c for j, (_, c) in enumerate(ok) if j != i]
        med = statistics.median(others)
        if med > 0 and chars < SPARSE_RATIO * med:
            out.append(ReportFlag(Flag(
                "sparse-page",
                f"page {page.number} has {chars} characters, {chars / med:.0%} of the median of the other "
                f"pages ({med:.0f}): text may be missing (a photo page, or OCR that found little)",
                0.5, page=page.number)))
    return out


def _article_flags(article: Article, index: _Index, threshold: float) -> list[ReportFlag]:
    out = [ReportFlag(index.locate(f, article), article.id) for f in article.flags]
    codes = {f.code for f in article.flags}
    first = article.blocks[0] if article.blocks else None
    wpage = first.page if first else (article.pages[0] if article.pages else None)
    wblock = first.block_id if first else None
    name = f"article {article.id}" + (f" “{_short(article.headline, 40)}”" if article.headline else "")
    cont = article.continuation
    if cont is not None and not cont.matched and not (codes & UNMATCHED_CODES):
        if cont.jump_out:
            out.append(ReportFlag(Flag("unmatched-jump-out", f"{name}: jump line {cont.jump_out!r} on page "
                                       f"{cont.from_page}: no continuation found", 0.8,
                                       page=cont.from_page or wpage), article.id))
        if cont.jump_in or not cont.jump_out:
            out.append(ReportFlag(Flag("unmatched-jump-in", f"{name}: continuation {cont.jump_in!r} on page "
                                       f"{cont.to_page}: no jump line found", 0.8,
                                       page=cont.to_page or wpage), article.id))
    if article.kind == "news" and not article.headline.strip() and "no-headline" not in codes:
        out.append(ReportFlag(Flag("no-headline", f"article {article.id} has no headline", 0.4,
                                   page=wpage, block_id=wblock), article.id))
    if article.confidence < threshold and (article.paragraphs or article.headline):
        out.append(ReportFlag(Flag("low-confidence-article", f"{name}: confidence {article.confidence:.2f} "
                                   f"< {threshold:.2f}", _confidence_severity(article.confidence, threshold),
                                   page=wpage, block_id=wblock), article.id))
    return out


def sort_flags(flags: list[ReportFlag]) -> list[ReportFlag]:
    """Worst first; then by page (flags without a page last) and code. Stable."""
    return sorted(flags, key=lambda r: (-r.flag.severity,
                                        r.flag.page if r.flag.page is not None else 1 << 30, r.flag.code))


def collect_flags(edition: Edition, *, low_confidence: float = LOW_CONFIDENCE) -> list[ReportFlag]:
    """Every flag of the edition, with its article, worst first."""
    index = _Index(edition)
    out = [ReportFlag(f) for f in edition.flags]
    if not edition.pages:
        out.append(ReportFlag(Flag("no-pages", "the edition has no pages", 1.0)))
    for page in edition.pages:
        out.extend(_page_flags(page, low_confidence))
    out.extend(_sparse_pages(edition))
    for article in edition.articles:
        out.extend(_article_flags(article, index, low_confidence))
    return sort_flags(out)


def compute_flags(edition: Edition, *, low_confidence: float = LOW_CONFIDENCE) -> list[Flag]:
    """Every flag of the edition (kept from earlier stages and added here), worst first."""
    return [r.flag for r in collect_flags(edition, low_confidence=low_confidence)]
