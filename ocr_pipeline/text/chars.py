"""Character classes shared by the text stage (scripts, punctuation sets, language codes)."""

from __future__ import annotations

import re

# Closing marks that may follow a sentence-final mark ("。”", "?)") without changing where the sentence ends.
CLOSERS = "”’\"'）)」』】〕》〉]>"
OPENERS = "“‘\"'（(「『【〔《〈[<"

# Marks that end a sentence in Chinese/Japanese and Latin text ("." is handled separately for Latin).
SENTENCE_END_CJK = "。！？!?…"
SENTENCE_END_LATIN = ".!?…"

# Marks after which a paragraph may end although no sentence ended (an introduction to a list or a quote).
CLAUSE_END = "：:；;"

CJK_PUNCT = "，。、；：？！“”‘’（）《》〈〉「」『』【】〔〕…—·"


def is_han(ch: str) -> bool:
    """Han ideographs (CJK Unified + extension A + compatibility) and the iteration mark 々.

    False for "" (no character, as at the edge of a text)."""
    if not ch:
        return False
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FA1F
        or o == 0x3005
    )


def is_kana(ch: str) -> bool:
    if not ch:
        return False
    o = ord(ch)
    return 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D


def is_hangul(ch: str) -> bool:
    if not ch:
        return False
    o = ord(ch)
    return 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


def is_han_or_kana(ch: str) -> bool:
    """Scripts written without spaces between words and with full-width punctuation (Chinese, Japanese)."""
    return is_han(ch) or is_kana(ch)


# The same classes as is_han / is_kana, for searching a whole text at once (C speed).
HAN_OR_KANA_RE = re.compile(
    "[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002fa1f\u3005"
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]"
)


HAN_OR_KANA_RUN_RE = re.compile(f"{HAN_OR_KANA_RE.pattern}+")  # a run of them


def has_han_or_kana(text: str) -> bool:
    """Whether any character of ``text`` is Han or kana (``any(map(is_han_or_kana, text))``, faster)."""
    return HAN_OR_KANA_RE.search(text) is not None


def is_cjk_char(ch: str) -> bool:
    """Any character that is joined to its neighbours with no space: Han, kana, Hangul, CJK punctuation."""
    return is_han_or_kana(ch) or is_hangul(ch) or ch in CJK_PUNCT or 0xFF01 <= ord(ch) <= 0xFF60


def base_lang(lang: str | None) -> str:
    """"zh-Hans" -> "zh", "chi_sim" -> "zh", "EN" -> "en"; "" when unknown."""
    if not lang:
        return ""
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return {"chi": "zh", "zho": "zh", "jpn": "ja", "kor": "ko", "eng": "en", "deu": "de", "fra": "fr"}.get(
        code, code
    )


def is_cjk_lang(lang: str | None) -> bool:
    return base_lang(lang) in ("zh", "ja", "ko")


def count_han(text: str) -> int:
    return sum(1 for ch in text if is_han(ch))


def guess_lang(text: str) -> str:
    """"zh", "ja", "ko" or "en" from the script mix; enough to pick joining rules for a dump."""
    han = kana = hangul = latin = 0
    for ch in text:
        if is_kana(ch):
            kana += 1
        elif is_han(ch):
            han += 1
        elif is_hangul(ch):
            hangul += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
    if hangul > max(han, latin) * 0.5 and hangul > 0:
        return "ko"
    if kana > 0 and kana >= han * 0.1:
        return "ja"
    # Latin letters are about five to a word, Han characters one to two: weigh them accordingly.
    if han > 0 and han * 3 >= latin:
        return "zh"
    return "en"
