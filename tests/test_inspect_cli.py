"""`ocr-pipeline inspect` on a page file: the drawing and the summary show the page's articles."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from ocr_pipeline.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_inspect_a_pdf_page_draws_its_articles(tmp_path: Path) -> None:
    out = tmp_path / "p1.png"
    res = CliRunner().invoke(cli, ["inspect", str(SAMPLES / "en-daily-1" / "digital.pdf"), "-o", str(out),
                                    "--lang", "en", "--width", "800"])
    assert res.exit_code == 0, res.output
    m = re.search(r"(\d+) blocks .*, (\d+) articles", res.output)
    assert m is not None, res.output
    assert int(m.group(1)) > 20 and int(m.group(2)) >= 5
    with Image.open(out) as im:
        assert im.width == 800
