"""Text regions never cross a gutter (white or ruled, down to about one character wide) or a rule."""

from __future__ import annotations

import pytest

from ocr_pipeline.layout.regions import find_regions
from tests.render import render_columns_page


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("gutter", [30, 48])  # 30 px is one character of 30 px text
def test_regions_follow_columns(lang: str, gutter: int) -> None:
    page = render_columns_page(lang=lang, ncols=5, gutter=gutter, rule_after=(1,))
    found = find_regions(page.image)
    body = [r for r in found.regions if r[1] >= page.body_top - 5]
    assert len(body) == 5, body
    for region in body:
        for g0, g1 in page.gutters:
            assert not (region[0] < g0 and region[2] > g1), f"region {region} crosses gutter {(g0, g1)}"
    # Reading order: the headline first, then the columns left to right.
    head = found.regions[0]
    assert head[3] <= page.body_top and head[1] <= page.headline_box[1] + 5
    lefts = [r[0] for r in body]
    assert lefts == sorted(lefts)
    for (c0, c1), r in zip(page.columns, body, strict=True):
        assert abs(r[0] - c0) < 20 and r[2] - c1 < 20


def test_rules_are_found() -> None:
    page = render_columns_page(lang="zh", rule_after=(1, 3))
    found = find_regions(page.image)
    kinds = sorted(r.kind for r in found.rules)
    assert kinds.count("vrule") == 2 and kinds.count("hrule") == 1
    assert abs(found.char_height - 30) < 10


def test_headline_word_spaces_do_not_split_it() -> None:
    page = render_columns_page(lang="en", headline="A Headline With Many Short Words In It")
    found = find_regions(page.image)
    above = [r for r in found.regions if r[3] <= page.body_top]
    assert len(above) == 1


def _dips_by_definition(cover, reach: int) -> list[tuple[int, int]]:
    """coverage_dips written out plainly: the window maxima taken anew at every x."""
    gutters = []
    x = 0
    while x < len(cover):
        left = cover[max(0, x - reach) : x]
        if not len(left) or left.max() == 0:
            x += 1
            continue
        limit = 0.3 * left.max()
        if cover[x] > limit:
            x += 1
            continue
        end = x
        while end < len(cover) and cover[end] <= limit:
            end += 1
        right = cover[end : end + reach]
        if len(right) and end < len(cover) - 1 and cover[x:end].min() <= 0.2 * min(left.max(), right.max()):
            gutters.append((x, end))
        x = end + 1
    return gutters


def test_coverage_dips_match_their_definition() -> None:
    """The dips found with all window maxima taken at once are those of the plain definition, on column-like
    profiles with gutters, crossing headlines and noise."""
    import numpy as np

    from ocr_pipeline.layout.grid import coverage_dips

    rng = np.random.default_rng(7)
    found = 0
    for _ in range(400):
        n, reach = int(rng.integers(1, 500)), int(rng.integers(0, 150))
        cover = rng.integers(5, 40, n).astype(np.int32)
        for _ in range(int(rng.integers(0, 6))):  # gutters, some crossed by a headline or two
            a = int(rng.integers(0, n))
            cover[a : a + int(rng.integers(1, 25))] = int(rng.integers(0, 3))
        want = _dips_by_definition(cover, reach)
        assert coverage_dips(cover, reach) == want
        found += len(want)
    assert found > 100  # the profiles do have gutters


def test_span_coverage_counts_each_x_as_slices_would() -> None:
    """Coverage from the spans' ends equals adding 1 over each span's slice, empty, reversed and
    out-of-range spans included."""
    import numpy as np

    from ocr_pipeline.layout.grid import span_coverage

    rng = np.random.default_rng(3)
    for _ in range(200):
        width = int(rng.integers(0, 300))
        spans = [(int(a), int(b)) for a, b in rng.integers(-20, width + 40, (int(rng.integers(0, 60)), 2))]
        want = np.zeros(width + 1, np.int32)
        for a, b in spans:
            want[max(0, a) : max(0, b)] += 1
        assert np.array_equal(span_coverage(spans, width), want)


def test_box_profiles_count_the_ink_of_each_row_and_column() -> None:
    """The XY cut's profiles come from one summed-area table of the page: for any box they are the ink
    pixels of its rows and columns, as counting them in the box gives (masks of 0/255, as binarize makes)."""
    import numpy as np

    from ocr_pipeline.layout.regions import _box_profiles, _ink_counts

    rng = np.random.default_rng(7)
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(1, 90, 2))
        ink = np.where(rng.random((h, w)) < rng.random() * 0.3, 255, 0).astype(np.uint8)
        counts = _ink_counts(ink)
        for _ in range(20):
            x0, x1 = sorted(int(v) for v in rng.integers(0, w + 1, 2))
            y0, y1 = sorted(int(v) for v in rng.integers(0, h + 1, 2))
            rows, cols = _box_profiles(counts, (x0, y0, x1, y1))
            sub = ink[y0:y1, x0:x1] > 0
            assert rows.tolist() == sub.sum(axis=1).tolist() and cols.tolist() == sub.sum(axis=0).tolist()


def test_rule_components_are_those_of_opencvs_opening() -> None:
    """Rules are found by opening the ink with a long thin kernel and labelling what is left; the dilation and
    the labelling run only on the bands of rows (columns) that keep ink after the erosion, with the boxes, in
    the order, of OpenCV's opening and labelling of the whole page."""
    import cv2
    import numpy as np

    from ocr_pipeline.layout.regions import _line_components

    rng = np.random.default_rng(3)
    for k in range(300):
        h, w = (int(v) for v in rng.integers(1, 900 if k % 20 == 0 else 120, 2))  # a few page-sized ones
        ink = np.where(rng.random((h, w)) < rng.random(), 255, 0).astype(np.uint8)
        for _ in range(int(rng.integers(0, 8))):  # some long runs, cut short at random, some side by side
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            ink[y, int(rng.integers(0, w)):] = 255
            ink[int(rng.integers(0, h)):, x] = 255
            ink[min(h - 1, y + 2), : int(rng.integers(0, w + 1))] = 255
            ink[: int(rng.integers(0, h + 1)), min(w - 1, x + 2)] = 255
        for ksize in ((int(rng.integers(1, 60)), 1), (1, int(rng.integers(1, 60)))):
            opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, ksize))
            n, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
            want = [tuple(row[:4]) for row in stats[1:n].tolist()]
            assert _line_components(ink, ksize) == want, ksize


def test_regions_in_a_forked_worker_after_the_parent_found_some() -> None:
    # The photos' reduction of the page runs in a thread of the process's own: a forked child (a pool worker)
    # starts its own instead of waiting for the parent's, which it does not have.
    from tests.test_export import _passes_in_a_forked_child

    img = render_columns_page(lang="en").image
    found = find_regions(img)
    assert found.regions
    _passes_in_a_forked_child(lambda: find_regions(img).regions == found.regions)
