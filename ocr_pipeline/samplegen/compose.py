"""Page composition: columns, article modules in rows, headlines, photos, rules, jumps.

A page is filled row by row. Each row is split into modules (one article each) spanning whole columns;
the first module of a row gets the height its text needs with balanced columns, the others fill that
height (a photo grows or trailing paragraphs are left out so that the text ends near the bottom). An
article chosen to jump fills only part of its text, ends with a jump line, and the rest is set on the
target page under a jump head. Everything drawn is recorded as ground truth at the same time.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from ocr_pipeline.model import Article, BlockRef, Continuation
from ocr_pipeline.samplegen.canvas import PageBuilder, Run
from ocr_pipeline.samplegen.fonts import font
from ocr_pipeline.samplegen.texts import ArticleText
from ocr_pipeline.samplegen.typeset import TLine, break_text

log = logging.getLogger(__name__)

WIDTH, HEIGHT, DPI = 2400, 3400, 300
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 100, 80, 110
ROW_GAP = 40
MIN_ROW = 430


@dataclass(slots=True)
class Style:
    lang: str
    body: str
    size: int
    leading: int
    indent: float
    sub_font: str
    sub_size: int
    sub_align: str
    cap_font: str
    cap_size: int
    cap_leading: int
    head_fonts: tuple[str, ...]
    jump_font: str
    folio_font: str
    byline_font: str
    head_align: str
    tiers: dict[str, tuple[int, ...]]
    ncols: tuple[int, ...]
    gutters: tuple[int, ...]


STYLES = {
    "zh": Style("zh", "zh_body", 30, 46, 60.0, "zh_sans_bold", 30, "center", "zh_sans", 25, 36,
                ("zh_serif_bold", "zh_sans_bold"), "zh_body", "zh_sans", "zh_sans_bold", "center",
                {"big": (92, 84, 76, 68, 60), "medium": (68, 62, 56, 50, 46), "small": (50, 46, 42, 38, 34)},
                (5, 6, 7, 8, 4, 6), (30, 40, 50)),
    "en": Style("en", "en_body", 34, 40, 34.0, "en_sans_bold", 30, "left", "en_sans", 26, 31,
                ("en_bold", "en_display"), "en_italic", "en_sans", "en_sans_bold", "left",
                {"big": (88, 80, 72, 64, 58), "medium": (64, 58, 52, 48, 44), "small": (46, 42, 38, 35, 32)},
                (4, 5, 6, 5), (26, 36, 48)),
}


@dataclass(slots=True)
class Content:
    """What is left to print of one article; shared by its parts so the truth sees the final cut."""

    art: ArticleText
    items: list[tuple[str, str]]
    aid: str
    n_items: int
    item: int = 0
    offset: int = 0
    from_page: int | None = None
    jump_out: str = ""


@dataclass(slots=True)
class Module:
    c0: int
    c1: int
    y0: float
    y1: float
    content: Content
    photo_h: float = 0.0
    photo_left: bool = True
    jump_to: int | None = None
    jump_text: str = ""
    head_font: str = ""
    continuation: bool = False


@dataclass(slots=True)
class Outcome:
    placed: int
    total: int
    bottom: float
    next_line: TLine | None


class Composer:
    def __init__(self, lang: str, seed: int, date_text: dict[str, str], title: str, npages: int) -> None:
        self.lang = lang
        self.st = STYLES[lang]
        self.seed = seed
        self.date_text = date_text
        self.title = title
        self.npages = npages
        self.articles: dict[str, Article] = {}
        self.pending: dict[int, list[Content]] = {}
        self._tcache: dict[tuple[str, int, int, float], list[TLine]] = {}
        self._photo_seq = 0
        self.jump_plan: dict[str, int] = {}

    # --- geometry ------------------------------------------------------------------------------
    def setup_page(self, number: int, rng: random.Random) -> None:
        self.ncols = rng.choice(self.st.ncols) if number > 1 else (6 if self.lang == "zh" else 5)
        self.gutter = rng.choice(self.st.gutters)
        self.gutter_rules = rng.random() < 0.35
        inner = WIDTH - 2 * MARGIN_X
        cw = (inner - self.gutter * (self.ncols - 1)) / self.ncols
        self.cols = [(MARGIN_X + i * (cw + self.gutter), MARGIN_X + i * (cw + self.gutter) + cw)
                     for i in range(self.ncols)]
        self.colw = cw

    def mx(self, c0: int, c1: int) -> tuple[float, float]:
        return self.cols[c0][0], self.cols[c1][1]

    # --- typesetting ---------------------------------------------------------------------------
    def typeset(self, ct: Content, width: float) -> list[TLine]:
        key = (ct.aid, ct.item, ct.offset, round(width, 2))
        if key in self._tcache:
            return self._tcache[key]
        st = self.st
        out: list[TLine] = []
        body_f = font(st.body, st.size)
        sub_f = font(st.sub_font, st.sub_size)
        for idx in range(ct.item, len(ct.items)):
            kind, text = ct.items[idx]
            start = ct.offset if idx == ct.item else 0
            if kind == "p":
                lines = break_text(self.lang, text, start, width, body_f, indent=st.indent)
                for ln in lines:
                    ln.kind, ln.font, ln.size, ln.advance = "body", st.body, st.size, st.leading
            else:
                kw = {"hyphenate": False} if self.lang == "en" else {}
                lines = break_text(self.lang, text, start, width, sub_f, align=st.sub_align, **kw)
                for ln in lines:
                    ln.kind, ln.font, ln.size, ln.advance = "subhead", st.sub_font, st.sub_size, st.leading * 1.1
                lines[0].space_before = st.leading * 0.5
            if out and out[-1].kind == "subhead" and kind == "p":
                lines[0].space_before = st.leading * 0.2
            for ln in lines:
                ln.item = idx
            out.extend(lines)
        self._tcache[key] = out
        return out

    def headline_layout(self, parts: list[str], width: float, tier: str, fkey: str) -> tuple[int, list[str]]:
        sizes = self.st.tiers[tier]
        max_lines = 3 if tier == "small" else 2
        for size in sizes:
            f = font(fkey, size)
            if len(parts) > 1:
                if all(f.getlength(p) <= width for p in parts):
                    return size, list(parts)
                continue
            lines = break_text(self.lang, parts[0], 0, width, f, align="left",
                               **({"hyphenate": False} if self.lang == "en" else {}))
            # A last line of one or two characters (or one word) looks broken: try a smaller size.
            short = len(lines) > 1 and (len(lines[-1].text.strip()) < 3 if self.lang == "zh"
                                        else " " not in lines[-1].text.strip())
            if len(lines) <= max_lines and not short and all(f.getlength(ln.text) <= width + 1 for ln in lines):
                return size, [ln.text for ln in lines]
        size = sizes[-1]
        f = font(fkey, size)
        text = ("" if self.lang == "zh" else " ").join(parts)
        kw = {"hyphenate": False} if self.lang == "en" else {}
        return size, [ln.text for ln in break_text(self.lang, text, 0, width, f, align="left", **kw)]

    # --- one module ----------------------------------------------------------------------------
    def run_module(self, m: Module, pb: PageBuilder | None) -> Outcome:
        """Lay out one module; with a PageBuilder it is drawn and recorded, without it only measured."""
        st = self.st
        ct = m.content
        art = ct.art
        x0, x1 = self.mx(m.c0, m.c1)
        width = x1 - x0
        ncol = m.c1 - m.c0 + 1
        y = m.y0
        cols = (m.c0, m.c1)
        aid = ct.aid
        refs: list[str] = []

        # headline or jump head
        if m.continuation:
            head = art.jumphead if (self.seed + len(art.id)) % 2 == 0 or not art.keyword else art.keyword
            parts, tier = [head], "small" if ncol <= 2 else "medium"
        else:
            parts = art.headline_parts
            tier = "big" if ncol >= 4 else ("medium" if ncol >= 2 else "small")
        fkey = m.head_font or st.head_fonts[0]
        hsize, hlines = self.headline_layout(parts, width, tier, fkey)
        hf = font(fkey, hsize)
        ids = []
        asc = hsize * 0.92
        for text in hlines:
            tw = hf.getlength(text)
            hx = x0 + ((width - tw) / 2 if st.head_align == "center" else 0)
            if pb:
                ids.append(pb.line([Run(fkey, hsize, hx, y + asc, text)], text))
            y += hsize * 1.22
        if pb:
            refs.append(pb.block("headline", ids, cols, aid))
        y += st.leading * 0.35

        if m.continuation:
            jt = self.jump_in_text(ct.from_page or 1)
            if pb:
                jf = st.jump_font
                lid = pb.line([Run(jf, st.size - 2, x0, y + st.size * 0.88, jt)], jt)
                refs.append(pb.block("jump", [lid], (m.c0, m.c0), aid))
                self._link_in(ct, jt, pb.page.number)
            y += st.leading
        elif self.lang == "en" and art.byline and art.kind == "news":
            if pb:
                lid = pb.line([Run(st.byline_font, 26, x0, y + 24, art.byline)], art.byline)
                refs.append(pb.block("byline", [lid], (m.c0, m.c0), aid))
            y += 40

        col_top = [y] * ncol
        # photo with caption
        if m.photo_h > 0 and art.photo_caption:
            pc = ncol if (ncol <= 2 or art.kind == "photo") else (ncol + 1) // 2
            pcs = (m.c0, m.c0 + pc - 1) if m.photo_left else (m.c1 - pc + 1, m.c1)
            px0, px1 = self.mx(*pcs)
            ph = m.photo_h
            cap_f = font(st.cap_font, st.cap_size)
            caplines = break_text(self.lang, art.photo_caption, 0, px1 - px0, cap_f, align="full",
                                  **({"hyphenate": False} if self.lang == "en" else {}))
            cy = y + ph + 12
            if pb:
                self._photo_seq += 1
                refs.append(pb.photo((round(px0), round(y), round(px1), round(y + ph)),
                                     self.seed * 1000 + self._photo_seq, pcs, aid))
                cids = []
                for i, cl in enumerate(caplines):
                    by = cy + st.cap_size * 0.9 + i * st.cap_leading
                    runs = [Run(st.cap_font, st.cap_size, px0 + dx, by, s) for dx, s in cl.pieces]
                    cids.append(pb.line(runs, cl.text))
                refs.append(pb.block("caption", cids, pcs, aid))
            bottom = cy + len(caplines) * st.cap_leading + st.leading * 0.5
            for c in range(pcs[0], pcs[1] + 1):
                col_top[c - m.c0] = bottom

        # body flow
        lines = self.typeset(ct, self.colw)
        lines = [ln for ln in lines if ln.item < ct.n_items]
        # A column with room for less than three lines under a photo is left empty rather than
        # carrying a stray line of text.
        regions = [(self.cols[c][0], col_top[c - m.c0] if m.y1 - col_top[c - m.c0] >= 3 * st.leading else m.y1, m.y1)
                   for c in range(m.c0, m.c1 + 1)]
        # The jump line goes under the last column that takes text: a last column left empty under a
        # photo would put it below the module.
        usable = [i for i, (_x, y0, y1) in enumerate(regions) if y1 > y0]
        jump_col = usable[-1] if usable else len(regions) - 1
        placed, nxt = self._flow(lines, regions, jump_col if m.jump_to is not None else None)
        leftover = lines[nxt] if nxt < len(lines) else None
        bottom = max(col_top + [p[1] + p[2].advance for p in placed])
        if pb:
            self._emit_body(pb, placed, m, aid, refs)
            if m.jump_to is not None and leftover is not None:
                r = jump_col
                last_y = max([p[1] + p[2].advance for p in placed if p[0] == r], default=regions[r][1])
                jt = m.jump_text
                jfont = font(st.jump_font, st.size - 2)
                jx = regions[r][0] + self.colw - jfont.getlength(jt)
                lid = pb.line([Run(st.jump_font, st.size - 2, jx, last_y + st.size * 0.9, jt)], jt)
                refs.append(pb.block("jump", [lid], (m.c0 + r, m.c0 + r), aid))
                ct.item, ct.offset = leftover.item, leftover.start
                ct.jump_out = jt
                bottom = max(bottom, last_y + st.leading)
            if m.jump_to is None and leftover is not None:
                log.warning("%s: text cut at page %d (layout bug)", aid, pb.page.number)
            if self.gutter_rules and ncol > 1 and art.kind == "news":
                for c in range(m.c0, m.c1):
                    gx = self.cols[c][1] + self.gutter / 2
                    top = max(col_top[c - m.c0], col_top[c + 1 - m.c0])
                    pb.rule("vrule", (gx - 0.75, top, gx + 0.75, m.y1))
            self._record(pb.page.number, ct, refs, m)
        return Outcome(len(placed), len(lines), bottom, leftover)

    def _flow(self, lines: list[TLine], regions: list[tuple[float, float, float]],
              reserve: int | None) -> tuple[list[tuple[int, float, TLine]], int]:
        """Set lines column by column; ``reserve`` is the region that keeps a line's room for a jump line."""
        placed: list[tuple[int, float, TLine]] = []
        i = 0
        for r, (_x, y0, y1) in enumerate(regions):
            y = y0
            limit = y1 - (self.st.leading if r == reserve else 0)
            while i < len(lines):
                ln = lines[i]
                sb = ln.space_before if y > y0 else 0.0
                if y + sb + ln.advance > limit:
                    break
                if ln.kind == "subhead":  # keep a subhead with the first line after it
                    j, need = i, sb
                    while j < len(lines) and lines[j].kind == "subhead" and lines[j].item == ln.item:
                        need += lines[j].advance
                        j += 1
                    if j < len(lines):
                        need += lines[j].advance + lines[j].space_before
                    if y + need > limit:
                        break
                placed.append((r, y + sb, ln))
                y += sb + ln.advance
                i += 1
        return placed, i

    def _emit_body(self, pb: PageBuilder, placed: list[tuple[int, float, TLine]], m: Module, aid: str,
                   refs: list[str]) -> None:
        group: list[str] = []
        gkind, gcol = "", -1

        def flush() -> None:
            if group:
                c = m.c0 + gcol
                refs.append(pb.block(gkind, list(group), (c, c), aid))
                group.clear()

        for r, ytop, ln in placed:
            kind = "subhead" if ln.kind == "subhead" else "body"
            if r != gcol or kind != gkind or (kind == "subhead" and ln.item != getattr(flush, "item", ln.item)):
                flush()
                gkind, gcol = kind, r
            flush.item = ln.item  # type: ignore[attr-defined]
            x = self.cols[m.c0 + r][0]
            base = ytop + ln.size * (0.9 if self.lang == "zh" else 0.78) + (ln.advance - ln.size * 1.1) / 2
            runs = [Run(ln.font, ln.size, x + dx, base, s) for dx, s in ln.pieces]
            group.append(pb.line(runs, ln.text))
        flush()

    # --- truth ---------------------------------------------------------------------------------
    def jump_in_text(self, from_page: int) -> str:
        return f"（上接第{from_page}版）" if self.lang == "zh" else f"Continued from Page A{from_page}"

    def jump_out_text(self, art: ArticleText, to_page: int, variant: int) -> str:
        if self.lang == "zh":
            return f"（下转第{to_page}版）" if variant % 2 == 0 else f"（转第{to_page}版）"
        if variant % 2 == 0 and art.keyword:
            return f"See {art.keyword}, Page A{to_page}"
        return f"Continued on Page A{to_page}"

    def _record(self, page_no: int, ct: Content, refs: list[str], m: Module) -> None:
        a = self.articles.get(ct.aid)
        if a is None:
            art = ct.art
            a = Article(id=ct.aid, headline=art.headline(self.lang), kind=art.kind, byline=art.byline,
                        dateline=art.dateline, keywords=[art.keyword] if art.keyword else [])
            self.articles[ct.aid] = a
        if page_no not in a.pages:
            a.pages.append(page_no)
        a.blocks.extend(BlockRef(page_no, b) for b in refs)
        if m.jump_to is not None and ct.jump_out:
            a.continuation = Continuation(from_page=page_no, to_page=m.jump_to, jump_out=ct.jump_out)
            self.pending.setdefault(m.jump_to, []).append(ct)
            ct.from_page = page_no

    def _link_in(self, ct: Content, text: str, page_no: int) -> None:
        a = self.articles[ct.aid]
        if a.continuation is not None:
            a.continuation.jump_in = text

    def finish_articles(self, contents: list[Content]) -> list[Article]:
        out = []
        for ct in contents:
            a = self.articles.get(ct.aid)
            if a is None:
                continue
            printed = ct.items[: ct.n_items]
            if ct.art.kind == "photo":
                a.paragraphs = [ct.art.photo_caption]
            else:
                a.paragraphs = [t for _, t in printed]
                a.subheads = [t for k, t in printed if k == "h"]
            out.append(a)
        out.sort(key=lambda a: a.id)
        return out

    # --- fitting -------------------------------------------------------------------------------
    def balanced(self, m: Module, hmax: float, frac: float | None = None, hold: bool = True) -> float:
        """Smallest module height at which the text fits (or, for a jump, ``frac`` of its lines) and
        which, with ``hold``, holds everything else of the module (photo, caption) too."""

        def ok(h: float) -> bool:
            m.y1 = m.y0 + h
            o = self.run_module(m, None)
            text_ok = o.next_line is None if frac is None else o.placed >= frac * o.total
            return text_ok and (not hold or o.bottom <= m.y1)

        if not ok(hmax):
            return hmax
        lo, hi = 60, int(hmax)
        while hi - lo > 3:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid
        m.y1 = m.y0 + hi
        return float(hi)

    def shrink_photo(self, m: Module, hmax: float, frac: float | None = None) -> None:
        """Make a news photo no taller than the height its text needs (down to 0.4 of its width), so
        that photo and text end together; the module is then sized to hold both."""
        ht = self.balanced(m, hmax, frac, hold=False)
        m.y1 = m.y0 + ht
        if self.run_module(m, None).bottom <= m.y1:
            return
        lo, hi = 0.4 * self.photo_width(m), m.photo_h
        keep = m.photo_h
        m.photo_h = lo
        if self.run_module(m, None).bottom > m.y1:
            m.photo_h = keep
            return
        while hi - lo > 4:
            mid = (lo + hi) / 2
            m.photo_h = mid
            if self.run_module(m, None).bottom <= m.y1:
                lo = mid
            else:
                hi = mid
        m.photo_h = float(int(lo))

    def photo_width(self, m: Module) -> float:
        ncol = m.c1 - m.c0 + 1
        pc = ncol if (ncol <= 2 or m.content.art.kind == "photo") else (ncol + 1) // 2
        return self.colw * pc + self.gutter * (pc - 1)

    def fill_fit(self, m: Module, min_items: int = 2) -> float | None:
        """Fit the text into the module's fixed height: grow the photo, else leave out trailing
        paragraphs. Returns the white space left at the bottom, or None when it cannot fit."""
        ct = m.content
        fits = lambda: self.run_module(m, None).next_line is None  # noqa: E731
        if ct.art.photo_caption and (m.photo_h > 0 or ct.art.kind == "photo"):
            pw = self.photo_width(m)
            lo_h, hi_h = (120.0, min(m.y1 - m.y0, 1.2 * pw)) if ct.art.kind == "photo" else (0.4 * pw, 0.8 * pw)
            m.photo_h = lo_h
            while not fits() and ct.art.kind != "photo" and ct.n_items > max(min_items, ct.item + 1):
                ct.n_items -= 1
                if ct.items[ct.n_items - 1][0] == "h":
                    ct.n_items -= 1
            m.photo_h = lo_h
            if not fits() or self.run_module(m, None).bottom > m.y1:
                return None
            lo, hi = lo_h, hi_h
            while hi - lo > 4:
                mid = (lo + hi) / 2
                m.photo_h = mid
                if fits() and self.run_module(m, None).bottom <= m.y1:
                    lo = mid
                else:
                    hi = mid
            m.photo_h = float(int(lo))
        else:
            while not fits():
                if ct.n_items <= max(min_items, ct.item + 1):
                    return None
                ct.n_items -= 1
                if ct.items[ct.n_items - 1][0] == "h":
                    ct.n_items -= 1
        o = self.run_module(m, None)
        return m.y1 - o.bottom

    # --- page ----------------------------------------------------------------------------------
    def choose_spans(self, rng: random.Random, wide: bool) -> list[tuple[int, int]]:
        n = self.ncols
        pats: list[list[int]] = [[n]] if wide else []
        pats += [[a, n - a] for a in range(2, n - 1)] + [[n - 1, 1], [1, n - 1]]
        if n >= 6:
            pats += [[2, 2, n - 4], [3, 2, n - 5] if n > 5 else [2, 2, n - 4], [2, n - 3, 1]]
        if wide:
            pats = [p for p in pats if max(p) >= n - 2]
        widths = rng.choice(pats)
        spans, c = [], 0
        for w in widths:
            spans.append((c, c + w - 1))
            c += w
        return spans

    def compose_page(self, number: int, queue: list[Content], photos: list[Content],
                     jump_from: dict[str, int], rng: random.Random) -> PageBuilder:
        self.setup_page(number, rng)
        pb = PageBuilder(number, f"page-{number:02d}.png", WIDTH, HEIGHT, DPI)
        y = self.draw_folio(pb, number)
        if number == 1:
            y = self.draw_masthead(pb, y)
        bottom = HEIGHT - MARGIN_BOTTOM
        primaries = list(self.pending.get(number, []))
        primaries += [ct for ct in queue if ct.aid in jump_from and not ct.jump_out and ct.from_page is None
                      and jump_from[ct.aid] == number]
        for ct in primaries:
            if ct in queue:
                queue.remove(ct)
        first = True
        while bottom - y >= MIN_ROW * 0.8:
            H = bottom - y
            if primaries:
                ct = primaries.pop(0)
            elif any(c.aid not in jump_from for c in queue):
                ct = next(c for c in queue if c.aid not in jump_from)
                queue.remove(ct)
            elif photos:
                ct = photos.pop(0)
            else:
                break
            is_jump = ct.aid in self.jump_plan and not ct.jump_out
            cont = bool(ct.jump_out)
            spans = self.choose_spans(rng, wide=first and number == 1)
            pi = max(range(len(spans)), key=lambda i: spans[i][1] - spans[i][0])
            c0, c1 = spans[pi]
            pm = Module(c0, c1, y, y + H, ct, continuation=cont, head_font=rng.choice(self.st.head_fonts),
                        photo_left=rng.random() < 0.6)
            if is_jump:
                pm.jump_to = self.jump_plan[ct.aid]
                pm.jump_text = self.jump_out_text(ct.art, pm.jump_to, rng.randrange(2))
            if ct.art.photo_caption and not cont:
                pm.photo_h = round(self.photo_width(pm) * (0.6 if ct.art.kind == "news" else 0.7))
            if ct.art.kind == "photo":
                h = min(H, max(MIN_ROW, self.balanced(pm, H)))
            elif is_jump:
                hmax, frac = min(H, max(900.0, H * 0.62)), rng.uniform(0.45, 0.6)
                if pm.photo_h:
                    self.shrink_photo(pm, hmax, frac)
                h = self.balanced(pm, hmax, frac=frac)
            else:
                if pm.photo_h:
                    self.shrink_photo(pm, H)
                h = self.balanced(pm, H)
            if H - h < MIN_ROW or (h >= H and not is_jump):
                h = H
                pm.y1 = y + h
                if not is_jump and self.fill_fit(pm, min_items=1 if cont else 2) is None:
                    if cont:
                        log.warning("continuation of %s does not fit on page %d", ct.aid, number)
                    elif ct.art.kind == "news":
                        queue.insert(0, ct)
                    # Too long for what is left of the page: fill the last row with what fits.
                    pm = None  # type: ignore[assignment]
            if pm is not None:
                pm.y1 = y + h
            modules = []
            for i, (a0, a1) in enumerate(spans):
                if i == pi and pm is not None:
                    modules.append(pm)
                    continue
                sm = self.pick_secondary(a0, a1, y, y + h, queue, photos, rng)
                if sm is not None:
                    modules.append(sm)
            for mi, m in enumerate(modules):
                self.run_module(m, pb)
                if mi and rng.random() < 0.65:
                    gx = self.cols[m.c0][0] - self.gutter / 2
                    pb.rule("vrule", (gx - 1, y, gx + 1, y + h))
            y += h + ROW_GAP
            if bottom - y >= MIN_ROW * 0.8:
                ry = y - ROW_GAP / 2
                pb.rule("hrule", (MARGIN_X, ry - 1, WIDTH - MARGIN_X, ry + 1))
            first = False
        self.page_columns = [(round(a, 1), round(b, 1)) for a, b in self.cols]
        pb.page.columns = list(self.page_columns)
        return pb

    def pick_secondary(self, c0: int, c1: int, y0: float, y1: float, queue: list[Content],
                       photos: list[Content], rng: random.Random) -> Module | None:
        best: tuple[float, Content, Module] | None = None
        for ct in queue[:5]:
            if ct.aid in self.jump_plan:
                continue
            keep = ct.n_items
            m = Module(c0, c1, y0, y1, ct, head_font=rng.choice(self.st.head_fonts), photo_left=rng.random() < 0.5)
            if ct.art.photo_caption:
                m.photo_h = 1.0
            slack = self.fill_fit(m)
            score = None if slack is None else slack + 200 * (len(ct.items) - ct.n_items)
            if score is not None and (best is None or score < best[0]):
                best = (score, ct, Module(m.c0, m.c1, m.y0, m.y1, ct, m.photo_h, m.photo_left, head_font=m.head_font))
                best_n = ct.n_items
            ct.n_items = keep
        if best is not None and (best[0] < 0.3 * (y1 - y0) or not photos):
            _, ct, m = best
            ct.n_items = best_n
            queue.remove(ct)
            return m
        if photos and y1 - y0 >= 300:
            ct = photos.pop(0)
            m = Module(c0, c1, y0, y1, ct, head_font=self.st.head_fonts[-1])
            if self.fill_fit(m) is not None:
                return m
            photos.insert(0, ct)
        return None

    # --- furniture -----------------------------------------------------------------------------
    def _text_line(self, pb: PageBuilder, fkey: str, size: int, x: float, y: float, text: str,
                   align: str = "left", spacing: float = 0.0) -> str:
        f = font(fkey, size)
        w = sum(f.getlength(ch) for ch in text) + spacing * (len(text) - 1) if spacing else f.getlength(text)
        if align == "center":
            x -= w / 2
        elif align == "right":
            x -= w
        if spacing:
            runs, cx = [], x
            for ch in text:
                runs.append(Run(fkey, size, cx, y, ch))
                cx += f.getlength(ch) + spacing
            return pb.line(runs, text)
        return pb.line([Run(fkey, size, x, y, text)], text)

    def draw_folio(self, pb: PageBuilder, number: int) -> float:
        st, d = self.st, self.date_text
        y = MARGIN_TOP + 28
        if self.lang == "zh":
            section = {1: "要闻", 2: "城市", 3: "经济·科技"}.get(number, "文化·体育")
            left = [f"第{number}版", section]
            center, right = self.title, d["folio"]
        else:
            section = {1: "FRONT PAGE", 2: "LOCAL NEWS", 3: "BUSINESS"}.get(number, "SPORTS & ARTS")
            left = [f"A{number}", section]
            center, right = self.title.upper(), d["folio"]
        ids = [self._text_line(pb, st.folio_font, 28, MARGIN_X, y, left[0])]
        ids.append(self._text_line(pb, st.folio_font, 28, MARGIN_X + 130, y, left[1]))
        ids.append(self._text_line(pb, st.folio_font, 28, WIDTH / 2, y, center, "center"))
        ids.append(self._text_line(pb, st.folio_font, 28, WIDTH - MARGIN_X, y, right, "right"))
        pb.block("folio", ids, None)
        pb.rule("hrule", (MARGIN_X, y + 16, WIDTH - MARGIN_X, y + 20))
        pb.rule("hrule", (MARGIN_X, y + 25, WIDTH - MARGIN_X, y + 26.5))
        return y + 60

    def draw_masthead(self, pb: PageBuilder, y: float) -> float:
        d = self.date_text
        if self.lang == "zh":
            tid = self._text_line(pb, "zh_serif_bold", 190, MARGIN_X + 10, y + 185, self.title, spacing=24)
            pb.block("masthead", [tid], None)
            ids = [self._text_line(pb, "zh_sans", 30, WIDTH - MARGIN_X, y + 60 + i * 46, t, "right")
                   for i, t in enumerate(d["masthead"])]
            pb.block("masthead", ids, None)
            y += 240
        else:
            tid = self._text_line(pb, "en_display", 150, WIDTH / 2, y + 140, self.title, "center")
            pb.block("masthead", [tid], None)
            y += 180
            pb.rule("hrule", (MARGIN_X, y, WIDTH - MARGIN_X, y + 2))
            parts = d["masthead"]
            ids = [self._text_line(pb, "en_sans", 28, MARGIN_X, y + 40, parts[0]),
                   self._text_line(pb, "en_sans", 28, WIDTH / 2, y + 40, parts[1], "center"),
                   self._text_line(pb, "en_sans", 28, WIDTH - MARGIN_X, y + 40, parts[2], "right")]
            pb.block("masthead", ids, None)
            y += 56
        pb.rule("hrule", (MARGIN_X, y, WIDTH - MARGIN_X, y + 6))
        return y + 36
