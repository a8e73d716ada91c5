"""Normalisation of recognised text: NFC, full-width punctuation inside Chinese/Japanese text, no spaces
between CJK characters, paired quotes, and stray column-edge artefacts removed. Nothing else is rewritten:
digits, Latin words and their punctuation stay as they were read.
"""

from __future__ import annotations

import re
import unicodedata

from ocr_pipeline.text.chars import CJK_PUNCT, base_lang, has_han_or_kana, is_han_or_kana

# OCR reads a column rule or the edge of a neighbouring column as one of these at the start or end of a line.
_EDGE_ARTEFACTS = "|丨｜¦"
_EDGE_RE = re.compile(rf"^[\s{_EDGE_ARTEFACTS}]*[{_EDGE_ARTEFACTS}]\s*|\s*[{_EDGE_ARTEFACTS}][\s{_EDGE_ARTEFACTS}]*$")

_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
# Full-width marks that close a CJK phrase; a "." after them (他说“好”.) ends a CJK sentence too.
_CJK_CLOSERS = "”’）」』】》〉〕"

# Chinese bylines put a space between the role and the name ("记者 刘某"); it is part of the text.
_BYLINE_SPACE_RE = re.compile(r"(记者|通讯员|实习生|见习记者|摄影)$")


def strip_edge_artifacts(line: str) -> str:
    """Remove "|" / "丨" read from a column rule at the start or end of one line."""
    prev = None
    out = line
    while prev != out:
        prev = out
        out = _EDGE_RE.sub("", out)
    return out


def _is_cjk_ctx(ch: str) -> bool:
    return is_han_or_kana(ch) or ch in CJK_PUNCT


def _neighbour(s: str, i: int, step: int) -> str:
    """The nearest character that is not a space, looking left (step -1) or right (+1); "" at the edges."""
    j = i + step
    while 0 <= j < len(s) and s[j] in " \t\u3000":
        j += step
    return s[j] if 0 <= j < len(s) else ""


def _widen_punct(s: str) -> str:
    chars = list(s)
    # Parentheses go by pairs, so "（AI）" after a Chinese word is converted as a unit.
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    for i, ch in enumerate(chars):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            pairs.append((stack.pop(), i))
    paired: set[int] = set()
    for a, b in pairs:
        paired.update((a, b))
        inner = s[a + 1 : b]
        if has_han_or_kana(inner) or is_han_or_kana(_neighbour(s, a, -1)) or is_han_or_kana(
            _neighbour(s, b, 1)
        ):
            chars[a], chars[b] = "（", "）"
    for i, ch in enumerate(s):
        if ch not in _HALF_TO_FULL or i in paired:
            continue
        left, right = _neighbour(s, i, -1), _neighbour(s, i, 1)
        # Digits on both sides: a thousands separator or a time ("1,000", "10:30"), never CJK punctuation.
        if i > 0 and i + 1 < len(s) and s[i - 1].isdigit() and s[i + 1].isdigit():
            continue
        if _is_cjk_ctx(left) or is_han_or_kana(right):
            chars[i] = _HALF_TO_FULL[ch]
    return "".join(chars)


def _full_stops(s: str) -> str:
    out = list(s)
    for i, ch in enumerate(s):
        if ch != ".":
            continue
        prev = s[i - 1] if i > 0 else ""
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if prev == "." or nxt == ".":
            continue  # an ellipsis "..." is not three sentence ends
        after_cjk = is_han_or_kana(prev) or (prev in _CJK_CLOSERS and i > 1 and is_han_or_kana(s[i - 2]))
        # Only where a sentence ends: followed by the end, a space, CJK text or a closing mark, never by a
        # digit or letter (a version or a number like "3.5" stays as it is).
        if after_cjk and (nxt == "" or nxt.isspace() or _is_cjk_ctx(nxt) or nxt in "\"'”’)"):
            out[i] = "。"
    return "".join(out)


def _pair_quotes(s: str) -> str:
    """Straight quotes next to CJK text become “ ” (alternating); unbalanced curly ones are re-paired."""
    has_straight = '"' in s and any(
        ch == '"' and (_is_cjk_ctx(_neighbour(s, i, -1)) or _is_cjk_ctx(_neighbour(s, i, 1)))
        for i, ch in enumerate(s)
    )
    balanced = s.count("“") == s.count("”")
    if not has_straight and balanced:
        return s
    if not has_straight and not has_han_or_kana(s):
        return s
    # Chinese nests single quotes inside double ones, so double quotes alternate, except where the context
    # fixes the side: a piece of text cut at a line or column end ("挂在墙上。”") holds half a pair, and
    # alternation alone would turn its closing quote into an opening one.
    out: list[str] = []
    open_ = False
    for i, ch in enumerate(s):
        if ch in "“”\"":
            side = _quote_side(s, i)
            opening = not open_ if side is None else side
            out.append("“" if opening else "”")
            open_ = opening
        else:
            out.append(ch)
    return "".join(out)


# After these a quote opens ("说：“", at the start); before these, or at the end after a sentence or a word,
# it closes ("好”，", "了。”").
_BEFORE_OPENING = "：:"
_AFTER_CLOSING = "，。、；！？,;!?）)》"


def _quote_side(s: str, i: int) -> bool | None:
    """True: the double quote at ``i`` opens; False: it closes; None: the context cannot tell."""
    left, right = _neighbour(s, i, -1), _neighbour(s, i, 1)
    if left == "" or left in _BEFORE_OPENING:
        return True if right else None
    if right and right in _AFTER_CLOSING:
        return False
    if right == "" and (is_han_or_kana(left) or left in "。！？…”’"):
        return False
    return None


def _pair_single_quotes(s: str) -> str:
    out = list(s)
    open_ = False
    for i, ch in enumerate(s):
        if ch != "'":
            continue
        left, right = _neighbour(s, i, -1), _neighbour(s, i, 1)
        # An apostrophe between Latin letters (don't, O'Neil) is not a quote.
        if left.isascii() and left.isalpha() and right.isascii() and right.isalpha():
            continue
        if is_han_or_kana(left) or is_han_or_kana(right):
            out[i] = "’" if open_ else "‘"
            open_ = not open_
    return "".join(out)


def _drop_cjk_spaces(s: str, *, headline: bool) -> str:
    def repl(m: re.Match[str]) -> str:
        before = s[: m.start()]
        if _BYLINE_SPACE_RE.search(before):
            return m.group(0)
        if headline:
            # Headlines and subheads separate two phrases with a space ("锚定目标 夯基蓄能"); a space
            # between two single characters is still an OCR artefact.
            left_run = re.search(r"[\u3040-\u30ff\u3400-\u9fff]{2,}$", before)
            right_run = re.match(r"[\u3040-\u30ff\u3400-\u9fff]{2,}", s[m.end() :])
            if left_run and right_run:
                return " "
        return ""

    return re.sub(
        r"(?<=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff" + re.escape(CJK_PUNCT) + r"])[ \t\u3000]+"
        r"(?=[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff" + re.escape(CJK_PUNCT) + r"])",
        repl,
        s,
    )


_LATIN_DASH = re.compile(r"(?<=[A-Za-z0-9,.;:'\" ])一(?=[ A-Za-z0-9])")


def normalize_text(s: str, lang: str | None = "zh", *, headline: bool = False) -> str:
    """Normalise one paragraph (or several, separated by newlines) of recognised text.

    ``lang`` picks the rules: Chinese/Japanese (or unknown) text gets full-width punctuation next to CJK
    characters, "。" for a "." that ends a CJK sentence, paired “ ” quotes and no spaces between CJK
    characters; Korean (which uses Latin punctuation and spaces) and Latin-script text only get NFC and the
    edge artefacts removed. ``headline`` keeps a single space between two CJK phrases.
    """
    s = unicodedata.normalize("NFC", s)
    lines = [strip_edge_artifacts(line) for line in s.split("\n")]
    code = base_lang(lang)
    if code in ("zh", "ja", ""):
        lines = [_normalize_cjk_line(line, headline=headline) for line in lines]
    else:
        # A dash read by a Chinese recognition model as the look-alike ideograph "一" ("PORT ALDER 一 Five").
        lines = [_LATIN_DASH.sub("—", line) for line in lines]
    return "\n".join(lines)


def _normalize_cjk_line(line: str, *, headline: bool) -> str:
    if not has_han_or_kana(line):
        return line
    line = _widen_punct(line)
    # Quotes first: a "." after a closing quote ends a CJK sentence only once the quote is known to close.
    line = _pair_quotes(line)
    line = _pair_single_quotes(line)
    line = _full_stops(line)
    return _drop_cjk_spaces(line, headline=headline)
