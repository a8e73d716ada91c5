"""``evaluate(truth, prediction) -> Report``: every metric of DESIGN.md "Evaluation" in one pass."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from ocr_pipeline.errors import BadInputError, ConfigError
from ocr_pipeline.evaluate.layoutmetrics import score_page
from ocr_pipeline.evaluate.matching import match_texts
from ocr_pipeline.evaluate.normalize import body_text, normalize_text
from ocr_pipeline.evaluate.pages import TruthPage, is_page_xml, read_page_xml, truth_page_from_model
from ocr_pipeline.evaluate.report import (
    MATCHED,
    MERGED,
    MISSING,
    SPLIT,
    SPLIT_PART,
    SPURIOUS,
    ArticleScore,
    Link,
    PredictedArticle,
    Report,
)
from ocr_pipeline.evaluate.textmetrics import boundary_prf, edit_distance
from ocr_pipeline.model import Article, Edition, Page, loads

log = logging.getLogger(__name__)

Truth = Edition | TruthPage | list[TruthPage]


@dataclass(slots=True)
class EvalSettings:
    """Thresholds of the matching and boundary scores; validated on creation."""

    # Least Dice similarity of character n-grams for a one-to-one article match.
    match_threshold: float = 0.3
    # An output holding this share of a truth article's text takes part in a merge; an output whose text
    # comes this much from one truth article is a part of it (two or more parts: split).
    part_share: float = 0.5
    # A part must carry at least this share of the truth article to count towards a split.
    min_piece: float = 0.1
    # Paragraph boundaries this many characters apart still agree.
    boundary_tolerance: int = 2

    def __post_init__(self) -> None:
        for name in ("match_threshold", "part_share", "min_piece"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ConfigError(f"evaluation setting {name} must be in (0, 1], got {v}")
        if self.boundary_tolerance < 0:
            raise ConfigError(f"boundary_tolerance must be >= 0, got {self.boundary_tolerance}")


# --- loading -----------------------------------------------------------------------------------------

def _load_edition(path: Path) -> Edition:
    if path.is_dir():
        path = path / "edition.json"
    try:
        return loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError("file not found", path=str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError, ValueError) as exc:
        raise BadInputError(f"not an edition JSON file ({exc}); give truth.json or edition.json",
                            path=str(path)) from exc


def load_ground_truth(path: str | Path) -> Truth:
    """truth.json (our model), one PAGE XML file, or a folder of PAGE XML files (pages 1..n by name)."""
    path = Path(path)
    if path.is_dir():
        xmls = sorted(p for p in path.iterdir() if is_page_xml(p))
        if xmls:
            return [read_page_xml(p, number=i) for i, p in enumerate(xmls, 1)]
        return _load_edition(path)
    if not path.exists():
        raise BadInputError("file not found", path=str(path))
    if is_page_xml(path):
        return read_page_xml(path)
    return _load_edition(path)


def load_prediction(path: str | Path) -> Edition:
    """An edition.json, or the output folder that holds one."""
    return _load_edition(Path(path))


# --- scoring -----------------------------------------------------------------------------------------

def _links(articles: list[Article]) -> list[Link]:
    # An unmatched continuation is a jump line seen but not stitched: not a link between pages.
    return [
        Link(a.id, a.continuation.from_page, a.continuation.to_page)
        for a in articles
        if a.continuation is not None and a.continuation.matched
    ]


def _score_articles(truth: Edition, pred: Edition, settings: EvalSettings, report: Report) -> None:
    gt_bodies = [body_text(a.paragraphs) for a in truth.articles]
    pr_bodies = [body_text(a.paragraphs) for a in pred.articles]
    # Caption-only photo articles and the like are matched on their headline when they have no body.
    gt_keys = [b or normalize_text(a.headline) for a, b in zip(truth.articles, gt_bodies, strict=True)]
    pr_keys = [b or normalize_text(a.headline) for a, b in zip(pred.articles, pr_bodies, strict=True)]
    m = match_texts(gt_keys, pr_keys, threshold=settings.match_threshold,
                    part_share=settings.part_share, min_piece=settings.min_piece)
    merged_truth = {i: j for j, held in m.merged.items() for i in held}
    split_parts = {j for parts in m.split.values() for j in parts}
    assigned = set(m.pairs.values())

    for i, a in enumerate(truth.articles):
        j = m.pairs.get(i)
        gt_body = gt_bodies[i]
        row = ArticleScore(a.id, a.headline, a.kind, MISSING, chars=len(gt_body))
        if i in merged_truth:
            row.status = MERGED
            row.related = [truth.articles[k].id for k in m.merged[merged_truth[i]] if k != i]
        elif i in m.split:
            row.status = SPLIT
            row.related = [pred.articles[k].id for k in m.split[i]]
        elif j is not None:
            row.status = MATCHED
        gt_head = normalize_text(a.headline)
        row.headline_chars = len(gt_head)
        if j is None:
            row.distance = len(gt_body)
        else:
            p = pred.articles[j]
            row.predicted_id = p.id
            row.similarity = round(m.similarity[i], 4)
            row.distance = edit_distance(gt_body, pr_bodies[j])
            row.paragraphs = boundary_prf(gt_body, pr_bodies[j], tolerance=settings.boundary_tolerance)
            if gt_head:
                row.headline_distance = edit_distance(gt_head, normalize_text(p.headline))
        report.articles.append(row)

    inverse = {j: i for i, j in m.pairs.items()}
    for j, p in enumerate(pred.articles):
        if j in m.merged:
            status, ids = MERGED, [truth.articles[i].id for i in m.merged[j]]
        elif j in assigned:
            status, ids = MATCHED, [truth.articles[inverse[j]].id]
        elif j in split_parts:
            status = SPLIT_PART
            ids = [truth.articles[i].id for i, parts in m.split.items() if j in parts]
        else:
            status, ids = SPURIOUS, []
        report.predicted.append(PredictedArticle(p.id, p.headline, status, len(pr_bodies[j]), ids))

    report.truth_links = _links(truth.articles)
    report.predicted_links = _links(pred.articles)
    gt_link_keys = {(link.article_id, link.from_page, link.to_page) for link in report.truth_links}
    for link in report.truth_links:
        j = m.pairs.get(next(i for i, a in enumerate(truth.articles) if a.id == link.article_id))
        link.correct = j is not None and any(
            pl.article_id == pred.articles[j].id and (pl.from_page, pl.to_page) == (link.from_page, link.to_page)
            for pl in report.predicted_links
        )
    pred_index = {p.id: j for j, p in enumerate(pred.articles)}
    for pl in report.predicted_links:
        gi = inverse.get(pred_index[pl.article_id])
        pl.correct = gi is not None and (truth.articles[gi].id, pl.from_page, pl.to_page) in gt_link_keys


def _pred_page(truth_page: TruthPage, pred: Edition, by_name: bool) -> Page | None:
    if by_name:
        names = {n.split(".")[0] for n in (truth_page.source, truth_page.image) if n}
        for p in pred.pages:
            if Path(p.source).name.split(".")[0] in names:
                return p
        if len(pred.pages) == 1:
            return pred.pages[0]
    for p in pred.pages:
        if p.number == truth_page.number:
            return p
    return None


def evaluate(
    truth: Truth,
    prediction: Edition,
    *,
    settings: EvalSettings | None = None,
    truth_name: str = "",
    prediction_name: str = "",
) -> Report:
    """Score ``prediction`` against ``truth`` (an Edition, or PAGE ground truth read by ``read_page_xml``)."""
    settings = settings or EvalSettings()
    report = Report(truth=truth_name, prediction=prediction_name or prediction.id, settings=asdict(settings))
    if isinstance(truth, Edition):
        report.truth = truth_name or truth.id
        _score_articles(truth, prediction, settings, report)
        pages = [truth_page_from_model(p) for p in truth.pages if p.blocks or p.reading_order]
        by_name = False
    else:
        pages = [truth] if isinstance(truth, TruthPage) else list(truth)
        report.truth = truth_name or ", ".join(p.source for p in pages)
        by_name = True
    for tp in pages:
        page = _pred_page(tp, prediction, by_name)
        if page is None:
            log.warning("prediction has no page matching truth page %s (%s)", tp.number, tp.source)
        report.pages.append(score_page(tp, page))
    return report
