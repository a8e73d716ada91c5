"""Lines -> paragraph pieces by geometry, and pieces -> paragraphs across blocks and columns.

Inside a block, a paragraph starts at an indented line (Chinese: about two character widths in from the
block's left edge; English: an indent, or a vertical gap where the paper does not indent) and ends at a
short last line or before a larger vertical gap. Each run of lines between such boundaries is a ``Piece``.

Across blocks (the bottom of one column to the top of the next, around a photo or an inserted box), a piece
whose last line is full width continues into the next piece unless that one is indented; where geometry
cannot tell (a one-line block, an English block without indents) the text decides: a sentence end, and for
Chinese whether a dictionary word spans the join. Pieces that layout hands over as subheads carry no
geometry; the text tells what they are: a Chinese "subhead" that ends a sentence is a body line, two that
together make one short heading are one, headings before a story's dateline are the headline's rest.
Every decision is recorded with its evidence so that the report can show the places where text may have
been lost.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from ocr_pipeline.model import Flag, Line
from ocr_pipeline.text.chars import CLOSERS, guess_lang, is_cjk_char, is_cjk_lang
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
    # The first line was measured and is not indented: a continuation where the paper indents paragraphs
    # (known at the article's level, from its other pieces), even where this block never indents.
    unindented: bool = False
    # One line without final punctuation (CJK: full width, closed by the next line's indent; Latin: short,
    # capitalised): a crosshead, when the text before it ends a sentence.
    heading_like: bool = False


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
    # Headings that layout handed over before the first paragraph of the body (the rest of a headline, a
    # deck): not body text, so not in ``paragraphs``; the caller may add them to the headline.
    deck: list[str] = field(default_factory=list)


def _cjk_text(lang: str | None, texts: Sequence[str]) -> bool:
    if lang:
        return is_cjk_lang(lang)
    return is_cjk_lang(guess_lang("".join(texts)))


def _units(text: str) -> float:
    """Width of a text in CJK character widths: Latin letters and digits are about half as wide."""
    return sum(1.0 if is_cjk_char(ch) or unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text) or 1.0


# CJK punctuation whose glyph sits at one side of its cell (the other half is blank).
_OPENING = "“‘《（「『【〔〈"
_TRAILING = "，。、；：！？”’》）」』】〕〉"


@dataclass(slots=True)
class _Row:
    """One printed line: the OCR lines that share its baseline (an engine may cut a justified line into
    words or phrases), left to right."""

    bbox: tuple[float, float, float, float]
    text: str
    ids: list[str]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


def _rows(items: Sequence[tuple[Line, str]], join_lang: str) -> list[_Row]:
    rows: list[list[tuple[Line, str]]] = []
    for ln, t in items:
        if rows:
            y0 = min(r.bbox[1] for r, _ in rows[-1])
            y1 = max(r.bbox[3] for r, _ in rows[-1])
            overlap = min(y1, ln.bbox[3]) - max(y0, ln.bbox[1])
            if overlap >= 0.5 * min(y1 - y0, ln.bbox[3] - ln.bbox[1]):
                rows[-1].append((ln, t))
                continue
        rows.append([(ln, t)])
    out = []
    for members in rows:
        members.sort(key=lambda m: m[0].bbox[0])
        text = members[0][1]
        for _, t in members[1:]:
            text = join_text(text, t, join_lang)
        bbox = (
            min(m[0].bbox[0] for m in members),
            min(m[0].bbox[1] for m in members),
            max(m[0].bbox[2] for m in members),
            max(m[0].bbox[3] for m in members),
        )
        out.append(_Row(bbox, text, [m[0].id for m in members]))
    return out


def _side_by_side(items: Sequence[tuple[Line, str]]) -> list[list[tuple[Line, str]]]:
    """The lines cut into runs where the text goes back up the page to the side of what came before: a
    second column of text in the same block. Pieces of one printed line listed out of order share its
    height, and are not cut apart."""
    runs: list[list[tuple[Line, str]]] = [[items[0]]]
    for ln, t in items[1:]:
        run = runs[-1]
        prev = run[-1][0]
        h = min(prev.bbox[3] - prev.bbox[1], ln.bbox[3] - ln.bbox[1])
        x0, x1 = min(r.bbox[0] for r, _ in run), max(r.bbox[2] for r, _ in run)
        if ln.bbox[1] < prev.bbox[1] - 0.5 * h and (ln.bbox[0] >= x1 or ln.bbox[2] <= x0):
            runs.append([(ln, t)])
        else:
            run.append((ln, t))
    return runs


def _edge(values: Sequence[float], tol: float, *, outer_is_max: bool) -> float | None:
    """The text edge of a block from its rows' ends: the outermost cluster that a fair share of the rows
    reach (within ``tol``), robust to a single line that strays past it (an OCR line run across the gutter
    into the next column, a box widened by a speck)."""
    need = max(2, math.ceil(0.25 * len(values)))
    for v in sorted(values, reverse=outer_is_max):
        near = [w for w in values if abs(w - v) <= tol]
        if len(near) >= need:
            return statistics.median(near)
    return None


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
    is used, so the indent of a one-line block cannot be measured. With three rows or more, the edges the
    rows themselves share take precedence (a block's box may be widened by a stray line).
    """
    cfg = settings or ParagraphSettings()
    items = [(ln, strip_edge_artifacts(ln.text).strip()) for ln in lines]
    items = [(ln, t) for ln, t in items if t]
    if not items:
        return []
    runs = _side_by_side(items)
    if len(runs) > 1:
        # Layout made one block of text set side by side (two captions under two photos): each run has
        # its own edges, and the block's bounds, which span them all, measure none of them.
        return [
            piece
            for run in runs
            for piece in build_pieces([ln for ln, _ in run], lang, block_id=block_id, settings=cfg)
        ]
    cjk = _cjk_text(lang, [t for _, t in items])
    code = lang if lang else ("zh" if cjk else "en")
    rows = _rows(items, code)
    n = len(rows)
    h_med = statistics.median(r.height for r in rows) or 1.0

    # Character width from the text itself: in CJK every ideograph takes the same width, so any line of a
    # few characters measures it, full or not; Latin widths vary, so only long lines are used.
    samples = [
        (r.bbox[2] - r.bbox[0]) / (_units(r.text) if cjk else len(r.text))
        for r in rows
        if (_units(r.text) >= 3 if cjk else len(r.text) >= 8)
    ]
    cw = statistics.median(samples) if samples else (0.95 * h_med if cjk else 0.45 * h_med)

    x0s = [r.bbox[0] for r in rows]
    x1s = [r.bbox[2] for r in rows]
    left = bounds[0] if bounds else min(x0s)
    right = bounds[1] if bounds else max(x1s)
    if n >= 3:
        tol = 0.5 * cw if cjk else 1.0 * cw
        left = _edge(x0s, tol, outer_is_max=False) or left
        right = _edge(x1s, tol, outer_is_max=True) or right
    indent_min = (cfg.indent_cjk if cjk else cfg.indent_latin) * cw
    if n == 2 and bounds is not None and cjk:
        # Column bounds can be wider than a two-line block set across part of them (a caption under a
        # photo): rows that share a left edge are not both indented, and a first row followed by an
        # unindented one cannot have ended its paragraph, so the block's own edges hold.
        tol = 0.5 * cw
        if abs(x0s[0] - x0s[1]) <= tol:
            left = min(x0s)
        if x1s[0] > x1s[1] + tol and x0s[1] - left < indent_min and right - x1s[0] > cfg.short_cjk * cw:
            right = x1s[0]
    width = max(right - left, 1.0)

    margins = [(x0 - left, right - x1) for x0, x1 in zip(x0s, x1s, strict=True)]
    # A line set in the middle of the column (a crosshead in a narrow column) is a paragraph of its own;
    # consecutive centred lines are one heading unless a sentence ends between them (a title, then its
    # dateline).
    centre_min, centre_tol = (0.4 * cw, 0.45 * cw) if cjk else (2.0 * cw, 1.0 * cw)
    # A scanned CJK line's box ends at the ink: an opening quote at its start or a comma at its end leaves
    # about half a character of blank cell outside the box, which is not a margin.
    ink = [
        (lm - (0.5 * cw if cjk and r.text[0] in _OPENING else 0.0),
         rm - (0.5 * cw if cjk and r.text[-1] in _TRAILING else 0.0))
        for (lm, rm), r in zip(margins, rows, strict=True)
    ]
    centred = [
        min(lm, rm) >= centre_min and abs(lm - rm) <= max(centre_tol, 0.15 * (lm + rm)) for lm, rm in ink
    ]
    # Latin indents are an em or three; a line that starts much further in is the tail of a line whose
    # head the engine cut off at a wide word space (and layout may have put elsewhere).
    indent_max = math.inf if cjk else max(6.0 * cw, 0.2 * width)
    indented = [
        indent_min <= lm <= indent_max and not c for (lm, _), c in zip(margins, centred, strict=True)
    ]
    if cjk:
        # A scanned line's box may reach into its own indent (detector padding, a narrow digit first):
        # a full line that holds two characters fewer than the column does is indented all the same.
        for i, ((lm, rm), r) in enumerate(zip(margins, rows, strict=True)):
            if not indented[i] and not centred[i] and 0.3 * cw <= lm and rm <= 0.5 * cw:
                indented[i] = (right - left) / cw - _units(r.text) >= 1.5
    # The indent of the first line can only be measured against another line or the given bounds.
    reference = bounds is not None or any(lm < indent_min for lm, _ in margins[1:])
    # English papers mark paragraphs by indents or by space; a block that never indents tells nothing
    # about its first line.
    indent_style = cjk or any(indented)

    gaps = [rows[i].bbox[1] - rows[i - 1].bbox[3] for i in range(1, n)]
    # A row that goes back up the page (a line of a neighbouring caption that layout put in this block)
    # has a negative gap: it says nothing about the leading, and would make every real gap look wide.
    ordered = [g for g in gaps if g > -0.5 * h_med] or [0.0]
    normal_gap = statistics.median(ordered) if len(ordered) >= 2 else min(ordered)
    normal_gap = min(normal_gap, 0.6 * h_med) if len(ordered) < 3 else normal_gap
    gap_break = [False] + [g > normal_gap + cfg.gap * h_med for g in gaps]

    short = [False] * n
    end_known_last = True
    for i in range(n):
        slack = margins[i][1]
        if cjk:
            short[i] = slack > cfg.short_cjk * cw
            if not short[i] and slack > 0.6 * cw and ends_sentence(rows[i].text, code):
                # A sentence that ends one character short of the edge ends its paragraph: a justified
                # line is filled to the last cell. The box alone cannot say so (the stop's blank half cell
                # and box wobble are half a character each); the count of characters the width holds can.
                short[i] = (right - left) / cw - _units(rows[i].text) >= 0.8
        elif i + 1 < n:
            # Ragged or justified: the line was ended on purpose if the next line's first word would have
            # fitted in the space left at its end.
            nxt = rows[i + 1]
            nxt_cw = (nxt.bbox[2] - nxt.bbox[0]) / max(len(nxt.text), 1)
            first_word = nxt.text.split()[0] if nxt.text.split() else nxt.text
            short[i] = slack > max(2 * cw, (len(first_word) + 1) * nxt_cw)
        else:
            short[i] = slack > cfg.short_last_latin * width
            end_known_last = short[i] or slack <= 3 * cw
    if cjk:
        end_known_last = True

    pieces: list[Piece] = []
    cur: list[_Row] = []
    starts = indented[0] or centred[0]
    start_known = (reference and (indent_style or indented[0])) or centred[0]
    start_ev = (
        "centred" if centred[0]
        else "indent" if indented[0] else ("no indent" if start_known else "start unknown")
    )
    unindented = reference and not starts

    def flush(ends: bool, end_known: bool, end_ev: str) -> None:
        text = cur[0].text
        for r in cur[1:]:
            text = join_text(text, r.text, code)
        pieces.append(
            Piece(
                text=text,
                starts_paragraph=starts,
                ends_paragraph=ends,
                line_ids=[i for r in cur for i in r.ids],
                start_known=start_known,
                end_known=end_known,
                block_id=block_id,
                start_evidence=start_ev,
                end_evidence=end_ev,
                unindented=unindented,
                heading_like=_heading_like(cur, text, cjk, starts, ends, end_ev, start_ev),
            )
        )

    for i, row in enumerate(rows):
        if i > 0:
            reasons = []
            if short[i - 1]:
                reasons.append("short line")
            if indented[i]:
                reasons.append("indent")
            if gap_break[i]:
                reasons.append("vertical gap")
            if centred[i] != centred[i - 1] or (centred[i] and ends_sentence(rows[i - 1].text, code)):
                reasons.append("centred")
            if reasons:
                flush(True, True, "+".join(reasons))
                cur = []
                starts, start_known, start_ev, unindented = True, True, "+".join(reasons), False
        cur.append(row)
    if centred[-1]:
        last_ev = "centred"
    else:
        last_ev = "short last line" if short[-1] else ("full last line" if end_known_last else "end unknown")
    flush(short[-1] or centred[-1], end_known_last or centred[-1], last_ev)
    return pieces


def _heading_like(
    rows: Sequence[_Row], text: str, cjk: bool, starts: bool, ends: bool, end_ev: str, start_ev: str = ""
) -> bool:
    """One line without final punctuation that ends its piece: a crosshead when the text before it ends a
    sentence. Chinese sets them full width or centred, so the next line's indent is what ends it; English
    sets them flush left and short."""
    if len(rows) != 1 or not ends or _ends_with_punct(text):
        return False
    if cjk:
        return not starts and end_ev == "indent"
    # All capitals is a dateline ("PORT ALDER —"), run into the story. A crosshead is set flush left or
    # centred: an indented short line is a paragraph's first line that the engine cut at a word space.
    if starts and "indent" in start_ev and "centred" not in start_ev:
        return False
    return "short" in end_ev and (text[:1].isupper() or text[:1].isdigit()) and not text.isupper()


def _open_cjk(text: str) -> bool:
    """Chinese text that stops on a character or a comma: a paragraph never ends there."""
    t = text.rstrip()
    return bool(t) and (not _ends_with_punct(t) or t[-1] in "，、,")


def _open_end(text: str) -> bool:
    """Latin text that stops on a word, a number, a comma or a hyphen: not where a paragraph ends."""
    t = text.rstrip()
    return bool(t) and (t[-1].isalnum() or t[-1] in ",-–")


def _ends_with_punct(text: str) -> bool:
    t = text.rstrip()
    return bool(t) and (unicodedata.category(t[-1])[0] == "P")


def _marked_start(piece: Piece) -> bool:
    """The piece's first line is set as a paragraph's start (indented or centred); "no indent" is not."""
    return bool({"indent", "centred"} & set(piece.start_evidence.split("+")))


def _wrapped_crossheads(pieces: Sequence[Piece], texts: Sequence[str], lang: str) -> set[int]:
    """Indices of pieces that open an English crosshead set over two lines or more: one-line pieces that
    are not full lines, a few capitalised words without final punctuation, after a sentence end and before
    an indented paragraph ("Lessons for younger" / "students"). Each line alone is too long, or too full,
    to look like a heading; together they are one."""
    out: set[int] = set()
    for i in range(1, len(pieces) - 1):
        if not ends_sentence(texts[i - 1], lang) or not texts[i][:1].isupper():
            continue
        words = 0
        for j in range(i, len(pieces) - 1):
            piece = pieces[j]
            if len(piece.line_ids) != 1 or piece.end_evidence == "full last line" or (j > i and _marked_start(piece)):
                break
            words += len(texts[j].split())
            if words > 8 or ends_sentence(texts[j], lang) or texts[j].rstrip().endswith((",", "-")):
                break
            if j > i and _marked_start(pieces[j + 1]):
                out.add(i)
                break
    return out


def _layout_given(piece: Piece) -> bool:
    """A piece that layout built without geometry (a subhead block): no evidence on either side."""
    return not piece.start_evidence and not piece.end_evidence


def _stray_mark(text: str) -> bool:
    """A line of one Latin letter or symbol in Chinese text ("H" read off a photo's edge, "|" of a rule):
    an OCR artefact, never a paragraph."""
    t = text.strip()
    return len(t) == 1 and not is_cjk_char(t) and not t.isdigit()


# The dateline that opens a Chinese news story: the paper's own ("本报讯", "本报北京3月1日电") or an agency's.
_STORY_OPENING = re.compile(r"^\s*(本报[讯电]|本报[^，。（(]{1,12}电|(新华社|中新社)[^，。]{0,16}电)")

# A Chinese photo credit ("■本报记者 周立 摄", "新华社记者 李想 摄") closes the caption it follows.
_CREDIT = re.compile(r"^[■□●○▲◆◇☆★]?[^。！？]{0,24}摄[)）]?$")
_CREDIT_END = re.compile(r"(?:[■□●○▲◆◇☆★]|记者|摄影)[^。！？■]{0,20}摄[)）]?$")


def _forced_join(
    current: str, right_text: str, left: Piece, right: Piece, cjk: bool, lang: str, measured: bool
) -> str:
    """Why the next piece must continue the current paragraph whatever the geometry says ("" if not)."""
    if not current.strip() or not right_text.strip():
        return "stray mark"
    if cjk and _CREDIT.match(right_text.strip()) and not _layout_given(right):
        return "photo credit"
    if _layout_given(left) and _layout_given(right) and not measured and not ends_sentence(current, lang):
        # A heading wrapped onto a second line that layout took for a second heading: the rest is short
        # (Chinese: a few characters of a centred line) or starts in lower case (English).
        head = current.rstrip()
        rest = right_text.strip()
        if cjk:
            if head[-1] not in "，、；：,;:" and len(rest) <= max(3, 0.6 * len(head)) and not ends_sentence(rest, lang):
                return "heading continues"
        elif rest[:1].islower() and not head.endswith((".", "!", "?", ":")):
            return "heading continues"
    if (
        cjk and _layout_given(left) and not measured and _bare_end(current) and not _layout_given(right)
        and len(right.line_ids) == 1 and right.ends_paragraph and right.end_known and _bare_end(right_text)
    ):
        # The heading's second line that layout left at the top of the body block (indented, short): a
        # Chinese paragraph of one line always ends on a punctuation mark, so this one is no paragraph.
        return "heading continues"
    return ""


def _bare_end(text: str) -> bool:
    """Text that stops on a character, closing quotes and brackets aside: a heading's end in Chinese."""
    t = text.rstrip()
    while t and t[-1] in CLOSERS:
        t = t[:-1].rstrip()
    return bool(t) and unicodedata.category(t[-1])[0] != "P"


def _context(left: str, right: str, width: int = 10) -> str:
    return f"{left.rstrip()[-width:]}|{right.lstrip()[:width]}"


def merge_pieces_detailed(pieces: Sequence[Piece], lang: str | None = "zh") -> MergeResult:
    """Join pieces in reading order into paragraphs, recording each boundary decision."""
    if not pieces:
        return MergeResult([], [])
    code = lang or guess_lang("".join(p.text for p in pieces))
    cjk = is_cjk_lang(code)
    texts = ["" if cjk and _stray_mark(p.text) else p.text for p in pieces]
    paragraphs: list[str] = [texts[0]]
    line_ids: list[list[str]] = [list(pieces[0].line_ids)]
    # Per paragraph: whether it holds a piece whose lines were measured (body text), as opposed to pieces
    # that layout handed over as headings without geometry.
    measured = [not _layout_given(pieces[0])]
    decisions: list[JoinDecision] = []
    # Whether this text marks its paragraphs by indents: then an unindented first line continues, even in a
    # block too short to show an indent of its own.
    indents = any(p.start_known and p.starts_paragraph and "indent" in p.start_evidence for p in pieces)
    crossheads = set() if cjk else _wrapped_crossheads(pieces, texts, code)
    for k in range(len(pieces) - 1):
        left, right = pieces[k], pieces[k + 1]
        rtext = texts[k + 1]
        current = paragraphs[-1]
        end_vote = (1 if left.ends_paragraph else -1) if left.end_known else 0
        if right.start_known:
            start_vote = 1 if right.starts_paragraph else -1
        else:
            start_vote = -1 if indents and right.unindented else 0
        if cjk and _layout_given(left) and ends_sentence(left.text, code):
            # Chinese headings carry no full stop: a "subhead" that ends a sentence is a body line that
            # layout set apart (a taller box), and says nothing about where the paragraph ends.
            end_vote = 0
        if cjk and _layout_given(right) and ends_sentence(rtext, code):
            start_vote = 0
        forced = _forced_join(current, rtext, left, right, cjk, code, measured[-1])
        if forced:
            end_vote = start_vote = -1
        elif (right.heading_like or k + 1 in crossheads) and ends_sentence(current, code):
            start_vote = 1
        elif (
            cjk and end_vote == -1 and _open_cjk(current)
            and not _marked_start(right)
        ):
            # Chinese body text never ends a paragraph on a full line without punctuation (or on a comma):
            # what follows continues it, whatever its block was taken for (a last line set apart by a
            # taller OCR box).
            start_vote = -1
        if (
            not cjk and _open_end(current) and not left.heading_like and not right.heading_like
            and (left.end_evidence or right.start_evidence or measured[-1])
            and not _marked_start(right)
        ):
            # An English paragraph ends on a sentence mark; text that stops on a word or a comma goes on,
            # wherever layout put the rest (a line cut at a wide word space, a body line taken for a
            # subhead, a dateline on a line of its own). Two pieces that layout built without geometry
            # (subheads) may be a crosshead and the next paragraph's first line: left alone, unless body
            # text came before them in the same paragraph.
            end_vote = start_vote = -1
        if (
            left.end_evidence == "centred" and not right.start_evidence and right.starts_paragraph
            and not ends_sentence(current, code)
        ):
            # A centred heading line that layout kept as text, then the rest of the heading that it took
            # for a subhead: one heading.
            end_vote = start_vote = -1
        if cjk and right.start_evidence == "no indent" and _open_cjk(current):
            # Chinese paragraphs always indent: an unindented line after text that stops without
            # punctuation or on a comma continues it, even where the text before was taken for a heading.
            end_vote = start_vote = -1
        if not forced and cjk and _CREDIT_END.search(current):
            # A photo credit closes its caption: what follows is the next caption or the story.
            end_vote = start_vote = 1
            forced = ""
        evidence = [f"left: {left.end_evidence or '?'}", f"right: {right.start_evidence or '?'}"]
        if forced:
            evidence.append(forced)
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
            ev = assess_join(current, rtext, code)
            forms = ev.forms_word
            join = not ev.left_ends_sentence and not ev.left_ends_clause
            if votes != {0}:
                join = join and (bool(ev.forms_word) or ev.left_dangling)
            evidence.append("text: " + ("sentence end" if ev.left_ends_sentence else "no sentence end"))
            if ev.forms_word:
                evidence.append("word across join")
        if join:
            if not current.strip() or not rtext.strip():
                suspect = False
            elif forms is None:
                ev = assess_join(current, rtext, code)
                forms, suspect = ev.forms_word, ev.suspect_loss
            else:
                suspect = assess_join(current, rtext, code).suspect_loss
            joined = join_text(current, rtext, code)
            offset = len(joined) - len(rtext.lstrip())
            paragraphs[-1] = joined
            line_ids[-1].extend(right.line_ids)
            measured[-1] = measured[-1] or not _layout_given(right)
            uncertain = suspect
        else:
            offset = None
            paragraphs.append(rtext)
            line_ids.append(list(right.line_ids))
            measured.append(not _layout_given(right))
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
                context=_context(current, rtext),
            )
        )
    lead = _deck_length(pieces, texts, code)
    if lead:
        # Paragraphs made of the leading headings only; the first body piece starts a paragraph of its own.
        m = next(d.paragraph + 1 for d in decisions if d.index == lead - 1)
        deck = [t for t in paragraphs[:m] if t.strip()]
        for d in decisions:
            d.paragraph -= m
        return MergeResult(paragraphs[m:], decisions, line_ids[m:], deck)
    return MergeResult(paragraphs, decisions, line_ids)


def _deck_length(pieces: Sequence[Piece], texts: Sequence[str], lang: str) -> int:
    """How many pieces at the start are headings above the body: pieces that layout built without
    geometry (or stray marks), none ending a sentence, followed by the story's opening paragraph, which a
    Chinese paper marks with its dateline ("本报讯（记者…）", "新华社北京3月1日电"). Without that mark the
    headings may be the crossheads that a continued story's part on a later page opens with."""
    n = 0
    while n < len(pieces) and (_layout_given(pieces[n]) or not texts[n].strip()):
        if ends_sentence(texts[n], lang):
            return 0
        n += 1
    if n == 0 or n == len(pieces) or not _marked_start(pieces[n]) or not _STORY_OPENING.match(texts[n]):
        return 0
    return n


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
