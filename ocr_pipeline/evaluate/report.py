"""The evaluation report: per-article rows, per-page rows, overall figures, JSON and a text table."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ocr_pipeline.evaluate.layoutmetrics import PageScore
from ocr_pipeline.evaluate.textmetrics import PRF

# Status of a ground-truth article.
MATCHED, SPLIT, MERGED, MISSING = "matched", "split", "merged", "missing"
# Status of a predicted article that is neither matched nor merged.
SPLIT_PART, SPURIOUS = "split-part", "spurious"


@dataclass(slots=True)
class ArticleScore:
    truth_id: str
    headline: str
    kind: str
    status: str
    predicted_id: str | None = None
    similarity: float | None = None
    # split: the predicted articles holding its parts; merged: the other truth articles in the same output
    related: list[str] = field(default_factory=list)
    chars: int = 0
    distance: int = 0
    headline_chars: int = 0
    headline_distance: int | None = None
    paragraphs: PRF | None = None

    @property
    def cer(self) -> float | None:
        return self.distance / self.chars if self.chars else None

    @property
    def headline_cer(self) -> float | None:
        if self.headline_distance is None or not self.headline_chars:
            return None
        return self.headline_distance / self.headline_chars

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.truth_id,
            "headline": self.headline,
            "kind": self.kind,
            "status": self.status,
            "predicted_id": self.predicted_id,
            "similarity": self.similarity,
            "related": self.related,
            "chars": self.chars,
            "distance": self.distance,
            "cer": self.cer,
            "headline_chars": self.headline_chars,
            "headline_distance": self.headline_distance,
            "headline_cer": self.headline_cer,
            "paragraph_boundaries": self.paragraphs.to_dict() if self.paragraphs else None,
        }


@dataclass(slots=True)
class PredictedArticle:
    id: str
    headline: str
    status: str  # matched | merged | split-part | spurious
    chars: int
    truth_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "headline": self.headline, "status": self.status, "chars": self.chars,
                "truth_ids": self.truth_ids}


@dataclass(slots=True)
class Link:
    article_id: str
    from_page: int
    to_page: int
    correct: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"article_id": self.article_id, "from_page": self.from_page, "to_page": self.to_page,
                "correct": self.correct}


@dataclass(slots=True)
class Report:
    truth: str
    prediction: str
    articles: list[ArticleScore] = field(default_factory=list)
    predicted: list[PredictedArticle] = field(default_factory=list)
    pages: list[PageScore] = field(default_factory=list)
    truth_links: list[Link] = field(default_factory=list)
    predicted_links: list[Link] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    # --- overall figures ---------------------------------------------------------------------------
    @property
    def has_articles(self) -> bool:
        return bool(self.articles)

    @property
    def body_chars(self) -> int:
        return sum(a.chars for a in self.articles)

    @property
    def body_distance(self) -> int:
        return sum(a.distance for a in self.articles if a.chars)

    @property
    def body_cer(self) -> float | None:
        return self.body_distance / self.body_chars if self.body_chars else None

    @property
    def headline_cer(self) -> float | None:
        rows = [a for a in self.articles if a.headline_distance is not None and a.headline_chars]
        chars = sum(a.headline_chars for a in rows)
        return sum(a.headline_distance or 0 for a in rows) / chars if chars else None

    @property
    def paragraphs(self) -> PRF:
        total = PRF()
        for a in self.articles:
            if a.paragraphs is not None:
                total.add(a.paragraphs)
        return total

    def count(self, status: str) -> int:
        return sum(1 for a in self.articles if a.status == status)

    @property
    def spurious(self) -> int:
        return sum(1 for p in self.predicted if p.status == SPURIOUS)

    @property
    def spurious_chars(self) -> int:
        return sum(p.chars for p in self.predicted if p.status == SPURIOUS)

    @property
    def unassigned_chars(self) -> int:
        """Predicted text outside any one-to-one pair (spurious articles and the extra parts of splits)."""
        return sum(p.chars for p in self.predicted if p.status in (SPURIOUS, SPLIT_PART))

    @property
    def matched_rate(self) -> float | None:
        return self.count(MATCHED) / len(self.articles) if self.articles else None

    @property
    def links(self) -> PRF:
        tp = sum(1 for link in self.predicted_links if link.correct)
        return PRF(tp, len(self.predicted_links) - tp, len(self.truth_links) - tp)

    @property
    def block_kind_accuracy(self) -> float | None:
        scored = sum(p.kinds_scored for p in self.pages)
        return sum(p.kinds_correct for p in self.pages) / scored if scored else None

    @property
    def block_kind_confusion(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for p in self.pages:
            for gk, row in p.confusion.items():
                dst = out.setdefault(gk, {})
                for pk, n in row.items():
                    dst[pk] = dst.get(pk, 0) + n
        return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}

    @property
    def reading_order_distance(self) -> float | None:
        vals = [p.order_distance for p in self.pages if p.order_distance is not None]
        return sum(vals) / len(vals) if vals else None

    @property
    def page_text_cer(self) -> float | None:
        rows = [p for p in self.pages if p.text_distance is not None and p.text_chars]
        chars = sum(p.text_chars for p in rows)
        return sum(p.text_distance or 0 for p in rows) / chars if chars else None

    def overall(self) -> dict[str, Any]:
        para = self.paragraphs
        links = self.links
        return {
            "truth_articles": len(self.articles),
            "predicted_articles": len(self.predicted),
            "body_chars": self.body_chars,
            "body_distance": self.body_distance,
            "body_cer": self.body_cer,
            "headline_cer": self.headline_cer,
            "paragraph_boundaries": para.to_dict(),
            "matched": self.count(MATCHED),
            "split": self.count(SPLIT),
            "merged": self.count(MERGED),
            "missing": self.count(MISSING),
            "spurious": self.spurious,
            "matched_rate": self.matched_rate,
            "spurious_chars": self.spurious_chars,
            "unassigned_chars": self.unassigned_chars,
            "continuation_links": links.to_dict() | {
                "truth": len(self.truth_links), "predicted": len(self.predicted_links)},
            "block_kind_accuracy": self.block_kind_accuracy,
            "block_kind_confusion": self.block_kind_confusion,
            "reading_order_distance": self.reading_order_distance,
            "page_text_cer": self.page_text_cer,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "truth": self.truth,
            "prediction": self.prediction,
            "settings": self.settings,
            "overall": self.overall(),
            "articles": [a.to_dict() for a in self.articles],
            "predicted_articles": [p.to_dict() for p in self.predicted],
            "truth_links": [link.to_dict() for link in self.truth_links],
            "predicted_links": [link.to_dict() for link in self.predicted_links],
            "pages": [p.to_dict() for p in self.pages],
        }

    # --- text table --------------------------------------------------------------------------------
    def format_table(self) -> str:
        out: list[str] = []
        if self.articles:
            out.append(f"{'article':<12} {'headline':<28} {'CER':>7} {'paraF1':>7} {'hlCER':>7}  status")
            for a in self.articles:
                status = a.status + (f" -> {a.predicted_id}" if a.predicted_id else "")
                if a.related:
                    status += f" ({', '.join(a.related)})"
                out.append(
                    f"{_fit(a.truth_id, 12)} {_fit(a.headline, 28)} {_pct(a.cer):>7} "
                    f"{_num(a.paragraphs.f1 if a.paragraphs else None):>7} {_pct(a.headline_cer):>7}  {status}"
                )
            para, links = self.paragraphs, self.links
            out.append("")
            out.append(
                f"overall: body CER {_pct(self.body_cer)} ({self.body_distance}/{self.body_chars} chars), "
                f"headline CER {_pct(self.headline_cer)}, paragraph F1 {_num(para.f1)} "
                f"(P {_num(para.precision)} R {_num(para.recall)})"
            )
            out.append(
                f"articles: {len(self.articles)} truth, {len(self.predicted)} predicted; matched one-to-one "
                f"{self.count(MATCHED)} ({_pct(self.matched_rate)}), split {self.count(SPLIT)}, "
                f"merged {self.count(MERGED)}, missing {self.count(MISSING)}, spurious {self.spurious} "
                f"({self.spurious_chars} chars)"
            )
            out.append(
                f"continuation links: P {_num(links.precision)} R {_num(links.recall)} "
                f"({links.tp} correct, {len(self.predicted_links)} predicted, {len(self.truth_links)} truth)"
            )
        if self.pages:
            for p in self.pages:
                out.append(
                    f"page {p.page}: reading order distance {_num(p.order_distance)} "
                    f"({p.order_regions_matched}/{p.truth_regions} regions found), block kinds "
                    f"{_pct(p.kind_accuracy)}, page text CER {_pct(p.text_cer)}"
                )
            out.append(
                f"pages: reading order distance {_num(self.reading_order_distance)}, block-kind accuracy "
                f"{_pct(self.block_kind_accuracy)}, page text CER {_pct(self.page_text_cer)}"
            )
        return "\n".join(out)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _fit(s: str, width: int) -> str:
    """Cut and pad to a display width (CJK characters take two columns in a terminal)."""
    s = " ".join(s.split())
    out, w = "", 0
    for c in s:
        cw = _width(c)
        if w + cw > width - (1 if _width(s) > width else 0):
            out += "…"
            w += 1
            break
        out += c
        w += cw
    return out + " " * max(0, width - w)
