"""Matching jump-outs to jump-ins over a whole edition.

Each per-page article becomes a :class:`Part` with the jump markers found in its jump blocks, headline and
paragraphs (cut out of the text on the way). Every (jump-out, jump-in) pair gets a score from four
pieces of evidence: the page each marker names, the jump head against the headline, whether the first part
stops and the second starts mid-sentence, and the lexical similarity of the two texts. A one-to-one
assignment over the edition (Hungarian method) then picks the links; several jumps to one page are normal.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from ocr_pipeline.edition.jumps import Jump, strip_jumps
from ocr_pipeline.model import Article, Block, BlockRef, Edition, Line, Page
from ocr_pipeline.profiles import LayoutProfile
from ocr_pipeline.text.chars import (
    CLOSERS,
    HAN_OR_KANA_RUN_RE,
    SENTENCE_END_CJK,
    SENTENCE_END_LATIN,
    has_han_or_kana,
    is_cjk_lang,
)

log = logging.getLogger(__name__)

# Weights of the evidence; the page the markers name counts most because printers rarely get it wrong.
WEIGHTS = {"page": 0.35, "head": 0.30, "lexical": 0.20, "continuity": 0.15}
INFEASIBLE = 1e6

_STOPWORDS = frozenset(
    "the and for that with was were are has have had from this which will would said says not but his her "
    "its their they them who been also into than more about after over when what where there one two".split()
)


@dataclass(slots=True)
class FoundJump:
    jump: Jump
    block_id: str | None = None  # the jump block it was read from; None when it was inside the text


@dataclass(slots=True)
class Part:
    """A per-page article and what the edition stage reads from it."""

    index: int  # position in edition.articles
    article: Article
    page: int
    outs: list[FoundJump] = field(default_factory=list)
    ins: list[FoundJump] = field(default_factory=list)

    @property
    def head(self) -> str:
        """The jump head: the headline, or the keyword of its jump-in ("BUDGET, from Page A1")."""
        if self.article.headline.strip():
            return self.article.headline.strip()
        return next((f.jump.keyword for f in self.ins if f.jump.keyword), "")

    @property
    def body(self) -> str:
        return "\n".join(self.article.paragraphs)


def _article_page(article: Article) -> int | None:
    if article.pages:
        return article.pages[0]
    if article.blocks:
        return article.blocks[0].page
    return None


def _block_jumps(page: Page, block: Block, lmap: dict[str, Line], profile: LayoutProfile) -> list[Jump]:
    # One line per line of print, so markers anchored at a line start ("From Page 1") are found.
    text = "\n".join(lmap[i].text for i in block.line_ids if i in lmap)
    return strip_jumps(text, profile)[1]


def _attach_orphans(
    edition: Edition, profile: LayoutProfile, owner: dict[tuple[int, str], int]
) -> tuple[dict[int, list[FoundJump]], list[tuple[int, str, Jump]]]:
    """Jump blocks no article claims, given to the article beside them in reading order.

    A jump-out belongs to the text before it, a jump-in to the text after it. What has no neighbour
    is returned as unattached, to be reported rather than lost.
    """
    attached: dict[int, list[FoundJump]] = {}
    unattached: list[tuple[int, str, Jump]] = []
    for page in edition.pages:
        lmap = page.line_map()
        order = list(page.reading_order) or [b.id for b in page.blocks]
        order += [b.id for b in page.blocks if b.id not in set(order)]
        for block in page.blocks:
            if block.kind != "jump" or (page.number, block.id) in owner:
                continue
            pos = order.index(block.id)
            for jump in _block_jumps(page, block, lmap, profile):
                seq = reversed(order[:pos]) if jump.direction == "out" else iter(order[pos + 1 :])
                idx = next((owner[(page.number, b)] for b in seq if (page.number, b) in owner), None)
                if idx is None:
                    unattached.append((page.number, block.id, jump))
                    continue
                attached.setdefault(idx, []).append(FoundJump(jump, block.id))
                art = edition.articles[idx]
                if BlockRef(page.number, block.id) not in art.blocks:
                    art.blocks.append(BlockRef(page.number, block.id))
                block.article_id = art.id
    return attached, unattached


def collect_parts(edition: Edition, profile: LayoutProfile) -> tuple[list[Part], list[tuple[int, str, Jump]]]:
    """One Part per article, with jump markers read and cut out of headline, subheads and paragraphs;
    and the jump lines no article could be given (page, block id, jump)."""
    pages = {p.number: p for p in edition.pages}
    bmaps = {n: p.block_map() for n, p in pages.items()}
    lmaps = {n: p.line_map() for n, p in pages.items()}
    ids = {a.id: i for i, a in enumerate(edition.articles)}
    # Which article each block belongs to: its block refs, and blocks that name the article, on its own pages
    # (a stitched article's other parts are not jumps to read again).
    owner: dict[tuple[int, str], int] = {}
    for i, a in enumerate(edition.articles):
        for r in a.blocks:
            owner.setdefault((r.page, r.block_id), i)
    for p in edition.pages:
        for b in p.blocks:
            i = ids.get(b.article_id or "", -1)
            if i >= 0 and p.number in (edition.articles[i].pages or [p.number]):
                owner.setdefault((p.number, b.id), i)
    orphans, unattached = _attach_orphans(edition, profile, owner)
    owned: dict[int, list[tuple[int, str]]] = {}
    for key, i in owner.items():
        owned.setdefault(i, []).append(key)
    parts: list[Part] = []
    for index, article in enumerate(edition.articles):
        page_no = _article_page(article)
        if page_no is None:
            continue
        part = Part(index=index, article=article, page=page_no)
        found: list[FoundJump] = list(orphans.get(index, []))
        for pno, bid in owned.get(index, []):
            block = bmaps.get(pno, {}).get(bid)
            if block is not None and block.kind == "jump":
                found += [FoundJump(j, bid) for j in _block_jumps(pages[pno], block, lmaps[pno], profile)]
        # Markers the layout left inside the text.
        article.headline, js = strip_jumps(article.headline, profile)
        found += [FoundJump(j) for j in js]
        subheads = []
        for s in article.subheads:
            s2, js = strip_jumps(s, profile)
            found += [FoundJump(j) for j in js]
            if s2:
                subheads.append(s2)
        article.subheads = subheads
        paragraphs = []
        for para in article.paragraphs:
            p2, js = strip_jumps(para, profile)
            found += [FoundJump(j) for j in js]
            if p2:
                paragraphs.append(p2)
        article.paragraphs = paragraphs
        # The same marker read twice (jump block and paragraph) counts once.
        keys: set[tuple[str, str]] = set()
        for f in found:
            seen = (f.jump.direction, f.jump.page_label.lower() or f.jump.text)
            if seen in keys:
                continue
            keys.add(seen)
            # A jump already followed (the article spans the page it names) is not a jump to match again.
            if len(article.pages) > 1 and f.jump.page in article.pages:
                continue
            (part.outs if f.jump.direction == "out" else part.ins).append(f)
        parts.append(part)
    return parts, unattached


# --- evidence ---------------------------------------------------------------------------------------

def resolve_target(jump: Jump, own_page: int, page_numbers: list[int]) -> int | None:
    """The page number a marker names, relative words ("next page", "back page") resolved."""
    if jump.relative == "next":
        return own_page + 1 if jump.direction == "out" else own_page - 1
    if jump.relative == "last":
        return max(page_numbers) if page_numbers else None
    return jump.page


def _ends_mid_sentence(text: str) -> bool:
    t = text.rstrip().rstrip(CLOSERS)
    if not t:
        return False
    return t[-1] not in SENTENCE_END_CJK + SENTENCE_END_LATIN + "：:"


def _starts_mid_sentence(text: str, cjk: bool) -> float:
    t = text.lstrip()
    if not t:
        return 0.0
    if cjk:
        # A Chinese sentence start cannot be told from its middle by the first character; punctuation can.
        return 1.0 if t[0] in "，、；。！？：,;" else 0.5
    if t[0].islower() or t[0] in ",;:)-–—":
        return 1.0
    return 0.2


def continuity(first: Part, second: Part, cjk: bool) -> float:
    last = first.article.paragraphs[-1] if first.article.paragraphs else ""
    head = second.article.paragraphs[0] if second.article.paragraphs else ""
    end = 1.0 if _ends_mid_sentence(last) else 0.0
    if last.rstrip().endswith("-"):
        end = 1.0
    return 0.5 * end + 0.5 * _starts_mid_sentence(head, cjk)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def repeated_headline(headline: str, paragraph: str) -> int:
    """Length of the headline repeated at the start of a continuation's paragraph, else 0.

    Where a continuation prints the headline again without a headline block of its own, OCR and layout
    often run it into the first paragraph ("(上接第1版)<headline><text>"): it is a jump head, not text.
    """
    head = headline.strip()
    if len(head) < 4 or len(paragraph) <= len(head):
        return 0
    if has_han_or_kana(head):
        prefix = paragraph[: len(head)]
        return len(head) if fuzz.ratio(_norm(head), _norm(prefix)) >= 90 else 0
    # Latin: the headline must end at a word boundary of the paragraph.
    for n in (len(head), len(head) - 1, len(head) + 1):
        if 0 < n < len(paragraph) and paragraph[n] in " \t\n" and fuzz.ratio(_norm(head), _norm(paragraph[:n])) >= 90:
            return n
    return 0


def head_similarity(first: Part, out: Jump, second: Part, jin: Jump) -> float:
    """How well the continuation's jump head names the first part (0..1)."""
    a_head = _norm(first.article.headline)
    a_body = _norm(first.body)
    b_heads = [_norm(h) for h in (jin.keyword, second.article.headline) if h.strip()]
    score = 0.0
    if second.article.paragraphs and repeated_headline(first.article.headline, second.article.paragraphs[0]):
        score = 1.0
    if out.keyword:
        kw = _norm(out.keyword)
        for h in b_heads:
            if kw == h or kw in h or fuzz.ratio(kw, h) >= 85:
                score = 1.0
    for h in b_heads:
        if not a_head:
            break
        short = len(h.split()) <= 3 if not has_han_or_kana(h) else len(h) <= 6
        if short and h in a_head:
            score = max(score, 0.9)
        elif short and len(h) >= (2 if has_han_or_kana(h) else 3) and h in a_body:
            score = max(score, 0.6)
        # The headline repeated or shortened: partial matching finds it inside the longer one.
        sim = max(fuzz.token_set_ratio(h, a_head), fuzz.partial_ratio(h, a_head) if len(h) >= 4 else 0.0) / 100
        score = max(score, sim if sim >= 0.5 else 0.0)
    return score


def _features(text: str) -> Counter[str]:
    norm = _norm(text)
    feats: Counter[str] = Counter()
    for run in HAN_OR_KANA_RUN_RE.findall(norm):
        feats.update(run[i : i + 2] for i in range(len(run) - 1))
    for w in re.findall(r"[a-z]{3,}", norm):
        if w not in _STOPWORDS:
            feats[w] += 1
    return feats


class LexicalIndex:
    """TF-IDF over the parts of one edition: words shared by every article weigh nothing."""

    def __init__(self, texts: list[str]) -> None:
        self.vectors: list[dict[str, float]] = []
        feats = [_features(t) for t in texts]
        df: Counter[str] = Counter()
        for f in feats:
            df.update(f.keys())
        n = len(feats)
        for f in feats:
            vec = {k: (1 + math.log(v)) * math.log((1 + n) / (1 + df[k])) for k, v in f.items()}
            norm = math.sqrt(sum(x * x for x in vec.values())) or 1.0
            self.vectors.append({k: x / norm for k, x in vec.items()})

    def cosine(self, i: int, j: int) -> float:
        a, b = self.vectors[i], self.vectors[j]
        if len(a) > len(b):
            a, b = b, a
        return sum(x * b.get(k, 0.0) for k, x in a.items())


# --- assignment -------------------------------------------------------------------------------------

@dataclass(slots=True)
class Candidate:
    out_part: int  # index into parts
    out_jump: int  # index into parts[out_part].outs
    in_part: int
    in_jump: int
    score: float
    evidence: dict[str, float]


def score_pairs(parts: list[Part], page_numbers: list[int], lang: str) -> list[list[Candidate | None]]:
    """Rows: every jump-out; columns: every jump-in; None where the pair cannot be a link."""
    cjk = is_cjk_lang(lang)
    index = LexicalIndex([p.article.headline + "\n" + p.body for p in parts])
    outs = [(pi, oi) for pi, p in enumerate(parts) for oi in range(len(p.outs))]
    ins = [(pi, ii) for pi, p in enumerate(parts) for ii in range(len(p.ins))]
    # Jumps per (from page, to page): a pair alone on both sides may be linked on the page numbers alone.
    out_count: Counter[tuple[int, int]] = Counter()
    in_count: Counter[tuple[int, int]] = Counter()
    for pi, oi in outs:
        t = resolve_target(parts[pi].outs[oi].jump, parts[pi].page, page_numbers)
        if t is not None:
            out_count[(parts[pi].page, t)] += 1
    for pi, ii in ins:
        s = resolve_target(parts[pi].ins[ii].jump, parts[pi].page, page_numbers)
        if s is not None:
            in_count[(s, parts[pi].page)] += 1
    # First pass: pairs the page numbers allow, and their lexical similarity.
    feasible: dict[tuple[int, int], float] = {}
    for r, (pa, oa) in enumerate(outs):
        a = parts[pa]
        target = resolve_target(a.outs[oa].jump, a.page, page_numbers)
        for c, (pb, ib) in enumerate(ins):
            b = parts[pb]
            source = resolve_target(b.ins[ib].jump, b.page, page_numbers)
            if pb == pa or b.page == a.page or (target is not None and target != b.page) or (
                source is not None and source != a.page
            ):
                continue
            feasible[(r, c)] = index.cosine(pa, pb)
    row_cos: dict[int, list[float]] = {}
    col_cos: dict[int, list[float]] = {}
    for (r, c), cos in feasible.items():
        row_cos.setdefault(r, []).append(cos)
        col_cos.setdefault(c, []).append(cos)

    def distinct(r: int, c: int) -> bool:
        # Short parts share few words with anything; what counts is standing clearly above the rivals.
        cos = feasible[(r, c)]
        rivals = sorted(row_cos[r], reverse=True)[1:2] + sorted(col_cos[c], reverse=True)[1:2]
        best = max(row_cos[r]) == cos and max(col_cos[c]) == cos
        return best and cos >= 0.03 and cos >= 2.0 * max(rivals, default=0.0)

    matrix: list[list[Candidate | None]] = []
    for r, (pa, oa) in enumerate(outs):
        row: list[Candidate | None] = []
        a = parts[pa]
        out = a.outs[oa].jump
        target = resolve_target(out, a.page, page_numbers)
        for c, (pb, ib) in enumerate(ins):
            if (r, c) not in feasible:
                row.append(None)
                continue
            b = parts[pb]
            jin = b.ins[ib].jump
            source = resolve_target(jin, b.page, page_numbers)
            known = (target is not None) + (source is not None)
            page_ev = {2: 1.0, 1: 0.6, 0: 0.3}[known]
            head_ev = head_similarity(a, out, b, jin)
            lex_ev = min(1.0, 2.5 * feasible[(r, c)])
            if distinct(r, c):
                lex_ev = max(lex_ev, 0.6)
            cont_ev = continuity(a, b, cjk)
            unique = known == 2 and out_count[(a.page, b.page)] == 1 and in_count[(a.page, b.page)] == 1
            # Page numbers alone are not enough where several jumps share the pages: ask for content evidence.
            if not unique and head_ev < 0.5 and lex_ev < 0.35:
                row.append(None)
                continue
            ev = {"page": page_ev, "head": head_ev, "lexical": lex_ev, "continuity": cont_ev}
            score = sum(WEIGHTS[k] * v for k, v in ev.items())
            row.append(Candidate(pa, oa, pb, ib, score, ev))
        matrix.append(row)
    return matrix


def assign(matrix: list[list[Candidate | None]], min_score: float) -> list[Candidate]:
    """One-to-one choice of links: as many as can be made, and of those the highest total score; pairs under
    ``min_score`` are dropped."""
    if not matrix or not matrix[0]:
        return []
    feasible = [(r, c, cand) for r, row in enumerate(matrix) for c, cand in enumerate(row)
                if cand is not None and cand.score >= min_score]
    if len({r for r, _, _ in feasible}) == len({c for _, c, _ in feasible}) == len(feasible):
        # No two possible links share a jump line (an edition's usual case): they are the assignment, with no
        # need of the solver (importing scipy.optimize costs a process 0.2-0.9 s).
        return [cand for _, _, cand in feasible]
    try:
        import numpy as np
        from scipy.optimize import linear_sum_assignment
    except ImportError:  # pragma: no cover - scipy is optional: greedy by score is nearly as good here
        return _greedy([cand for _, _, cand in feasible])
    cost = np.full((len(matrix), len(matrix[0])), INFEASIBLE)
    for r, c, cand in feasible:
        cost[r, c] = 1.0 - cand.score
    rows, cols = linear_sum_assignment(cost)
    chosen = [matrix[r][c] for r, c in zip(rows, cols, strict=True) if cost[r, c] < INFEASIBLE]
    return [c for c in chosen if c is not None]


def _greedy(feasible: list[Candidate]) -> list[Candidate]:
    cands = sorted(feasible, key=lambda c: -c.score)
    used_r: set[tuple[int, int]] = set()
    used_c: set[tuple[int, int]] = set()
    out = []
    for c in cands:
        if (c.out_part, c.out_jump) in used_r or (c.in_part, c.in_jump) in used_c:
            continue
        used_r.add((c.out_part, c.out_jump))
        used_c.add((c.in_part, c.in_jump))
        out.append(c)
    return out


__all__ = ["Candidate", "FoundJump", "LexicalIndex", "Part", "assign", "collect_parts", "continuity",
           "head_similarity", "repeated_headline", "resolve_target", "score_pairs"]
