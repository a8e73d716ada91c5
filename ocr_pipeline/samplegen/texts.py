"""Article texts for the sample editions (written for this project; every name and figure is invented)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources


@dataclass(slots=True)
class ArticleText:
    id: str
    kind: str = "news"  # "news" | "photo"
    section: str = ""
    # Headline lines as printed when the headline breaks on purpose; one entry when it does not.
    headline_parts: list[str] = field(default_factory=list)
    jumphead: str = ""
    keyword: str = ""
    byline: str = ""
    dateline: str = ""
    photo_caption: str = ""
    # ("p", text) for a paragraph, ("h", text) for a subhead, in order.
    items: list[tuple[str, str]] = field(default_factory=list)

    def headline(self, lang: str) -> str:
        """The headline as a reader would copy it: two-line headlines joined (no space in Chinese)."""
        return ("" if lang == "zh" else " ").join(self.headline_parts)


def parse_articles(text: str) -> list[ArticleText]:
    out: list[ArticleText] = []
    for chunk in text.split("\n### ")[1:]:
        head, _, body = chunk.partition("\n\n")
        lines = head.strip().splitlines()
        art = ArticleText(id=lines[0].strip())
        for ln in lines[1:]:
            key, _, value = ln.partition(":")
            value = value.strip()
            if key == "headline":
                art.headline_parts = value.split("|")
            elif key == "photo":
                art.photo_caption = value
            elif key in ("kind", "section", "jumphead", "keyword", "byline", "dateline"):
                setattr(art, key, value)
        for ln in body.strip().splitlines():
            ln = ln.strip()
            if not ln or ln.startswith("# "):
                continue
            art.items.append(("h", ln[3:].strip()) if ln.startswith("## ") else ("p", ln))
        out.append(art)
    return out


@lru_cache(maxsize=4)
def load_articles(lang: str) -> tuple[ArticleText, ...]:
    data = resources.files("ocr_pipeline.samplegen").joinpath(f"data/articles_{lang}.txt").read_text("utf-8")
    return tuple(parse_articles("\n" + data))
