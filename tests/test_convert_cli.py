"""`ocr-pipeline convert` end to end on rendered pages, through click's CliRunner and once as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from rapidfuzz.distance import Levenshtein

from ocr_pipeline import model
from ocr_pipeline.cli import cli
from tests.render import render_columns_page, save


def _cer(got: str, want: str) -> float:
    strip = "".join
    g, w = strip(got.split()), strip(want.split())
    return Levenshtein.distance(g, w) / max(1, len(w))


@pytest.fixture(scope="module")
def zh_page(tmp_path_factory: pytest.TempPathFactory):
    page = render_columns_page(lang="zh", ncols=3, gutter=30, rule_after=(0,), width=1400, height=1000)
    path = save(page, tmp_path_factory.mktemp("zh") / "page-01.png")
    return page, path


@pytest.fixture(scope="module")
def zh_converted(zh_page, tmp_path_factory: pytest.TempPathFactory):
    page, path = zh_page
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli, ["convert", str(path), "-o", str(out), "-q"], catch_exceptions=False)
    return page, out, result


def test_engines_lists_ppocr_available() -> None:
    result = CliRunner().invoke(cli, ["engines", "--json"])
    assert result.exit_code == 0, result.output
    infos = {i["name"]: i for i in json.loads(result.output)}
    assert infos["ppocr"]["available"] is True
    assert any("det" in m for m in infos["ppocr"]["models"])
    assert set(infos) >= {"ppocr", "paddleocr", "tesseract", "pdf-text", "import"}


def test_convert_writes_edition_and_text(zh_converted) -> None:
    page, out, result = zh_converted
    assert result.exit_code == 0, result.output
    edition = model.load(out / "page-01" / "edition.json")
    assert edition.pages[0].status == "ok"
    body = "".join(a for col in page.column_lines for a in col)
    got = "".join(p for a in edition.articles for p in a.paragraphs)
    assert _cer(got, body) < 0.02, got[:200]
    text = (out / "page-01" / "text" / "edition.txt").read_text(encoding="utf-8")
    assert body[:20] in text.replace("\n", "")
    # The page image the coordinates refer to (encoded beside the layout, in the helper thread).
    with Image.open(out / "page-01" / "pages" / "page-01.jpg") as shot:
        assert shot.format == "JPEG" and shot.size == (edition.pages[0].width, edition.pages[0].height)


def test_no_line_crosses_a_gutter(zh_converted) -> None:
    page, out, _ = zh_converted
    edition = model.load(out / "page-01" / "edition.json")
    body_lines = [ln for ln in edition.pages[0].lines if ln.bbox[1] >= page.body_top - 5]
    assert len(body_lines) >= 3 * 10
    for ln in body_lines:
        for g0, g1 in page.gutters:
            assert not (ln.bbox[0] < g0 - 2 and ln.bbox[2] > g1 + 2), (ln.text, ln.bbox)


def test_bad_inputs_are_reported_and_the_rest_converted(zh_page, tmp_path: Path) -> None:
    _, good = zh_page
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.png").write_bytes(b"")
    (bad / "notes.png").write_text("this is not an image", encoding="utf-8")
    data = good.read_bytes()
    (bad / "cut.png").write_bytes(data[: len(data) // 3])
    Image.new("L", (1, 1), 255).save(bad / "tiny.png")
    missing = tmp_path / "missing.png"
    out = tmp_path / "out"
    runner = CliRunner()
    # Each bad file on its own is an edition of its own here, given with the good page as separate runs'
    # inputs would merge them; convert the folder (one edition) and a missing file.
    result = runner.invoke(cli, ["convert", str(bad), str(good), str(missing), "-o", str(out), "-q"])
    assert result.exit_code == 10, result.output
    err = result.stderr if hasattr(result, "stderr") else result.output
    for name in ("empty.png", "notes.png", "cut.png", "tiny.png", "missing.png"):
        assert name in err, err
    # The good page was converted despite the bad ones.
    good_json = list(out.glob("*/edition.json"))
    assert good_json
    pages = [p for j in good_json for p in model.load(j).pages]
    assert any(p.status == "ok" and p.lines for p in pages)
    assert sum(p.status == "failed" for p in pages) >= 4


def test_help_on_every_command_has_examples() -> None:
    import click

    runner = CliRunner()
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        paths = [[name]]
        if isinstance(command, click.Group):
            paths = [[name, sub] for sub in command.list_commands(None)]  # type: ignore[arg-type]
        for path in paths:
            result = runner.invoke(cli, [*path, "--help"])
            assert result.exit_code == 0, (path, result.output)
            assert "ocr-pipeline" in result.output, f"{' '.join(path)} --help has no example"


def test_subprocess_convert(zh_page, tmp_path: Path) -> None:
    _, good = zh_page
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "ocr_pipeline", "convert", str(good), "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "page-01: success" in proc.stdout
    assert (out / "page-01" / "edition.json").is_file()
    bad = subprocess.run([sys.executable, "-m", "ocr_pipeline", "convert", str(tmp_path / "nope.png"), "-o",
                          str(out)], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
    assert "nope.png" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_fail_under_holds_back_a_weak_edition(zh_page, tmp_path: Path) -> None:
    _, good = zh_page
    runner = CliRunner()
    strict = runner.invoke(cli, ["convert", str(good), "-o", str(tmp_path / "a"), "-q", "--fail-under", "1.0"])
    assert strict.exit_code == 11, strict.output
    assert (tmp_path / "a" / "page-01" / "report.html").is_file()
    lenient = runner.invoke(cli, ["convert", str(good), "-o", str(tmp_path / "b"), "-q", "--fail-under", "0.5"])
    assert lenient.exit_code == 0, lenient.output
    assert "quality 0." in lenient.output or "quality 1." in lenient.output
