"""The report in a real headless browser (Debian chromium driven by Playwright): it opens from disk with
no console error, draws one overlay shape per block, and a flag link highlights its place on the page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ocr_pipeline.report import build_report, compute_flags
from tests.test_report import make_edition

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# Where a reviewer of this test can look at the report as the browser drew it.
SHOT = Path(os.environ.get("REPORT_SHOT", "/tmp/report-shot.png"))


def test_report_in_headless_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    folder = tmp_path / "test-edition-1"
    ed = make_edition(folder)
    build_report(folder)
    flags = compute_flags(ed)

    with sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except sync_api.Error as exc:  # a chromium that cannot start here is an environment problem
            pytest.skip(f"chromium does not start: {exc}")
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto((folder / "report.html").as_uri())
            page.wait_for_load_state("load")

            # Every request stays on disk (the report itself) or inline (data: thumbnails).
            assert all(u.startswith(("file:", "data:")) for u in requests), requests
            for p in ed.pages:
                shapes = page.locator(f"#page-{p.number} svg [data-block-id]")
                assert shapes.count() == len(p.blocks)
                ids = sorted(shapes.evaluate_all("els => els.map(e => e.dataset.blockId)"))
                assert ids == sorted(b.id for b in p.blocks)
            # The overlay lies on the thumbnail: a block's shape is drawn inside the image's box.
            img = page.locator("#page-1 figure img").bounding_box()
            blk = page.locator("#page-1 svg [data-block-id]").first.bounding_box()
            assert img and blk and img["width"] > 300
            assert img["x"] <= blk["x"] and blk["x"] + blk["width"] <= img["x"] + img["width"] + 1
            assert img["y"] <= blk["y"] and blk["y"] + blk["height"] <= img["y"] + img["height"] + 1
            # The thumbnail really decoded.
            assert page.evaluate("document.querySelector('#page-1 figure img').naturalWidth") > 300

            # Clicking the unmatched-jump flag highlights the jump block's shape on page 1.
            row = page.locator("tr.flag", has=page.locator("code", has_text="unmatched-jump-out"))
            link = row.locator("a.flag-link")
            target = link.get_attribute("href")
            assert target and target.startswith("#")
            link.click()
            page.wait_for_function("h => location.hash === h", arg=target)
            # The highlight comes with the hashchange event, after the hash itself.
            page.wait_for_function("id => document.getElementById(id).classList.contains('hl')", arg=target[1:],
                                   timeout=5000)
            shape = page.locator(f"[id='{target[1:]}']")
            assert shape.get_attribute("data-block-id") == next(
                f.block_id for f in flags if f.code == "unmatched-jump-out")
            assert "hl" in (shape.get_attribute("class") or "").split()
            assert page.evaluate("id => document.getElementById(id).matches(':target')", target[1:])
            # Highlighted means drawn differently: the computed stroke is the highlight red.
            assert page.evaluate("id => getComputedStyle(document.getElementById(id)).stroke",
                                 target[1:]) == "rgb(213, 0, 0)"
            # Brought into view (the page scrolls smoothly: wait for it to arrive).
            page.wait_for_function("id => { const r = document.getElementById(id).getBoundingClientRect();"
                                   " return r.top >= 0 && r.bottom <= innerHeight; }", arg=target[1:],
                                   timeout=5000)

            # A line flag highlights the line and its block.
            line_flag = page.locator("tr.flag", has=page.locator("code", has_text="low-confidence-line")).first
            line_flag.locator("a.flag-link").click()
            # The page highlights on its hashchange event, which comes after the click returns: wait for it.
            page.wait_for_function("() => document.querySelector('svg .ln.hl') !== null", timeout=5000)
            assert page.locator("svg .ln.hl").count() == 1 and page.locator("svg .blk.hl").count() == 1

            # Severity filter hides the rest.
            page.locator(".filters button[data-filter='sev-high']").click()
            visible = page.locator("tr.flag:visible").count()
            assert 0 < visible < len(flags)
            page.locator(".filters button[data-filter='all']").click()

            page.goto((folder / "report.html").as_uri() + target)
            page.wait_for_timeout(300)
            page.screenshot(path=str(tmp_path / "report.png"))
            page.goto((folder / "report.html").as_uri())
            page.screenshot(path=str(tmp_path / "report-full.png"), full_page=True)
            assert not problems, problems
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000
    try:
        shutil.copyfile(tmp_path / "report.png", SHOT)
        shutil.copyfile(tmp_path / "report-full.png", SHOT.with_name(SHOT.stem + "-full.png"))
    except OSError:
        pass
