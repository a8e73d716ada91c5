"""An edition as the pipeline builds it from perfect OCR: the ground truth's own lines and rules (exact text
and boxes) through layout, articles, text and continuations. Scoring it against the same truth measures
segmentation, reading order and paragraphs without recognition errors."""

from __future__ import annotations

import copy

from ocr_pipeline.model import Edition, Page, Separator


def edition_from_truth_lines(truth: Edition, lang: str) -> Edition:
    """The truth's lines and rules, nothing else; its pictures ("graphic" separators) are given to layout
    as photos, as ``find_regions`` finds them on a scan."""
    from ocr_pipeline.layout import analyze_page
    from ocr_pipeline.pipeline import PageResult, assemble_edition

    pred = Edition(id=truth.id, language=lang)
    results = []
    for tp in truth.pages:
        page = Page(number=tp.number, source=tp.source, width=tp.width, height=tp.height,
                    lines=copy.deepcopy(tp.lines),
                    separators=[Separator(s.id, s.kind, s.bbox) for s in tp.separators if s.kind != "graphic"])
        photos = [s.bbox for s in tp.separators if s.kind == "graphic"]
        results.append(PageResult(page, analyze_page(page, photos=photos, merge_rows=False)))
        pred.pages.append(page)
    assemble_edition(pred, results, lang)
    return pred
