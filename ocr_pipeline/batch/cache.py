"""The page cache and the run manifest.

What is cached: each page as it leaves OCR *and* page layout (``model.to_dict(page)``: lines, blocks,
columns, reading order) plus its articles as lists of block ids. That is all ``assemble_edition`` needs,
so a change of layout profile (continuations), of export options or of the report re-runs from the cache
without OCR (``ocr-pipeline rebuild``). Page layout itself needs the page image and the regions found on
it, which are not cached: a change in page layout code needs ``--force``.

``OUT/.cache/<edition-id>/page-NN.json`` holds two JSON lines: first the page's *header* (input path,
sha256 of the input bytes and page index, engine, model, version, settings, a fingerprint of the code of
the page stages, status, error), then the
payload. A resumed run reads only the first line to decide whether a page can be skipped. Files are written
atomically, so a page is either cached completely or not at all; the cache, not the manifest, is what a
resumed run trusts. ``OUT/manifest.json`` (all headers, per edition, plus the edition's outcome) and
``OUT/failures.jsonl`` are summaries rewritten atomically after each edition.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr_pipeline import __version__, model
from ocr_pipeline.ingest.types import PageSource
from ocr_pipeline.model import Page
from ocr_pipeline.settings import ConvertSettings
from ocr_pipeline.util.fs import PendingWrites, atomic_write_text, write_file

log = logging.getLogger(__name__)

CACHE_DIR = ".cache"
MANIFEST = "manifest.json"
FAILURES = "failures.jsonl"
CACHE_FORMAT = 1

# Settings that change what OCR + page layout produce. Not threads (a scheduling choice: results must not
# depend on --jobs), not layout (the profile is applied when the edition is assembled).
_PAGE_SETTINGS = ("engine", "lang", "dpi", "device", "model_dir", "use_text_layer", "deskew", "orientation",
                  "normalize", "max_pixels", "engine_extra")
# Header fields that must be equal for a cached page to stand for a new one.
_KEY_FIELDS = ("format", "sha256", "index", "kind", "source", "engine", "engine_version", "models", "settings",
               "pipeline_version", "code")


# Parts of the package whose code does not change what OCR and page layout produce.
_NOT_PAGE_CODE = ("batch", "cli", "evaluate", "export", "report", "samplegen")
_CODE: dict[bool, str] = {}


def code_fingerprint(*, page_stages: bool) -> str:
    """sha256 over the package's own source files: those of ingest, preprocessing, OCR and page layout
    (``page_stages``), or all of them (for an edition's outputs). The version number alone would keep a
    stale cache across code changes between releases; hashing ~200 small files takes milliseconds."""
    if page_stages not in _CODE:
        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256()
        for f in sorted(root.rglob("*")):
            rel = f.relative_to(root)
            if not f.is_file() or f.suffix not in (".py", ".toml", ".html", ".js", ".css", ".json", ".xsd"):
                continue
            if page_stages and rel.parts[0] in _NOT_PAGE_CODE:
                continue
            h.update(str(rel).encode() + b"\0" + f.read_bytes() + b"\0")
        _CODE[page_stages] = h.hexdigest()[:16]
    return _CODE[page_stages]


def page_settings(settings: ConvertSettings) -> dict[str, Any]:
    d = settings.to_dict()
    return {k: d[k] for k in _PAGE_SETTINGS}


@dataclass(slots=True)
class EngineStamp:
    """Which engine and model produce a run's pages (from ``engine.info()``, read once per run)."""

    name: str
    version: str = ""
    models: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, name: str) -> EngineStamp:
        from ocr_pipeline.engines import engine_class

        try:
            info = engine_class(name).info()
        except Exception as exc:  # an engine that cannot describe itself fails on each page with the reason
            log.warning("engine %s: %s", name, exc)
            return cls(name)
        return cls(name, info.version, list(info.models))


class InputHasher:
    """sha256 of input files, each file read once per run (a PDF's pages share its bytes)."""

    def __init__(self) -> None:
        self._done: dict[Path, str | None] = {}

    def file(self, path: Path) -> str | None:
        if path not in self._done:
            h = hashlib.sha256()
            try:
                with open(path, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                self._done[path] = h.hexdigest()
            except OSError:
                self._done[path] = None  # unreadable: the page fails with the reason, and is never skipped
        return self._done[path]

    def page(self, src: PageSource) -> str | None:
        digest = self.file(src.path)
        if digest is None:
            return None
        h = hashlib.sha256(f"{digest}#{src.index}".encode())
        if src.image_path is not None:  # an imported ALTO/PAGE file's image feeds photos and the report
            h.update(f"+{self.file(src.image_path)}".encode())
        return h.hexdigest()


def page_header(edition_id: str, number: int, src: PageSource, digest: str | None, stamp: EngineStamp,
                settings: ConvertSettings) -> dict[str, Any]:
    return {
        "format": CACHE_FORMAT,
        "edition": edition_id,
        "page": number,
        "input": str(src.path),
        "index": src.index,
        "kind": src.kind,
        # The file's name is part of the page (Page.source): a renamed file is converted again, a moved
        # archive is not.
        "source": [src.path.name, src.image_path.name if src.image_path else None],
        "sha256": digest,
        "engine": stamp.name,
        "engine_version": stamp.version,
        "models": stamp.models,
        "settings": page_settings(settings),
        "pipeline_version": __version__,
        "code": code_fingerprint(page_stages=True),
        "status": "pending",
        "error": "",
        "seconds": 0.0,
    }


def same_key(cached: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    if cached is None or wanted.get("sha256") is None:
        return False
    return all(cached.get(k) == wanted.get(k) for k in _KEY_FIELDS)


def edition_cache_dir(outdir: Path, edition_id: str) -> Path:
    return outdir / CACHE_DIR / edition_id


def cache_path(outdir: Path, edition_id: str, number: int) -> Path:
    return edition_cache_dir(outdir, edition_id) / f"page-{number:02d}.json"


def cached_image(outdir: Path, edition_id: str, number: int) -> Path:
    """The page image as the pipeline saved it (``pages/page-NN.jpg`` beside the cached pages)."""
    return edition_cache_dir(outdir, edition_id) / "pages" / f"page-{number:02d}.jpg"


def page_files_present(outdir: Path, header: dict[str, Any]) -> bool:
    """Whether the files a cached page's entry stands for are there: the page image, and the report's
    thumbnail of it, when the entry says the page has one (``"image": true``; entries of older versions do not
    say, and are taken as they are).

    They are written in threads beside the entry, which may be in place first: a run killed in between left
    an entry without its image, and the page is converted again instead of giving an edition without it."""
    if not header.get("image"):
        return True
    from ocr_pipeline.report.build import thumbnail_file

    image = cached_image(outdir, header["edition"], header["page"])
    return image.is_file() and thumbnail_file(image).is_file()


def write_page(outdir: Path, header: dict[str, Any], page: Page, articles: list[Any],
               pending: PendingWrites | None = None) -> None:
    """Cache a page after layout; ``articles`` are ``PageArticle`` objects (stored as block ids).

    ``pending``: the file is made and written in the writing threads, in place once ``pending.wait()``
    returns; the page must not change until then (the JSON of a page, 2-3 ms, is made beside the next page's
    image work, which leaves the interpreter free most of the time)."""
    payload = {
        "page": page,
        "articles": [{"kind": a.kind, "headline": [b.id for b in a.headline], "blocks": [b.id for b in a.blocks]}
                     for a in articles],
    }
    head = json.dumps(header).encode("ascii") + b"\n"
    write_file(cache_path(outdir, header["edition"], header["page"]),
               lambda: head + model.to_json_bytes(payload) + b"\n", pending)


def read_header(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.loads(fh.readline())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_page(path: Path) -> tuple[dict[str, Any], Any]:
    """(header, PageResult) of a cached page; the articles refer to the page's own Block objects."""
    from ocr_pipeline.layout.articles import PageArticle
    from ocr_pipeline.pipeline import PageResult

    with open(path, "rb") as fh:
        header = json.loads(fh.readline())
        payload = model.from_json(fh.readline())
    page = model.from_dict(Page, payload["page"])
    blocks = page.block_map()
    articles = [PageArticle(headline=[blocks[i] for i in a["headline"]], blocks=[blocks[i] for i in a["blocks"]],
                            kind=a["kind"]) for a in payload["articles"]]
    return header, PageResult(page, articles)


# --- manifest --------------------------------------------------------------------------------------

def load_manifest(outdir: Path) -> dict[str, Any]:
    try:
        data = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"format": CACHE_FORMAT, "editions": {}}
    if not isinstance(data, dict) or not isinstance(data.get("editions"), dict):
        return {"format": CACHE_FORMAT, "editions": {}}
    return data


def save_manifest(outdir: Path, manifest: dict[str, Any]) -> None:
    """Rewrite manifest.json and failures.jsonl (every failed page and unreadable input, with reasons)."""
    atomic_write_text(outdir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    lines = []
    for eid in sorted(manifest["editions"]):
        entry = manifest["editions"][eid]
        for err in entry.get("input_errors", []):
            lines.append({"edition": eid, "page": None, "input": err[0], "index": None, "reason": err[1]})
        for h in entry.get("pages", []):
            if h.get("status") == "failed":
                lines.append({"edition": eid, "page": h["page"], "input": h["input"], "index": h["index"],
                              "reason": h.get("error", "")})
    atomic_write_text(outdir / FAILURES, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))


_TMP = re.compile(r"^\..+\.tmp$")
_STAGING = re.compile(r"^\..+\.(staging|old)$")


def remove_stale_temporaries(outdir: Path) -> int:
    """Temporary files and edition folders of a killed run (written but never renamed into place); only
    under the run lock."""
    import shutil

    n = 0
    if outdir.is_dir():
        for d in outdir.iterdir():
            if d.is_dir() and _STAGING.match(d.name):
                shutil.rmtree(d, ignore_errors=True)
                n += 1
    for root, _dirs, files in os.walk(outdir):
        for name in files:
            if _TMP.match(name):
                try:
                    os.unlink(os.path.join(root, name))
                    n += 1
                except OSError:
                    pass
    return n
