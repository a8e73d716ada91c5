"""Low-confidence characters in an article's text.

An article's paragraphs are normalised and joined text, not the OCR lines, so each paragraph character is
mapped back to a line character approximately (``score.align_confidences``): greedy, in reading order,
NFKC-insensitive. Characters that cannot be mapped are left unmarked.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocr_pipeline.model import Article, Block, Line, Page
from ocr_pipeline.report.score import KEYS, LineConfidences, align_keys, char_confidences

# Block kinds whose text is not in ``Article.paragraphs`` (see the JSON contract in DESIGN.md).
_NOT_IN_PARAGRAPHS = frozenset({"headline", "jump", "byline", "photo", "masthead", "folio"})


@dataclass(slots=True)
class Segment:
    """A run of paragraph text that is all low-confidence (``low``) or all not."""

    text: str
    low: bool = False
    confidence: float | None = None  # lowest confidence in a low run


def article_lines(article: Article, pages: dict[int, Page]) -> list[Line]:
    """The lines whose text ends up in the article's paragraphs, in the article's block order."""
    out: list[Line] = []
    photo = article.kind == "photo"  # a story's captions describe its photos and are not in its paragraphs
    cache: dict[int, tuple[dict[str, Line], dict[str, Block]]] = {}
    for ref in article.blocks:
        page = pages.get(ref.page)
        if page is None or page.status == "failed":
            continue
        if ref.page not in cache:
            cache[ref.page] = (page.line_map(), page.block_map())
        lines, blocks = cache[ref.page]
        block = blocks.get(ref.block_id)
        if block is None or block.kind in _NOT_IN_PARAGRAPHS or (block.kind == "caption" and not photo):
            continue
        out.extend(lines[i] for i in block.line_ids if i in lines)
    return out


def mark_paragraphs(paragraphs: list[str], lines: list[Line], low_confidence: float,
                    confs: LineConfidences | None = None) -> list[list[Segment]]:
    """Each paragraph as segments, low-confidence characters in runs of their own."""
    visible: list[str] = []  # the lines' characters but whitespace, and their confidences
    values: list[float] = []
    for line in lines:
        chars = "".join(line.text.split())
        line_values = confs(line) if confs is not None else char_confidences(line)
        if len(line_values) != len(chars):
            raise ValueError(f"line {line.id}: {len(line_values)} confidences for {len(chars)} characters")
        visible.append(chars)
        values.extend(line_values)
    if not values or min(values) >= low_confidence:  # nothing to mark, wherever the characters align
        return [[Segment(para)] if para else [] for para in paragraphs]
    # One alignment over the whole article keeps the pointer moving forward across paragraphs.
    joined = "\n".join(paragraphs)
    aligned = align_keys(joined, "".join(visible).translate(KEYS), values)
    out: list[list[Segment]] = []
    pos = 0
    for para in paragraphs:
        para_values = aligned[pos:pos + len(para)]
        pos += len(para) + 1
        if not any(c is not None and c < low_confidence for c in para_values):
            out.append([Segment(para)] if para else [])
            continue
        segs: list[Segment] = []
        run: list[str] = []  # the characters of the run being collected, its kind and lowest confidence
        run_low, run_conf = False, None
        for ch, conf in zip(para, para_values, strict=True):
            low = conf is not None and conf < low_confidence
            # A space continues whatever run it is in, so a low-confidence phrase stays one mark.
            if run and (ch.isspace() or run_low == low):
                run.append(ch)
                if low and conf is not None and (run_conf is None or conf < run_conf):
                    run_conf = conf
            else:
                if run:
                    segs.append(Segment("".join(run), run_low, run_conf))
                run, run_low, run_conf = [ch], low, conf if low else None
        if run:
            segs.append(Segment("".join(run), run_low, run_conf))
        out.append(segs)
    return out
