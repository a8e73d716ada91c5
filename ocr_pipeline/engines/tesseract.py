"""Tesseract 4/5 (Debian ``tesseract-ocr`` and language packs) through its TSV output.

The binary is run directly (``tesseract stdin stdout … tsv``) rather than through pytesseract so that the
thread count can be set per call (``OMP_THREAD_LIMIT`` in the child's environment only) and nothing but
the binary is needed. Words are grouped into lines by Tesseract's (block, paragraph, line) numbers.

``options.extra`` keys: ``tesseract_lang`` (e.g. "deu+frk", overrides the mapping from ``lang``),
``psm`` (page segmentation mode; default 3 for a page, 4 for a region), ``dpi`` (default 300),
``tesseract_cmd`` (path of the binary), ``tesseract_config`` (list of extra ``-c name=value`` settings).
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ocr_pipeline.engines.base import EngineInfo, EngineOptions, OcrEngine
from ocr_pipeline.errors import ConfigError, EngineError, MissingDependencyError
from ocr_pipeline.model import BBox, Char, Line, bbox_union

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng"

# ISO 639-1 (and a few tags) -> Tesseract traineddata names.
LANG_MAP: dict[str, str] = {
    "zh": "chi_sim",
    "zh-cn": "chi_sim",
    "zh-hans": "chi_sim",
    "zh-tw": "chi_tra",
    "zh-hk": "chi_tra",
    "zh-hant": "chi_tra",
    "ja": "jpn",
    "ko": "kor",
    "en": "eng",
    "de": "deu",
    "fr": "fra",
    "es": "spa",
    "it": "ita",
    "pt": "por",
    "nl": "nld",
    "sv": "swe",
    "da": "dan",
    "no": "nor",
    "nb": "nor",
    "fi": "fin",
    "pl": "pol",
    "cs": "ces",
    "ru": "rus",
    "uk": "ukr",
    "la": "lat",
    "frk": "frk",
}

_CJK_PAIR = re.compile(
    r"(?<=[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef])\s+"
    r"(?=[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef])"
)


def join_cjk(text: str) -> str:
    """Remove the spaces Tesseract puts between two CJK characters (or CJK punctuation)."""
    return _CJK_PAIR.sub("", text)


@functools.lru_cache(maxsize=8)
def _probe(cmd: str) -> tuple[str, tuple[str, ...]]:
    """(version, installed languages) of a tesseract binary."""
    try:
        ver = subprocess.run([cmd, "--version"], capture_output=True, text=True, timeout=30, check=False)
        langs = subprocess.run([cmd, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingDependencyError(f"cannot run {cmd}: {exc}; {INSTALL_HINT}") from exc
    first = (ver.stdout or ver.stderr).strip().splitlines()
    version = first[0].replace("tesseract", "").strip() if first else ""
    out = (langs.stdout + "\n" + langs.stderr).splitlines()
    names = tuple(sorted({ln.strip() for ln in out[1:] if ln.strip() and " " not in ln.strip()}))
    return version, names


def tesseract_lang(lang: str, installed: tuple[str, ...] | list[str]) -> str:
    """Map a pipeline language ("zh", "en", "de", "zh+en") to Tesseract's ``-l`` value."""
    parts = []
    for code in re.split(r"[+,]", lang.lower().replace("_", "-")):
        code = code.strip()
        if not code:
            continue
        name = LANG_MAP.get(code) or LANG_MAP.get(code.split("-")[0]) or code
        parts.append(name)
        if name == "deu" and "frk" in installed:
            # German papers before 1941 are mostly printed in Fraktur.
            parts.append("frk")
    return "+".join(dict.fromkeys(parts))


@dataclass(slots=True)
class _Word:
    key: tuple[int, int, int]
    text: str
    bbox: BBox
    conf: float


class TesseractEngine(OcrEngine):
    """Tesseract via its TSV output: word boxes and confidences, grouped into lines."""

    name = "tesseract"
    description = "Tesseract OCR (Debian tesseract-ocr + language packs), word boxes from TSV"

    def __init__(self, options: EngineOptions | None = None) -> None:
        super().__init__(options)
        extra = self.options.extra
        self.cmd = str(extra.get("tesseract_cmd") or "tesseract")
        self.dpi = int(extra.get("dpi", 300))
        psm = extra.get("psm")
        self.psm: int | None = int(psm) if psm is not None else None
        if self.psm is not None and not 0 <= self.psm <= 13:
            raise ConfigError(f"tesseract psm must be 0..13, not {self.psm}")
        cfg = extra.get("tesseract_config") or []
        self.config: list[str] = [cfg] if isinstance(cfg, str) else list(cfg)
        if self.options.device != "cpu":
            log.warning("tesseract runs on the CPU only; device %r ignored", self.options.device)

    @classmethod
    def info(cls) -> EngineInfo:
        cmd = shutil.which("tesseract")
        if cmd is None:
            return EngineInfo(
                name=cls.name,
                available=False,
                reason=f"the tesseract binary is not installed: {INSTALL_HINT}",
                description=cls.description,
            )
        try:
            version, langs = _probe(cmd)
        except MissingDependencyError as exc:
            return EngineInfo(name=cls.name, available=False, reason=str(exc), description=cls.description)
        return EngineInfo(
            name=cls.name,
            available=True,
            version=version,
            models=[f"{name}.traineddata" for name in langs],
            description=cls.description,
        )

    def _resolve(self) -> tuple[str, str]:
        cmd = shutil.which(self.cmd)
        if cmd is None:
            raise MissingDependencyError(f"the tesseract binary ({self.cmd}) is not installed: {INSTALL_HINT}")
        _version, installed = _probe(cmd)
        lang = str(self.options.extra.get("tesseract_lang") or tesseract_lang(self.options.lang, installed))
        missing = [p for p in lang.split("+") if p not in installed]
        if missing:
            pkgs = " ".join("tesseract-ocr-" + m.replace("_", "-") for m in missing)
            raise MissingDependencyError(
                f"Tesseract language data missing: {', '.join(missing)} (installed: {', '.join(installed)}); "
                f"apt-get install {pkgs}"
            )
        return cmd, lang

    def _run(self, cmd: str, lang: str, image: np.ndarray, psm: int) -> str:
        import cv2

        ok, png = cv2.imencode(".png", image)
        if not ok:
            raise EngineError("could not encode the image for tesseract")
        args = [cmd, "stdin", "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(self.dpi)]
        for c in self.config:
            args += ["-c", c]
        args.append("tsv")
        env = dict(os.environ)
        # Tesseract's OpenMP threads fight with ours on small machines; 1 is also Tesseract's advice for
        # running several pages in parallel.
        env["OMP_THREAD_LIMIT"] = str(self.options.threads or 1)
        try:
            proc = subprocess.run(args, input=png.tobytes(), capture_output=True, env=env, timeout=1800, check=False)
        except OSError as exc:
            raise MissingDependencyError(f"cannot run {cmd}: {exc}; {INSTALL_HINT}") from exc
        except subprocess.TimeoutExpired as exc:
            raise EngineError("tesseract took longer than 30 minutes on one page") from exc
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise EngineError(f"tesseract failed (exit {proc.returncode}): {err[-500:]}")
        return proc.stdout.decode("utf-8", "replace")

    @staticmethod
    def _parse(tsv: str, dx: float, dy: float) -> list[_Word]:
        words: list[_Word] = []
        rows = tsv.splitlines()
        if not rows:
            return words
        head = rows[0].split("\t")
        col = {name: i for i, name in enumerate(head)}
        need = ("level", "block_num", "par_num", "line_num", "left", "top", "width", "height", "conf", "text")
        if any(n not in col for n in need):
            raise EngineError(f"unexpected tesseract TSV header: {rows[0][:200]}")
        for row in rows[1:]:
            f = row.split("\t")
            if len(f) < len(head) or f[col["level"]] != "5":
                continue
            text = f[col["text"]].strip()
            if not text:
                continue
            x, y = float(f[col["left"]]) + dx, float(f[col["top"]]) + dy
            w, h = float(f[col["width"]]), float(f[col["height"]])
            conf = float(f[col["conf"]])
            key = (int(f[col["block_num"]]), int(f[col["par_num"]]), int(f[col["line_num"]]))
            words.append(_Word(key, text, (x, y, x + w, y + h), min(1.0, max(0.0, conf / 100.0))))
        return words

    @staticmethod
    def _lines(words: list[_Word]) -> list[Line]:
        groups: dict[tuple[int, int, int], list[_Word]] = {}
        for w in words:
            groups.setdefault(w.key, []).append(w)
        lines = []
        for ws in groups.values():
            text = join_cjk(" ".join(w.text for w in ws))
            n = sum(len(w.text) for w in ws)
            conf = sum(w.conf * len(w.text) for w in ws) / max(1, n)
            lines.append(
                Line(
                    id="",
                    bbox=bbox_union(w.bbox for w in ws),
                    text=text,
                    confidence=conf,
                    words=[Char(text=w.text, bbox=w.bbox, confidence=w.conf) for w in ws],
                )
            )
        return lines

    def recognize(self, image: np.ndarray, *, regions: list[BBox] | None = None) -> list[Line]:
        from ocr_pipeline.engines.ppocr import reading_order

        if image is None or image.size == 0:
            raise EngineError("empty image")
        cmd, lang = self._resolve()
        H, W = image.shape[:2]
        lines: list[Line] = []
        if regions is None:
            lines = self._lines(self._parse(self._run(cmd, lang, image, self.psm or 3), 0, 0))
            return lines
        for r in regions:
            x0, y0 = max(0, int(math.floor(r[0]))), max(0, int(math.floor(r[1])))
            x1, y1 = min(W, int(math.ceil(r[2]))), min(H, int(math.ceil(r[3])))
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            crop = image[y0:y1, x0:x1]
            found = self._lines(self._parse(self._run(cmd, lang, crop, self.psm or 4), x0, y0))
            lines.extend(found[i] for i in reading_order([ln.bbox for ln in found]))
        return lines


__all__ = ["TesseractEngine", "tesseract_lang", "join_cjk", "LANG_MAP"]
