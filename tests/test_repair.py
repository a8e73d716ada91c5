"""``repair``: rejoin chunks cut at column ends; keep headings, subheads and paragraph ends."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocr_pipeline.cli.repair_cmd import repair
from ocr_pipeline.text.chars import count_han
from ocr_pipeline.text.repair import repair_text, split_chunks

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"

ZH_DUMP = """

# 小镇新春见闻

本报讯(记者 李明)春节前夕,小镇的街道上挂满了红灯笼。商店里人来人往,年货摆满了货架,孩子们拿着糖葫芦在街上跑来跑去。

镇上的老手艺人今年又开起了剪纸课,来学习的年轻人比往年多了一倍。他说,只要有人愿意学,这门手艺就能一直传下

去。课堂上,大家一边剪一边聊,笑声不断。

文化活动 让传统走进生活

今年的庙会增加了许多新项目,既有舞龙舞狮,也有民乐表演和灯谜竞猜。组织者表示,关键要

让更多年轻人参与进来。

市场上有苹果、葡萄和西

发布了新的规定,要求商户明码标价。

## 乡村道路全部完成改造

截至目前,全镇的乡村道路已经全部完成改造,群众出行更加方便。
"""


def test_zh_dump_repaired() -> None:
    result = repair_text(ZH_DUMP, "zh")
    chunks = split_chunks(result.text)
    assert chunks[0] == "# 小镇新春见闻"
    assert "## 乡村道路全部完成改造" in chunks
    # Word split at the column end ("传下" + "去"): rejoined, nothing inserted.
    assert any("这门手艺就能一直传下去。课堂上" in c for c in chunks)
    # Subhead with a space between two phrases stays on its own.
    assert "文化活动 让传统走进生活" in chunks
    # A short chunk ending in a modal verb is half a sentence, not a subhead.
    assert any("关键要让更多年轻人参与进来。" in c for c in chunks)
    # Text lost at a jump: joined (the sentence was cut) but listed as uncertain.
    assert any("葡萄和西发布了新的规定" in c for c in chunks)
    uncertain = result.uncertain()
    assert len(uncertain) == 1 and "西|发布" in uncertain[0].context
    assert "text may be lost" in uncertain[0].note
    assert count_han(result.text) == count_han(ZH_DUMP)
    c = result.counts
    assert (c.chunks, c.headings, c.subheads, c.joins, c.uncertain) == (11, 2, 1, 3, 1)
    assert c.paragraphs_out == c.chunks - c.joins


def test_zh_subhead_shorter_than_neighbours_without_space() -> None:
    text = (
        "去年全市新建公园十二个,绿地面积增加了三成。\n\n"
        "让居民走出家门就能看见绿色\n\n"
        "今年,城市管理部门将继续推进街头绿地建设,计划在老城区增加二十处口袋公园,并对现有公园进行提升改造,"
        "让市民在家门口就能享受到更好的休闲环境。\n"
    )
    result = repair_text(text, "zh")
    assert [ch.kind for ch in result.chunks] == ["body", "subhead", "body"]
    assert result.counts.joins == 0
    assert result.text.count("\n\n") == 2


def test_normalize_option() -> None:
    result = repair_text('他说:"明天见",然后走了.\n\n第二段。\n', "zh", normalize=True)
    assert result.text.startswith("他说：“明天见”，然后走了。\n\n第二段。")
    assert repair_text('他说:"明天见".\n', "zh").text == '他说:"明天见".\n'


EN_DUMP = """# Bridge work to start in spring

The city council approved the recon-

struction of the old river bridge on Tuesday. Engineers expect the work to take two

years, and traffic will use a temporary crossing.

Plans for the Riverside

The riverside path will close in March. "We will reopen it as soon as we can," the mayor said.
"""


def test_en_dump_repaired() -> None:
    result = repair_text(EN_DUMP, None)
    assert result.lang == "en"
    chunks = split_chunks(result.text)
    assert chunks == [
        "# Bridge work to start in spring",
        "The city council approved the reconstruction of the old river bridge on Tuesday. Engineers expect "
        "the work to take two years, and traffic will use a temporary crossing.",
        "Plans for the Riverside",
        'The riverside path will close in March. "We will reopen it as soon as we can," the mayor said.',
    ]
    assert result.counts.subheads == 1 and result.counts.joins == 2


# --- the seed page ---------------------------------------------------------------------------------------

_FINAL = "。！？!?…"
_CLOSE = "”’\"'）)」』"


def _ends_final(text: str) -> bool:
    t = text.rstrip().rstrip(_CLOSE)
    return bool(t) and t[-1] in _FINAL


def _seed_structure(text: str) -> tuple[list[str], set[int], set[int], list[int]]:
    """Expectations from the dump's structure alone: headings, subheads (short, unpunctuated, between
    finished paragraphs), and breaks inside a sentence (no final punctuation, next is body text)."""
    chunks = [c.strip() for c in re.split(r"\n\s*\n", text) if c.strip()]
    headings = {i for i, c in enumerate(chunks) if c.startswith("#")}
    subheads = set()
    for i, c in enumerate(chunks):
        if i in headings or _ends_final(c) or len(c) > 30 or i + 1 >= len(chunks) or i + 1 in headings:
            continue
        if i == 0 or i - 1 in headings or _ends_final(chunks[i - 1]):
            subheads.add(i)
    splits = [
        i
        for i, c in enumerate(chunks[:-1])
        if i not in headings and i not in subheads and not _ends_final(c)
        and i + 1 not in headings and i + 1 not in subheads
    ]
    return chunks, headings, subheads, splits


def _seed_file() -> Path:
    files = sorted((SHARED / "seed").glob("000_*.txt")) if (SHARED / "seed").is_dir() else []
    if not files:
        pytest.skip("shared/seed/000_*.txt not available")
    return files[0]


def test_seed_page_repair() -> None:
    text = _seed_file().read_text(encoding="utf-8")
    chunks, headings, subheads, splits = _seed_structure(text)
    assert splits and headings and subheads
    result = repair_text(text)
    assert result.lang == "zh"
    out = split_chunks(result.text)
    # Every mid-sentence split is rejoined with nothing inserted.
    for i in splits:
        seam = chunks[i].rstrip() + chunks[i + 1].lstrip()
        assert any(seam in o for o in out), f"split after chunk {i} not rejoined"
    # No heading lost, no subhead joined, and every finished paragraph still ends a paragraph.
    for i in headings | subheads:
        assert chunks[i] in out
    for i, c in enumerate(chunks[:-1]):
        if _ends_final(c):
            assert any(o.endswith(c) for o in out), f"paragraph end after chunk {i} lost"
    assert count_han(result.text) == count_han(text)
    assert len(result.text.replace("\n", "")) == len(text.replace("\n", ""))
    c = result.counts
    assert c.joins == len(splits)
    assert c.subheads == len(subheads) and c.headings == len(headings)
    # The place where text is missing is listed, and nothing that joined a dictionary word is.
    assert c.uncertain >= 1
    assert all(d.forms_word is not True for d in result.uncertain())


# --- CLI ---------------------------------------------------------------------------------------------

def test_cli_writes_text_issues_and_summary(tmp_path: Path) -> None:
    src = tmp_path / "dump.txt"
    src.write_text(ZH_DUMP, encoding="utf-8")
    out, issues = tmp_path / "fixed.txt", tmp_path / "issues.json"
    res = CliRunner().invoke(repair, [str(src), "-o", str(out), "--issues", str(issues), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8") == repair_text(ZH_DUMP, "zh").text
    data = json.loads(issues.read_text(encoding="utf-8"))
    assert data["counts"]["joins"] == 3 and len(data["uncertain"]) == 1
    assert data["subheads"] == ["文化活动 让传统走进生活"]
    assert "joins made 3" in res.stderr and "uncertain 1" in res.stderr
    assert "西|发布" in res.stderr


def test_cli_subprocess_stdout_and_bad_input(tmp_path: Path) -> None:
    src = tmp_path / "dump.txt"
    src.write_text(EN_DUMP, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "ocr_pipeline", "repair", str(src)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "reconstruction of the old river bridge" in proc.stdout
    assert "2 joins" in proc.stderr or "joins made 2" in proc.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "ocr_pipeline", "repair", str(tmp_path / "nope.txt")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_closing_notes_and_jump_lines_keep_breaks() -> None:
    text = (
        "今天召开了全体会议。(下转第2版)\n\n"
        "(上接第1版)会议还讨论了明年的工作安排\n\n"
        "(上接第3版)大家一致同意。\n\n"
        "会议按照规范(2023年版)\n\n"
        "进行了评估。\n"
    )
    result = repair_text(text, "zh")
    chunks = split_chunks(result.text)
    assert chunks[0].endswith("(下转第2版)")
    assert chunks[1] == "(上接第1版)会议还讨论了明年的工作安排"  # never joined into another article's text
    assert [d.uncertain for d in result.decisions][:2] == [False, True]
    assert chunks[-1] == "会议按照规范(2023年版)进行了评估。"
