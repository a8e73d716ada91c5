"""PP-OCRv4 detection + recognition (+ optional angle classifier) on ONNX Runtime.

The ONNX models ship inside the ``rapidocr_onnxruntime`` 1.4.x wheel, so this engine works offline on a
fresh machine. Pre- and post-processing live here rather than in rapidocr's ``RapidOCR`` pipeline so that
we control what matters on newspaper pages: thread count and graph optimisation, the execution provider,
the detection resolution, per-region detection (so no line crosses a column gutter), batched recognition
and character boxes taken from the CTC column positions.

``options.extra`` keys (all optional):

- ``use_cls`` (bool, False): run the 0/180 degree text-line classifier.
- ``det_limit_side_len`` (int) / ``det_limit_type`` ("max" | "min"): detection resolution, see
  :class:`PPOCRSettings`.
- ``det_thresh``, ``det_box_thresh``, ``det_unclip_ratio``, ``det_max_candidates``: DB post-processing.
- ``rec_batch_num`` (int): text lines per recognition batch; default 4 on the CPU, 32 with ``device="cuda"``.
- ``rec_pad_step`` (int): pad recognition batches to full size and their width to a multiple of this, so that
  a GPU sees few input shapes; default 0 (off) on the CPU, 256 with cuda. ``det_pad_step`` (int, 0): the same
  for detection inputs (changes lines at region edges, so off by default).
- ``det_scope`` ("region" | "page"): run the detection model on each region (the default on the CPU) or once
  on the whole page (the default with cuda), where each region's lines are then found in its own part of the
  page's probability map. ``det_page_limit`` (int, 4800): the longest side a page is detected at in page scope.
- ``session_per_shape`` (bool): a session of each model for each input shape; default on with cuda, off on the
  CPU (see :class:`_PerShape`).
- ``cuda_conv_algo`` ("heuristic" | "exhaustive" | "default", "heuristic"): how cuDNN picks a convolution
  algorithm with ``device="cuda"``. Exhaustive search times every algorithm for each new input shape, and
  regions and line batches come in many shapes.
- ``rec_width_scale`` (float): horizontal scale of a line image for recognition, after it is resized to the
  model's height of 48 px; default by ``lang`` (0.45, or 0.65 for a Latin-script language), 1.0 is PaddleOCR's
  own. ``rec_min_width`` (int, 0): pad every batch to at least this width (PaddleOCR pads to 320).
- ``text_score`` (float): lines whose mean character probability is below this are dropped.
- ``graph_opt`` ("disable" | "basic" | "extended" | "all"); ``allow_spinning`` (bool, True).
- ``fold_affine`` (bool, True): fold the detection and recognition models' scalar affine steps into their
  convolutions before loading them (``engines.onnxopt``; 27% off recognition, 24% off detection, same text).
- ``insert_spaces`` (bool): re-insert the word spaces the model drops; default on for a Latin-script
  ``lang``, and for other languages only between two Latin letters/digits; False turns it off.
- ``space_prob`` (float, 0.005): a space goes where the space class peaks above this between two
  characters (see ``_insert_spaces``).
- ``space_gap_ratio`` (float, 0 = off): also a space where the ink-free gap is wider than this share of
  the median character pitch.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ocr_pipeline.engines.base import EngineInfo, EngineOptions, OcrEngine
from ocr_pipeline.errors import ConfigError, EngineError, MissingDependencyError
from ocr_pipeline.model import BBox, Char, Line, ProcessingStep
from ocr_pipeline.util.dist import dist_version

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

DET_MODEL = "ch_PP-OCRv4_det_infer.onnx"
REC_MODEL = "ch_PP-OCRv4_rec_infer.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_infer.onnx"

# Languages written in the Latin script: the ch model reads their letters but drops word spaces.
LATIN_LANGS = frozenset(
    "en de fr es it pt nl sv da no nb nn fi is pl cs sk sl hr bs sr-latn hu ro ca gl eu et lv lt tr az "
    "id ms vi tl sq ga cy mt af sw la eo lb rm frk".split()
)

_REC_HEIGHT = 48
_REC_MIN_COLUMNS = 32  # the narrowest line image fed to recognition (the model's output: a column per 8 px)
_CLS_SHAPE = (48, 192)


def is_latin_lang(lang: str) -> bool:
    code = lang.lower().replace("_", "-")
    return code in LATIN_LANGS or code.split("-")[0] in LATIN_LANGS


# cuDNN's ways of choosing a convolution algorithm, as ONNX Runtime's CUDA provider names them.
_CUDA_CONV_ALGOS = {"heuristic": "HEURISTIC", "exhaustive": "EXHAUSTIVE", "default": "DEFAULT"}
# Recognition batch by device when ``rec_batch_num`` is not set.
_REC_BATCH = {"cpu": 4, "cuda": 32}
# Recognition width padding step by device when ``rec_pad_step`` is not set (see PPOCRSettings).
_REC_PAD_STEP = {"cpu": 0, "cuda": 256}
# Detection scope by device when ``det_scope`` is not set (see PPOCRSettings).
_DET_SCOPE = {"cpu": "region", "cuda": "page"}
# In page scope the page's detection input is padded to a multiple of this, so that pages of one edition,
# a few pixels apart after deskewing, give the model one shape.
_PAGE_PAD_STEP = 256
# Sessions of one model kept for as many input shapes (see _PerShape); the least recently used goes first.
_PER_SHAPE_LIMIT = 24
# Loaded models kept for the process (see ``PPOCREngine._sessions``): a few, so that a library user converting
# edition after edition, each with a new engine, loads and folds them once (0.1 s a conversion).
_SESSION_CACHE_LIMIT = 4
_SESSION_CACHE: OrderedDict[tuple[Any, ...], tuple[Any, bool]] = OrderedDict()
_SESSION_CACHE_LOCK = threading.Lock()


@dataclass(slots=True)
class PPOCRSettings:
    """Engine settings, validated; built from ``EngineOptions.extra``.

    Detection resolution: ``det_limit_type="max"`` shrinks the page so that its longer side is at most
    ``det_limit_side_len`` (never enlarges); ``"min"`` enlarges it so that the shorter side is at least that
    (never shrinks). Only detection runs at that scale; lines are cut for recognition from the full page.
    The default, ``max`` 2400, keeps a 3,400 px high page or column at 0.7 scale. Measured on rendered
    Chinese columns (CER per text size at scale 0.28 / 0.47 / 0.7 / 1.0): 16 px text 50% / 1.7% / 0.5% /
    0.7%; 20 px 1.5% / 0.5% / 0.5% / 0.9%; 30 px 0.4% / 0% / 0.9% / 1.3%. Shrinking a page to 960
    (0.28) loses small print; detection time grows with the pixel count.
    """

    use_cls: bool = False
    det_limit_side_len: int = 2400
    det_limit_type: str = "max"
    det_thresh: float = 0.3
    det_box_thresh: float = 0.5
    det_unclip_ratio: float = 1.6
    det_max_candidates: int = 5000
    # Lines per recognition batch. On 2 CPU cores batches of 1-4 lines ran alike and 8 about 25% slower
    # (larger tensors, same arithmetic); a GPU wants larger batches. None: by device (``rec_batch``).
    rec_batch_num: int | None = None
    # Recognition cost grows with the width of the line image the model reads. PaddleOCR keeps a line's
    # aspect ratio (width 48 * w / h) and pads every batch to at least 320 px. The model reads narrower
    # images as well: it is trained on lines squeezed into 320 px. Measured on the scanned samples
    # (page text CER): Chinese 0.0494 at 1.0, 0.0492 at 0.55, 0.0494 at 0.45, 0.0500 at 0.4 (doubled
    # characters such as 常常 all kept at 0.45); English 0.0580 at 1.0, 0.0580 at 0.7, 0.0582 at 0.65, 0.0593
    # at 0.6, 0.0687 at 0.5. Together with no padding to 320 px (short CJK lines are mostly narrower than
    # that once squeezed) a Chinese page feeds the model about 60% fewer columns. None: 0.45, or 0.65 for a
    # Latin-script language.
    rec_width_scale: float | None = None
    rec_min_width: int = 0
    cls_thresh: float = 0.9
    text_score: float = 0.5
    graph_opt: str = "all"
    # Rewrite the detection and recognition graphs before loading them (see engines.onnxopt): measured on
    # 2 cores, a recognition batch 20.1 -> 14.6 ms, detection of a 640 px square 32.3 -> 24.5 ms.
    fold_affine: bool = True
    # ONNX Runtime's worker threads spin while idle: fastest on a machine of its own, slow when other
    # processes compete for the cores (a batch running several pages at once).
    allow_spinning: bool = True
    cuda_conv_algo: str = "heuristic"
    # Fewer input shapes for a GPU, where each new shape costs set-up. Measured on an H200 (CUDA provider,
    # cuDNN heuristic search, benchmarks/gpu_shapes.py): the first run of a new shape took 91-129 ms for
    # detection and 1.1-1.3 s for a recognition batch, a repeated one 5 ms and 8-10 ms, and a run on a shape
    # seen before but not in the session's run before 108 ms and 0.9 s (hence ``session_per_shape``). With
    # detection per region and unpadded batches the 9 sample pages give the models 167 detection and 283
    # recognition shapes; with the cuda defaults (page scope, batches padded to 256 px) 1 and about 10 per
    # edition.
    # ``rec_pad_step``: recognition batches padded to their full number of lines and to a multiple of this
    # width: 7 shapes at 128 with 32 lines, same text (body CER 0.9% on the CPU, also at 256; 4.9% at 640:
    # the model's attention reads the padding too); None: 0 (off) on the CPU, where padding is only more
    # arithmetic, and 256 with cuda.
    # ``det_pad_step``: detection inputs padded (gray, as the convolutions pad) to a multiple of this: 50
    # shapes at 128, but lines at a region's edge come out differently (body CER 1.5%; white 2.5%, mirrored
    # 2.5%, edge pixels repeated 3.9%), so 0 (off) by default.
    rec_pad_step: int | None = None
    det_pad_step: int = 0
    # ``det_scope``: "region" runs detection on each region at the scale that region needs, so its edges are
    # the image's edges; "page" runs it once on the whole page (at most ``det_page_limit`` px on the long
    # side), and each region's lines come from its own part of the page's probability map, so no line
    # crosses a region's edge either way. One run per page suits a GPU: one input shape for an edition's pages.
    # On the CPU the whole page costs more than its text regions. The samples' body CER: 0.9% region, 1.2% page
    # (1.1% on an H200): seen with the page around it, the sliver of the next column that a region's padding
    # takes in across a narrow gutter is text to the model, and a line may run on into it ("了-"); giving the
    # overlap of two regions' padding half to each did not change that. None: "region" on the CPU, "page"
    # with cuda.
    det_scope: str | None = None
    det_page_limit: int = 4800
    # A session per input shape (see _PerShape). None: on with cuda, off on the CPU.
    session_per_shape: bool | None = None
    insert_spaces: bool | None = None  # None: decided by the language
    space_prob: float = 0.005
    space_gap_ratio: float = 0.0

    @classmethod
    def from_extra(cls, extra: dict[str, Any]) -> PPOCRSettings:
        known = {f.name: str(f.type) for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in extra.items():
            if key not in known:
                continue  # other engines' options share the dict
            kwargs[key] = _coerce(key, known[key], value)
        try:
            s = cls(**kwargs)
        except TypeError as exc:  # pragma: no cover - dataclass signature mismatch
            raise ConfigError(f"ppocr options: {exc}") from exc
        s.validate()
        return s

    def validate(self) -> None:
        if self.det_limit_type not in ("max", "min"):
            raise ConfigError(f"ppocr det_limit_type must be 'max' or 'min', not {self.det_limit_type!r}")
        if not 32 <= int(self.det_limit_side_len) <= 20000:
            raise ConfigError(f"ppocr det_limit_side_len out of range: {self.det_limit_side_len}")
        if self.rec_batch_num is not None and int(self.rec_batch_num) < 1:
            raise ConfigError("ppocr rec_batch_num must be >= 1")
        if self.det_scope not in (None, "region", "page"):
            raise ConfigError(f"ppocr det_scope must be 'region' or 'page', not {self.det_scope!r}")
        if not 256 <= int(self.det_page_limit) <= 20000:
            raise ConfigError(f"ppocr det_page_limit must be within 256..20000, not {self.det_page_limit}")
        for name in ("rec_pad_step", "det_pad_step"):
            v = getattr(self, name)
            if v is not None and (int(v) % 32 or not 0 <= int(v) <= 1024):
                raise ConfigError(f"ppocr {name} must be a multiple of 32 within 0..1024, not {v}")
        if self.cuda_conv_algo not in _CUDA_CONV_ALGOS:
            raise ConfigError(
                f"ppocr cuda_conv_algo must be {'|'.join(_CUDA_CONV_ALGOS)}, not {self.cuda_conv_algo!r}"
            )
        if self.rec_width_scale is not None and not 0.2 <= float(self.rec_width_scale) <= 2.0:
            raise ConfigError(f"ppocr rec_width_scale must be within 0.2..2, not {self.rec_width_scale}")
        if not 0 <= int(self.rec_min_width) <= 4096:
            raise ConfigError(f"ppocr rec_min_width must be within 0..4096, not {self.rec_min_width}")
        if self.graph_opt not in ("disable", "basic", "extended", "all"):
            raise ConfigError(f"ppocr graph_opt must be disable|basic|extended|all, not {self.graph_opt!r}")
        for name in ("det_thresh", "det_box_thresh", "text_score", "cls_thresh"):
            v = float(getattr(self, name))
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"ppocr {name} must be within 0..1, not {v}")


def _coerce(name: str, type_name: str, value: Any) -> Any:
    """Options may come from the command line or a TOML profile as strings: convert them."""
    if value is None:
        return None
    base = type_name.replace(" | None", "")
    try:
        if base == "bool":
            if isinstance(value, str):
                low = value.strip().lower()
                if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(value)
                return low in ("1", "true", "yes", "on")
            return bool(value)
        if base == "int":
            return int(value)
        if base == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"ppocr option {name}: {value!r} is not a valid {base}") from None


def _preload_cuda_libraries(ort: Any) -> None:
    """Load the CUDA and cuDNN libraries that pip's ``nvidia-*`` packages put in site-packages, where the
    CUDA provider would not find them by itself (``onnxruntime.preload_dlls``, onnxruntime-gpu >= 1.21).
    What it prints about libraries it did not find goes to the debug log: a system-wide CUDA may still serve."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            preload(msvc=False)
    except Exception as exc:  # a broken library path must not stop the provider check that follows
        log.debug("onnxruntime.preload_dlls failed: %s", exc)
    if out.getvalue().strip():
        log.debug("onnxruntime.preload_dlls: %s", out.getvalue().strip())


def _default_model_dir() -> Path | None:
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "models"


# --- geometry helpers ------------------------------------------------------------------------------

def _order_quad(pts: np.ndarray) -> np.ndarray:
    """Order 4 points as top-left, top-right, bottom-right, bottom-left."""
    xs = pts[np.argsort(pts[:, 0], kind="stable")]
    left = xs[:2][np.argsort(xs[:2, 1], kind="stable")]
    right = xs[2:][np.argsort(xs[2:, 1], kind="stable")]
    return np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)


@dataclass(slots=True)
class _Crop:
    """A text-line image cut out of the page, and the matrix mapping its pixels back to the page."""

    image: np.ndarray  # uint8, gray (h, w) or BGR (h, w, 3) as the page was; text reads left to right
    to_page: np.ndarray  # 3x3 homography: crop coords -> page coords
    quad: np.ndarray  # 4x2 page polygon of the detected box
    region: int  # index of the region the box was detected in (0 for the whole page)
    pad: int = 0  # paper-coloured columns added at each end


def _planes(im: np.ndarray) -> np.ndarray:
    """A crop's pixels as the models' channel planes: BGR's three, or a gray crop's one (broadcast to three
    when stored)."""
    return im if im.ndim == 2 else im.transpose(2, 0, 1)


def _cut_line(page: np.ndarray, quad: np.ndarray, region: int, pad_ratio: float = 0.25) -> _Crop:
    """The line ``quad`` of ``page`` (gray or BGR) straightened into a crop of its own, padded at both ends."""
    import cv2

    w = max(int(round(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))), 1)
    h = max(int(round(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))), 1)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    pad = 0
    crop = cv2.warpPerspective(page, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if h / w >= 1.5:
        # Vertical text (CJK headlines): turn it so that it reads left to right, as the model expects.
        crop = np.ascontiguousarray(np.rot90(crop))
        rot = np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1]], dtype=np.float64)
        m = rot @ m
    if pad_ratio > 0:
        # CTC recognisers often drop a character that touches the crop's end (a trailing comma or
        # full stop): pad both ends with the paper colour. Padding, not a wider cut, so that nothing of
        # a neighbouring column comes in.
        ch = crop.shape[0]
        pad = max(2, int(round(ch * pad_ratio)))
        channels = crop.shape[2] if crop.ndim == 3 else 1
        edge = np.concatenate([crop[:, :2].reshape(-1, channels), crop[:, -2:].reshape(-1, channels)])
        paper = np.median(edge, axis=0).astype(np.uint8).tolist()
        crop = cv2.copyMakeBorder(crop, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=paper)
        shift = np.array([[1, 0, pad], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
        m = shift @ m
    return _Crop(image=crop, to_page=np.linalg.inv(m), quad=quad, region=region, pad=pad)


def reading_order(boxes: list[BBox]) -> list[int]:
    """Indexes of ``boxes`` top to bottom; boxes of one printed line left to right.

    Detection may split a justified line at wide word gaps, and the pieces' tops differ by a few
    pixels, so rows are formed by vertical overlap (half the smaller height) rather than by top y.
    """
    items = sorted(range(len(boxes)), key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    rows: list[list[int]] = []
    span = (0.0, 0.0)
    for i in items:
        y0, y1 = boxes[i][1], boxes[i][3]
        if rows:
            overlap = min(y1, span[1]) - max(y0, span[0])
            if overlap >= 0.5 * min(y1 - y0, span[1] - span[0]):
                rows[-1].append(i)
                span = (min(y0, span[0]), max(y1, span[1]))
                continue
        rows.append([i])
        span = (y0, y1)
    return [i for row in rows for i in sorted(row, key=lambda i: boxes[i][0])]


def _map_points(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.hstack([pts.astype(np.float64), np.ones((len(pts), 1))]) @ h.T
    return p[:, :2] / p[:, 2:3]


def _box_of(points: np.ndarray) -> BBox:
    return (
        float(points[:, 0].min()),
        float(points[:, 1].min()),
        float(points[:, 0].max()),
        float(points[:, 1].max()),
    )


# --- recognition decoding --------------------------------------------------------------------------

@dataclass(slots=True)
class _Decoded:
    chars: list[str]
    probs: list[float]
    # Centre of each character's CTC run, and its first/last column, in crop pixels.
    centers: list[float]
    starts: list[float]
    ends: list[float]
    # Highest probability of the model's space class in the columns between character i and i+1.
    space_prob: list[float]


def _ctc_decode(pred: np.ndarray, charset: list[str], col_px: float) -> _Decoded:
    """Greedy CTC decoding keeping, for each character, where in the line its columns are.

    ``col_px``: width of one output column in crop pixels.
    """
    idx = pred.argmax(axis=1)
    n = len(idx)
    out = _Decoded([], [], [], [], [], [])
    if n == 0:
        return out
    prob = pred[np.arange(n), idx]  # the maxima, read at the argmax rather than found again
    space = pred[:, -1]
    # Runs of one class, found at once: a run starts where the class changes; non-blank runs are characters.
    starts = np.flatnonzero(np.concatenate(([True], idx[1:] != idx[:-1])))
    run_max = np.maximum.reduceat(prob, starts)
    ends = np.append(starts[1:], n)
    keep = idx[starts] != 0
    starts, ends, run_max = starts[keep], ends[keep], run_max[keep]
    if not len(starts):
        return out
    out.chars = [charset[k] for k in idx[starts].tolist()]
    out.probs = run_max.astype(float).tolist()
    out.centers = ((starts + ends) / 2 * col_px).tolist()
    out.starts = (starts * col_px).tolist()
    out.ends = (ends * col_px).tolist()
    # Highest space-class probability in the columns between a character's run and the next one's (0 where
    # the runs touch): one reduction over the line's bounds, each gap's start followed by its end.
    gap_end, gap_start = starts[1:], ends[:-1]
    if len(gap_start):
        bounds = np.empty(2 * len(gap_start), dtype=np.intp)
        bounds[0::2], bounds[1::2] = gap_start, gap_end
        gaps = np.where(gap_end > gap_start, np.maximum.reduceat(space, bounds)[0::2], 0.0)
        out.space_prob = [*gaps.astype(float).tolist(), 0.0]
    else:
        out.space_prob = [0.0]
    return out


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x3000 <= o <= 0x303F
        or 0xFF00 <= o <= 0xFFEF
        or 0x3040 <= o <= 0x30FF
        or 0xAC00 <= o <= 0xD7AF
        or 0x20000 <= o <= 0x2FFFF
    )


def _ink_columns(crop: np.ndarray) -> np.ndarray:
    """Boolean per crop column: does it hold ink? Otsu on the line crop, so it adapts to the print."""
    import cv2

    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    if gray.size == 0:
        return np.zeros(0, dtype=bool)
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    h = binary.shape[0]
    # Ignore the top/bottom tenth: neighbouring lines' ascenders/descenders leak into a detected box.
    band = binary[h // 10 : h - h // 10] if h >= 10 else binary
    counts = (band > 0).sum(axis=0)
    return counts > max(1, band.shape[0] // 40)


def _widest_blank(ink: np.ndarray, a: float, b: float) -> tuple[int, int]:
    """The widest run of ink-free columns within [a, b): (start, length); length 0 when none."""
    lo = max(int(math.floor(a)), 0)
    hi = min(int(math.ceil(b)), len(ink))
    best = (lo, 0)
    run_start = None
    for x in range(lo, hi):
        if not ink[x]:
            if run_start is None:
                run_start = x
            if x - run_start + 1 > best[1]:
                best = (run_start, x - run_start + 1)
        else:
            run_start = None
    return best


def _char_extents(dec: _Decoded, crop_w: float, crop_h: float) -> list[tuple[float, float]]:
    """Left/right x of each character in crop pixels.

    CTC puts a character on one or two columns near its centre, so the extent is estimated: half the
    pitch to each neighbour, capped at half the typical character width (the median pitch, or the line
    height for CJK characters, which are square).
    """
    n = len(dec.centers)
    if n == 0:
        return []
    pitches = np.diff(dec.centers) if n > 1 else np.array([crop_h * 0.6])
    median_pitch = float(np.median(pitches)) if len(pitches) else crop_h * 0.6
    out = []
    for i, c in enumerate(dec.centers):
        half = (crop_h * 0.45) if _is_cjk(dec.chars[i]) else median_pitch / 2
        left = c - half
        right = c + half
        if i > 0:
            left = max(left, (dec.centers[i - 1] + c) / 2)
        if i + 1 < n:
            right = min(right, (c + dec.centers[i + 1]) / 2)
        out.append((max(0.0, left), min(crop_w, right)))
    return out


def _insert_spaces(
    dec: _Decoded, ink: np.ndarray, *, prob_threshold: float, gap_ratio: float, latin_only_pairs: bool
) -> list[int]:
    """Indexes i after which a word space belongs (between character i and i+1).

    The ch model has a space class but, on tight or blurred print, its argmax between two words is the
    CTC blank. The space class still rises there: on rendered Latin text its peak between words was
    >= 0.018 and within words <= 0.0013, so ``prob_threshold`` (default 0.005) separates them.
    As a second rule, an ink-free gap wider than ``gap_ratio`` times the median character pitch is a
    space (``gap_ratio`` <= 0 turns it off; 0.35 put spaces inside words at 16-20 px, see the report).
    ``latin_only_pairs``: only between two Latin letters or digits (CJK lines with English words).
    """
    n = len(dec.chars)
    if n < 2:
        return []
    median_pitch = 0.0
    if gap_ratio > 0 and len(ink):
        pitches = np.diff(dec.centers)
        # Spaces inflate the pitch; the lower part of the pitches is the pitch within words.
        median_pitch = float(np.median(pitches[pitches <= np.median(pitches) * 1.5]))
    out = []
    for i in range(n - 1):
        a, b = dec.chars[i], dec.chars[i + 1]
        if a == " " or b == " " or _is_cjk(a) or _is_cjk(b):
            continue
        if latin_only_pairs and not (a.isascii() and a.isalnum() and b.isascii() and b.isalnum()):
            continue
        if dec.space_prob[i] > prob_threshold:
            out.append(i)
        elif median_pitch > 0:
            _, blank = _widest_blank(ink, dec.centers[i], dec.centers[i + 1])
            if blank > gap_ratio * median_pitch:
                out.append(i)
    return out


class _PerShape:
    """Sessions of one model, one for each input shape, behind one session's interface.

    ONNX Runtime's CUDA convolutions keep the set-up of the input shape they last ran on: a run on another
    shape than the session's previous run sets every convolution up again, even for a shape it ran before.
    Measured on an H200 with the sample pages: 0.2 s a detection run and 0.45 s a 32-line recognition batch
    when the shape changed from the run before, against 5 and 10 ms when it did not. Here each shape keeps a
    session of its own, so each session always runs the same shape. The least recently used goes when there
    are more than ``limit``; the session made first stays, for the model's inputs and metadata."""

    def __init__(self, make: Any, limit: int = _PER_SHAPE_LIMIT) -> None:
        self._make = make
        self._limit = max(1, limit)
        self._first = make()
        self._by_shape: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        # Engines of one process share their sessions (PPOCREngine._sessions), maybe from several threads.
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not the session's (and no recursion while a copy is being made)
            raise AttributeError(name)
        return getattr(self._first, name)

    def __len__(self) -> int:
        return len(self._by_shape)

    def run(self, outputs: Any, feeds: dict[str, np.ndarray]) -> Any:
        shape = tuple(int(d) for d in next(iter(feeds.values())).shape)
        with self._lock:
            sess = self._by_shape.get(shape)
            if sess is None:
                sess = self._make() if self._by_shape else self._first
                self._by_shape[shape] = sess
                if len(self._by_shape) > self._limit:
                    self._by_shape.popitem(last=False)
            else:
                self._by_shape.move_to_end(shape)
        return sess.run(outputs, feeds)


# --- the engine ------------------------------------------------------------------------------------

class PPOCREngine(OcrEngine):
    """PaddleOCR PP-OCRv4 (det + rec, optional cls) on ONNX Runtime; the default engine."""

    name = "ppocr"
    description = "PP-OCRv4 detection + recognition on ONNX Runtime (models from rapidocr-onnxruntime)"

    def __init__(self, options: EngineOptions | None = None) -> None:
        super().__init__(options)
        self.settings = PPOCRSettings.from_extra(self.options.extra)
        if self.options.device not in ("cpu", "cuda"):
            raise ConfigError(f"ppocr device must be 'cpu' or 'cuda', not {self.options.device!r}")
        if self.options.threads is not None and self.options.threads < 1:
            raise ConfigError(f"threads must be >= 1, not {self.options.threads}")
        self._det: ort.InferenceSession | None = None
        self._rec: ort.InferenceSession | None = None
        self._cls: ort.InferenceSession | None = None
        self._charset: list[str] = []
        self._db: Any = None
        # Whether the models loaded with their graphs folded (None until they load; see _sessions).
        self._fold_applied: bool | None = None
        # Seconds spent in each stage since the engine was made (for benchmarks and the report).
        self.timings: dict[str, float] = {"det": 0.0, "cls": 0.0, "rec": 0.0}

    # -- description ------------------------------------------------------------------------------

    @classmethod
    def _model_paths(cls, model_dir: str | None) -> tuple[Path | None, str]:
        folder = Path(model_dir) if model_dir else _default_model_dir()
        if folder is None:
            return None, "rapidocr-onnxruntime is not installed: pip install 'rapidocr-onnxruntime>=1.4,<1.5'"
        missing = [m for m in (DET_MODEL, REC_MODEL) if not (folder / m).is_file()]
        if missing:
            return None, f"model files missing in {folder}: {', '.join(missing)}"
        return folder, ""

    @classmethod
    def info(cls) -> EngineInfo:
        if importlib.util.find_spec("onnxruntime") is None:
            return EngineInfo(
                name=cls.name,
                available=False,
                reason="onnxruntime is not installed: pip install onnxruntime",
                description=cls.description,
            )
        folder, reason = cls._model_paths(None)
        models = [DET_MODEL, REC_MODEL, CLS_MODEL]
        version = f"onnxruntime {dist_version('onnxruntime')}, rapidocr-onnxruntime {dist_version('rapidocr-onnxruntime')}"
        return EngineInfo(
            name=cls.name,
            available=folder is not None,
            version=version,
            models=models,
            reason=reason,
            description=cls.description,
        )

    def provenance(self) -> ProcessingStep:
        step = super().provenance()
        s = self.settings
        step.settings.update(
            {
                "use_cls": s.use_cls,
                "det_limit_side_len": s.det_limit_side_len,
                "det_limit_type": s.det_limit_type,
                "rec_width_scale": self._rec_width_scale(),
                "rec_min_width": s.rec_min_width,
                "insert_spaces": self._spaces_on(),
                # What was done once the models are loaded (a missing onnx package leaves them as shipped).
                "fold_affine": s.fold_affine if self._fold_applied is None else self._fold_applied,
            }
        )
        return step

    # -- sessions ---------------------------------------------------------------------------------

    def _sessions(self, path: Path, *, fold: bool = False) -> Any:
        """The model's session, or with ``session_per_shape`` a session for each input shape (_PerShape);
        the model is read and folded once for all of them. Taken from the process's cache when an engine
        with the same settings loaded it before (ONNX Runtime sessions run from several threads safely)."""
        s, o = self.settings, self.options
        fold = fold and s.fold_affine
        key = (str(path), path.stat().st_mtime_ns if path.exists() else 0, fold, o.device, o.threads, s.graph_opt,
               s.allow_spinning, s.cuda_conv_algo, self._per_shape())
        with _SESSION_CACHE_LOCK:
            hit = _SESSION_CACHE.get(key)
            if hit is not None:
                _SESSION_CACHE.move_to_end(key)
        if hit is None:
            model: str | bytes = str(path)
            folded = False
            if fold:
                from ocr_pipeline.engines.onnxopt import session_model

                model, how = session_model(path)
                folded = how is not None and how.changed
            sessions = _PerShape(lambda: self._session(path, model=model)) if self._per_shape() else (
                self._session(path, model=model))
            hit = (sessions, folded)
            with _SESSION_CACHE_LOCK:
                _SESSION_CACHE[key] = hit
                while len(_SESSION_CACHE) > _SESSION_CACHE_LIMIT:
                    _SESSION_CACHE.popitem(last=False)
        sessions, folded = hit
        if fold:
            self._fold_applied = folded if self._fold_applied is None else self._fold_applied and folded
        return sessions

    def _per_shape(self) -> bool:
        on = self.settings.session_per_shape
        return bool(on) if on is not None else self.options.device == "cuda"

    def _session(self, path: Path, *, model: str | bytes | None = None) -> ort.InferenceSession:
        """A session of the model at ``path``, or of ``model`` (its folded bytes) when given."""
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise MissingDependencyError("onnxruntime is not installed: pip install onnxruntime") from exc
        so = ort.SessionOptions()
        so.log_severity_level = 3
        so.graph_optimization_level = {
            "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[self.settings.graph_opt]
        if self.options.threads:
            so.intra_op_num_threads = int(self.options.threads)
        elif self.options.device == "cuda":
            # The models run on the GPU; a CPU thread pool per session (one per shape) would only spin.
            so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        if not self.settings.allow_spinning or self.options.device == "cuda":
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self.options.device == "cuda":
            _preload_cuda_libraries(ort)
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise MissingDependencyError(
                    "device 'cuda' asked for, but this onnxruntime has no CUDAExecutionProvider "
                    f"(available: {', '.join(ort.get_available_providers())}); "
                    "pip uninstall onnxruntime && pip install 'ocr-pipeline[gpu]' (onnxruntime-gpu matching "
                    "your CUDA), or use device 'cpu'"
                )
            cuda = {"cudnn_conv_algo_search": _CUDA_CONV_ALGOS[self.settings.cuda_conv_algo]}
            providers: list[Any] = [("CUDAExecutionProvider", cuda), "CPUExecutionProvider"]
        else:
            providers = ["CPUExecutionProvider"]
        try:
            sess = ort.InferenceSession(model if model is not None else str(path), sess_options=so, providers=providers)
        except Exception as exc:
            raise EngineError(f"cannot load ONNX model: {exc}", path=str(path)) from exc
        if self.options.device == "cuda" and sess.get_providers()[0] != "CUDAExecutionProvider":
            raise EngineError(
                "onnxruntime could not start the CUDA provider (check the CUDA/cuDNN libraries); "
                "use device 'cpu'",
                path=str(path),
            )
        return sess

    def _rec_batch(self) -> int:
        n = self.settings.rec_batch_num
        return int(n) if n is not None else _REC_BATCH[self.options.device]

    def _rec_pad_step(self) -> int:
        n = self.settings.rec_pad_step
        return int(n) if n is not None else _REC_PAD_STEP[self.options.device]

    def _load(self) -> None:
        if self._det is not None:
            return
        folder, reason = self._model_paths(self.options.model_dir)
        if folder is None:
            raise MissingDependencyError(reason)
        try:
            from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess
        except ImportError as exc:
            raise MissingDependencyError(
                "rapidocr-onnxruntime is not installed: pip install 'rapidocr-onnxruntime>=1.4,<1.5'"
            ) from exc
        s = self.settings
        self._db = DBPostProcess(
            thresh=s.det_thresh,
            box_thresh=s.det_box_thresh,
            max_candidates=s.det_max_candidates,
            unclip_ratio=s.det_unclip_ratio,
            score_mode="fast",
            use_dilation=True,
        )
        rec = self._sessions(folder / REC_MODEL, fold=True)
        meta = rec.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise EngineError("recognition model has no 'character' list in its metadata", path=str(folder))
        # Index 0 is the CTC blank; the model's last class is the space.
        self._charset = ["<blank>", *meta["character"].splitlines(), " "]
        self._rec = rec
        if s.use_cls:
            if not (folder / CLS_MODEL).is_file():
                raise MissingDependencyError(f"angle classifier model missing: {folder / CLS_MODEL}")
            self._cls = self._session(folder / CLS_MODEL)
        self._det = self._sessions(folder / DET_MODEL, fold=True)
        log.debug("ppocr models loaded from %s", folder)

    # -- detection --------------------------------------------------------------------------------

    def _det_scale(self, h: int, w: int) -> tuple[int, int]:
        s = self.settings
        limit = int(s.det_limit_side_len)
        if s.det_limit_type == "max":
            ratio = min(1.0, limit / max(h, w))
        else:
            ratio = max(1.0, limit / min(h, w))
        rh = max(32, int(round(h * ratio / 32)) * 32)
        rw = max(32, int(round(w * ratio / 32)) * 32)
        return rh, rw

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text-line quadrilaterals (4x2 float32, page pixels) in a BGR or a gray image."""
        import cv2

        self._load()
        h, w = image.shape[:2]
        if h < 4 or w < 4:
            return []
        rh, rw = self._det_scale(h, w)
        t0 = time.perf_counter()
        resized = cv2.resize(image, (rw, rh), interpolation=cv2.INTER_LINEAR if rw < w else cv2.INTER_CUBIC)
        pred = self._det_map(resized, int(self.settings.det_pad_step))
        quads = self._quads(pred, h, w)
        self.timings["det"] += time.perf_counter() - t0
        return quads

    def _det_map(self, image: np.ndarray, step: int) -> np.ndarray:
        """The detection model's text probability map (1 x 1 x h x w) of a BGR or gray image. The model takes
        sides that are multiples of 32: an image of other sides needs a ``step`` (a multiple of 32), to which
        its input is padded (gray, as the convolutions pad)."""
        assert self._det is not None
        rh, rw = image.shape[:2]
        ph, pw = (-(-rh // step) * step, -(-rw // step) * step) if step else (rh, rw)
        # The input tensor is filled in place, padding included: one pass over the pixels, where the
        # arithmetic on the whole image, the transpose and the padding were three copies of 12 bytes a pixel.
        x = (np.zeros if (ph, pw) != (rh, rw) else np.empty)((1, 3, ph, pw), dtype=np.float32)
        if image.ndim == 2:  # a gray page: one channel worked out, the model's three take copies of it
            g = image.astype(np.float32)
            g /= 255.0
            g -= 0.5
            g /= 0.5
            x[0, :, :rh, :rw] = g
        else:
            body = x[0, :, :rh, :rw]
            body[...] = image.transpose(2, 0, 1)
            body /= 255.0
            body -= 0.5
            body /= 0.5
        try:
            pred = self._det.run(None, {self._det.get_inputs()[0].name: x})[0]
        except Exception as exc:
            raise EngineError(f"ppocr detection failed: {exc}") from exc
        return pred[:, :, :rh, :rw]

    def _quads(self, pred: np.ndarray, h: int, w: int) -> list[np.ndarray]:
        """The line quadrilaterals of a probability map, in the pixels of an h x w image it covers."""
        boxes, _scores = self._db(pred, (h, w))
        quads = []
        for b in boxes:
            q = _order_quad(np.asarray(b, dtype=np.float32))
            q[:, 0] = np.clip(q[:, 0], 0, w)
            q[:, 1] = np.clip(q[:, 1], 0, h)
            if np.linalg.norm(q[0] - q[1]) <= 3 or np.linalg.norm(q[0] - q[3]) <= 3:
                continue
            quads.append(q)
        return quads

    def _det_scope(self) -> str:
        return self.settings.det_scope or _DET_SCOPE[self.options.device]

    def _page_map(self, page: np.ndarray) -> tuple[np.ndarray, float, float]:
        """Page scope: the whole page's probability map and its scales (map pixels per page pixel, down and
        across). The page is shrunk only when its long side passes ``det_page_limit``, and padded to
        ``_PAGE_PAD_STEP``."""
        import cv2

        h, w = page.shape[:2]
        scale = min(1.0, int(self.settings.det_page_limit) / max(h, w))
        image = page  # at full size only padded (a multiple of the step is one of 32), never resampled
        if scale < 1.0:
            rh, rw = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
            image = cv2.resize(page, (rw, rh), interpolation=cv2.INTER_AREA)
        pred = self._det_map(image, max(_PAGE_PAD_STEP, int(self.settings.det_pad_step)))
        return pred, image.shape[0] / h, image.shape[1] / w

    def _region_quads(self, pred: np.ndarray, sy: float, sx: float, rect: tuple[int, int, int, int]) -> list[np.ndarray]:
        """Page scope: the lines of one region, found in its own part of the page's probability map."""
        x0, y0, x1, y1 = rect
        part = pred[:, :, round(y0 * sy) : round(y1 * sy), round(x0 * sx) : round(x1 * sx)]
        if min(part.shape[2:]) < 2:
            return []
        return self._quads(part, y1 - y0, x1 - x0)

    # -- classification / recognition -------------------------------------------------------------

    def _classify(self, crops: list[_Crop]) -> None:
        """Turn crops the classifier reads as upside down (180 degrees) the right way up."""
        import cv2

        assert self._cls is not None
        t0 = time.perf_counter()
        ch, cw = _CLS_SHAPE
        batch = self._rec_batch()
        for b0 in range(0, len(crops), batch):
            part = crops[b0 : b0 + batch]
            xs = []
            for c in part:
                h, w = c.image.shape[:2]
                rw = min(cw, max(1, int(math.ceil(ch * w / h))))
                im = cv2.resize(c.image, (rw, ch)).astype(np.float32) / 255.0
                x = np.zeros((3, ch, cw), dtype=np.float32)
                x[:, :, :rw] = _planes((im - 0.5) / 0.5)
                xs.append(x)
            out = self._cls.run(None, {self._cls.get_inputs()[0].name: np.stack(xs)})[0]
            for c, p in zip(part, out, strict=True):
                if int(p.argmax()) == 1 and float(p[1]) > self.settings.cls_thresh:
                    h, w = c.image.shape[:2]
                    c.image = np.ascontiguousarray(c.image[::-1, ::-1])
                    flip = np.array([[-1, 0, w], [0, -1, h], [0, 0, 1]], dtype=np.float64)
                    c.to_page = c.to_page @ np.linalg.inv(flip)
        self.timings["cls"] += time.perf_counter() - t0

    def _recognize_crops(self, crops: list[_Crop]) -> list[_Decoded]:
        """Batched recognition; crops are sorted by aspect ratio so a batch pads little."""
        import cv2

        assert self._rec is not None
        t0 = time.perf_counter()
        results: list[_Decoded | None] = [None] * len(crops)
        squeeze = self._rec_width_scale()
        widths = [max(_REC_MIN_COLUMNS, math.ceil(squeeze * _REC_HEIGHT * c.image.shape[1] / max(1, c.image.shape[0])))
                  for c in crops]
        order = np.argsort(widths, kind="stable")
        batch = self._rec_batch()
        step = self._rec_pad_step()
        name = self._rec.get_inputs()[0].name
        for b0 in range(0, len(order), batch):
            ids = [int(i) for i in order[b0 : b0 + batch]]
            width = max(int(self.settings.rec_min_width), *(widths[i] for i in ids))
            if step:
                width = -(-width // step) * step
            x = np.zeros((batch if step else len(ids), 3, _REC_HEIGHT, width), dtype=np.float32)
            scales = []
            for j, i in enumerate(ids):
                im = crops[i].image
                w = im.shape[1]
                rw = widths[i]
                r = cv2.resize(im, (rw, _REC_HEIGHT)).astype(np.float32) / 255.0
                x[j, :, :, :rw] = _planes((r - 0.5) / 0.5)
                scales.append(w / rw)
            try:
                pred = self._rec.run(None, {name: x})[0]
            except Exception as exc:
                raise EngineError(f"ppocr recognition failed: {exc}") from exc
            col = width / pred.shape[1]  # input pixels per output column
            for j, i in enumerate(ids):
                # Only the columns over the line itself: those over the batch's padding read nothing.
                results[i] = _ctc_decode(pred[j, : math.ceil(widths[i] / col)], self._charset, col * scales[j])
        self.timings["rec"] += time.perf_counter() - t0
        return [r if r is not None else _Decoded([], [], [], [], [], []) for r in results]

    # -- assembling lines -------------------------------------------------------------------------

    def _rec_width_scale(self) -> float:
        s = self.settings.rec_width_scale
        if s is not None:
            return float(s)
        return 0.65 if is_latin_lang(self.options.lang) else 0.45

    def _spaces_on(self) -> bool:
        s = self.settings.insert_spaces
        return is_latin_lang(self.options.lang) if s is None else bool(s)

    def _make_line(self, crop: _Crop, dec: _Decoded) -> Line | None:
        # The model's own space class: keep it, but do not give it a box of its own width.
        if not dec.chars:
            return None
        ch, cw = crop.image.shape[:2]
        latin = self._spaces_on()
        spaces: list[int] = []
        wanted = self.settings.insert_spaces is not False
        if wanted and (latin or any(c.isascii() and c.isalpha() for c in dec.chars)):
            st = self.settings
            ink = _ink_columns(crop.image) if st.space_gap_ratio > 0 else np.zeros(0, dtype=bool)
            spaces = _insert_spaces(
                dec, ink, prob_threshold=st.space_prob, gap_ratio=st.space_gap_ratio, latin_only_pairs=not latin
            )
        # Character boxes stay inside the detected box, not in the padding.
        lo, hi = crop.pad, cw - crop.pad
        extents = []
        for a, b in _char_extents(dec, cw, ch):
            a, b = min(max(a, lo), hi), min(max(b, lo), hi)
            extents.append((min(a, b - 1.0), b))
        # Every box (characters, then the spaces between) mapped to the page in one product: per-box numpy
        # calls cost more than the recognition's own decoding on a page of 10,000 characters.
        spans = list(extents) + [(extents[i][1], extents[i + 1][0]) for i in spaces]
        xs = np.array(spans, dtype=np.float64)
        corners = np.empty((len(spans), 4, 2), dtype=np.float64)
        corners[:, :, 0] = xs[:, [0, 1, 1, 0]]
        corners[:, :, 1] = [0.0, 0.0, ch, ch]
        mapped = _map_points(crop.to_page, corners.reshape(-1, 2)).reshape(-1, 4, 2)
        lo_xy, hi_xy = mapped.min(axis=1).tolist(), mapped.max(axis=1).tolist()
        boxes = [(a[0], a[1], b[0], b[1]) for a, b in zip(lo_xy, hi_xy, strict=True)]
        gap_box = dict(zip(spaces, boxes[len(extents):], strict=True))
        chars: list[Char] = []
        for i, (text, prob) in enumerate(zip(dec.chars, dec.probs, strict=True)):
            chars.append(Char(text=text, bbox=boxes[i], confidence=prob))
            if i in gap_box:
                chars.append(Char(text=" ", bbox=gap_box[i], confidence=prob))
        # Strip spaces the model put at the ends; collapse doubled ones.
        cleaned: list[Char] = []
        for c in chars:
            if c.text == " " and (not cleaned or cleaned[-1].text == " "):
                continue
            cleaned.append(c)
        while cleaned and cleaned[-1].text == " ":
            cleaned.pop()
        if not cleaned:
            return None
        text = "".join(c.text for c in cleaned)
        conf = float(np.mean(dec.probs))
        if conf < self.settings.text_score:
            return None
        poly = [(float(x), float(y)) for x, y in crop.quad]
        return Line(
            id="",
            bbox=_box_of(crop.quad),
            text=text,
            confidence=min(1.0, max(0.0, conf)),
            polygon=poly,
            chars=cleaned,
        )

    def recognize(self, image: np.ndarray, *, regions: list[BBox] | None = None) -> list[Line]:
        import cv2

        if image is None or image.size == 0:
            raise EngineError("empty image")
        if image.dtype != np.uint8:
            raise EngineError(f"expected an 8-bit image, got {image.dtype}")
        # A gray page stays gray: its crops are cut from one channel, which the models' three input channels
        # repeat (a third of the resampling, and no colour copy of the page).
        if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3):
            page = image
        elif image.ndim == 3 and image.shape[2] == 4:
            page = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        else:
            raise EngineError(f"unsupported image shape {image.shape}")
        self._load()
        H, W = page.shape[:2]
        rects: list[tuple[int, int, int, int]] = []
        for r in regions if regions is not None else [(0, 0, W, H)]:
            x0, y0 = max(0, int(math.floor(r[0]))), max(0, int(math.floor(r[1])))
            x1, y1 = min(W, int(math.ceil(r[2]))), min(H, int(math.ceil(r[3])))
            rects.append((x0, y0, x1, y1))
        page_map: tuple[np.ndarray, float, float] | None = None
        if regions is not None and rects and self._det_scope() == "page":
            t0 = time.perf_counter()
            page_map = self._page_map(page)
            self.timings["det"] += time.perf_counter() - t0
        crops: list[_Crop] = []
        for ri, (x0, y0, x1, y1) in enumerate(rects):
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            if page_map is None:
                quads = self.detect(page[y0:y1, x0:x1])
            else:
                t0 = time.perf_counter()
                quads = self._region_quads(*page_map, (x0, y0, x1, y1))
                self.timings["det"] += time.perf_counter() - t0
            for k in reading_order([_box_of(q) for q in quads]):
                q = quads[k]
                q = q + np.array([x0, y0], dtype=np.float32)
                crops.append(_cut_line(page, q, ri))
        if not crops:
            return []
        if self.settings.use_cls:
            self._classify(crops)
        decoded = self._recognize_crops(crops)
        lines: list[Line] = []
        for crop, dec in zip(crops, decoded, strict=True):
            line = self._make_line(crop, dec)
            if line is not None:
                lines.append(line)
        log.debug("ppocr: %d lines in %d region(s)", len(lines), len(rects))
        return lines


__all__ = ["PPOCREngine", "PPOCRSettings", "is_latin_lang", "reading_order", "LATIN_LANGS"]
