"""``convert --executor ray``: the same outputs as the local executor, bad pages recorded, timeouts and dead
actors cost only their page. Runs on a local Ray instance with 2 CPUs (no dashboard, no usage report)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocr_pipeline.batch import BatchOptions, cache, ray_executor
from ocr_pipeline.batch.worker import PageTask
from ocr_pipeline.cli import cli
from ocr_pipeline.errors import ConfigError, MissingDependencyError
from ocr_pipeline.ingest import discover
from ocr_pipeline.settings import ConvertSettings
from tests.render import render_columns_page, save

os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")

needs_ray = pytest.mark.skipif(not ray_executor.ray_available(), reason="ray is not installed (the ray extra)")
HEADLINES = ["社区食堂开业百日", "河湾新区试点配送", "居民走几步吃热饭"]


def make_archive(root: Path) -> Path:
    """Two editions: ed-1 with two good pages, ed-2 with one good page and a zero-byte one."""
    arch = root / "archive"
    pages = [arch / "ed-1" / "page-01.png", arch / "ed-1" / "page-02.png", arch / "ed-2" / "page-01.png"]
    for k, p in enumerate(pages):
        p.parent.mkdir(parents=True, exist_ok=True)
        save(render_columns_page(lang="zh", ncols=2, rule_after=(0,), width=800, height=1000, size=26,
                                 headline=HEADLINES[k]), p)
    (arch / "ed-2" / "page-02.png").write_bytes(b"")
    # Fixed times: versionCreated of an edition without a printed date comes from its inputs' times.
    for p in arch.rglob("*.png"):
        os.utime(p, (1_700_000_000, 1_700_000_000))
    return arch


def outputs(out: Path) -> dict[str, bytes]:
    """Every file of every edition folder (not the cache, manifest or lock), by relative path."""
    return {str(f.relative_to(out)): f.read_bytes()
            for d in sorted(out.iterdir()) if d.is_dir() and not d.name.startswith(".")
            for f in sorted(d.rglob("*")) if f.is_file()}


def convert(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["convert", *args, "-q"], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_archive(tmp_path_factory.mktemp("ray"))


def test_options() -> None:
    with pytest.raises(ConfigError, match="--ray-address needs --executor ray"):
        BatchOptions(ray_address="head:6379")
    with pytest.raises(ConfigError, match="unknown executor"):
        BatchOptions(executor="dask")


def test_missing_ray_names_the_extra(monkeypatch) -> None:
    monkeypatch.setattr(ray_executor, "ray_available", lambda: False)
    with pytest.raises(MissingDependencyError, match=r"ocr-pipeline\[ray\]"):
        BatchOptions(executor="ray")
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    with pytest.raises(MissingDependencyError, match=r"ocr-pipeline\[ray\]"):
        ray_executor.import_ray()
    # Said before any input is read (``main`` turns it into exit code 3 and the message).
    result = CliRunner().invoke(cli, ["convert", "nowhere", "--executor", "ray", "-q"])
    assert isinstance(result.exception, MissingDependencyError), result.output


@pytest.mark.ray
@needs_ray
def test_ray_outputs_equal_the_local_executors(archive, tmp_path) -> None:
    import ray

    local, remote = tmp_path / "local", tmp_path / "ray"
    code, text = convert(str(archive), "-o", str(local), "--jobs", "1")
    assert code == 10, text
    logf = tmp_path / "ray.jsonl"
    try:
        # No Ray running: the run starts a local one with --jobs CPUs and shuts it down afterwards.
        code, text = convert(str(archive), "-o", str(remote), "--executor", "ray", "--jobs", "2",
                             "--log-file", str(logf))
        assert not ray.is_initialized()
    finally:
        ray.shutdown()
    assert code == 10, text
    got, want = outputs(remote), outputs(local)
    assert sorted(got) == sorted(want)
    assert [k for k in want if got[k] != want[k]] == []
    assert any(k.endswith(".xml") for k in got) and any(k.startswith("ed-2/") for k in got)

    failures = [json.loads(x) for x in (remote / "failures.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [Path(f["input"]).relative_to(archive).as_posix() for f in failures] == ["ed-2/page-02.png"]
    assert failures[0]["reason"]
    pages = [e for e in map(json.loads, logf.read_text(encoding="utf-8").splitlines()) if e["event"] == "page"]
    assert sorted((e["edition"], e["page"], e["status"]) for e in pages) == [
        ("ed-1", 1, "ok"), ("ed-1", 2, "ok"), ("ed-2", 1, "ok"), ("ed-2", 2, "failed")]
    # Pages ran in the actors' processes, not in this one; two actors for --jobs 2.
    workers = {e["worker"] for e in pages}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2

    # A re-run finds every page cached and does not need Ray at all.
    code, text = convert(str(archive), "-o", str(remote), "--executor", "ray", "--jobs", "2")
    assert code == 10 and "4 page(s) taken from the earlier run" in text, text
    assert not ray.is_initialized()


def _tasks(archive: Path, out: Path, settings: ConvertSettings, names: list[str]) -> list[PageTask]:
    stamp = cache.EngineStamp.of(settings.engine)
    hasher = cache.InputHasher()
    by_name = {}
    for esrc in discover([archive]):
        for number, src in enumerate(esrc.pages, 1):
            by_name[f"{esrc.id}/{src.path.name}"] = PageTask(
                cache.page_header(esrc.id, number, src, hasher.page(src), stamp, settings), src)
    return [by_name[n] for n in names]


@pytest.mark.ray
@needs_ray
def test_timeout_and_dead_actor_cost_only_their_page(archive, tmp_path) -> None:
    import ray

    settings = ConvertSettings(lang="zh", threads=1)
    out = tmp_path / "out"
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        # A page slower than the timeout is stopped and recorded failed.
        got: list[dict] = []
        ray_executor.run_ray(_tasks(archive, out, settings, ["ed-1/page-01.png"]), 1, settings, out, None,
                             got.append, lambda: False, page_timeout=0.05)
        assert [h["status"] for h in got] == ["failed"] and "timeout" in got[0]["error"], got
        _, res = cache.read_page(cache.cache_path(out, "ed-1", 1))
        assert res.page.status == "failed" and "timeout" in res.page.errors[0]

        # The actor killed in the middle of the second page: that page is failed with the reason, a new
        # actor takes the third.
        got = []

        def done(h: dict) -> None:
            got.append(h)
            if len(got) == 1:
                def kill() -> None:
                    time.sleep(0.3)
                    os.kill(h["worker"], signal.SIGKILL)
                threading.Thread(target=kill, daemon=True).start()

        names = ["ed-1/page-01.png", "ed-1/page-02.png", "ed-2/page-01.png"]
        ray_executor.run_ray(_tasks(archive, out, settings, names), 1, settings, out, None, done, lambda: False)
        assert [(h["page"], h["status"]) for h in got] == [(1, "ok"), (2, "failed"), (1, "ok")], got
        assert "Ray actor died" in got[1]["error"]
        assert got[2]["worker"] != got[0]["worker"]
        _, res = cache.read_page(cache.cache_path(out, "ed-1", 2))
        assert res.page.status == "failed" and "Ray actor died" in res.page.errors[0]
        assert ray.is_initialized()  # a Ray the caller started is left to the caller
    finally:
        ray.shutdown()


def test_cluster_checks_fail_with_a_message(tmp_path) -> None:
    """Checks that need no cluster: an address nothing answers at, an actor on another node that does not see
    OUT or runs other code."""
    import socket
    from types import SimpleNamespace

    from ocr_pipeline.errors import BatchError

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = time.monotonic()
    with pytest.raises(BatchError, match="nothing answers at"):
        ray_executor._check_reachable(f"127.0.0.1:{port}")
    assert time.monotonic() - t < 5
    ray_executor._check_reachable("auto")  # Ray's own discovery: nothing to check here

    expect = {"pipeline_version": "1", "code": "abc", "engine_version": "e", "models": ["m"]}
    info = dict(expect, pid=1, node="other-node", sees_out=True, sees_input=True)

    def take(**changes: object) -> None:
        fake = SimpleNamespace(get=lambda ref: dict(info, **changes), exceptions=SimpleNamespace(RayError=OSError))
        ray_executor._take_ready(fake, ray_executor._Slot(actor=None, ready_ref=object()), expect, tmp_path)

    take()
    with pytest.raises(BatchError, match="filesystem every node mounts"):
        take(sees_out=False)
    with pytest.raises(BatchError, match="cannot read the inputs"):
        take(sees_input=False)
    with pytest.raises(BatchError, match="code differs"):
        take(code="def")
    take(code="def", node=socket.gethostname())  # this machine's own files need no comparing
