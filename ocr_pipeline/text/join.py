"""Joining two pieces of one paragraph (line to line, column to column) with the script's rules.

Chinese, Japanese and Korean pieces are joined with no inserted character; Latin-script pieces get one
space, and an end-of-line hyphen is removed or kept by comparing word frequencies (``wordfreq``).
For Chinese, ``jieba``'s dictionary tells whether a word spans the join, which is evidence that the two
pieces belong together, and its absence where the left piece ends in an unfinished word is evidence that
text was lost between them.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ocr_pipeline.text.chars import (
    CLAUSE_END,
    CLOSERS,
    base_lang,
    is_cjk_char,
    is_cjk_lang,
    is_han,
    is_han_or_kana,
)

log = logging.getLogger(__name__)

# Hyphen-like marks that can end a line. The soft hyphen and "¬" (Fraktur) only ever mark hyphenation.
_HYPHENS = "-\u2010"
_SOFT_HYPHENS = "\u00ad¬"

# How much rarer (in zipf units, i.e. powers of ten) the solid word may be than the hyphenated compound
# and still win. wordfreq estimates a hyphenated form from its parts as if they were independent words,
# which overrates compounds of two common words ("under-standing" 4.80 vs "understanding" 4.82,
# "co-operate" 4.42 vs "cooperate" 3.79); real compounds have rare solid forms ("wellknown" 1.57 vs
# "well-known" 5.30, "followup" 2.87 vs "follow-up" 5.12). 1.5 separates both groups.
HYPHEN_MARGIN = 1.5

# The least zipf frequency wordfreq gives a hyphenated form (from its parts) for the form to be taken for a
# compound when the solid word is unknown: both parts must be common words ("half-century" 4.87,
# "great-granddaughter" 3.60; the halves of the name "Kala-rat" 2.79, "Thi-aumont" 1.28).
COMPOUND_PARTS_MIN = 3.0

# Abbreviations after which "." does not end a sentence (English newspaper usage).
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr prof gen gov sen rep col lt sgt capt fig no vs mt ft co inc corp ltd".split()
)

# jieba part-of-speech tags of words that cannot end a phrase: prepositions, conjunctions, particles,
# adverbs. Modal verbs are tagged like other verbs, so the few of them are named here.
_FUNCTION_TAGS = ("p", "c", "u", "d")
_MODALS = frozenset("要 将 会 能 应 需 可 得 必须 需要 应当 应该 能够 可以 得以 把 被 让 使 对 向 从 在 与 和 及 或".split())

_jieba_lock = threading.Lock()
_jieba_state: dict[str, Any] = {}


def _jieba() -> Any:
    """The default jieba tokenizer, initialised once (about a second: it loads a 350k-word dictionary)."""
    with _jieba_lock:
        if "dt" not in _jieba_state:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_state["dt"] = jieba.dt
        return _jieba_state["dt"]


def _word_tags() -> dict[str, str]:
    with _jieba_lock:
        if "tags" not in _jieba_state:
            import jieba.posseg

            _jieba_state["tags"] = jieba.posseg.dt.word_tag_tab
    tags: dict[str, str] = _jieba_state["tags"]
    return tags


@lru_cache(maxsize=1)
def _wordfreq_langs() -> frozenset[str]:
    import wordfreq

    return frozenset(wordfreq.available_languages())


def word_zipf(word: str, lang: str) -> float:
    """wordfreq's zipf frequency (0 for unknown words); English where wordfreq lacks the language."""
    import wordfreq

    code = base_lang(lang)
    if code not in _wordfreq_langs():
        code = "en"
    return float(wordfreq.zipf_frequency(word, code))


# --- sentence ends -------------------------------------------------------------------------------------

def _strip_closers(text: str) -> str:
    t = text.rstrip()
    while t and t[-1] in CLOSERS:
        t = t[:-1].rstrip()
    return t


def ends_sentence(text: str, lang: str | None = "zh") -> bool:
    """Does ``text`` end with a sentence-final mark (closing quotes and brackets after it allowed)?"""
    t = _strip_closers(text)
    if not t:
        return False
    last = t[-1]
    if last in "。！？!?…":
        return True
    if last == "．" or last == "｡":
        return True
    if last != ".":
        return False
    if is_cjk_lang(lang):
        return True
    m = re.search(r"(\w+)\.$", t)
    if m:
        word = m.group(1)
        # An initial ("J. Smith") or a title ("Dr. Li") at the end of a line does not end the sentence.
        if (len(word) == 1 and word.isupper()) or word.lower() in _ABBREVIATIONS:
            return False
    return True


def ends_clause(text: str) -> bool:
    """Ends with ":" or ";" (full or half width): a paragraph may end there without a sentence end."""
    t = _strip_closers(text)
    return bool(t) and t[-1] in CLAUSE_END


# --- hyphenation -----------------------------------------------------------------------------------------

def keep_hyphen(prefix: str, suffix: str, lang: str | None = "en") -> bool:
    """Should "prefix-" at a line end + "suffix" stay hyphenated ("well-known") rather than become one word
    ("reconstruction")? Decided from word frequencies, not from a list of compounds."""
    if suffix[:1].isupper() and not prefix.isupper():
        return True  # "Anglo-Saxon", "non-English": a capital after a hyphen is never a word's inside
    solid = word_zipf((prefix + suffix).lower(), lang or "en")
    compound = word_zipf(f"{prefix}-{suffix}".lower(), lang or "en")
    if solid == 0:
        # Unknown as one word: a compound of two ordinary words ("half-century", "one-third"), or a name or
        # rare word that the typesetter broke ("Thi-aumont", "Badon-villers"), whose halves are not both
        # words in common use. wordfreq rates a hyphenated form by its parts, so its figure tells them apart.
        return compound >= COMPOUND_PARTS_MIN
    return solid < compound - HYPHEN_MARGIN


def _join_hyphenated(left: str, right: str, lang: str | None) -> str:
    mark = left[-1]
    if mark in _SOFT_HYPHENS:
        return left[:-1] + right
    m_pre = re.search(r"([^\W\d_]+)[" + _HYPHENS + r"]$", left)
    m_suf = re.match(r"[^\W\d_]+", right)
    if not m_pre or not m_suf:
        return left + right  # "5-" + "year-old", "COVID-" + "19": the hyphen stays, nothing between
    if keep_hyphen(m_pre.group(1), m_suf.group(0), lang):
        return left + right
    return left[:-1] + right


# --- joining -------------------------------------------------------------------------------------------

def join_text(left: str, right: str, lang: str | None = "zh") -> str:
    """Join two pieces of one paragraph.

    CJK at the join (either side): nothing inserted. Latin text: one space, or the two halves of a word
    hyphenated at the line end joined (the hyphen kept where the word is a compound). In Chinese text two
    Latin words at the join are separated by a space; digits are not.
    """
    left_s = left.rstrip()
    right_s = right.lstrip()
    if not left_s:
        return right_s
    if not right_s:
        return left_s
    a, b = left_s[-1], right_s[0]
    if is_cjk_char(a) or is_cjk_char(b):
        return left_s + right_s
    if a in _SOFT_HYPHENS or (a in _HYPHENS and len(left_s) > 1 and left_s[-2].isalnum()):
        return _join_hyphenated(left_s, right_s, lang)
    if a == "—":
        return left_s + right_s  # English sets the em dash closed up
    if is_cjk_lang(lang):
        if a.isascii() and a.isalpha() and b.isascii() and b.isalpha():
            return left_s + " " + right_s
        return left_s + right_s
    return left_s + " " + right_s


def _han_run_tail(text: str, limit: int) -> str:
    out: list[str] = []
    for ch in reversed(text.rstrip()):
        if not is_han_or_kana(ch) or len(out) >= limit:
            break
        out.append(ch)
    return "".join(reversed(out))


def _han_run_head(text: str, limit: int) -> str:
    out: list[str] = []
    for ch in text.lstrip():
        if not is_han_or_kana(ch) or len(out) >= limit:
            break
        out.append(ch)
    return "".join(out)


def _spanning_token(tokens: list[str], boundary: int) -> str | None:
    pos = 0
    for tok in tokens:
        end = pos + len(tok)
        if pos < boundary < end:
            return tok
        pos = end
    return None


def join_forms_word(left: str, right: str, lang: str | None = "zh") -> bool | None:
    """Does a dictionary word span the join ("新质生" + "产力" -> 生产力)?

    True: jieba's dictionary segmentation of the text around the join has a word across it. False: no
    dictionary word and no word guessed by jieba's HMM spans it. None: the question does not apply (not
    Chinese/Japanese characters on both sides, Korean, Latin text) or only a guessed word spans it.
    """
    if base_lang(lang) == "ko":
        return None
    lw = _han_run_tail(left, 8)
    rw = _han_run_head(right, 8)
    if not lw or not rw or not (is_han(lw[-1]) and is_han(rw[0])):
        return None
    dt = _jieba()
    boundary = len(lw)
    text = lw + rw
    if _spanning_token(list(dt.cut(text, HMM=False)), boundary):
        return True
    freq = dt.FREQ
    for i in range(1, min(4, len(lw)) + 1):
        for j in range(1, min(4, len(rw)) + 1):
            if freq.get(lw[-i:] + rw[:j]):
                return None  # a dictionary word could span it, but the segmenter prefers another split
    if _spanning_token(list(dt.cut(text, HMM=True)), boundary):
        return None
    return False


def _dangling(word: str) -> bool:
    """A word that cannot end a phrase (preposition, conjunction, particle, adverb, modal verb)."""
    if word in _MODALS:
        return True
    tag = _word_tags().get(word, "")
    return tag.startswith(_FUNCTION_TAGS)


def ends_with_dangling_word(text: str, lang: str | None = "zh") -> bool:
    """Does Chinese ``text`` end with a word that needs a continuation ("关键要", "…的")?"""
    if not is_cjk_lang(lang) and lang:
        return False
    tail = _han_run_tail(text, 8)
    if not tail:
        return False
    tokens = list(_jieba().cut(tail, HMM=False))
    return bool(tokens) and _dangling(tokens[-1])


@dataclass(slots=True)
class JoinEvidence:
    """What the text says about a break between two pieces."""

    left_ends_sentence: bool
    left_ends_clause: bool
    forms_word: bool | None
    left_dangling: bool
    # The join forms no word and the left piece ends in a lone content character ("…海天脑" + "推动…"):
    # the end of a word, or more, is probably missing.
    suspect_loss: bool


def assess_join(left: str, right: str, lang: str | None = "zh") -> JoinEvidence:
    sentence = ends_sentence(left, lang)
    clause = ends_clause(left)
    forms = join_forms_word(left, right, lang)
    dangling = False
    suspect = False
    if forms is False:
        tail = _han_run_tail(left, 8)
        # With the HMM, a new word that is complete ("质效") stays one token; a lone character left over
        # ("海天" + "脑") is the start of a word whose rest is missing.
        tokens = list(_jieba().cut(tail, HMM=True))
        last = tokens[-1] if tokens else ""
        dangling = _dangling(last)
        suspect = len(last) == 1 and not dangling
    elif forms is None and is_cjk_lang(lang) and not sentence:
        dangling = ends_with_dangling_word(left, lang)
    return JoinEvidence(sentence, clause, forms, dangling, suspect)
