"""Lines -> paragraph pieces by geometry, and pieces -> paragraphs across blocks and columns.

Inside a block, a paragraph starts at an indented line (Chinese: about two character widths in from the
block's left edge; English: an indent, or a vertical gap where the paper does not indent) and ends at a
short last line or before a larger vertical gap. Each run of lines between such boundaries is a ``Piece``.

Across blocks (the bottom of one column to the top of the next, around a photo or an inserted box), a piece
whose last line is full width continues into the next piece unless that one is indented; where geometry
cannot tell (a one-line block, an English block without indents) the text decides: a sentence end, and for
Chinese whether a dictionary word spans the join. Every decision is recorded with its evidence so that the
report can show the places where text may have been lost.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from ocr_pipeline.model import Flag, Line
from ocr_pipeline.text.chars import guess_lang, is_cjk_char, is_cjk_lang
from ocr_pipeline.text.join import assess_join, ends_clause, ends_sentence, join_text
from ocr_pipeline.text.normalize import strip_edge_artifacts

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ParagraphSettings:
    """Thresholds in character widths (CJK: one ideograph; Latin: the block's mean character width)."""

    # A line starts a paragraph when it begins this many character widths in from the block's left edge.
    # Chinese indents by two characters; OCR box edges wobble by a fraction of one.
    indent_cjk: float = 1.0
    indent_latin: float = 1.5
    # A CJK line ends its paragraph when it stops this many character widths short of the right edge;
    # justified lines fill to within half a character (punctuation compression).
    short_cjk: float = 1.5
    # Extra vertical space, in median line heights, that separates paragraphs.
    gap: float = 0.5
    # A block's last Latin line is "short" beyond this share of the block width (no next line to test).
    short_last_latin: float = 0.2

    def __post_init__(self) -> None:
        for name in ("indent_cjk", "indent_latin", "short_cjk", "gap", "short_last_latin"):
            if getattr(self, name) <= 0:
                raise ValueError(f"ParagraphSettings.{name} must be positive")


@dataclass(slots=True)
class Piece:
    """A run of lines of one block that belongs to one paragraph."""

    text: str
    starts_paragraph: bool
    ends_paragraph: bool
    line_ids: list[str] = field(default_factory=list)
    # Whether geometry could tell. A first line with nothing to measure its indent against (a one-line
    # block without column bounds, an English block that never indents) has an unknown start; a last line
    # whose slack is between "full" and "short" has an unknown end.
    start_known: bool = True
    end_known: bool = True
    block_id: str | None = None
    start_evidence: str = ""
    end_evidence: str = ""


@dataclass(slots=True)
class JoinDecision:
    """The decision at the boundary between ``pieces[index]`` and ``pieces[index + 1]``."""

    index: int
    joined: bool
    evidence: list[str]
    # Index of the output paragraph that holds the left piece, and where the right piece starts in it.
    paragraph: int
    offset: int | None
    forms_word: bool | None = None
    suspect_loss: bool = False
    # A decision a reviewer should check: a join that formed no word after an unfinished word, or a
    # paragraph end without sentence-final punctuation.
    uncertain: bool = False
    left_line_id: str | None = None
    right_line_id: str | None = None
    context: str = ""


@dataclass(slots=True)
class MergeResult:
    paragraphs: list[str]
    decisions: list[JoinDecision]
    # For each paragraph, the ids of its lines in reading order.
    line_ids: list[list[str]] = field(default_factory=list)


def _cjk_text(lang: str | None, texts: Sequence[str]) -> bool:
    if lang:
        return is_cjk_lang(lang)
    return is_cjk_lang(guess_lang("".join(texts)))


def _units(text: str) -> float:
    """Width of a text in CJK character widths: Latin letters and digits are about half as wide."""
    return sum(1.0 if is_cjk_char(ch) else 0.5 for ch in text) or 1.0


def build_pieces(
    lines: Sequence[Line],
    lang: str | None = "zh",
    *,
    bounds: tuple[float, float] | None = None,
    block_id: str | None = None,
    settings: ParagraphSettings | None = None,
) -> list[Piece]:
    """Split the ordered lines of one text block into paragraph pieces by geometry.

    ``bounds``: the (x0, x1) of the column or block the lines are set in; without it the lines' own extent
    is used, so the indent of a one-line block cannot be measured.
    """
    cfg = settings or ParagraphSettings()
    items = [(ln, strip_edge_artifacts(ln.text).strip()) for ln in lines]
    items = [(ln, t) for ln, t in items if t]
    if not items:
        return []
    cjk = _cjk_text(lang, [t for _, t in items])
    x0s = [ln.bbox[0] for ln, _ in items]
    x1s = [ln.bbox[2] for ln, _ in items]
    left = bounds[0] if bounds else min(x0s)
    right = bounds[1] if bounds else max(x1s)
    width = max(right - left, 1.0)
    h_med = statistics.median(ln.bbox[3] - ln.bbox[1] for ln, _ in items) or 1.0

    # Character width from the widest lines (their text fills the line box); CJK in ideograph widths.
    samples = [
        (ln.bbox[2] - ln.bbox[0]) / (_units(t) if cjk else max(len(t), 1))
        for ln, t in items
        if len(t) >= 4 and ln.bbox[2] >= right - 0.1 * width
    ]
    cw = statistics.median(samples) if samples else (0.95 * h_med if cjk else 0.45 * h_med)

    n = len(items)
    indent_min = (cfg.indent_cjk if cjk else cfg.indent_latin) * cw
    indented = [x0 - left >= indent_min for x0 in x0s]
    # The indent of the first line can only be measured against another line or the given bounds.
    reference = bounds is not None or any(x0 - left < indent_min for x0 in x0s[1:])
    # English papers mark paragraphs by indents or by space; a block that never indents tells nothing
    # about its first line.
    indent_style = cjk or any(indented)

    gaps = [items[i][0].bbox[1] - items[i - 1][0].bbox[3] for i in range(1, n)]
    normal_gap = statistics.median(gaps) if len(gaps) >= 2 else min(gaps, default=0.0)
    normal_gap = min(normal_gap, 0.6 * h_med) if len(gaps) < 3 else normal_gap
    gap_break = [False] + [g > normal_gap + cfg.gap * h_med for g in gaps]

    short = [False] * n
    end_known_last = True
    for i, (ln, _) in enumerate(items):
        slack = right - ln.bbox[2]
        if cjk:
            short[i] = slack > cfg.short_cjk * cw
        elif i + 1 < n:
            # Ragged or justified: the line was ended on purpose if the next line's first word would have
            # fitted in the space left at its end.
            nxt_ln, nxt_t = items[i + 1]
            nxt_cw = (nxt_ln.bbox[2] - nxt_ln.bbox[0]) / max(len(nxt_t), 1)
            first_word = nxt_t.split()[0] if nxt_t.split() else nxt_t
            short[i] = slack > max(2 * cw, (len(first_word) + 1) * nxt_cw)
        else:
            short[i] = slack > cfg.short_last_latin * width
            end_known_last = short[i] or slack <= 3 * cw
    if cjk:
        end_known_last = True

    pieces: list[Piece] = []
    cur_lines: list[tuple[Line, str]] = []
    starts = indented[0]
    start_known = reference and (indent_style or indented[0])
    start_ev = "indent" if indented[0] else ("no indent" if start_known else "start unknown")

    def flush(ends: bool, end_known: bool, end_ev: str) -> None:
        text = cur_lines[0][1]
        for _, t in cur_lines[1:]:
            text = join_text(text, t, lang if lang else ("zh" if cjk else "en"))
        pieces.append(
            Piece(
                text=text,
                starts_paragraph=starts,
                ends_paragraph=ends,
                line_ids=[ln.id for ln, _ in cur_lines],
                start_known=start_known,
                end_known=end_known,
                block_id=block_id,
                start_evidence=start_ev,
                end_evidence=end_ev,
            )
        )

    for i, item in enumerate(items):
        if i > 0:
            reasons = []
            if short[i - 1]:
                reasons.append("short line")
            if indented[i]:
                reasons.append("indent")
            if gap_break[i]:
                reasons.append("vertical gap")
            if reasons:
                flush(True, True, "+".join(reasons))
                cur_lines = []
                starts, start_known, start_ev = True, True, "+".join(reasons)
        cur_lines.append(item)
    last_ev = "short last line" if short[-1] else ("full last line" if end_known_last else "end unknown")
    flush(short[-1], end_known_last, last_ev)
    return pieces


def _context(left: str, right: str, width: int = 10) -> str:
    return f"{left.rstrip()[-width:]}|{right.lstrip()[:width]}"


def merge_pieces_detailed(pieces: Sequence[Piece], lang: str | None = "zh") -> MergeResult:
    """Join pieces in reading order into paragraphs, recording each boundary decision."""
    if not pieces:
        return MergeResult([], [])
    code = lang or guess_lang("".join(p.text for p in pieces))
    paragraphs: list[str] = [pieces[0].text]
    line_ids: list[list[str]] = [list(pieces[0].line_ids)]
    decisions: list[JoinDecision] = []
    for k in range(len(pieces) - 1):
        left, right = pieces[k], pieces[k + 1]
        current = paragraphs[-1]
        end_vote = (1 if left.ends_paragraph else -1) if left.end_known else 0
        start_vote = (1 if right.starts_paragraph else -1) if right.start_known else 0
        evidence = [f"left: {left.end_evidence or '?'}", f"right: {right.start_evidence or '?'}"]
        sentence = ends_sentence(current, code)
        join: bool
        forms: bool | None = None
        suspect = False
        votes = {end_vote, start_vote}
        if 1 in votes and -1 not in votes:
            join = False
        elif -1 in votes and 1 not in votes:
            # Full last line and/or unindented next line: the paragraph runs on, unless the only known
            # side is the full last line and the sentence ended exactly there (the next start is unknown).
            join = not (start_vote == 0 and sentence)
            if not join:
                evidence.append("sentence end")
        else:
            # Both unknown, or geometry contradicts itself (a short line followed by an unindented one,
            # e.g. around a photo): the text decides; a contradiction needs a word across the join.
            ev = assess_join(current, right.text, code)
            forms = ev.forms_word
            join = not ev.left_ends_sentence and not ev.left_ends_clause
            if votes != {0}:
                join = join and (bool(ev.forms_word) or ev.left_dangling)
            evidence.append("text: " + ("sentence end" if ev.left_ends_sentence else "no sentence end"))
            if ev.forms_word:
                evidence.append("word across join")
        if join:
            if forms is None:
                ev = assess_join(current, right.text, code)
                forms, suspect = ev.forms_word, ev.suspect_loss
            else:
                suspect = assess_join(current, right.text, code).suspect_loss
            joined = join_text(current, right.text, code)
            offset = len(joined) - len(right.text.lstrip())
            paragraphs[-1] = joined
            line_ids[-1].extend(right.line_ids)
            uncertain = suspect
        else:
            offset = None
            paragraphs.append(right.text)
            line_ids.append(list(right.line_ids))
            uncertain = not sentence and not ends_clause(current)
            if uncertain:
                evidence.append("paragraph ends without sentence-final punctuation")
        if suspect:
            evidence.append("join formed no word (text may be lost)")
        decisions.append(
            JoinDecision(
                index=k,
                joined=join,
                evidence=evidence,
                paragraph=len(paragraphs) - (1 if join else 2),
                offset=offset,
                forms_word=forms,
                suspect_loss=suspect,
                uncertain=uncertain,
                left_line_id=left.line_ids[-1] if left.line_ids else None,
                right_line_id=right.line_ids[0] if right.line_ids else None,
                context=_context(current, right.text),
            )
        )
    return MergeResult(paragraphs, decisions, line_ids)


def merge_pieces(pieces: Sequence[Piece], lang: str | None = "zh") -> list[str]:
    """Paragraph texts from pieces in reading order (see ``merge_pieces_detailed`` for the decisions)."""
    return merge_pieces_detailed(pieces, lang).paragraphs


def decision_flags(decisions: Sequence[JoinDecision], *, page: int | None = None) -> list[Flag]:
    """Review flags for the uncertain decisions, in the document model's form."""
    flags = []
    for d in decisions:
        if d.suspect_loss:
            flags.append(
                Flag(
                    code="join-no-word",
                    message=f"join formed no word (text may be lost): {d.context}",
                    severity=0.6,
                    page=page,
                    line_id=d.right_line_id,
                )
            )
        elif d.uncertain and not d.joined:
            flags.append(
                Flag(
                    code="paragraph-end-no-punct",
                    message=f"paragraph ends without sentence-final punctuation: {d.context}",
                    severity=0.3,
                    page=page,
                    line_id=d.left_line_id,
                )
            )
    return flags
