"""join_text / join_forms_word / ends_sentence: script rules, hyphenation by word frequency."""

from __future__ import annotations

import pytest

from ocr_pipeline.text.chars import has_han_or_kana, is_han, is_han_or_kana
from ocr_pipeline.text.join import assess_join, ends_sentence, join_forms_word, join_text, keep_hyphen


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("the ongoing recon-", "struction of the bridge", "the ongoing reconstruction of the bridge"),
        ("a well-", "known author", "a well-known author"),
        ("a state-of-the-", "art plant", "a state-of-the-art plant"),
        ("the long-", "term plan", "the long-term plan"),
        ("a self-", "driving car", "a self-driving car"),
        ("new infor-", "mation arrived", "new information arrived"),
        ("the govern-", "ment said", "the government said"),
        ("the Anglo-", "Saxon kings", "the Anglo-Saxon kings"),
        ("a 5-", "year-old girl", "a 5-year-old girl"),
        ("soft\u00ad", "ware", "software"),
        ("the end.", "Next", "the end. Next"),
        ("the ", "  end", "the end"),
    ],
)
def test_latin_joins(left: str, right: str, expected: str) -> None:
    assert join_text(left, right, "en") == expected


def test_co_operate_is_one_word_without_space() -> None:
    # Both spellings exist; the rule must give one of them and never a space or a dangling hyphen.
    out = join_text("to co-", "operate with", "en")
    assert out in ("to cooperate with", "to co-operate with")
    assert join_text("co-", "ordinate", "en") == "coordinate"


def test_keep_hyphen_uses_frequencies_not_a_list() -> None:
    assert keep_hyphen("well", "known", "en")
    assert not keep_hyphen("recon", "struction", "en")
    # Two unknown halves (a name, a rare term): typesetting hyphenation is far more common.
    assert not keep_hyphen("Zwqxy", "bqzt", "en")
    # Unknown as one word: a compound of two common words keeps its hyphen, a broken name does not.
    assert keep_hyphen("half", "century", "en") and keep_hyphen("great", "granddaughter", "en")
    assert not keep_hyphen("Thi", "aumont", "en") and not keep_hyphen("Kala", "rat", "en")
    # German works through wordfreq's German list.
    assert join_text("die Zei-", "tung", "de") == "die Zeitung"


CJK_PAIRS = [
    ("我们参观了博物", "馆，看到了许多文物。"),
    ("今年的收成很好，", "大家都很高兴。"),
    ("使用AI", "技术提高效率"),
    ("全年完成投资12", "亿元"),
    ("他说：“", "明天见。”"),
    ("春天来了  ", "  花都开了"),
    ("東京の天気は", "晴れです。"),
]


@pytest.mark.parametrize(("left", "right"), CJK_PAIRS)
def test_cjk_join_inserts_nothing(left: str, right: str) -> None:
    lang = "ja" if "東京" in left else "zh"
    out = join_text(left, right, lang)
    assert out == left.rstrip() + right.lstrip()
    assert len(out) == len(left.strip()) + len(right.strip())


def test_korean_and_latin_inside_chinese() -> None:
    assert join_text("오늘은", "날씨가", "ko") == "오늘은날씨가"
    assert join_text("开源软件open", "source很流行", "zh") == "开源软件open source很流行"
    assert join_text("第2025", "号文件", "en") == "第2025号文件"  # a CJK char at the join wins over lang


def test_join_forms_word() -> None:
    assert join_forms_word("孩子们在操场上踢足", "球，非常开心。", "zh") is True
    assert join_forms_word("我们参观了博物", "馆。", "zh") is True
    assert join_forms_word("市场上有苹果、葡萄和西", "发布了新的规定", "zh") is False
    assert join_forms_word("他很高兴。", "明天见", "zh") is None  # punctuation at the join
    assert join_forms_word("hello", "world", "en") is None


def test_assess_join_flags_lost_text_but_not_grammatical_breaks() -> None:
    lost = assess_join("市场上有苹果、葡萄和西", "发布了新的规定", "zh")
    assert lost.suspect_loss and lost.forms_word is False
    modal = assess_join("工作人员每天都要", "认真检查设备", "zh")
    assert modal.forms_word is False and not modal.suspect_loss and modal.left_dangling
    word = assess_join("我们参观了博物", "馆，看到了许多文物", "zh")
    assert word.forms_word and not word.suspect_loss


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("他走了。", "zh", True),
        ("他说：“走吧！”", "zh", True),
        ("真的吗?)", "zh", True),
        ("他走了,", "zh", False),
        ("他说:", "zh", False),
        ("Prices rose.", "en", True),
        ('"Go home," he said.', "en", True),
        ("He met Dr.", "en", False),
        ("written by J.", "en", False),
        ("and so", "en", False),
    ],
)
def test_ends_sentence(text: str, lang: str, expected: bool) -> None:
    assert ends_sentence(text, lang) is expected


def test_no_han_lost_or_added_in_many_joins() -> None:
    lefts = ["一二三四", "今天，", "数据显示增长了5", "“好的", "A股市场"]
    rights = ["五六七", "明天", "%左右", "”他说", "上涨"]
    for a in lefts:
        for b in rights:
            out = join_text(a, b, "zh")
            assert sum(map(is_han, out)) == sum(map(is_han, a + b))
            assert len(out) == len(a) + len(b)


def test_han_or_kana_search_agrees_with_the_character_test() -> None:
    # has_han_or_kana writes the ranges of is_han / is_kana again as one regex (for speed): keep them one set.
    for o in [*range(0x3000, 0x10000), *range(0x1F000, 0x30000, 7), 0x2FA1F, 0x2FA20]:
        ch = chr(o)
        assert has_han_or_kana(ch) == is_han_or_kana(ch), hex(o)
    assert has_han_or_kana("abc 中") and not has_han_or_kana("abc, 123")
