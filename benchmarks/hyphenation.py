"""English end-of-line hyphens on the committed English sample: how the text stage resolved them, against
the truth text (issue 5 target: at least 98% right, compounds kept).

Two inputs: the truth's own lines put through layout and text (no OCR errors), and, when given, a
conversion of the scanned sample (``--edition OUT/scanned/edition.json``). For every body line that ends
in a hyphen after a letter, the word halves are the letters before the hyphen and the letters that open the
next line of the article; the output paragraphs show whether the pipeline joined them ("recon" +
"struction" -> "reconstruction") or kept the hyphen ("well-known"); the truth article bodies show which
form the paper wrote. A pair whose halves are not found in the output (an OCR misreading, a line that layout
put in another article) is counted apart. Where ``../shared/real/evening-star`` is present, the decision rule
is also set against the real 1916 page's ALTO, whose hyphenated words carry the archive OCR's (ABBYY's)
whole word: a machine reference, not a transcription. Prints one line.

    python benchmarks/hyphenation.py [--edition /tmp/ev/cur/en-daily-1/scanned/edition.json] [--list]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline import model  # noqa: E402
from ocr_pipeline.evaluate.perfect import edition_from_truth_lines  # noqa: E402
from ocr_pipeline.model import Edition  # noqa: E402
from ocr_pipeline.text.normalize import strip_edge_artifacts  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# Blocks whose lines are an article's text (compose's rule); headlines, bylines and jump lines are not.
_TEXT_KINDS = {"body", "text", "other", "advertisement", "subhead", "caption"}
_LINE_END = re.compile(r"([A-Za-z]+)[-\u2010\u00ad¬]$")
_LINE_START = re.compile(r"[A-Za-z]+")


@dataclass(slots=True)
class Tally:
    found: int = 0
    joined: int = 0
    kept: int = 0
    missing: int = 0  # halves not found in the output
    unknown: int = 0  # the truth has neither form, or both
    right: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.joined + self.kept - self.unknown

    def summary(self) -> str:
        share = f"{100 * self.right / self.judged:.1f}%" if self.judged else "n/a"
        return (f"{self.found} line-end hyphens, {self.joined} joined, {self.kept} kept, {self.missing} not found "
                f"in the output; right {self.right}/{self.judged} ({share})")


def _truth_bodies(truth: Edition) -> str:
    return "\n".join(p for a in truth.articles for p in a.paragraphs).lower()


def _written(prefix: str, suffix: str, bodies: str) -> bool | None:
    """How the truth writes the word: True with the hyphen, False solid, None when it cannot tell."""
    hyph = re.search(rf"\b{re.escape(prefix)}-{re.escape(suffix)}", bodies, re.IGNORECASE) is not None
    solid = re.search(rf"\b{re.escape(prefix + suffix)}", bodies, re.IGNORECASE) is not None
    if hyph == solid:
        return None
    return hyph


def _article_lines(edition: Edition, article: model.Article) -> list[str]:
    out: list[str] = []
    for ref in article.blocks:
        page = edition.page(ref.page)
        block = page.block_map().get(ref.block_id)
        if block is None or block.kind not in _TEXT_KINDS:
            continue
        lm = page.line_map()
        out.extend(strip_edge_artifacts(lm[i].text).strip() for i in block.line_ids if i in lm)
    return [t for t in out if t]


def tally(edition: Edition, truth: Edition) -> Tally:
    bodies = _truth_bodies(truth)
    t = Tally()
    for article in edition.articles:
        lines = _article_lines(edition, article)
        text = re.sub(r"\s+", " ", " ".join(article.paragraphs + [article.byline])).lower()
        for here, nxt in zip(lines, lines[1:], strict=False):
            m = _LINE_END.search(here)
            n = _LINE_START.match(nxt)
            if not m or not n:
                continue
            prefix, suffix = m.group(1).lower(), n.group(0).lower()
            t.found += 1
            if re.search(rf"{re.escape(prefix)}-\s?{re.escape(suffix)}", text):
                kept = True
            elif re.search(re.escape(prefix + suffix), text):
                kept = False
            else:
                t.missing += 1
                continue
            t.kept += kept
            t.joined += not kept
            truth_kept = _written(prefix, suffix, bodies)
            if truth_kept is None:
                t.unknown += 1
            elif truth_kept == kept:
                t.right += 1
            else:
                t.wrong.append(f"{prefix}-|{suffix} -> {'kept' if kept else 'joined'}")
    return t


def alto_agreement(path: Path) -> tuple[int, int]:
    """(agreeing, pairs): ``keep_hyphen`` against the whole words (SUBS_CONTENT) of an ALTO file's
    hyphenated word pairs (HypPart1, HypPart2)."""
    import html

    from ocr_pipeline.text.join import keep_hyphen

    xml = html.unescape(path.read_text(encoding="utf-8"))
    first = re.findall(r'<String[^>]*CONTENT="([^"]*)"[^>]*SUBS_TYPE="HypPart1"[^>]*SUBS_CONTENT="([^"]*)"', xml)
    second = re.findall(r'<String[^>]*CONTENT="([^"]*)"[^>]*SUBS_TYPE="HypPart2"', xml)
    agree = pairs = 0
    for (head, whole), tail in zip(first, second, strict=False):
        m_head, m_tail = re.search(r"[A-Za-z]+$", head), re.match(r"[A-Za-z]+", tail)
        if not m_head or not m_tail:
            continue
        pairs += 1
        agree += keep_hyphen(m_head.group(0), m_tail.group(0), "en") == ("-" in whole)
    return agree, pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", default="en-daily-1")
    ap.add_argument("--edition", type=Path, help="a conversion of the scanned sample (edition.json)")
    ap.add_argument("--list", action="store_true", help="also list the wrong decisions")
    args = ap.parse_args()
    truth = model.load(SAMPLES / args.sample / "truth.json")
    parts = [f"truth lines: {(perfect := tally(edition_from_truth_lines(truth, 'en'), truth)).summary()}"]
    converted = None
    if args.edition is not None:
        converted = tally(model.load(args.edition), truth)
        parts.insert(0, f"converted: {converted.summary()}")
    alto = SAMPLES.parents[1] / "shared" / "real" / "evening-star" / "1916082601-0007.alto.xml"
    if alto.is_file():
        agree, pairs = alto_agreement(alto)
        parts.append(f"Evening Star 1916 ALTO: agrees with the archive OCR's words {agree}/{pairs}")
    print(f"hyphenation {args.sample}: " + " | ".join(parts))
    if args.list:
        for name, t in (("truth lines", perfect), ("converted", converted)):
            if t is not None and t.wrong:
                print(f"  wrong ({name}): " + ", ".join(t.wrong))


if __name__ == "__main__":
    main()
