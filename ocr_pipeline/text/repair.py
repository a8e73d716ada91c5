"""Repair a text dump whose paragraphs were cut where columns end.

Input: blank-line separated chunks, Markdown "# " / "## " headings (what an OCR pipeline without layout
analysis leaves behind). A chunk is rejoined with the next one when the break falls inside a sentence or a
word: the chunk does not end with sentence-final punctuation and the next chunk is neither a heading nor a
subhead. Real paragraph ends, subheads and headings are kept. Places where the text itself looks damaged
(a join that forms no word after an unfinished word: "…海天脑" + "推动…") are listed as uncertain.
CJK joins insert nothing; Latin joins use ``join_text`` (one space, hyphenation repaired).
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ocr_pipeline.text.chars import OPENERS, guess_lang, is_cjk_char, is_cjk_lang, is_han_or_kana
from ocr_pipeline.text.join import (
    assess_join,
    ends_clause,
    ends_sentence,
    ends_with_dangling_word,
    join_forms_word,
    join_text,
    word_zipf,
)
from ocr_pipeline.text.normalize import normalize_text

log = logging.getLogger(__name__)

_BLANK_RE = re.compile(r"\n[ \t\u3000]*\n")
_HEADING_RE = re.compile(r"^#{1,6}\s")
# A jump line opening a chunk ("(上接第1版)", "Continued from Page 1") starts a new text, never a join.
_JUMP_IN_RE = re.compile(r"^\s*(?:[（(]\s*(?:上接|接|承)[^()（）]{0,15}[)）]|continued from\b)", re.IGNORECASE)
# A chunk that ends with a closing note ("(完)", "(下转第2版)", "(Continued on Page 7)") ends there; other
# brackets at a chunk end ("…按照规范(2023年版)") may well continue.
_BRACKET_END_RE = re.compile(
    r"[（(]\s*(?:完|未完|待续|下转|转|续|continued|see\b)[^()（）]{0,24}[)）]\s*$", re.IGNORECASE
)

# A subhead is short: at most this many CJK characters (Latin: words), and at most half the length of
# the paragraph that follows it when it has no space between two phrases.
SUBHEAD_MAX_CJK = 30
SUBHEAD_MAX_WORDS = 12


@dataclass(slots=True)
class Chunk:
    index: int
    text: str
    kind: str  # "heading" | "subhead" | "body"


@dataclass(slots=True)
class RepairDecision:
    """The decision at the break between chunk ``index`` and chunk ``index + 1`` (input numbering)."""

    index: int
    action: str  # "join" | "keep"
    reason: str
    context: str
    forms_word: bool | None = None
    uncertain: bool = False
    note: str = ""


@dataclass(slots=True)
class RepairCounts:
    chunks: int = 0
    headings: int = 0
    subheads: int = 0
    joins: int = 0
    kept_paragraph_ends: int = 0
    kept_other: int = 0
    uncertain: int = 0
    paragraphs_out: int = 0


@dataclass(slots=True)
class RepairResult:
    text: str
    lang: str
    chunks: list[Chunk]
    decisions: list[RepairDecision]
    counts: RepairCounts = field(default_factory=RepairCounts)

    def uncertain(self) -> list[RepairDecision]:
        return [d for d in self.decisions if d.uncertain]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "counts": asdict(self.counts),
            "uncertain": [asdict(d) for d in self.uncertain()],
            "decisions": [asdict(d) for d in self.decisions],
            "subheads": [c.text for c in self.chunks if c.kind == "subhead"],
        }


def split_chunks(text: str) -> list[str]:
    """Blank-line separated chunks, stripped, empty ones dropped; a heading line is its own chunk."""
    out: list[str] = []
    for block in _BLANK_RE.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [ln.rstrip() for ln in block.strip("\n").split("\n") if ln.strip()]
        body: list[str] = []
        for ln in lines:
            if _HEADING_RE.match(ln.lstrip()):
                if body:
                    out.append("\n".join(body).strip())
                    body = []
                out.append(ln.strip())
            else:
                body.append(ln)
        if body:
            out.append("\n".join(body).strip())
    return [c for c in out if c]


def _units(text: str) -> float:
    return sum(1.0 if is_cjk_char(ch) else 0.5 for ch in text if not ch.isspace())


def _is_heading(text: str) -> bool:
    return bool(_HEADING_RE.match(text))


def _complete(prev: Chunk | None, lang: str) -> bool:
    """Whether a subhead could follow ``prev``: the start of the text, a heading, or a finished paragraph."""
    if prev is None or prev.kind == "heading":
        return True
    if prev.kind == "subhead":
        return False  # two subheads in a row are rarer than a subhead followed by a short split line
    return ends_sentence(prev.text, lang) or ends_clause(prev.text) or bool(_BRACKET_END_RE.search(prev.text))


def _starts_sentence(text: str, lang: str) -> bool:
    t = text.lstrip()
    if not t:
        return False
    ch = t[0]
    if ch in OPENERS or ch.isdigit() or (is_cjk_lang(lang) and is_han_or_kana(ch)):
        return True
    return ch.isupper()


def _phrase_space(text: str) -> bool:
    """Two CJK phrases separated by a space ("加强机制建设 在内统外联中提升工作质效")."""
    return bool(re.search(r"[\u3400-\u9fff\u3040-\u30ff”》）)]{2,}[ \u3000]+[\u3400-\u9fff\u3040-\u30ff“《]{2,}", text))


def is_subhead(text: str, prev: Chunk | None, nxt: str | None, lang: str) -> bool:
    """A short chunk without final punctuation that reads like a title, between finished paragraphs."""
    t = text.strip()
    if nxt is None or _is_heading(nxt) or not t:
        return False
    if ends_sentence(t, lang) or ends_clause(t) or t[-1] in ",，、-–—" or t[-1] in OPENERS:
        return False
    if not _complete(prev, lang) or not _starts_sentence(nxt, lang):
        return False
    if is_cjk_lang(lang):
        if _units(t) > SUBHEAD_MAX_CJK:
            return False
        # A word across the break or a chunk ending in a preposition, particle or modal verb ("关键要")
        # means the break is inside a sentence, however title-like the chunk looks.
        if join_forms_word(t, nxt, lang) or ends_with_dangling_word(t, lang):
            return False
        return _phrase_space(t) or 2 * _units(t) <= _units(nxt)
    words = t.split()
    if len(words) > SUBHEAD_MAX_WORDS:
        return False
    last = re.sub(r"\W+$", "", words[-1]).lower()
    # The most frequent words of a language are its function words ("the", "of", "and", "to"): a chunk
    # ending in one stops mid-sentence.
    if last and word_zipf(last, lang) >= 6.0:
        return False
    return 2 * len(words) <= len(nxt.split())


def classify_chunks(chunks: list[str], lang: str) -> list[Chunk]:
    out: list[Chunk] = []
    for i, text in enumerate(chunks):
        if _is_heading(text):
            kind = "heading"
        else:
            prev = out[-1] if out else None
            nxt = chunks[i + 1] if i + 1 < len(chunks) else None
            kind = "subhead" if is_subhead(text, prev, nxt, lang) else "body"
        out.append(Chunk(i, text, kind))
    return out


def _context(left: str, right: str, width: int = 12) -> str:
    return f"…{left.rstrip()[-width:]}|{right.lstrip()[:width]}…"


def _decide(a: Chunk, b: Chunk, lang: str) -> RepairDecision:
    ctx = _context(a.text, b.text)
    if a.kind == "heading":
        return RepairDecision(a.index, "keep", "heading", ctx)
    if b.kind == "heading":
        return RepairDecision(a.index, "keep", "next is a heading", ctx)
    if a.kind == "subhead":
        return RepairDecision(a.index, "keep", "subhead", ctx)
    if ends_sentence(a.text, lang):
        return RepairDecision(a.index, "keep", "paragraph end", ctx)
    if ends_clause(a.text):
        return RepairDecision(a.index, "keep", "paragraph end (colon/semicolon)", ctx)
    if _BRACKET_END_RE.search(a.text):
        return RepairDecision(a.index, "keep", "ends with a bracketed note", ctx)
    if _JUMP_IN_RE.match(b.text):
        return RepairDecision(
            a.index, "keep", "next starts with a jump line", ctx, uncertain=True,
            note="chunk ends without punctuation before a continued article",
        )
    if b.kind == "subhead":
        return RepairDecision(
            a.index, "keep", "next is a subhead", ctx, uncertain=True,
            note="chunk ends without punctuation before a subhead",
        )
    ev = assess_join(a.text, b.text, lang)
    reason = "word across the break" if ev.forms_word else "mid-sentence break"
    note = "join formed no word (text may be lost)" if ev.suspect_loss else ""
    return RepairDecision(a.index, "join", reason, ctx, forms_word=ev.forms_word, uncertain=ev.suspect_loss, note=note)


def repair_text(text: str, lang: str | None = None, *, normalize: bool = False) -> RepairResult:
    """Rejoin chunks split inside a sentence or word; keep headings, subheads and paragraph ends.

    ``lang``: "zh", "en", … or None to guess from the script. ``normalize``: also apply ``normalize_text``
    to every output paragraph (full-width punctuation in CJK text, paired quotes); off by default, so that
    only the breaks change.
    """
    code = lang or guess_lang(text)
    chunks = classify_chunks(split_chunks(text), code)
    counts = RepairCounts(
        chunks=len(chunks),
        headings=sum(c.kind == "heading" for c in chunks),
        subheads=sum(c.kind == "subhead" for c in chunks),
    )
    decisions: list[RepairDecision] = []
    out: list[tuple[str, str]] = []
    for i, chunk in enumerate(chunks):
        if i == 0:
            out.append((chunk.kind, chunk.text))
            continue
        d = _decide(chunks[i - 1], chunk, code)
        decisions.append(d)
        if d.action == "join":
            kind, cur = out[-1]
            out[-1] = (kind, join_text(cur, chunk.text, code))
            counts.joins += 1
        else:
            out.append((chunk.kind, chunk.text))
            if d.reason.startswith("paragraph end"):
                counts.kept_paragraph_ends += 1
            else:
                counts.kept_other += 1
        if d.uncertain:
            counts.uncertain += 1
            log.info("uncertain break after chunk %d: %s %s", d.index, d.context, d.note)
    paragraphs = []
    for kind, para in out:
        if normalize:
            if kind == "heading":
                marks, _, rest = para.partition(" ")
                para = f"{marks} {normalize_text(rest, code, headline=True)}"
            else:
                para = normalize_text(para, code, headline=kind == "subhead")
        paragraphs.append(para)
    counts.paragraphs_out = len(paragraphs)
    result_text = "\n\n".join(paragraphs) + ("\n" if paragraphs else "")
    return RepairResult(result_text, code, chunks, decisions, counts)


__all__ = [
    "Chunk",
    "RepairCounts",
    "RepairDecision",
    "RepairResult",
    "classify_chunks",
    "is_subhead",
    "repair_text",
    "split_chunks",
]
