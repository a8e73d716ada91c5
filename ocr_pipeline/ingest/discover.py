"""Finding editions and their pages among the inputs the user named.

- a PDF is an edition (one page per PDF page);
- a folder with page images (or ALTO/PAGE files) directly in it is an edition, pages in natural order;
- a folder holding only folders and/or PDFs is an archive: each child is an edition, recursively;
- files named together form one edition.

Nothing here raises for one bad input: what cannot be listed goes to ``EditionSource.errors`` so the other
inputs are still converted.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.ingest.formats import (
    IMAGE_SUFFIXES,
    PDF_SUFFIXES,
    XML_SUFFIXES,
    find_image_beside,
    natural_key,
    page_stem,
    slugify,
    sniff,
)
from ocr_pipeline.ingest.types import EditionSource, PageSource

logger = logging.getLogger(__name__)

# Names that say "page" rather than which paper: an edition id built from them alone says nothing.
_GENERIC_STEMS = frozenset({"page", "pages", "p", "pg", "seite", "s", "img", "image", "scan", "file", "版"})


class _Ids:
    """Hands out edition ids that are unique within one run."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, name: str) -> str:
        base = slugify(name)
        cand, n = base, 1
        while cand in self.used:
            n += 1
            cand = f"{base}-{n}"
        self.used.add(cand)
        return cand


def _sort_paths(paths: Iterable[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: (natural_key(p.name), str(p)))


def _expand(path: Path, kind: str, errors: list[tuple[str, str]]) -> list[PageSource]:
    """Pages of one file: one per PDF page, one per TIFF frame, else one."""
    if kind == "pdf":
        from ocr_pipeline.ingest.pdf import pdf_page_count

        try:
            n = pdf_page_count(path)
        except BadInputError as exc:
            errors.append((str(path), str(exc)))
            return []
        return [PageSource(path=path, index=i, kind="pdf") for i in range(n)]
    if kind == "image" and path.suffix.lower() in (".tif", ".tiff"):
        from ocr_pipeline.ingest.images import tiff_page_frames

        return [PageSource(path=path, index=i, kind="image") for i in tiff_page_frames(path)]
    return [PageSource(path=path, kind=kind)]


def _pages_from_files(files: Sequence[tuple[Path, str]], errors: list[tuple[str, str]]) -> list[PageSource]:
    """Pages from classified files in natural order; an OCR file takes the image with its stem as its image."""
    images_by_stem: dict[tuple[Path, str], Path] = {}
    for path, kind in files:
        if kind == "image":
            images_by_stem.setdefault((path.parent, page_stem(path)), path)
    paired: set[Path] = set()
    ocr_image: dict[Path, Path | None] = {}
    for path, kind in files:
        if kind in ("alto", "page"):
            img = images_by_stem.get((path.parent, page_stem(path))) or find_image_beside(path)
            ocr_image[path] = img
            if img is not None:
                paired.add(img)
    pages: list[PageSource] = []
    for path, kind in sorted(files, key=lambda f: (natural_key(page_stem(f[0])), str(f[0]))):
        if kind in ("alto", "page"):
            img = ocr_image[path]
            if img is None:
                logger.info("%s: no page image beside it; only its text can be used", path)
            pages.append(PageSource(path=path, kind=kind, image_path=img))
        elif path not in paired:
            pages.extend(_expand(path, kind, errors))
    return pages


def _files_edition_name(files: Sequence[Path]) -> str:
    if len(files) == 1:
        return page_stem(files[0]) if files[0].suffix.lower() not in PDF_SUFFIXES else files[0].stem
    prefix = os.path.commonprefix([page_stem(p) for p in files])
    name = re.sub(r"[\W_\d]+$", "", prefix)
    if len(name) < 2 or name.casefold() in _GENERIC_STEMS:
        parents = {p.resolve().parent for p in files}
        common = Path(os.path.commonpath([str(p) for p in parents])) if parents else Path.cwd()
        name = common.name or "edition"
    return name


def _classify(path: Path, errors: list[tuple[str, str]]) -> str | None:
    if not path.exists():
        errors.append((str(path), "file not found; check the path"))
        return None
    if not path.is_file():
        errors.append((str(path), "not a regular file"))
        return None
    kind = sniff(path)
    if kind is None:
        why = "XML that is neither ALTO nor PAGE" if path.suffix.lower() in XML_SUFFIXES else "unknown format"
        errors.append((str(path), f"not a page image, PDF, ALTO or PAGE file ({why}); leave it out"))
    return kind


def _edition_from_files(files: Sequence[Path], ids: _Ids, name: str | None = None) -> EditionSource:
    errors: list[tuple[str, str]] = []
    classified = [(p, k) for p in files if (k := _classify(p, errors)) is not None]
    pages = _pages_from_files(classified, errors)
    parents = [p.parent for p in files]
    root = Path(os.path.commonpath([str(p) for p in parents])) if len(set(parents)) > 1 else parents[0]
    if len(files) == 1 and files[0].suffix.lower() in PDF_SUFFIXES:
        root = files[0]
    return EditionSource(id=ids.take(name or _files_edition_name(files)), root=root, pages=pages, errors=errors)


def _archive_name(path: Path, base: Path) -> str:
    """Name of an edition inside an archive: its path below the archive folder, so that the ``digital.pdf``
    of two dated folders become ``2025-01-02-digital`` and ``2025-01-03-digital`` rather than ``digital-2``."""
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        parts = ()
    if not parts:
        return path.name
    return "-".join([*parts[:-1], Path(parts[-1]).stem if path.is_file() else parts[-1]])


def _discover_dir(folder: Path, ids: _Ids, seen: set[Path], *, top: bool, base: Path) -> list[EditionSource]:
    real = folder.resolve()
    if real in seen:
        logger.warning("%s: folder already visited (symbolic link loop?); skipped", folder)
        return []
    seen.add(real)
    try:
        children = [c for c in folder.iterdir() if not c.name.startswith(".")]
    except OSError as exc:
        return [EditionSource(id=ids.take(folder.name), root=folder, errors=[(str(folder), f"cannot list folder: {exc}")])]

    page_files: list[tuple[Path, str]] = []
    pdfs: list[Path] = []
    subdirs: list[Path] = []
    for child in _sort_paths(children):
        if child.is_dir():
            subdirs.append(child)
        elif not child.is_file():
            continue
        elif child.suffix.lower() in PDF_SUFFIXES:
            pdfs.append(child)
        elif child.suffix.lower() in IMAGE_SUFFIXES:
            page_files.append((child, "image"))
        elif child.suffix.lower() in XML_SUFFIXES:
            kind = sniff(child)
            if kind in ("alto", "page"):
                page_files.append((child, kind))
            else:
                logger.debug("%s: XML that is neither ALTO nor PAGE; ignored", child)
        else:
            logger.debug("%s: not a page file; ignored", child)

    editions: list[EditionSource] = []
    if page_files:
        errors: list[tuple[str, str]] = []
        pages = _pages_from_files(page_files, errors)
        editions.append(
            EditionSource(id=ids.take(_archive_name(folder, base)), root=folder, pages=pages, errors=errors)
        )
        if pdfs or subdirs:
            logger.info("%s: page images plus PDFs/folders; each PDF and subfolder is read as its own edition", folder)
    for pdf in pdfs:
        editions.append(_edition_from_files([pdf], ids, name=_archive_name(pdf, base)))
    for sub in subdirs:
        editions.extend(_discover_dir(sub, ids, seen, top=False, base=base))
    if top and not editions:
        editions.append(
            EditionSource(
                id=ids.take(folder.name),
                root=folder,
                errors=[(str(folder), "no page images, PDFs, ALTO or PAGE files found in this folder")],
            )
        )
    return editions


def discover(inputs: Sequence[Path | str], *, group_files: bool = True) -> list[EditionSource]:
    """Editions among ``inputs`` (folders, PDFs, images, ALTO/PAGE files), in the order given.

    Files named explicitly form one edition (sorted naturally), unless ``group_files`` is False, in which
    case each file is its own edition. A missing input is reported in the ``errors`` of its edition: inside
    the explicit-file edition when its name looks like a page file, else as an edition of its own without
    pages. Never raises for a bad input.
    """
    ids = _Ids()
    seen: set[Path] = set()
    slots: list[EditionSource | None] = []
    files: list[Path] = []
    files_slot: int | None = None
    known_suffixes = IMAGE_SUFFIXES | PDF_SUFFIXES | XML_SUFFIXES
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            slots.extend(_discover_dir(path, ids, seen, top=True, base=path))
        elif path.is_file() or path.suffix.lower() in known_suffixes:
            if not group_files:
                slots.append(_edition_from_files([path], ids))
                continue
            if files_slot is None:
                files_slot = len(slots)
                slots.append(None)  # the explicit files' edition is placed where the first of them was named
            if path.resolve() not in {f.resolve() for f in files}:
                files.append(path)
        else:
            why = "not found; check the path" if not path.exists() else "not a file or folder"
            slots.append(EditionSource(id=ids.take(path.name or "input"), root=path, errors=[(str(path), why)]))
    if files_slot is not None:
        slots[files_slot] = _edition_from_files(_sort_paths(files), ids)
    editions = [e for e in slots if e is not None]
    for ed in editions:
        logger.info("edition %s: %d page(s), %d error(s)", ed.id, len(ed.pages), len(ed.errors))
    return editions
