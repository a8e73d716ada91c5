"""Generate one sample edition: clean pages, scanned pages, scanned PDF, born-digital PDF and truth.json."""

from __future__ import annotations

import datetime as dt
import io
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from ocr_pipeline import __version__
from ocr_pipeline.errors import ConfigError
from ocr_pipeline.model import Edition, ProcessingStep, dump
from ocr_pipeline.samplegen.compose import DPI, Composer, Content
from ocr_pipeline.samplegen.degrade import scan_page, scanned_pdf
from ocr_pipeline.samplegen.render import render_pdf, render_png
from ocr_pipeline.samplegen.texts import load_articles
from ocr_pipeline.util.fs import atomic_write_bytes

log = logging.getLogger(__name__)

TITLES = {"zh": "澜州日报", "en": "The Harbor Ledger"}
BASE_DATE = dt.date(2025, 3, 14)
# The set committed under samples/: (edition id, language, seed, pages).
STANDARD_SET = (("zh-daily-1", "zh", 1, 3), ("zh-daily-2", "zh", 2, 3), ("en-daily-1", "en", 1, 3))


@dataclass(slots=True)
class GeneratedEdition:
    edition: Edition
    folder: Path


def _date_text(lang: str, date: dt.date, seed: int, npages: int) -> dict[str, object]:
    if lang == "zh":
        wd = "一二三四五六日"[date.weekday()]
        full = f"{date.year}年{date.month}月{date.day}日 星期{wd}"
        return {"folio": full, "masthead": [full, f"乙巳年 第{21300 + seed:,}期", f"今日{npages}版"]}
    full = date.strftime("%A, %B ") + str(date.day) + date.strftime(", %Y")
    return {"folio": full, "masthead": [full.upper(), f"PORT ALDER, NORTHCOAST · VOL. 142, NO. {70 + seed}",
                                        "$2.00"]}


def build_edition(lang: str, seed: int, npages: int, edition_id: str | None = None):  # type: ignore[no-untyped-def]
    """Compose an edition in memory: (Edition truth, page drawings, composer settings)."""
    if lang not in TITLES:
        raise ConfigError(f"unknown sample language {lang!r}; use zh or en")
    if not 2 <= npages <= 6:
        raise ConfigError(f"--pages must be between 2 and 6, not {npages}")
    rng = random.Random(f"samplegen-{lang}-{seed}")
    date = BASE_DATE + dt.timedelta(days=seed - 1)
    eid = edition_id or f"{lang}-daily-{seed}"
    comp = Composer(lang, seed, _date_text(lang, date, seed, npages), TITLES[lang], npages)  # type: ignore[arg-type]

    arts = list(load_articles(lang))
    news = [a for a in arts if a.kind == "news"]
    photos = [a for a in arts if a.kind == "photo"]
    rng.shuffle(news)
    rng.shuffle(photos)
    longest = sorted(news[:7], key=lambda a: -sum(len(t) for _, t in a.items))
    jumpers = longest[:3]
    rest = [a for a in news if a not in jumpers]
    ordered = jumpers + rest
    contents: list[Content] = []
    for i, a in enumerate(ordered + photos):
        items = list(a.items)
        if lang == "zh" and items and a.byline:
            # The Chinese byline is printed inline at the start of the first paragraph.
            items[0] = ("p", a.byline + items[0][1])
        contents.append(Content(a, items, f"a{i + 1:02d}", n_items=len(items)))
    queue = [c for c in contents if c.art.kind == "news"]
    photo_q = [c for c in contents if c.art.kind == "photo"]
    # Jumps: the lead goes to a page that is not the next one, the second story to the next page.
    far = 3 if npages >= 3 else 2
    jump_from = {queue[0].aid: 1, queue[1].aid: 1}
    comp.jump_plan = {queue[0].aid: far, queue[1].aid: 2}
    if npages >= 4:
        jump_from[queue[2].aid] = 2
        comp.jump_plan[queue[2].aid] = 4
    builders = []
    for n in range(1, npages + 1):
        builders.append(comp.compose_page(n, queue, photo_q, jump_from, random.Random(f"{lang}-{seed}-page{n}")))
    pages = [b.page for b in builders]
    articles = comp.finish_articles(contents)
    # Ids in reading order of first appearance, so a01 is the lead story.
    order: dict[str, str] = {}
    for p in pages:
        bmap = p.block_map()
        for bid in p.reading_order:
            ref = bmap[bid].article_id
            if ref is not None and ref not in order:
                order[ref] = f"a{len(order) + 1:02d}"
    for p in pages:
        for b in p.blocks:
            if b.article_id is not None:
                b.article_id = order[b.article_id]
    for art in articles:
        art.id = order[art.id]
    articles.sort(key=lambda a: a.id)
    edition = Edition(id=eid, title=TITLES[lang], date=date.isoformat(), language=lang, pages=pages,
                      articles=articles)
    return edition, [b.art for b in builders]


def generate_edition(outdir: str | Path, lang: str = "zh", seed: int = 1, npages: int = 3,
                     edition_id: str | None = None) -> GeneratedEdition:
    """Write ``OUTDIR/<edition-id>/`` with clean/, scanned/, scanned.pdf, digital.pdf and truth.json."""
    edition, arts = build_edition(lang, seed, npages, edition_id)
    folder = Path(outdir) / edition.id
    rng = random.Random(f"scan-{lang}-{seed}")
    rotated = rng.randrange(1, npages + 1)
    variants: dict[str, dict[str, object]] = {}
    jpegs = []
    for page, art in zip(edition.pages, arts, strict=True):
        img = render_png(art)
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=False, dpi=(DPI, DPI))
        atomic_write_bytes(folder / "clean" / page.source, buf.getvalue())
        jpg, settings = scan_page(img, seed * 100 + page.number, 90 if page.number == rotated else 0)
        name = f"page-{page.number:02d}.jpg"
        atomic_write_bytes(folder / "scanned" / name, jpg)
        variants[f"scanned/{name}"] = {"page": page.number, **settings}
        jpegs.append(jpg)
        log.info("page %d: %d lines, %d blocks", page.number, len(page.lines), len(page.blocks))
    variants["scanned.pdf"] = {"pages": len(jpegs), "embedded_dpi": 150, "same_as": "scanned/*.jpg"}
    variants["digital.pdf"] = {"pages": len(arts), "text_layer": True, "points_per_pixel": 72 / DPI}
    atomic_write_bytes(folder / "scanned.pdf", scanned_pdf(jpegs))
    atomic_write_bytes(folder / "digital.pdf", render_pdf(arts, DPI, f"{edition.title} {edition.date}"))
    edition.provenance.append(ProcessingStep(
        stage="samplegen", name="ocr_pipeline.samplegen", version=__version__,
        settings={"seed": seed, "pages": npages, "language": lang, "dpi": DPI,
                  "note": "truth coordinates are clean-page pixels; scanned pages are skewed/rotated copies",
                  "variants": variants}))
    dump(edition, folder / "truth.json")
    return GeneratedEdition(edition, folder)
