"""Continuations across pages: hand-built editions whose articles jump, matched and stitched back."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass

import pytest

from ocr_pipeline.edition import link_continuations
from ocr_pipeline.edition.stitch import join_split
from ocr_pipeline.model import Article, Block, BlockRef, Edition, Line, Page
from ocr_pipeline.profiles import load_profile


@dataclass
class Story:
    """A whole article as written; the builder cuts it where the jump falls."""

    id: str
    headline: str
    paragraphs: list[str]
    # (paragraph index, text the second part starts with) of the cut, and the pages of the two parts.
    cut: tuple[int, str] | None = None
    pages: tuple[int, int] = (1, 1)
    jump_out: str = ""
    jump_in: str = ""
    # Headline printed over the continuation ("" for none); the jump-in goes in a jump block or inline.
    jump_head: str = ""
    inline_in: bool = False
    # Print the first part with a hyphen at the cut (an English word broken at the column end).
    hyphenate: bool = False

    def parts(self) -> tuple[list[str], list[str]]:
        assert self.cut is not None
        pi, start = self.cut
        para = self.paragraphs[pi]
        off = para.index(start)
        first = self.paragraphs[:pi] + [para[:off] + ("-" if self.hyphenate else "")]
        second = [para[off:]] + self.paragraphs[pi + 1 :]
        return [p for p in first if p], [p for p in second if p]


class Builder:
    def __init__(self, n_pages: int) -> None:
        self.pages = {n: Page(number=n, source=f"page-{n:02d}.png", width=2400, height=3400)
                      for n in range(1, n_pages + 1)}
        self.articles: list[Article] = []
        self._y: dict[int, int] = dict.fromkeys(self.pages, 100)

    def _block(self, page: int, kind: str, texts: list[str], aid: str) -> BlockRef:
        pg = self.pages[page]
        y = self._y[page]
        ids = []
        for t in texts:
            lid = f"p{page}l{len(pg.lines):04d}"
            pg.lines.append(Line(id=lid, bbox=(100, y, 900, y + 30), text=t))
            ids.append(lid)
            y += 40
        bid = f"p{page}b{len(pg.blocks):03d}"
        pg.blocks.append(Block(id=bid, kind=kind, bbox=(100, self._y[page], 900, y), line_ids=ids, article_id=aid))
        pg.reading_order.append(bid)
        self._y[page] = y + 20
        return BlockRef(page, bid)

    def add(self, page: int, aid: str, headline: str, paragraphs: list[str], *, jump: str = "",
            jump_inline: str = "") -> Article:
        refs = []
        if headline:
            refs.append(self._block(page, "headline", [headline], aid))
        paras = list(paragraphs)
        if jump_inline and paras:
            # The layout left the jump-in marker at the start of the first paragraph ("(上接第1版)…").
            paras[0] = jump_inline + paras[0]
        refs.append(self._block(page, "body", paras, aid))
        if jump:
            refs.append(self._block(page, "jump", [jump], aid))
        art = Article(id=aid, headline=headline, paragraphs=paras, pages=[page], blocks=refs)
        self.articles.append(art)
        return art

    def story(self, s: Story) -> None:
        if s.cut is None:
            self.add(s.pages[0], s.id, s.headline, s.paragraphs)
            return
        first, second = s.parts()
        self.add(s.pages[0], s.id, s.headline, first, jump=s.jump_out)
        cid = f"{s.id}-cont"
        if s.inline_in:
            self.add(s.pages[1], cid, s.jump_head, second, jump_inline=s.jump_in)
        else:
            self.add(s.pages[1], cid, s.jump_head, second, jump=s.jump_in)

    def edition(self, lang: str) -> Edition:
        # Articles listed page by page, as the article stage emits them.
        arts = sorted(self.articles, key=lambda a: a.pages[0])
        return Edition(id="ed", language=lang, pages=list(self.pages.values()), articles=arts)


ZH_STORIES = [
    Story("zh1", "老街区更新让居民生活更便利",
          ["本报讯 今年以来，我市启动老街区更新计划，对十二条老街的供水管网、电力线路和人行道进行改造，"
           "并在街区内新增社区食堂、托育中心和口袋公园。",
           "据介绍，老街区更新坚持居民参与，每一项改造内容都经过居民议事会讨论，施工期间设立临时通道，"
           "尽量减少对居民出行的影响。第一批六条老街的改造工程已于九月底完工，其余六条预计明年春季完成。",
           "居民王阿姨说，过去下雨天门口总是积水，现在排水管道换新了，出门方便多了。"],
          cut=(1, "事会讨论"), pages=(1, 3), jump_out="(下转第3版)", jump_in="(上接第一版)",
          jump_head="老街区更新让居民生活更便利"),
    Story("zh2", "高标准农田建设助力粮食增产",
          ["本报讯 记者从市农业农村局获悉，全市今年新建高标准农田八万亩，完成田间道路、灌溉渠道和农田防护林"
           "配套建设，粮食亩产平均提高一百二十斤。",
           "在东湖镇的示范片区，种粮大户老李指着整齐的稻田说，渠道修好以后，灌溉用水节省了三成，"
           "收割机也能直接开进田里，种地的成本明显降低。",
           "市农业农村局负责人表示，明年将继续推进高标准农田建设，重点加强后期管护。"],
          cut=(1, "好以后"), pages=(1, 2), jump_out="（下接二版）", jump_in="(上接第1版)",
          jump_head="高标准农田", inline_in=True),
    Story("zh3", "新能源汽车产业链加快集聚",
          ["本报讯 今年前三季度，我市新能源汽车产量同比增长百分之四十五，电池、电机、电控等关键零部件企业"
           "相继落户，产业链本地配套率达到六成。",
           "在经济开发区的一家电池工厂，自动化生产线正在满负荷运转，工厂负责人介绍，新工厂投产后年产能将"
           "达到二十吉瓦时，可满足三十万辆整车的需求。",
           "业内人士认为，产业链集聚有利于降低物流成本，提升企业的研发效率。"],
          cut=(1, "新工厂投产后"), pages=(1, 2), jump_out="(转第2版)", jump_in="(接第1版)",
          jump_head="新能源汽车产业链加快集聚"),
    Story("zh4", "市图书馆推出夜间阅读服务",
          ["本报讯 从本月起，市图书馆每周五和周六开放至晚上十点，读者可以在夜间借还图书、参加读书沙龙。"]),
    # A decoy on page 2: also about farmland and grain, with no jump line.
    Story("zh5", "秋粮收购工作有序开展",
          ["本报讯 随着秋粮陆续收获，全市各收购网点已全面开秤，粮食部门组织农田服务队上门服务，"
           "帮助种粮户晾晒、储存粮食，确保颗粒归仓。"], pages=(2, 2)),
    Story("zh6", "社区运动会精彩纷呈",
          ["本报讯 第五届社区运动会昨日闭幕，来自全市四十个社区的两千多名居民参加了拔河、跳绳等比赛项目。"],
          pages=(4, 4)),
]

EN_STORIES = [
    Story("en1", "City Council Approves Record Budget",
          ["The City Council voted 7 to 2 on Tuesday to approve a record operating budget of $2.1 billion, "
           "with new money for road repair, libraries and the fire department.",
           "Council members who opposed the plan said the spending would force a property tax increase within "
           "two years, and that the city government had not explained how it would pay for the new positions. "
           "Supporters answered that the budget draws on reserves that were set aside for that purpose.",
           "The mayor is expected to sign the budget next week."],
          cut=(1, "ernment had"), hyphenate=True, pages=(1, 4), jump_out="See BUDGET, Page A4", jump_in="BUDGET, from Page A1",
          jump_head="BUDGET"),
    Story("en2", "Heavy Rains Flood Valley Farms",
          ["Two days of heavy rain sent the Green River over its banks on Sunday, flooding farms across the "
           "valley and closing three county roads.",
           "Farmers said the water reached the barns before dawn, and many of them spent the night moving "
           "cattle and equipment to higher ground while volunteers filled sandbags along the levee."],
          cut=(1, "spent the night"), pages=(1, 2), jump_out="(Continued on Second Page.)",
          jump_in="(Continued from First Page.)", jump_head="Heavy Rains Flood Valley Farms"),
    Story("en3", "New Library Opens Downtown",
          ["The new central library opened its doors on Saturday to a line of readers that stretched around "
           "the block, after three years of construction and a long fight over its cost.",
           "Inside, visitors found a children's floor, a makerspace with 3D printers, and a reading room with "
           "views of the harbor, while librarians handed out the first library cards issued in the building."],
          cut=(1, "room with"), pages=(1, 2), jump_out="Continued on Page 2, Column 3",
          jump_in="Continued from Page 1", jump_head="Library"),
    # Decoy on page 2: another flood story, no jump line.
    Story("en4", "Flood Insurance Claims Rise",
          ["Insurance agents across the valley reported a surge of flood claims from farms after the heavy "
           "rain, and warned that many farmers lack coverage for cattle and barns."], pages=(2, 2)),
    Story("en5", "School Board Names New Principal",
          ["The school board on Monday named a new principal for the high school, a former teacher who "
           "returns to the district after ten years away."], pages=(3, 3)),
]


def build(stories: list[Story], lang: str) -> Edition:
    b = Builder(4)
    for s in stories:
        b.story(s)
    return b.edition(lang)


def summary(edition: Edition) -> list[tuple[str, str, tuple[int, ...], tuple[str, ...], bool | None]]:
    return sorted(
        (a.id, a.headline, tuple(a.pages), tuple(a.paragraphs),
         None if a.continuation is None else a.continuation.matched)
        for a in edition.articles
    )


@pytest.mark.parametrize("stories,lang,profile", [(ZH_STORIES, "zh", "zh-daily"), (EN_STORIES, "en", "en-broadsheet")])
def test_jumps_are_matched_and_stitched(stories: list[Story], lang: str, profile: str) -> None:
    edition = build(stories, lang)
    report = link_continuations(edition, load_profile(profile), lang=lang)
    jumped = [s for s in stories if s.cut is not None]
    assert sorted((ln.from_article, ln.to_article) for ln in report.links) == sorted(
        (s.id, f"{s.id}-cont") for s in jumped)
    assert report.unmatched == []
    by_id = {a.id: a for a in edition.articles}
    for s in stories:
        art = by_id[s.id]
        # The whole article again: split paragraph rejoined, no marker left in the text.
        assert art.paragraphs == s.paragraphs, s.id
        assert art.headline == s.headline
        assert not art.flags
        if s.cut is None:
            assert art.continuation is None and art.pages == [s.pages[0]]
            continue
        assert f"{s.id}-cont" not in by_id
        assert art.pages == list(s.pages)
        assert art.continuation is not None and art.continuation.matched
        assert (art.continuation.from_page, art.continuation.to_page) == s.pages
        assert art.continuation.jump_out == s.jump_out and art.continuation.jump_in == s.jump_in
        # Blocks from both parts, and those blocks now name the stitched article.
        assert {r.page for r in art.blocks} == set(s.pages)
        for ref in art.blocks:
            assert edition.page(ref.page).block_map()[ref.block_id].article_id == s.id
    # Stitched articles sit at their first part's page; order by first page.
    firsts = [a.pages[0] for a in edition.articles]
    assert firsts == sorted(firsts)


def test_split_paragraph_rejoined_without_inserted_character() -> None:
    zh = ZH_STORIES[0]
    first, second = zh.parts()
    assert join_split(first[-1], second[0], "zh") == zh.paragraphs[1]
    en = EN_STORIES[0]
    first, second = en.parts()
    # The English cut falls on a hyphenated line end: "gov-" + "ernment" -> "government".
    assert first[-1].endswith("city gov-") and second[0].startswith("ernment had")
    assert join_split(first[-1], second[0], "en") == en.paragraphs[1]
    assert join_split("the city", "council met", "en") == "the city council met"


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("stories,lang", [(ZH_STORIES, "zh"), (EN_STORIES, "en")])
def test_shuffled_pages_give_the_same_articles(stories: list[Story], lang: str, seed: int) -> None:
    reference = build(stories, lang)
    link_continuations(reference, "generic", lang=lang)
    shuffled = build(stories, lang)
    rng = random.Random(seed)
    # Renumbering is not allowed (page numbers come from folios) but order is: shuffle pages and articles.
    rng.shuffle(shuffled.pages)
    rng.shuffle(shuffled.articles)
    link_continuations(shuffled, "generic", lang=lang)
    assert summary(shuffled) == summary(reference)
    assert [a.id for a in shuffled.articles] == [a.id for a in reference.articles]


def test_headless_continuations_matched_by_text() -> None:
    # Both continuations on page 2 say only "(上接第1版)", with no headline: the text has to decide.
    stories = copy.deepcopy(ZH_STORIES)
    for s in stories:
        s.jump_head = ""
        if s.cut is not None:
            s.jump_in = "(上接第1版)"
    edition = build(stories, "zh")
    report = link_continuations(edition, lang="zh")
    assert sorted((ln.from_article, ln.to_article) for ln in report.links) == sorted(
        (s.id, f"{s.id}-cont") for s in stories if s.cut is not None)
    by_id = {a.id: a for a in edition.articles}
    for s in stories:
        assert by_id[s.id].paragraphs == s.paragraphs


def test_unmatched_jumps_are_flagged_and_kept() -> None:
    b = Builder(3)
    b.add(1, "a1", "水库除险加固工程开工", ["本报讯 全市十座小型水库的除险加固工程昨日开工，计划汛期前完成大坝"],
          jump="(下转第5版)")
    b.add(2, "orphan", "", ["防渗处理和溢洪道改造，确保水库安全度汛。"], jump="(上接第4版)")
    b.add(3, "other", "公交线路优化调整", ["本报讯 下月起，三条公交线路将优化调整。"])
    edition = b.edition("zh")
    n_articles = len(edition.articles)
    report = link_continuations(edition, lang="zh")
    assert report.links == []
    assert len(edition.articles) == n_articles
    assert [(u.article_id, u.direction, u.claimed_page) for u in report.unmatched] == [
        ("a1", "out", 5), ("orphan", "in", 4)]
    by_id = {a.id: a for a in edition.articles}
    a1, orphan = by_id["a1"], by_id["orphan"]
    assert [f.code for f in a1.flags] == ["unmatched-jump-out"]
    assert a1.continuation is not None and not a1.continuation.matched and a1.continuation.to_page == 5
    assert orphan.kind == "continuation" and [f.code for f in orphan.flags] == ["unmatched-jump-in"]
    assert orphan.continuation is not None
    assert (orphan.continuation.from_page, orphan.continuation.to_page, orphan.continuation.matched) == (4, 2, False)
    assert orphan.continuation.jump_in == "(上接第4版)"
    # Markers never stay in the text, matched or not.
    assert orphan.paragraphs == ["防渗处理和溢洪道改造，确保水库安全度汛。"]
    assert by_id["other"].flags == [] and by_id["other"].continuation is None


def test_unrelated_continuation_on_the_right_page_is_not_linked() -> None:
    # Two jumps from page 1 to page 2 but only one continuation printed there, about something else:
    # page numbers alone are ambiguous, and the text does not match either, so nothing is linked.
    b = Builder(2)
    b.add(1, "x", "Harbor Bridge Repairs Begin", ["Crews began repairing the harbor bridge on Monday and"],
          jump="Continued on Page 2")
    b.add(1, "y", "Orchestra Season Opens", ["The symphony orchestra opened its season with a program of"],
          jump="Continued on Page 2")
    b.add(2, "z", "PARKING", ["meters downtown will cost more starting in March, the transit agency said."],
          jump="PARKING, from Page 1")
    edition = b.edition("en")
    report = link_continuations(edition, lang="en")
    assert report.links == []
    assert sorted(u.article_id for u in report.unmatched) == ["x", "y", "z"]


def test_linking_twice_changes_nothing() -> None:
    edition = build(EN_STORIES, "en")
    link_continuations(edition, lang="en")
    once = summary(edition)
    report = link_continuations(edition, lang="en")
    assert report.links == [] and report.unmatched == []
    assert summary(edition) == once
    assert all(not a.flags for a in edition.articles)


def test_report_is_json_ready() -> None:
    import json

    edition = build(EN_STORIES, "en")
    report = link_continuations(edition, lang="en")
    data = json.loads(json.dumps(report.to_dict()))
    assert len(data["links"]) == len(report.links) == 3
    assert all(0.0 < ln["score"] <= 1.0 for ln in data["links"])
    assert edition.provenance[-1].stage == "edition"


def test_headline_run_into_the_continuation_text_is_a_jump_head() -> None:
    # "(上接第1版)<headline><text>": the layout put marker and repeated headline inside the first paragraph.
    b = Builder(2)
    stories = [s for s in copy.deepcopy(ZH_STORIES) if s.id in ("zh2", "zh3")]
    for s in stories:
        first, second = s.parts()
        b.add(1, s.id, s.headline, first, jump=s.jump_out)
        b.add(2, f"{s.id}-cont", "", [s.headline + second[0], *second[1:]], jump_inline="(上接第1版)")
    edition = b.edition("zh")
    report = link_continuations(edition, lang="zh")
    assert sorted((ln.from_article, ln.to_article) for ln in report.links) == [
        ("zh2", "zh2-cont"), ("zh3", "zh3-cont")]
    assert all(ln.evidence["head"] == 1.0 for ln in report.links)
    by_id = {a.id: a for a in edition.articles}
    for s in stories:
        assert by_id[s.id].paragraphs == s.paragraphs


def _split_per_page(truth: Edition) -> Edition:
    """The sample generator's truth (stitched articles) cut back into per-page articles, as layout emits them."""
    from ocr_pipeline.edition.stitch import join_split

    arts = []
    for a in truth.articles:
        for n, pg in enumerate(a.pages):
            page = truth.page(pg)
            bmap, lmap = page.block_map(), page.line_map()
            refs = [r for r in a.blocks if r.page == pg]
            aid = a.id if n == 0 else f"{a.id}-p{pg}"
            head, paras = "", []
            for r in refs:
                block = bmap[r.block_id]
                block.article_id = aid
                text = ""
                for lid in block.line_ids:
                    text = join_split(text, lmap[lid].text, truth.language) if text else lmap[lid].text
                if block.kind == "headline" and not head:
                    head = text
                elif block.kind == "body" and paras and not paras[-1].rstrip().endswith(tuple(".!?。！？”\"")):
                    # A paragraph running on from the previous column.
                    paras[-1] = join_split(paras[-1], text, truth.language)
                elif block.kind in ("body", "subhead"):
                    paras.append(text)
            arts.append(Article(id=aid, headline=head, paragraphs=paras, pages=[pg], blocks=refs, kind=a.kind))
    return Edition(id=truth.id, language=truth.language, pages=truth.pages, articles=arts)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_generator_editions_are_relinked(lang: str) -> None:
    try:
        from ocr_pipeline.samplegen.generator import build_edition
    except ImportError:
        pytest.skip("sample generator not available")
    truth, _ = build_edition(lang, 2, 4)
    expected = {(a.id, a.continuation.from_page, a.continuation.to_page)
                for a in truth.articles if a.continuation is not None}
    assert len(expected) >= 3
    # Spaces and hyphens aside: whether "log-" + "books" keeps its hyphen is the text stage's call, not ours.
    def chars(paragraphs: list[str]) -> str:
        return "".join(paragraphs).replace(" ", "").replace("-", "")

    bodies = {a.id: chars(a.paragraphs) for a in truth.articles if a.continuation is not None}
    edition = _split_per_page(truth)
    rng = random.Random(4)
    rng.shuffle(edition.pages)
    rng.shuffle(edition.articles)
    report = link_continuations(edition, lang=lang)
    got = {(a.id, a.continuation.from_page, a.continuation.to_page)
           for a in edition.articles if a.continuation is not None and a.continuation.matched}
    assert got == expected
    assert report.unmatched == []
    for a in edition.articles:
        if a.id in bodies:
            # Same characters as the truth: nothing lost, no marker left.
            assert chars(a.paragraphs) == bodies[a.id]


def test_jump_blocks_no_article_claims_go_to_their_neighbours() -> None:
    # The article stage left both jump lines unassigned: reading order says whose they are.
    b = Builder(2)
    b.add(1, "a", "Harbor Bridge Repairs Begin", ["Crews began repairing the harbor bridge on Monday and"])
    b.add(2, "c", "BRIDGE", ["expect to finish the work before the first snow, the county engineer said."])
    stray_out = b._block(1, "jump", ["Continued on Page 2"], "")
    stray_in = b._block(2, "jump", ["BRIDGE, from Page 1"], "")
    extra_out = b._block(2, "jump", ["(Continued on Page 9)"], "")
    lonely = b._block(2, "jump", ["(Continued from Page 7)"], "")
    pg2 = b.pages[2]
    # Reading order on page 2: the jump-in line comes before the continuation's text; the lonely one last.
    pg2.reading_order = [stray_in.block_id] + [x for x in pg2.reading_order if x != stray_in.block_id]
    for ref in (stray_out, stray_in, extra_out, lonely):
        b.pages[ref.page].block_map()[ref.block_id].article_id = None
    edition = b.edition("en")
    report = link_continuations(edition, lang="en")
    assert [(ln.from_article, ln.to_article) for ln in report.links] == [("a", "c")]
    (art,) = [a for a in edition.articles if a.id == "a"]
    assert art.paragraphs == ["Crews began repairing the harbor bridge on Monday and expect to finish the work "
                              "before the first snow, the county engineer said."]
    assert stray_out in art.blocks and stray_in in art.blocks and extra_out in art.blocks
    # A second jump-out after the continuation's text points at a missing page: flagged (and reported) on the stitched
    # article; a jump-in with no text after it belongs to no article: reported on the edition. Nothing lost.
    assert sorted((u.article_id, u.page, u.block_id, u.claimed_page) for u in report.unmatched) == [
        ("", 2, lonely.block_id, 7), ("a", 2, extra_out.block_id, 9)]
    assert [f.code for f in art.flags] == ["unmatched-jump-out"]
    assert art.continuation is not None and art.continuation.matched
    assert [(f.code, f.block_id) for f in edition.flags] == [("unmatched-jump-in", lonely.block_id)]


def test_assignment_takes_the_best_one_to_one_links() -> None:
    # Random score matrices, some with jump lines that several links could use: the links chosen are one to
    # one, none under the threshold, as many as can be, and of those the best total (brute force over all
    # matchings).
    import itertools

    from ocr_pipeline.edition.match import Candidate, assign

    rng = random.Random(5)
    for _ in range(300):
        n_out, n_in = rng.randint(1, 4), rng.randint(1, 4)
        matrix: list[list[Candidate | None]] = [
            [Candidate(r, 0, c, 0, round(rng.random(), 2), {}) if rng.random() < 0.45 else None for c in range(n_in)]
            for r in range(n_out)
        ]
        chosen = assign(matrix, 0.3)
        assert all(c.score >= 0.3 for c in chosen)
        assert len({c.out_part for c in chosen}) == len({c.in_part for c in chosen}) == len(chosen)

        def ok(c: Candidate | None) -> bool:
            return c is not None and c.score >= 0.3

        best = (0, 0.0)  # the most links, then the highest total among those
        for cols in itertools.permutations(range(max(n_in, n_out)), n_out):
            links = [matrix[r][c] for r, c in enumerate(cols) if c < n_in and ok(matrix[r][c])]
            best = max(best, (len(links), sum(c.score for c in links if c is not None)))
        assert len(chosen) == best[0]
        assert sum(c.score for c in chosen) == pytest.approx(best[1])
        # Every possible link is taken where no two of them share a jump line.
        possible = [c for row in matrix for c in row if c is not None and ok(c)]
        if len({c.out_part for c in possible}) == len({c.in_part for c in possible}) == len(possible):
            assert chosen == possible
