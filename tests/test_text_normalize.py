"""normalize_text: full-width punctuation in CJK text, no CJK spaces, paired quotes, edge artefacts."""

from __future__ import annotations

import unicodedata

import pytest

from ocr_pipeline.text.normalize import normalize_text, strip_edge_artifacts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("今天下雨了,我们没有出门.", "今天下雨了，我们没有出门。"),
        ("他问:你去哪里?我说:去学校!", "他问：你去哪里？我说：去学校！"),
        ("会议(第三次)在北京召开;大家都来了。", "会议（第三次）在北京召开；大家都来了。"),
        ("人工智能(AI)正在改变生活。", "人工智能（AI）正在改变生活。"),
    ],
)
def test_cjk_punctuation_becomes_full_width(raw: str, expected: str) -> None:
    assert normalize_text(raw, "zh") == expected


def test_numbers_and_latin_untouched() -> None:
    s = "增长了3.5%,达到1,000人,时间是10:30,版本v2.1发布."
    out = normalize_text(s, "zh")
    assert "3.5%" in out and "1,000" in out and "10:30" in out and "v2.1" in out
    assert out.endswith("发布。")
    assert out.count("，") == 3
    latin = 'Prices rose 3.5%, to $1,000 (up from 900). "Good," she said; fine!'
    assert normalize_text(latin, "en") == latin
    assert normalize_text(latin, "zh") == latin  # no CJK character, nothing to do


def test_full_stop_only_at_sentence_end() -> None:
    assert normalize_text("他说明天见.然后走了.", "zh") == "他说明天见。然后走了。"
    assert normalize_text("第3.2节", "zh") == "第3.2节"
    assert normalize_text("等等...", "zh") == "等等..."


def test_spaces_between_cjk_removed_but_not_elsewhere() -> None:
    assert normalize_text("效 果网 站", "zh") == "效果网站"
    assert normalize_text("我们用 Python 写程序", "zh") == "我们用 Python 写程序"
    # The space between role and name in a Chinese byline is part of the text.
    assert normalize_text("本报讯（记者 王小明）昨天", "zh") == "本报讯（记者 王小明）昨天"
    # Headlines keep one space between two phrases.
    assert normalize_text("春风送暖  万物复苏", "zh", headline=True) == "春风送暖 万物复苏"
    assert normalize_text("春风送暖  万物复苏", "zh") == "春风送暖万物复苏"


def test_quotes_paired() -> None:
    assert normalize_text('他说"我们走吧"，然后"出发"。', "zh") == "他说“我们走吧”，然后“出发”。"
    # OCR often reads both quotes as opening ones.
    assert normalize_text("所谓“绿色“发展", "zh") == "所谓“绿色”发展"
    assert normalize_text("叫'小明'的人", "zh") == "叫‘小明’的人"
    assert normalize_text("don't 中文", "zh") == "don't 中文"
    # Half a pair, in a line cut from its paragraph: the side comes from the context, not alternation.
    assert normalize_text("蛛网一样挂在墙上。”", "zh", headline=True) == "蛛网一样挂在墙上。”"
    assert normalize_text("他说：“我们", "zh") == "他说：“我们"
    assert normalize_text("“以前一下雨，楼道里全是水。“家住这里", "zh") == "“以前一下雨，楼道里全是水。”家住这里"
    assert normalize_text("从“要我分”到“我要分“", "zh") == "从“要我分”到“我要分”"


def test_edge_artifacts_removed() -> None:
    assert strip_edge_artifacts("| 春天来了") == "春天来了"
    assert strip_edge_artifacts("春天来了 丨") == "春天来了"
    assert strip_edge_artifacts("||春天|来了|") == "春天|来了"
    assert normalize_text("丨第一行\n第二行 |", "zh") == "第一行\n第二行"


def test_nfc_and_idempotent() -> None:
    decomposed = unicodedata.normalize("NFD", "Café, naïve")
    assert normalize_text(decomposed, "en") == "Café, naïve"
    once = normalize_text('会议(第三次)说"好",大家 同意.', "zh")
    assert normalize_text(once, "zh") == once


def test_korean_keeps_latin_punctuation_and_spaces() -> None:
    s = "오늘은 날씨가 좋다. 우리는 (함께) 간다, 그렇지?"
    assert normalize_text(s, "ko") == s


def test_quote_at_the_edge_of_a_line_has_no_neighbour() -> None:
    from ocr_pipeline.text.normalize import normalize_text

    # A lone quote as the whole line, or at either end, once crashed the quote pairing.
    assert normalize_text("'", "zh") in ("'", "‘", "’")
    assert normalize_text("'澜州'", "zh", headline=True) == "‘澜州’"
    assert normalize_text("说'", "zh").startswith("说")


def test_dash_read_as_the_ideograph_one_in_latin_text() -> None:
    from ocr_pipeline.text.normalize import normalize_text

    assert normalize_text("PORT ALDER 一 Five years ago", "en") == "PORT ALDER — Five years ago"
    assert normalize_text("澜州一中", "zh") == "澜州一中"
