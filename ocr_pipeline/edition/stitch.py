"""Stitching: the per-page parts of an article joined into one article, and what could not be matched.

:func:`link_continuations` is the edition stage: it reads the jump markers of every article (and cuts
them out of the text), matches them over the whole edition (:mod:`ocr_pipeline.edition.match`), merges
each chain of parts into the article the chain starts from, and flags every jump line it could not
follow. Nothing is dropped: an unmatched continuation stays an article of its own, marked as one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocr_pipeline.edition.match import (
    Candidate,
    Part,
    assign,
    collect_parts,
    repeated_headline,
    resolve_target,
    score_pairs,
)
from ocr_pipeline.model import Article, Continuation, Edition, Flag, ProcessingStep, to_dict
from ocr_pipeline.profiles import LayoutProfile, as_profile
from ocr_pipeline.text.chars import guess_lang, is_cjk_lang

log = logging.getLogger(__name__)

_SENTENCE_END = "。！？!?….:：;；"


@dataclass(slots=True)
class Link:
    from_article: str
    to_article: str
    from_page: int
    to_page: int
    score: float
    jump_out: str
    jump_in: str
    evidence: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class UnmatchedJump:
    article_id: str
    page: int
    direction: str  # "out" | "in"
    text: str
    claimed_page: int | None
    block_id: str | None = None


@dataclass(slots=True)
class LinkReport:
    links: list[Link] = field(default_factory=list)
    unmatched: list[UnmatchedJump] = field(default_factory=list)

    @property
    def unmatched_out(self) -> list[UnmatchedJump]:
        return [u for u in self.unmatched if u.direction == "out"]

    @property
    def unmatched_in(self) -> list[UnmatchedJump]:
        return [u for u in self.unmatched if u.direction == "in"]

    def to_dict(self) -> dict[str, Any]:
        return {"links": to_dict(self.links), "unmatched": to_dict(self.unmatched)}


def join_split(left: str, right: str, lang: str) -> str:
    """Rejoin a paragraph the jump cut in two, with the text stage's rules when they are available."""
    try:
        from ocr_pipeline.text.join import join_text
    except ImportError:  # the text stage is optional here: its basic rules are repeated below
        pass
    else:
        return join_text(left, right, lang)
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    if is_cjk_lang(lang):
        return left + right
    # End-of-column hyphenation: "gov-" + "ernment" -> "government"; a capital after it keeps the hyphen.
    if left.endswith("-") and len(left) > 1 and left[-2].isalpha() and right[0].islower():
        return left[:-1] + right
    return left + " " + right


def _cut_mid_paragraph(text: str) -> bool:
    t = text.rstrip().rstrip("”’\"'）)」』")
    return bool(t) and t[-1] not in _SENTENCE_END


def _merge(first: Article, nxt: Article, page: int, lang: str, edition: Edition) -> None:
    if nxt.paragraphs:
        n = repeated_headline(first.headline, nxt.paragraphs[0])
        if n:
            nxt.paragraphs[0] = nxt.paragraphs[0][n:].lstrip()
            nxt.paragraphs = [p for p in nxt.paragraphs if p]
    if first.paragraphs and nxt.paragraphs and _cut_mid_paragraph(first.paragraphs[-1]):
        first.paragraphs[-1] = join_split(first.paragraphs[-1], nxt.paragraphs[0], lang)
        first.paragraphs.extend(nxt.paragraphs[1:])
    else:
        first.paragraphs.extend(nxt.paragraphs)
    first.subheads.extend(s for s in nxt.subheads if s not in first.subheads)
    first.byline = first.byline or nxt.byline
    first.dateline = first.dateline or nxt.dateline
    for p in nxt.pages or [page]:
        if p not in first.pages:
            first.pages.append(p)
    first.blocks.extend(r for r in nxt.blocks if r not in first.blocks)
    first.keywords.extend(k for k in nxt.keywords if k not in first.keywords)
    first.flags.extend(nxt.flags)
    # Confidence weighted by text length, so a short tail does not outweigh the front-page body.
    la = sum(len(p) for p in first.paragraphs) or 1
    lb = sum(len(p) for p in nxt.paragraphs) or 1
    first.confidence = (first.confidence * la + nxt.confidence * lb) / (la + lb)
    # Blocks point at their article by id: the continuation's blocks now belong to the stitched one.
    ref_pages = {(r.page, r.block_id) for r in nxt.blocks}
    for pg in edition.pages:
        for b in pg.blocks:
            if b.article_id == nxt.id or (pg.number, b.id) in ref_pages:
                b.article_id = first.id


def _position_key(edition: Edition, parts: list[Part]) -> Callable[[Article], tuple[int, int]]:
    """Sort key: first page, then the reading-order position of the article's first block on that page."""
    first_page = {id(p.article): p.page for p in parts}
    order = {pg.number: {bid: i for i, bid in enumerate(pg.reading_order)} for pg in edition.pages}
    late = 1 << 30

    def key(article: Article) -> tuple[int, int]:
        page = first_page.get(id(article), article.pages[0] if article.pages else 0)
        ro = order.get(page, {})
        pos = min((ro.get(r.block_id, late) for r in article.blocks if r.page == page), default=late)
        return page, pos

    return key


def _flag(article: Article, flag: Flag) -> None:
    if not any(f.code == flag.code and f.message == flag.message for f in article.flags):
        article.flags.append(flag)


def link_continuations(
    edition: Edition,
    profile: LayoutProfile | str | None = None,
    *,
    lang: str | None = None,
) -> LinkReport:
    """Find, match and stitch the continuations of ``edition.articles`` in place; return what was done.

    ``lang`` picks the joining rules for a paragraph cut by a jump (defaults to the edition's language).
    Articles come out ordered by their first page (stable within a page), so an edition whose pages
    arrived shuffled gives the same result.
    """
    prof = as_profile(profile)
    parts, unattached = collect_parts(edition, prof)
    if not lang:
        lang = edition.language or guess_lang(" ".join(p.body for p in parts[:20]))
    page_numbers = sorted(p.number for p in edition.pages) or sorted({p.page for p in parts})
    report = LinkReport()

    # Parts sorted by page then position, so ties in the assignment break the same way for any input order.
    parts.sort(key=lambda p: (p.page, p.index))
    matrix = score_pairs(parts, page_numbers, lang)
    chosen = assign(matrix, prof.jumps.min_score)

    # At most one link out of and one link into each article; no circles (A -> B -> A).
    nxt: dict[int, Candidate] = {}
    prev: dict[int, Candidate] = {}
    for c in sorted(chosen, key=lambda c: -c.score):
        if c.out_part in nxt or c.in_part in prev:
            continue
        walk = c.out_part
        while walk in prev and walk != c.in_part:
            walk = prev[walk].out_part
        if walk == c.in_part:
            continue
        nxt[c.out_part] = c
        prev[c.in_part] = c
    used_out = {(c.out_part, c.out_jump) for c in nxt.values()}
    used_in = {(c.in_part, c.in_jump) for c in nxt.values()}

    absorbed: set[int] = set()
    stitched_into: dict[int, Article] = {}
    for start in sorted(nxt, key=lambda i: (parts[i].page, parts[i].index)):
        if start in prev:
            continue  # the chain is stitched from its first part
        head = parts[start].article
        outs, ins = [], []
        cur = start
        while cur in nxt:
            c = nxt[cur]
            a, b = parts[c.out_part], parts[c.in_part]
            out_text, in_text = a.outs[c.out_jump].jump.text, b.ins[c.in_jump].jump.text
            outs.append(out_text)
            ins.append(in_text)
            report.links.append(Link(from_article=a.article.id, to_article=b.article.id, from_page=a.page,
                                     to_page=b.page, score=round(c.score, 4), jump_out=out_text,
                                     jump_in=in_text, evidence={k: round(v, 4) for k, v in c.evidence.items()}))
            _merge(head, b.article, b.page, lang, edition)
            absorbed.add(b.index)
            stitched_into[b.index] = head
            cur = c.in_part
        head.continuation = Continuation(from_page=parts[start].page, to_page=parts[cur].page,
                                         jump_out="; ".join(outs), jump_in="; ".join(ins), matched=True)
        log.info("stitched %s: pages %s", head.id, head.pages)

    for pi, part in enumerate(parts):
        # A stitched part's leftover jump lines are flagged on the article it now belongs to.
        art = stitched_into.get(part.index, part.article)
        for oi, f in enumerate(part.outs):
            if (pi, oi) in used_out:
                continue
            target = resolve_target(f.jump, part.page, page_numbers)
            where = f"page {target}" if target is not None else "any page"
            report.unmatched.append(UnmatchedJump(art.id, part.page, "out", f.jump.text, target, f.block_id))
            _flag(art, Flag(code="unmatched-jump-out", page=part.page, block_id=f.block_id,
                            message=f"jump line {f.jump.text!r} on page {part.page}: no continuation found "
                                    f"on {where}; check the page numbers or the continuation's jump line"))
            if art.continuation is None:
                art.continuation = Continuation(from_page=part.page, to_page=target or 0, jump_out=f.jump.text,
                                                matched=False)
        for ii, f in enumerate(part.ins):
            if (pi, ii) in used_in:
                continue
            source = resolve_target(f.jump, part.page, page_numbers)
            where = f"page {source}" if source is not None else "any page"
            report.unmatched.append(UnmatchedJump(art.id, part.page, "in", f.jump.text, source, f.block_id))
            _flag(art, Flag(code="unmatched-jump-in", page=part.page, block_id=f.block_id,
                            message=f"continuation {f.jump.text!r} on page {part.page}: no jump line found "
                                    f"on {where}; kept as an article of its own"))
            if art.continuation is None or not art.continuation.matched:
                # A stitched article keeps its link; the stray jump-in is still flagged above.
                art.kind = "continuation"
                art.continuation = Continuation(from_page=source or 0, to_page=part.page, jump_in=f.jump.text,
                                                matched=False)

    for page_no, block_id, jump in unattached:
        report.unmatched.append(UnmatchedJump("", page_no, jump.direction, jump.text, jump.page, block_id))
        flag = Flag(code=f"unmatched-jump-{jump.direction}", page=page_no, block_id=block_id,
                    message=f"jump line {jump.text!r} on page {page_no} belongs to no article; "
                            "check the page's article segmentation")
        if not any(f.code == flag.code and f.block_id == block_id for f in edition.flags):
            edition.flags.append(flag)

    kept = [a for i, a in enumerate(edition.articles) if i not in absorbed]
    edition.articles = sorted(kept, key=_position_key(edition, parts))
    edition.provenance.append(ProcessingStep(
        stage="edition", name="continuations",
        settings={"profile": prof.name, "min_score": prof.jumps.min_score, "lang": lang,
                  "links": len(report.links), "unmatched": len(report.unmatched)},
    ))
    return report


__all__ = ["Link", "LinkReport", "UnmatchedJump", "join_split", "link_continuations"]
