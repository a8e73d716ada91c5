"""Page articles (blocks in reading order) -> model.Article with headline, byline, subheads, paragraphs."""

from __future__ import annotations

import re

import numpy as np

from ocr_pipeline.layout.articles import PageArticle
from ocr_pipeline.model import Article, Block, BlockRef, Flag, Line, Page

_INLINE_BYLINE = re.compile(r"^\s*(本报[讯电][（(][^（()）]{1,30}[)）]|[（(]?记者[^（()）。，]{1,20}[)）])")
_DATELINE_EN = re.compile(r"^([A-Z][A-Z .'-]{2,40}(, [A-Z][a-z.]+)?)\s+[—–-]{1,2}\s+")


def _join_lines(lines: list[Line], lang: str) -> str:
    from ocr_pipeline.text.join import join_text

    out = ""
    for ln in lines:
        t = ln.text.strip()
        if t:
            out = join_text(out, t, lang) if out else t
    return out


def _bounds(page: Page, b: Block) -> tuple[float, float]:
    """The x-range the block is set in, against which indents and short lines are measured: the block's
    own extent when it has lines enough to show it, else its column (so that the indent of a block of one
    or two lines still shows), when the grid has one that fits."""
    if len(b.line_ids) >= 3 or b.columns is None or not page.columns:
        return (b.bbox[0], b.bbox[2])
    c0, c1 = b.columns
    x0, x1 = page.columns[c0][0], page.columns[c1][1]
    if x0 - 5 <= b.bbox[0] and b.bbox[2] <= x1 + 5:
        return (x0, x1)
    return (b.bbox[0], b.bbox[2])


def _rejoin_split_subheads(subheads: list[str], paragraphs: list[str], lang: str) -> list[str]:
    """One subhead printed on two lines may reach the text stage as two heading pieces, which it joins
    into one paragraph: list it once, as that paragraph says it."""
    from ocr_pipeline.text.join import join_text

    out: list[str] = []
    for h in subheads:
        if out:
            both = join_text(out[-1], h, lang)
            if both in paragraphs:
                out[-1] = both
                continue
        out.append(h)
    return out


def compose_article(page: Page, pa: PageArticle, article_id: str, lang: str) -> Article:
    from ocr_pipeline.text.normalize import normalize_text
    from ocr_pipeline.text.paragraphs import Piece, build_pieces, decision_flags, merge_pieces_detailed

    lm = page.line_map()

    def block_lines(b: Block) -> list[Line]:
        return [lm[i] for i in b.line_ids if i in lm]

    headline = normalize_text(
        " ".join(_join_lines(block_lines(b), lang) for b in pa.headline) if lang != "zh"
        else "".join(_join_lines(block_lines(b), lang) for b in pa.headline),
        lang, headline=True,
    )
    byline = ""
    subheads: list[str] = []
    pieces = []
    for b in pa.blocks:
        lines = block_lines(b)
        if not lines:
            continue
        if b.kind == "byline":
            byline = normalize_text(_join_lines(lines, lang), lang)
            continue
        if b.kind == "jump":
            continue
        if b.kind == "subhead":
            text = normalize_text(_join_lines(lines, lang), lang, headline=True)
            subheads.append(text)
            pieces.append(Piece(text=text, starts_paragraph=True, ends_paragraph=True,
                                line_ids=[ln.id for ln in lines]))
            continue
        if b.kind == "caption" and pa.kind == "news":
            continue  # a caption describes its photo; it is not part of the story's text
        if b.kind in ("caption", "body", "text", "other", "advertisement"):
            pieces.extend(build_pieces(lines, lang, bounds=_bounds(page, b), block_id=b.id))
    merged = merge_pieces_detailed(pieces, lang)
    paragraphs = [normalize_text(p, lang) for p in merged.paragraphs]
    paragraphs = [p for p in paragraphs if p.strip()]
    if merged.deck:
        # Headings before a Chinese story's dateline are the rest of its headline, cut off by layout.
        deck = [normalize_text(d, lang, headline=True) for d in merged.deck]
        headline = normalize_text((" " if lang != "zh" else "").join([headline, *deck]).strip(), lang, headline=True)
        subheads = [h for h in subheads if h not in deck]
    subheads = _rejoin_split_subheads(subheads, paragraphs, lang)
    if not byline and paragraphs:
        m = _INLINE_BYLINE.match(paragraphs[0])
        if m:
            byline = m.group(1).strip()
    dateline = ""
    if paragraphs and lang != "zh":
        m = _DATELINE_EN.match(paragraphs[0])
        if m:
            dateline = m.group(1)
    confs = [(lm[i].confidence, len(lm[i].text)) for b in pa.all_blocks for i in b.line_ids if i in lm]
    total = sum(n for _, n in confs)
    confidence = float(sum(c * n for c, n in confs) / total) if total else 1.0
    flags: list[Flag] = decision_flags(merged.decisions, page=page.number)
    if pa.kind == "news" and not headline:
        flags.append(Flag(code="no-headline", message="article without a headline", page=page.number))
    for b in pa.all_blocks:
        b.article_id = article_id
    return Article(
        id=article_id,
        headline=headline,
        kind=pa.kind,
        subheads=subheads,
        byline=byline,
        dateline=dateline,
        paragraphs=paragraphs,
        pages=[page.number],
        blocks=[BlockRef(page.number, b.id) for b in pa.all_blocks],
        confidence=round(float(np.clip(confidence, 0, 1)), 4),
        flags=flags,
    )
