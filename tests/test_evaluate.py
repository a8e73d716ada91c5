"""Evaluation metrics on hand-built editions, PAGE XML ground truth, and the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocr_pipeline import model
from ocr_pipeline.errors import ConfigError
from ocr_pipeline.evaluate import (
    EvalSettings,
    body_text,
    boundary_prf,
    evaluate,
    load_ground_truth,
    normalize_text,
    order_edit_distance,
    read_page_xml,
)
from ocr_pipeline.model import Article, Block, BlockRef, Continuation, Edition, Line, Page

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
NZZ = SHARED / "real" / "nzz" / "nzz_18701230_0_0_a1_p1_1.page.xml"

# Article texts written for these tests.
A1 = (
    "城市公交线路优化调整方案公布",
    [
        "本报讯（记者 王明）市交通运输局昨日公布公交线路优化调整方案，自下月起，全市将新开通八条线路，"
        "调整十五条线路的走向和站点，以缓解早晚高峰时段的出行压力。",
        "据介绍，此次调整主要围绕新建居住区和产业园区展开。方案编制过程中，相关部门通过问卷、座谈会等方式"
        "收集市民意见两千余条，并对客流数据进行了逐站分析。",
        "交通部门负责人表示，调整后的线路将更好地衔接地铁站点，换乘距离平均缩短约一百米。"
        "部分夜间线路的末班车时间也将推迟半小时。",
        "市民可通过官方网站和手机应用查询调整后的线路信息。各公交站点将提前张贴告示，"
        "志愿者也会在主要换乘站提供引导服务。",
    ],
)
A2 = (
    "社区图书馆延长开放时间",
    [
        "记者从市文化部门获悉，全市三十二家社区图书馆从本周起将开放时间延长至晚上九点，"
        "方便上班族在下班后借阅图书。",
        "为配合延时开放，各馆增加了自助借还设备，并在阅览区添置了座椅和台灯。部分图书馆还开设了亲子阅读角，"
        "每周末举办绘本故事会。",
        "文化部门表示，将根据读者的使用情况，进一步调整各馆的服务内容，让公共文化服务更加贴近群众生活。",
    ],
)
A3 = (
    "Harbor Bridge Repairs to Begin in Spring",
    [
        "Repairs on the Harbor Bridge will begin in early spring, city officials said Tuesday, closing one "
        "lane in each direction for about four months.",
        "The work will replace worn expansion joints and repaint the steel girders, which were last treated "
        "more than twenty years ago. Engineers inspected the structure in the autumn and found no danger.",
        "Commuters are advised to use the ferry service or the northern ring road during the busiest hours. "
        "Buses will keep their current routes, but delays of ten minutes are expected.",
    ],
)
A4_CAPTION = "图为市民在新开放的滨河公园散步。本报记者 李华 摄"
A5 = (
    "春季植树活动启动",
    [
        "本报讯 全市春季义务植树活动日前启动，今年计划新增绿地面积一百二十公顷，栽植各类苗木三十万株。",
        "活动期间，各区将组织机关干部、学校师生和社区居民分批参加植树劳动，林业部门派出技术人员现场指导，"
        "确保苗木成活率。",
    ],
)


class _PageBuilder:
    """Stacks blocks down 4 columns of a 2400 x 3400 page, one line per 20 characters."""

    def __init__(self, number: int) -> None:
        self.page = Page(number=number, source=f"page-{number:02d}.png", width=2400, height=3400)
        self.col, self.y = 0, 60

    def add(self, kind: str, text: str, article: str | None, height: int = 0) -> str:
        chunks = [text[i : i + 20] for i in range(0, len(text), 20)] if text else []
        h = height or 44 * max(1, len(chunks))
        if self.y + h > 3340:
            self.col, self.y = self.col + 1, 60
        x0 = 40 + self.col * 590
        bid = f"p{self.page.number}-b{len(self.page.blocks) + 1}"
        line_ids = []
        for k, chunk in enumerate(chunks):
            lid = f"{bid}-l{k + 1}"
            y = self.y + 44 * k
            self.page.lines.append(Line(lid, (x0, y, x0 + 560, y + 40), chunk))
            line_ids.append(lid)
        self.page.blocks.append(Block(bid, kind, (x0, self.y, x0 + 560, self.y + h), line_ids,
                                      (self.col, self.col), article))
        self.page.reading_order.append(bid)
        self.y += h + 30
        return bid


def _article(aid: str, headline: str, paras: list[str], parts: list[tuple[_PageBuilder, list[int]]],
             kind: str = "news") -> Article:
    """Place the article's paragraphs on the given pages (headline on the first)."""
    art = Article(aid, headline=headline, kind=kind, paragraphs=list(paras))
    for n, (pb, idx) in enumerate(parts):
        if headline and n == 0:
            art.blocks.append(BlockRef(pb.page.number, pb.add("headline", headline, aid)))
        for i in idx:
            art.blocks.append(BlockRef(pb.page.number, pb.add("body", paras[i], aid)))
        art.pages.append(pb.page.number)
    return art


def build_truth() -> Edition:
    p1, p2, p3 = _PageBuilder(1), _PageBuilder(2), _PageBuilder(3)
    p1.add("masthead", "城市日报", None, height=200)
    for pb in (p1, p2, p3):
        pb.add("folio", f"第{pb.page.number}版 要闻 2025年1月2日", None)
    a1 = _article("a1", A1[0], A1[1], [(p1, [0, 1]), (p2, [2, 3])])
    a1.continuation = Continuation(1, 2, "(下转第2版)", "(上接第1版)")
    a2 = _article("a2", A2[0], A2[1], [(p1, [0, 1, 2])])
    p1.add("photo", "", "a4", height=600)
    a4 = _article("a4", "", [A4_CAPTION], [(p1, [])], kind="photo")
    a4.blocks.append(BlockRef(1, p1.add("caption", A4_CAPTION, "a4")))
    a5 = _article("a5", A5[0], A5[1], [(p1, [0]), (p3, [1])])
    a5.continuation = Continuation(1, 3, "(转第3版)", "(上接第1版)")
    a3 = _article("a3", A3[0], A3[1], [(p2, [0, 1, 2])])
    return Edition("test-ed", title="城市日报", date="2025-01-02", language="zh",
                   pages=[p1.page, p2.page, p3.page], articles=[a1, a2, a4, a5, a3])


@pytest.fixture()
def truth() -> Edition:
    return build_truth()


def _art(ed: Edition, aid: str) -> Article:
    return next(a for a in ed.articles if a.id == aid)


def _row(report, aid: str):
    return next(r for r in report.articles if r.truth_id == aid)


# --- ground truth against itself --------------------------------------------------------------------

def test_truth_against_itself_is_perfect(truth: Edition) -> None:
    report = evaluate(truth, copy.deepcopy(truth))
    assert report.body_cer == 0.0
    assert report.body_chars > 500
    assert report.headline_cer == 0.0
    para = report.paragraphs
    assert para.tp > 0 and para.fp == para.fn == 0
    assert para.precision == para.recall == para.f1 == 1.0
    assert report.matched_rate == 1.0
    assert [r.status for r in report.articles] == ["matched"] * len(truth.articles)
    assert all(r.predicted_id == r.truth_id for r in report.articles)
    assert report.spurious == 0 and report.spurious_chars == 0
    links = report.links
    assert links.tp == 2 and links.precision == 1.0 and links.recall == 1.0
    assert report.block_kind_accuracy == 1.0
    assert report.reading_order_distance == 0.0
    assert report.page_text_cer == 0.0
    overall = report.to_dict()["overall"]
    assert overall["body_cer"] == 0.0 and overall["continuation_links"]["recall"] == 1.0
    json.dumps(report.to_dict(), ensure_ascii=False)  # JSON-able


def test_photo_article_is_matched_by_caption(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    _art(pred, "a4").paragraphs = ["图为市民在新开放的滨河公园散步。本报记者 李华 摄影"]
    report = evaluate(truth, pred)
    row = _row(report, "a4")
    assert row.status == "matched" and row.kind == "photo"
    assert row.distance == 1


# --- text normalisation -----------------------------------------------------------------------------

def test_full_width_and_half_width_punctuation_score_zero(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    half = str.maketrans({"，": ",", "。": ".", "（": "(", "）": ")", "、": "、", "：": ":"})
    for a in pred.articles:
        # half-width marks, and the spaces some engines put between Chinese characters
        a.paragraphs = [" ".join(p.translate(half)) if a.id == "a2" else p.translate(half) for p in a.paragraphs]
        a.headline = a.headline.translate(half)
    assert _art(pred, "a1").paragraphs[0] != _art(truth, "a1").paragraphs[0]
    report = evaluate(truth, pred)
    assert report.body_cer == 0.0
    assert report.paragraphs.f1 == 1.0
    # a real error is still counted after normalisation
    _art(pred, "a1").paragraphs[1] = _art(pred, "a1").paragraphs[1].replace("问卷", "问券")
    assert evaluate(truth, pred).body_distance == 1


def test_normalize_text_rules() -> None:
    assert normalize_text("他说：“好！”") == normalize_text('他说:"好!"')
    assert normalize_text("Ｈｅｌｌｏ　 world\t\n") == "Hello world"
    assert normalize_text("本 报 讯 (记 者)") == "本报讯(记者)"
    assert normalize_text("two  words") == "two words"  # spaces between Latin words are kept
    assert body_text(["  第一段 ", "", "第二段"]) == "第一段\n第二段"


# --- order ----------------------------------------------------------------------------------------------

def test_reading_order_swap_across_columns_raises_cer(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    a2 = _art(pred, "a2")
    a2.paragraphs[0], a2.paragraphs[2] = a2.paragraphs[2], a2.paragraphs[0]
    page = pred.page(1)
    body_ids = [r.block_id for r in a2.blocks if page.block_map()[r.block_id].kind == "body"]
    i, j = page.reading_order.index(body_ids[0]), page.reading_order.index(body_ids[2])
    page.reading_order[i], page.reading_order[j] = page.reading_order[j], page.reading_order[i]
    report = evaluate(truth, pred)
    row = _row(report, "a2")
    assert row.status == "matched"  # still recognised as the same article
    assert row.cer is not None and row.cer > 0.5
    assert _row(report, "a1").cer == 0.0
    pages = {p.page: p for p in report.pages}
    assert pages[1].order_distance is not None and pages[1].order_distance > 0.0
    assert pages[2].order_distance == 0.0
    assert pages[1].text_cer is not None and pages[1].text_cer > 0.0


def test_paragraph_boundaries_merge_and_extra_split() -> None:
    gt = body_text(["第一段文字内容", "第二段文字内容", "第三段文字内容"])
    merged = body_text(["第一段文字内容第二段文字内容", "第三段文字内容"])
    prf = boundary_prf(gt, merged)
    assert (prf.tp, prf.fp, prf.fn) == (1, 0, 1)
    extra = body_text(["第一段文字", "内容", "第二段文字内容", "第三段文字内容"])
    prf = boundary_prf(gt, extra)
    assert (prf.tp, prf.fp, prf.fn) == (2, 1, 0)
    # a boundary off by two characters still counts, by three it does not
    assert boundary_prf("abcdefgh\nijklmnop", "abcdefghij\nklmnop").tp == 1
    assert boundary_prf("abcdefgh\nijklmnop", "abcdefghijk\nlmnop").tp == 0


# --- segmentation -----------------------------------------------------------------------------------

def test_merged_articles_are_detected(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    a2, a5 = _art(pred, "a2"), _art(pred, "a5")
    a2.paragraphs = a2.paragraphs + a5.paragraphs
    pred.articles.remove(a5)
    report = evaluate(truth, pred)
    assert _row(report, "a2").status == "merged"
    assert _row(report, "a5").status == "merged"
    assert "a5" in _row(report, "a2").related
    assert report.count("merged") == 2
    assert next(p for p in report.predicted if p.id == "a2").status == "merged"
    assert report.matched_rate == pytest.approx(3 / 5)
    assert report.body_cer > 0.0


def test_split_article_is_detected(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    a1 = _art(pred, "a1")
    tail = Article("a1-cont", headline="公交线路调整", kind="continuation", paragraphs=a1.paragraphs[2:], pages=[2])
    a1.paragraphs = a1.paragraphs[:2]
    a1.continuation = None
    pred.articles.append(tail)
    report = evaluate(truth, pred)
    row = _row(report, "a1")
    assert row.status == "split"
    assert set(row.related) == {"a1", "a1-cont"}
    assert row.cer is not None and 0.3 < row.cer < 0.7
    statuses = {p.id: p.status for p in report.predicted}
    assert {statuses["a1"], statuses["a1-cont"]} == {"matched", "split-part"}
    assert report.spurious == 0
    assert report.matched_rate == pytest.approx(4 / 5)
    assert report.links.recall == pytest.approx(0.5)


def test_missing_and_spurious_articles(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    pred.articles = [a for a in pred.articles if a.id != "a3"]
    pred.articles.append(Article("x1", headline="天气预报", paragraphs=[
        "明天白天多云转晴，偏北风三到四级，最高气温八摄氏度，夜间最低气温零下三摄氏度，请注意防寒保暖。"]))
    report = evaluate(truth, pred)
    row = _row(report, "a3")
    assert row.status == "missing" and row.predicted_id is None
    assert row.distance == row.chars > 0 and row.cer == 1.0
    assert report.body_cer == pytest.approx(row.chars / report.body_chars)
    assert report.spurious == 1 and report.spurious_chars > 40
    assert next(p for p in report.predicted if p.id == "x1").status == "spurious"


# --- continuation links -----------------------------------------------------------------------------

def test_missing_link_lowers_recall(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    _art(pred, "a5").continuation = None
    links = evaluate(truth, pred).links
    assert links.precision == 1.0 and links.recall == pytest.approx(0.5)


def test_wrong_link_lowers_precision(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    _art(pred, "a5").continuation = Continuation(1, 2)  # truth: 1 -> 3
    links = evaluate(truth, pred).links
    assert links.precision == pytest.approx(0.5) and links.recall == pytest.approx(0.5)
    pred = copy.deepcopy(truth)
    _art(pred, "a2").continuation = Continuation(1, 2)  # a link on an article that has none
    links = evaluate(truth, pred).links
    assert links.precision == pytest.approx(2 / 3) and links.recall == 1.0


def test_unmatched_jump_is_not_a_link(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    _art(pred, "a5").continuation = Continuation(1, 3, matched=False)
    links = evaluate(truth, pred).links
    assert links.tp == 1 and links.recall == pytest.approx(0.5)


# --- block kinds ------------------------------------------------------------------------------------

def test_block_kind_accuracy_and_confusion(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    page = pred.page(1)
    head = next(b for b in page.blocks if b.kind == "headline")
    head.kind = "body"
    gone = next(b for b in page.blocks if b.kind == "caption")
    page.blocks.remove(gone)
    page.reading_order.remove(gone.id)
    report = evaluate(truth, pred)
    total = sum(len(p.blocks) for p in truth.pages)
    assert report.block_kind_accuracy == pytest.approx((total - 2) / total)
    conf = report.block_kind_confusion
    assert conf["headline"]["body"] == 1
    assert conf["caption"]["(none)"] == 1


def test_prediction_at_other_resolution_is_scaled(truth: Edition) -> None:
    pred = copy.deepcopy(truth)
    for page in pred.pages:
        page.width, page.height = page.width // 2, page.height // 2
        for b in page.blocks:
            b.bbox = tuple(v / 2 for v in b.bbox)  # type: ignore[assignment]
        for ln in page.lines:
            ln.bbox = tuple(v / 2 for v in ln.bbox)  # type: ignore[assignment]
    report = evaluate(truth, pred)
    assert report.block_kind_accuracy == 1.0 and report.reading_order_distance == 0.0


# --- reading order on PAGE XML -----------------------------------------------------------------------

def test_order_edit_distance() -> None:
    seq = [f"r{i}" for i in range(10)]
    assert order_edit_distance(seq, seq) == 0.0
    assert order_edit_distance(seq, seq[::-1]) > 0.5
    assert order_edit_distance(seq, seq[:5] + seq[6:7] + seq[5:6] + seq[7:]) == pytest.approx(0.2)
    assert order_edit_distance([], []) == 0.0


_PAGE_2019 = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">
 <Metadata><Creator>test</Creator><Created>2025-01-01T00:00:00</Created>
 <LastChange>2025-01-01T00:00:00</LastChange></Metadata>
 <Page imageFilename="x.png" imageWidth="1000" imageHeight="1000">
  <ReadingOrder><OrderedGroup id="g0">
   <RegionRefIndexed index="2" regionRef="c"/>
   <OrderedGroupIndexed id="g1" index="1" regionRef="h">
     <RegionRefIndexed index="1" regionRef="b2"/>
     <RegionRefIndexed index="0" regionRef="b1"/>
   </OrderedGroupIndexed>
   <UnorderedGroupIndexed id="g2" index="3"><RegionRef regionRef="img"/></UnorderedGroupIndexed>
   <RegionRefIndexed index="0" regionRef="t"/>
  </OrderedGroup></ReadingOrder>
  <TextRegion id="t" type="heading"><Coords points="0,0 1000,0 1000,90 0,90"/>
   <TextLine id="t1"><Coords points="0,0 1000,0 1000,90 0,90"/><TextEquiv><Unicode>Title</Unicode></TextEquiv></TextLine>
  </TextRegion>
  <TextRegion id="h" type="heading"><Coords points="0,100 480,100 480,190 0,190"/></TextRegion>
  <TextRegion id="b1" type="paragraph"><Coords points="0,200 480,200 480,590 0,590"/></TextRegion>
  <TextRegion id="b2" type="paragraph"><Coords points="0,600 480,600 480,990 0,990"/></TextRegion>
  <TextRegion id="c" type="paragraph"><Coords points="520,100 1000,100 1000,590 520,590"/></TextRegion>
  <ImageRegion id="img"><Coords points="520,600 1000,600 1000,990 520,990"/></ImageRegion>
  <SeparatorRegion id="sep"><Coords points="495,100 505,100 505,990 495,990"/></SeparatorRegion>
 </Page>
</PcGts>
"""


def test_page_xml_reading_order_nested_groups(tmp_path: Path) -> None:
    f = tmp_path / "p.page.xml"
    f.write_text(_PAGE_2019, encoding="utf-8")
    tp = read_page_xml(f)
    assert tp.reading_order == ["t", "h", "b1", "b2", "c", "img"]
    kinds = {r.id: r.kind for r in tp.regions}
    assert kinds == {"t": "headline", "h": "headline", "b1": "body", "b2": "body", "c": "body", "img": "photo"}
    assert tp.region_map()["t"].text == "Title"
    assert (tp.width, tp.height, tp.source) == (1000, 1000, "p")
    assert isinstance(load_ground_truth(f), type(tp))


def test_page_xml_folder_matches_pages_by_file_name(tmp_path: Path) -> None:
    for name in ("scan-b", "scan-a"):
        (tmp_path / f"{name}.page.xml").write_text(_PAGE_2019, encoding="utf-8")
    pages = load_ground_truth(tmp_path)
    assert isinstance(pages, list) and [p.source for p in pages] == ["scan-a", "scan-b"]
    good = _page_from_truth(pages[0], pages[0].reading_order, new_ids=True).pages[0]
    bad = _page_from_truth(pages[1], pages[1].reading_order[::-1], new_ids=True).pages[0]
    good.source, good.number = "scan-a.png", 2  # numbers disagree with the truth: names decide
    bad.source, bad.number = "scan-b.png", 1
    report = evaluate(pages, Edition("pred", pages=[bad, good]))
    dist = {p.page: p.order_distance for p in report.pages}
    assert dist[1] == 0.0 and dist[2] is not None and dist[2] > 0.5


def _page_from_truth(tp, order: list[str], *, new_ids: bool) -> Edition:
    """A predicted page with one block per truth region, read in ``order``."""
    page = Page(1, f"{tp.source}.tif", tp.width, tp.height)
    ids = {}
    for k, r in enumerate(tp.regions):
        ids[r.id] = f"blk{k}" if new_ids else r.id
        page.lines.append(Line(f"{ids[r.id]}-l", r.bbox, r.text))
        page.blocks.append(Block(ids[r.id], r.kind, r.bbox, [f"{ids[r.id]}-l"]))
    page.reading_order = [ids[rid] for rid in order]
    return Edition("pred", pages=[page])


@pytest.mark.skipif(not NZZ.exists(), reason="../shared/real/nzz is absent")
@pytest.mark.parametrize("new_ids", [False, True])
def test_nzz_page_reading_order(new_ids: bool) -> None:
    tp = read_page_xml(NZZ)
    assert len(tp.reading_order) >= 20
    assert len(tp.reading_order) == len(set(tp.reading_order))
    same = evaluate(tp, _page_from_truth(tp, tp.reading_order, new_ids=new_ids))
    page = same.pages[0]
    assert page.order_distance == 0.0
    assert page.order_regions_matched == len(tp.reading_order)
    rev = evaluate(tp, _page_from_truth(tp, tp.reading_order[::-1], new_ids=new_ids))
    assert rev.pages[0].order_distance > 0.5
    assert rev.pages[0].text_cer > 0.5 and same.pages[0].text_cer == 0.0
    assert same.articles == [] and "reading order distance 0.000" in same.format_table()


# --- settings, loading and the command line ---------------------------------------------------------

def test_settings_validate_themselves() -> None:
    with pytest.raises(ConfigError):
        EvalSettings(match_threshold=0.0)
    with pytest.raises(ConfigError):
        EvalSettings(boundary_tolerance=-1)


def _write_pair(tmp_path: Path, truth: Edition, pred: Edition) -> tuple[Path, Path]:
    gt, pr = tmp_path / "truth.json", tmp_path / "out" / "edition.json"
    model.dump(truth, gt)
    model.dump(pred, pr)
    return gt, pr


def test_cli_evaluate_writes_metrics(tmp_path: Path, truth: Edition) -> None:
    from ocr_pipeline.cli import cli

    pred = copy.deepcopy(truth)
    pred.articles = [a for a in pred.articles if a.id != "a3"]
    gt, pr = _write_pair(tmp_path, truth, pred)
    out = tmp_path / "metrics.json"
    res = CliRunner().invoke(cli, ["evaluate", str(gt), str(pr), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "a3" in res.output and "missing" in res.output and "overall: body CER" in res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["overall"]["missing"] == 1
    assert data["overall"]["body_cer"] > 0
    assert {r["id"] for r in data["articles"]} == {a.id for a in truth.articles}


def test_cli_bad_input_exit_code(tmp_path: Path, truth: Edition) -> None:
    bad = tmp_path / "edition.json"
    bad.write_text("{not json", encoding="utf-8")
    gt = tmp_path / "truth.json"
    model.dump(truth, gt)
    proc = subprocess.run(
        [sys.executable, "-m", "ocr_pipeline", "evaluate", str(gt), str(bad)],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "edition.json" in proc.stderr


def test_cli_subprocess_self_score(tmp_path: Path, truth: Edition) -> None:
    gt, pr = _write_pair(tmp_path, truth, copy.deepcopy(truth))
    proc = subprocess.run(
        [sys.executable, "-m", "ocr_pipeline", "evaluate", str(gt), str(tmp_path / "out")],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "body CER 0.0%" in proc.stdout and "P 1.000 R 1.000" in proc.stdout
