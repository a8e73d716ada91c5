"""Batch conversion: an archive with bad files, resume, --force, --jobs, locks, kill -9, Ctrl-C, rebuild."""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from ocr_pipeline import model
from ocr_pipeline.batch import BatchOptions, RunLock, cache, rebuild, run_batch
from ocr_pipeline.batch.worker import PageTask, run_pool
from ocr_pipeline.cli import cli
from ocr_pipeline.errors import BatchError, ConfigError
from ocr_pipeline.ingest import discover
from ocr_pipeline.settings import ConvertSettings
from tests.render import render_columns_page, save

REPO = Path(__file__).resolve().parents[1]
HEADLINES = ["社区食堂开业百日", "河湾新区试点配送", "居民走几步吃热饭", "街道联合菜市场"]
BAD = {"ed-a/page-03.png": "zero bytes", "ed-b/page-02.png": "truncated", "ed-b/page-03.png": "not an image",
       "ed-c/page-02.png": "1x1 px", "archive/locked.pdf": "password"}


def _good_page(path: Path, k: int) -> Path:
    page = render_columns_page(lang="zh", ncols=2, gutter=30, rule_after=(0,), width=640, height=760, size=24,
                               headline=HEADLINES[k % len(HEADLINES)])
    path.parent.mkdir(parents=True, exist_ok=True)
    return save(page, path)


def make_archive(root: Path) -> Path:
    """Three editions, four good pages and four bad files (zero bytes, truncated, text named .png, 1x1 px), and
    a password-protected PDF."""
    arch = root / "archive"
    good = [arch / "ed-a" / "page-01.png", arch / "ed-a" / "page-02.png", arch / "ed-b" / "page-01.png",
            arch / "ed-c" / "page-01.png"]
    for k, p in enumerate(good):
        _good_page(p, k)
    (arch / "ed-a" / "page-03.png").write_bytes(b"")
    data = good[0].read_bytes()
    (arch / "ed-b" / "page-02.png").write_bytes(data[: len(data) // 3])
    (arch / "ed-b" / "page-03.png").write_text("this is a note, not a scan", encoding="utf-8")
    Image.new("L", (1, 1), 255).save(arch / "ed-c" / "page-02.png")
    from reportlab.pdfgen import canvas

    locked = canvas.Canvas(str(arch / "locked.pdf"), encrypt="secret")
    locked.drawString(100, 700, "locked")
    locked.save()
    # Fixed times: versionCreated of an edition without a printed date comes from its inputs' times.
    for p in [*arch.rglob("*.png"), arch / "locked.pdf"]:
        os.utime(p, (1_700_000_000, 1_700_000_000))
    return arch


def outputs(out: Path) -> dict[str, bytes]:
    """Every file of every edition folder (not the cache, manifest or lock), by relative path."""
    files = {}
    for d in sorted(out.iterdir()):
        if d.is_dir() and not d.name.startswith("."):
            for f in sorted(d.rglob("*")):
                if f.is_file():
                    files[str(f.relative_to(out))] = f.read_bytes()
    return files


def log_lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def convert(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["convert", *args, "-q"], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_archive(tmp_path_factory.mktemp("batch"))


@pytest.fixture(scope="module")
def clean(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int, str]:
    """One uninterrupted --jobs 1 run: the reference every other run is compared with."""
    out = tmp_path_factory.mktemp("clean") / "out"
    logf = out.parent / "run.jsonl"
    code, text = convert(str(archive), "-o", str(out), "--log-file", str(logf))
    return out, logf, code, text


def test_good_pages_converted_bad_ones_listed(clean) -> None:
    out, logf, code, text = clean
    assert code == 10, text
    failures = [json.loads(x) for x in (out / "failures.jsonl").read_text(encoding="utf-8").splitlines()]
    failed = {str(Path(f["input"]).relative_to(Path(f["input"]).parents[1])) for f in failures}
    assert failed == set(BAD), failures
    assert all(f["reason"] for f in failures)
    assert "password" in next(f["reason"] for f in failures if f["input"].endswith("locked.pdf"))
    assert "locked: failure" in text
    for eid, n_ok, n_pages in (("ed-a", 2, 3), ("ed-b", 1, 3), ("ed-c", 1, 2)):
        edition = model.load(out / eid / "edition.json")
        assert len(edition.pages) == n_pages
        ok = [p for p in edition.pages if p.status == "ok"]
        assert len(ok) == n_ok
        assert all(len(p.lines) >= 20 for p in ok)
        assert edition.articles, eid
        # A missing page is still in the edition, marked failed, with its reason.
        assert all(p.errors for p in edition.pages if p.status != "ok")
        # Each page image has the report's thumbnail beside it, made with it, and the report embeds that.
        report = (out / eid / "report.html").read_text(encoding="utf-8")
        for p in ok:
            thumb = (out / eid / "pages" / f"page-{p.number:02d}.thumb-600.jpg").read_bytes()
            assert base64.b64encode(thumb).decode("ascii") in report
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    pages = [h for e in manifest["editions"].values() for h in e["pages"]]
    assert len(pages) == 8
    for h in pages:
        assert h["engine"] == "ppocr" and h["models"] and h["settings"]["lang"] == "zh"
        assert isinstance(h["sha256"], str) and len(h["sha256"]) == 64
    events = log_lines(logf)
    assert sum(e["event"] == "page" for e in events) == 8
    assert sum(e["event"] == "edition" for e in events) == 4
    _check_stage_seconds([e for e in events if e["event"] == "page"])
    assert not (out / ".ocr-pipeline.lock").exists()
    assert not list(out.rglob("*.tmp"))


def test_rerun_skips_everything_and_force_with_two_jobs_redoes_it_identically(clean, archive, tmp_path) -> None:
    out, _, _, _ = clean
    before = outputs(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("edition.json")}
    logf = tmp_path / "again.jsonl"
    code, text = convert(str(archive), "-o", str(out), "--log-file", str(logf))
    assert code == 10, text
    pages = [e for e in log_lines(logf) if e["event"] == "page"]
    assert len(pages) == 8 and all(e["skipped"] for e in pages)
    assert "8 page(s) taken from the earlier run" in text
    assert {p: p.stat().st_mtime_ns for p in out.rglob("edition.json")} == mtimes  # nothing rewritten
    assert outputs(out) == before

    copy = tmp_path / "out2"
    shutil.copytree(out, copy)
    logf2 = tmp_path / "force.jsonl"
    code, text = convert(str(archive), "-o", str(copy), "--force", "--jobs", "2", "--log-file", str(logf2))
    assert code == 10, text
    pages = [e for e in log_lines(logf2) if e["event"] == "page"]
    assert len(pages) == 8 and not any(e["skipped"] for e in pages)
    _check_stage_seconds(pages)  # timed in the worker processes too
    assert outputs(copy) == before  # --jobs 2 writes the same bytes as --jobs 1


def _check_stage_seconds(pages: list[dict]) -> None:
    """Each converted page says where its time went; the stages fit in the page's time."""
    for e in pages:
        st = e["stages"]
        assert set(st) == {"load", "preprocess", "detection", "recognition", "layout", "page_image"}, e
        assert sum(st.values()) <= e["seconds"] + 0.01, e
        if e["status"] == "ok":  # a page OCRed: detection and recognition both ran
            assert st["detection"] > 0 and st["recognition"] > 0 and st["preprocess"] > 0, e


def test_changed_page_redone_and_retry_failed(clean, archive, tmp_path) -> None:
    out0, _, _, _ = clean
    arch = tmp_path / "archive"
    shutil.copytree(archive, arch)
    out = tmp_path / "out"
    shutil.copytree(out0, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["editions"]["ed-c"]["pages"][0]["input"].startswith(str(archive))
    # A fixed page replaces the 1x1 image of ed-c: only that page is converted again.
    _good_page(arch / "ed-c" / "page-02.png", 3)
    logf = tmp_path / "run.jsonl"
    code, text = convert(str(arch), "-o", str(out), "--log-file", str(logf))
    assert code == 10, text  # ed-a and ed-b still have bad pages
    redone = [(e["edition"], e["page"]) for e in log_lines(logf) if e["event"] == "page" and not e["skipped"]]
    assert redone == [("ed-c", 2)]
    edition = model.load(out / "ed-c" / "edition.json")
    assert [p.status for p in edition.pages] == ["ok", "ok"]
    assert "ed-c: success" in text
    failures = (out / "failures.jsonl").read_text(encoding="utf-8")
    assert "ed-c" not in failures and failures.count("\n") == 4

    logf2 = tmp_path / "retry.jsonl"
    code, text = convert(str(arch), "-o", str(out), "--retry-failed", "--log-file", str(logf2))
    assert code == 10
    redone = sorted((e["edition"], e["page"]) for e in log_lines(logf2) if e["event"] == "page" and not e["skipped"])
    assert redone == [("ed-a", 3), ("ed-b", 2), ("ed-b", 3)]


def test_a_cached_page_without_its_image_is_converted_again(clean, archive, tmp_path) -> None:
    """A page's cache entry and its image are written in separate threads: a run killed between the two
    leaves an entry whose image (or thumbnail) is missing. That page is converted again, not assembled
    without its image."""
    out0, _, _, _ = clean
    out = tmp_path / "out"
    shutil.copytree(out0, out)
    for d in ("ed-a", "ed-b"):
        shutil.rmtree(out / d)  # the editions are written again from the cache
    pages = out / ".cache" / "ed-a" / "pages"
    (pages / "page-02.jpg").unlink()
    (pages / "page-01.thumb-600.jpg").unlink()
    (out / ".cache" / "ed-b" / "pages" / "page-01.thumb-600.jpg").unlink()
    logf = tmp_path / "run.jsonl"
    code, text = convert(str(archive), "-o", str(out), "--log-file", str(logf))
    assert code == 10, text
    redone = sorted((e["edition"], e["page"]) for e in log_lines(logf) if e["event"] == "page" and not e["skipped"])
    assert redone == [("ed-a", 1), ("ed-a", 2), ("ed-b", 1)]
    assert outputs(out) == outputs(out0)


def test_rebuild_warns_of_a_page_image_missing_from_the_cache(clean, tmp_path, caplog) -> None:
    out0, _, _, _ = clean
    out = tmp_path / "out"
    shutil.copytree(out0, out)
    (out / ".cache" / "ed-a" / "pages" / "page-02.jpg").unlink()
    with caplog.at_level(logging.WARNING):
        rebuild(out, editions=["ed-a"])
    assert "ed-a page 2: its page image is missing from the cache" in caplog.text
    assert caplog.text.count("is missing from the cache") == 1  # the other pages' images are there
    assert not (out / "ed-a" / "pages" / "page-02.jpg").exists() and (out / "ed-a" / "pages" / "page-01.jpg").exists()


def test_rebuild_from_the_cache_writes_the_same_outputs(clean, tmp_path, monkeypatch) -> None:
    out0, _, _, _ = clean
    out = tmp_path / "out"
    shutil.copytree(out0, out)
    for f in out.glob("*/edition.json"):
        f.unlink()
    shutil.rmtree(out / "ed-b" / "text")
    from ocr_pipeline.engines import engine_class

    def no_ocr(*args, **kwargs):  # rebuild must not OCR
        raise AssertionError("OCR during rebuild")

    monkeypatch.setattr(engine_class("ppocr"), "recognize", no_ocr)
    result = CliRunner().invoke(cli, ["rebuild", str(out)], catch_exceptions=False)
    assert result.exit_code == 10, result.output
    assert outputs(out) == outputs(out0)
    # Another layout profile re-links continuations without OCR.
    res = rebuild(out, layout="zh-daily")
    assert [e.id for e in res.editions] == ["ed-a", "ed-b", "ed-c", "locked"]
    assert json.loads((out / "manifest.json").read_text())["editions"]["ed-a"]["settings"]["layout"] == "zh-daily"


def test_lock_refuses_a_live_run_and_takes_over_a_dead_one(tmp_path, caplog) -> None:
    out = tmp_path / "out"
    with RunLock(out):
        assert (out / ".ocr-pipeline.lock").is_file()
        with pytest.raises(BatchError):
            convert(str(tmp_path / "missing.png"), "-o", str(out))
    assert not (out / ".ocr-pipeline.lock").exists()
    with RunLock(out), pytest.raises(BatchError, match=r"another conversion \(pid \d+, started .*\) is writing"):
        run_batch([tmp_path / "missing.png"], out)
    # A lock left by a process that is gone is taken over with a warning.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / ".ocr-pipeline.lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(),
                                                        "started": "2026-01-01T00:00:00+00:00"}))
    with caplog.at_level(logging.WARNING, logger="ocr_pipeline.batch.lock"):
        result = run_batch([tmp_path / "missing.png"], out)
    assert "taking over the lock" in caplog.text
    assert result.exit_code == 10
    assert not (out / ".ocr-pipeline.lock").exists()


def test_lock_refusal_through_the_command(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / ".ocr-pipeline.lock").write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(),
                                                            "started": "2026-01-01T00:00:00+00:00"}))
        proc = subprocess.run([sys.executable, "-m", "ocr_pipeline", "convert", str(tmp_path / "x.png"), "-o",
                               str(out)], capture_output=True, text=True, timeout=120, cwd=REPO)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == BatchError.exit_code, proc.stderr
    assert f"another conversion (pid {holder.pid}" in proc.stderr
    assert "use another -o folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_options_validate() -> None:
    with pytest.raises(ConfigError, match="--ray-address needs --executor ray"):
        BatchOptions(ray_address="head:6379")
    with pytest.raises(ConfigError):
        BatchOptions(jobs=0)
    with pytest.raises(ConfigError):
        BatchOptions(page_timeout=-1)


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _kill_and_resume(archive: Path, out: Path, logf: Path, moment: float, sig: int,
                     jobs: int = 1) -> tuple[subprocess.CompletedProcess, list[int]]:
    """Run convert as a subprocess and send it ``sig`` after ``moment`` s; returns it and its children then."""
    cmd = [sys.executable, "-m", "ocr_pipeline", "convert", str(archive), "-o", str(out), "-q", "--log-file",
           str(logf), "--jobs", str(jobs)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(moment)
    kids = _children(proc.pid)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), kids


def _assert_no_partial_files(out: Path) -> None:
    """Every edition folder present is complete (edition folders are put in place whole) and every cached
    page parses. A killed run may leave hidden temporaries; the next run removes them."""
    for d in out.iterdir():
        if d.is_dir() and not d.name.startswith("."):
            edition = model.load(d / "edition.json")
            assert (d / "report.html").is_file() and (d / "report.json").is_file()
            assert len(list((d / "alto").glob("*.xml"))) == len(edition.pages)
    for f in (out / ".cache").rglob("page-*.json") if (out / ".cache").exists() else []:
        cache.read_page(f)


def test_kill_9_then_resume_gives_the_outputs_of_a_clean_run(clean, archive, tmp_path) -> None:
    out0, logf0, _, _ = clean
    seconds = [e["seconds"] for e in log_lines(logf0) if e["event"] == "page"]
    span = 2.0 + sum(seconds)  # a moment anywhere inside a run (start-up included)
    moment = random.Random().uniform(1.0, span)
    out = tmp_path / "out"
    killed, _ = _kill_and_resume(archive, out, tmp_path / "k.jsonl", moment, signal.SIGKILL)
    assert killed.returncode in (-9, 10), (moment, killed.stderr)
    if out.exists():
        _assert_no_partial_files(out)
    code, text = convert(str(archive), "-o", str(out))
    assert code == 10, text
    assert outputs(out) == outputs(out0), f"killed at {moment:.1f} s"
    assert not list(out.rglob("*.tmp"))


def test_ctrl_c_stops_after_the_page_in_flight(clean, archive, tmp_path) -> None:
    out0, _, _, _ = clean
    out = tmp_path / "out"
    logf = tmp_path / "int.jsonl"
    cmd = [sys.executable, "-m", "ocr_pipeline", "convert", str(archive), "-o", str(out), "-q", "--log-file",
           str(logf)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (logf.exists() and '"page"' in logf.read_text()):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "run the same command again" in stderr
    assert "Traceback" not in stderr
    done = [e for e in log_lines(logf) if e["event"] == "page"]
    assert 1 <= len(done) < 8  # the page in flight was finished, the others not started
    # An edition is written only once all its pages are done.
    for d in out.iterdir():
        if d.is_dir() and not d.name.startswith(".") and (d / "edition.json").exists():
            assert sum(e["edition"] == d.name for e in done) == len(model.load(d / "edition.json").pages)
    _assert_no_partial_files(out)
    code, text = convert(str(archive), "-o", str(out))
    assert code == 10, text
    assert outputs(out) == outputs(out0)


def _tasks(archive: Path, out: Path, settings: ConvertSettings, names: tuple[str, ...]) -> list[PageTask]:
    stamp = cache.EngineStamp.of(settings.engine)
    hasher = cache.InputHasher()
    tasks = []
    for esrc in discover([archive]):
        for number, src in enumerate(esrc.pages, 1):
            if f"{esrc.id}/{src.path.name}" in names:
                tasks.append(PageTask(cache.page_header(esrc.id, number, src, hasher.page(src), stamp, settings),
                                      src))
    return tasks


def test_page_timeout_and_a_dead_worker(archive, tmp_path, caplog, monkeypatch) -> None:
    settings = ConvertSettings(lang="zh", threads=1)
    out = tmp_path / "out"
    # A page slower than the timeout is stopped and recorded failed; the next page gets a fresh worker.
    got: list[dict] = []
    run_pool(_tasks(archive, out, settings, ("ed-a/page-01.png",)), 1, settings, out, None, got.append,
             lambda: False, page_timeout=0.2)
    assert [h["status"] for h in got] == ["failed"]
    assert "timeout" in got[0]["error"]
    header, res = cache.read_page(cache.cache_path(out, "ed-a", 1))
    assert res.page.status == "failed" and "timeout" in res.page.errors[0]

    # A worker killed in the middle of a page is replaced and the page tried again. It is killed right after
    # the second page is handed to it (a page of this archive takes a fraction of a second, too short to
    # aim a timer into).
    import ocr_pipeline.batch.worker as worker_mod

    got = []
    sends: list[str] = []
    original_send = worker_mod._Proc.send

    def send_then_kill(proc: worker_mod._Proc, task: PageTask) -> None:
        original_send(proc, task)
        sends.append(task.src.path.name)
        if len(sends) == 2:
            os.kill(proc.proc.pid, signal.SIGKILL)

    monkeypatch.setattr(worker_mod._Proc, "send", send_then_kill)
    with caplog.at_level(logging.WARNING, logger="ocr_pipeline.batch.worker"):
        run_pool(_tasks(archive, out, settings, ("ed-a/page-01.png", "ed-a/page-02.png")), 1, settings, out, None,
                 got.append, lambda: False)
    assert [h["status"] for h in got] == ["ok", "ok"], got
    assert sends == ["page-01.png", "page-02.png", "page-02.png"]
    assert "worker died" in caplog.text


@pytest.mark.slow
@pytest.mark.parametrize(("fraction", "jobs"), [(0.15, 1), (0.5, 2), (0.85, 1)])
def test_kill_9_at_three_moments(clean, archive, tmp_path, fraction, jobs) -> None:
    out0, logf0, _, _ = clean
    span = 2.0 + sum(e["seconds"] for e in log_lines(logf0) if e["event"] == "page")
    out = tmp_path / "out"
    _, kids = _kill_and_resume(archive, out, tmp_path / "k.jsonl", span * fraction, signal.SIGKILL, jobs)
    time.sleep(1.0)
    # Its workers die with it instead of writing on beside the resumed run.
    assert not [k for k in kids if _alive(k)], "orphaned workers"
    if out.exists():
        _assert_no_partial_files(out)
    code, _ = convert(str(archive), "-o", str(out))
    assert code == 10
    assert outputs(out) == outputs(out0)


def test_library_convert_reports_every_page(clean, archive, tmp_path) -> None:
    from ocr_pipeline.api import convert as api_convert

    out0, _, _, _ = clean
    out = tmp_path / "out"
    shutil.copytree(out0, out)
    seen: list[tuple[str, str, str]] = []
    listed: list[str] = []
    result = api_convert([archive], out, ConvertSettings(lang="zh"),
                         on_editions=lambda eds: listed.extend(e.id for e in eds),
                         on_page=lambda esrc, src, page: seen.append((esrc.id, src.path.name, page.status)))
    assert result.exit_code == 10
    assert sorted(listed) == ["ed-a", "ed-b", "ed-c", "locked"]
    assert len(seen) == 8
    assert ("ed-c", "page-02.png", "failed") in seen and ("ed-a", "page-01.png", "ok") in seen
    assert {e.id: e.status for e in result.editions} == {"ed-a": "partial", "ed-b": "partial", "ed-c": "partial",
                                                         "locked": "failure"}


def test_the_next_page_is_decoded_while_this_one_is_laid_out(archive: Path, monkeypatch) -> None:
    """With the next page known, its image is decoded in the helper thread and taken from there; a file that
    cannot be decoded fails its own page with the error it gives when read directly."""
    import threading

    import ocr_pipeline.ingest as ingest
    from ocr_pipeline.errors import OcrPipelineError
    from ocr_pipeline.pipeline import Converter

    (ed,) = discover([archive / "ed-a"])
    calls: list[tuple[str, str]] = []
    real = ingest.load_image

    def spy(src, **kw):  # type: ignore[no-untyped-def]
        calls.append((src.path.name, threading.current_thread().name))
        return real(src, **kw)

    monkeypatch.setattr(ingest, "load_image", spy)
    conv = Converter(ConvertSettings(lang="zh"))
    conv.convert_page(ed.pages[0], 1, next_src=ed.pages[1])
    second = conv.convert_page(ed.pages[1], 2, next_src=ed.pages[2])
    with pytest.raises(OcrPipelineError) as prefetched:
        conv.convert_page(ed.pages[2], 3)
    assert [name for name, _ in calls] == ["page-01.png", "page-02.png", "page-03.png"]
    assert calls[0][1] == threading.main_thread().name
    assert all(thread.startswith("ocr-pipeline-helper") for _, thread in calls[1:])
    plain = Converter(ConvertSettings(lang="zh"))
    assert [ln.text for ln in second.page.lines] == [ln.text for ln in plain.convert_page(ed.pages[1], 2).page.lines]
    with pytest.raises(OcrPipelineError) as direct:
        plain.convert_page(ed.pages[2], 3)
    assert str(prefetched.value) == str(direct.value)


def test_a_pages_files_are_written_during_the_next_page_of_its_edition(archive: Path, tmp_path: Path,
                                                                     monkeypatch) -> None:
    """A page's cache entry and image are left to the writing threads while the next page of its edition is
    converted; the edition's last page (or one followed by another edition's) returns with all of them in place."""
    import threading

    import ocr_pipeline.util.fs as fs
    from ocr_pipeline.batch.worker import PageWorker
    from ocr_pipeline.report.build import thumbnail_file

    writers: list[str] = []
    real = fs.atomic_write_bytes

    def spy(path, data):  # type: ignore[no-untyped-def]
        writers.append(threading.current_thread().name)
        return real(path, data)

    monkeypatch.setattr(fs, "atomic_write_bytes", spy)
    settings = ConvertSettings(lang="zh")
    tasks = []
    for esrc in discover([archive / "ed-a", archive / "ed-c"]):
        for number, src in enumerate(esrc.pages[:2], 1):
            tasks.append(PageTask(cache.page_header(esrc.id, number, src, "h", cache.EngineStamp.of("ppocr"), settings),
                                  src))
    out = tmp_path / "out"
    worker = PageWorker(settings, out, None)
    a1, a2, c1 = tasks[0], tasks[1], tasks[2]
    worker.run(a1, a2)
    assert len(worker.pending) == 1 and len(worker.images) == 2  # cache entry, image and thumbnail, left running
    worker.run(a2, c1)  # the next page is another edition's: everything is written before returning
    assert len(worker.pending) == 0 and len(worker.images) == 0
    for task in (a1, a2):
        assert cache.read_page(cache.cache_path(out, "ed-a", task.header["page"]))[1].page.status == "ok"
        image = cache.cached_image(out, "ed-a", task.header["page"])
        assert image.stat().st_size > 1000
        assert thumbnail_file(image).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert writers and all(name.startswith("ocr-pipeline-writer") for name in writers)
    # A worker that keeps its pages for the edition's assembly in this process: at the edition's last page the
    # cache entries are written (the assembly changes the pages they are made from), the images are waited for
    # just before the edition's files are written.
    kept: dict = {}
    keeping = PageWorker(settings, tmp_path / "kept", None, keep=kept)
    keeping.run(a1, a2)
    keeping.run(a2, c1)
    assert len(keeping.pending) == 0 and set(kept) == {("ed-a", 1), ("ed-a", 2)}
    for task in (a1, a2):
        assert cache.read_page(cache.cache_path(tmp_path / "kept", "ed-a", task.header["page"]))[1].page.status == "ok"
    keeping.images_written()
    assert len(keeping.images) == 0
    assert all(thumbnail_file(cache.cached_image(tmp_path / "kept", "ed-a", t.header["page"])).is_file() for t in (a1, a2))


def test_pending_writes_are_all_waited_for_and_the_first_error_raised(tmp_path: Path) -> None:
    from ocr_pipeline.util.fs import PendingWrites

    pending = PendingWrites()
    pending.write(tmp_path / "a.bin", b"a")
    pending.write(tmp_path / "b.bin", lambda: b"b")  # made when the writing thread gets to it
    pending.write(tmp_path / "none.bin", lambda: None)  # nothing to write
    (tmp_path / "dir.bin").mkdir()
    pending.write(tmp_path / "dir.bin", b"cannot replace a folder")
    for i in range(20):
        pending.write(tmp_path / f"n{i}.bin", bytes([i]))
    with pytest.raises(OSError):
        pending.wait()
    assert len(pending) == 0
    assert (tmp_path / "a.bin").read_bytes() == b"a" and (tmp_path / "b.bin").read_bytes() == b"b"
    assert not (tmp_path / "none.bin").exists()
    assert [(tmp_path / f"n{i}.bin").read_bytes() for i in range(20)] == [bytes([i]) for i in range(20)]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    pending.wait()  # nothing left: returns at once


def test_pending_writes_run_their_helpers_in_the_waiting_thread_first(tmp_path: Path) -> None:
    import threading
    from concurrent.futures import Future

    from ocr_pipeline.util.fs import PendingWrites

    pending = PendingWrites()
    later: Future[None] = Future()
    calls = []

    def helper() -> None:  # takes over work not yet begun, then the future's own part ends
        calls.append((threading.current_thread().name, later.done()))
        later.set_result(None)

    pending.add(later, helper=helper)
    pending.write(tmp_path / "a.bin", b"a")
    pending.wait()
    assert calls == [(threading.current_thread().name, False)] and (tmp_path / "a.bin").is_file()

    def fails() -> None:
        raise OSError(28, "No space left on device", str(tmp_path / "alto"))

    done: Future[None] = Future()
    done.set_result(None)
    pending.add(done, helper=fails)
    pending.write(tmp_path / "b.bin", b"b")
    with pytest.raises(OSError, match="No space"):
        pending.wait()
    assert (tmp_path / "b.bin").is_file()  # the other writes were waited for all the same
    pending.wait()  # helpers run once
