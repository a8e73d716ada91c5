"""Folding the models' scalar affine steps into their convolutions computes the same function, faster."""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ocr_pipeline.engines.onnxopt import fold_affine  # noqa: E402


def _session(model: str | bytes) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def _run(model: str | bytes, x: np.ndarray) -> np.ndarray:
    s = _session(model)
    return np.asarray(s.run(None, {s.get_inputs()[0].name: x})[0])


def _const(name: str, value: float | np.ndarray) -> onnx.NodeProto:
    arr = np.asarray(value, dtype=np.float32)
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(arr, name + "_v"))


def _toy_model(path: Path, *, extra_consumer: bool = False) -> Path:
    """conv -> *s + b -> hard-swish -> *s2 + b2 -> padded depthwise conv -> *s3 + b3 -> 1x1 conv, the
    shapes of PP-LCNetV3; with ``extra_consumer`` the first affine step's product is also an output."""
    rng = np.random.default_rng(3)
    nodes = [
        _const("w1", rng.normal(size=(4, 3, 3, 3))), _const("b1", rng.normal(size=4)),
        _const("s1", 1.7), _const("c1", -0.4), _const("three", 3.0), _const("zero", 0.0), _const("six", 6.0),
        _const("six_b", [6.0]), _const("s2", 0.8), _const("c2", 0.3),
        _const("w2", rng.normal(size=(4, 1, 3, 3))), _const("b2", rng.normal(size=4)),
        _const("s3", 1.3), _const("c3", 0.25), _const("w3", rng.normal(size=(5, 4, 1, 1))),
        helper.make_node("Conv", ["x", "w1", "b1"], ["y1"], pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["s1", "y1"], ["m1"]),  # the constant first, as Paddle exports it
        helper.make_node("Add", ["m1", "c1"], ["a1"]),
        helper.make_node("Add", ["a1", "three"], ["h1"]),
        helper.make_node("Clip", ["h1", "zero", "six"], ["h2"]),
        helper.make_node("Mul", ["a1", "h2"], ["h3"]),
        helper.make_node("Div", ["h3", "six_b"], ["hs"]),
        helper.make_node("Mul", ["s2", "hs"], ["m2"]),
        helper.make_node("Add", ["m2", "c2"], ["a2"]),
        helper.make_node("Conv", ["a2", "w2", "b2"], ["y2"], pads=[1, 1, 1, 1], group=4),
        helper.make_node("Mul", ["y2", "s3"], ["m3"]),
        helper.make_node("Add", ["m3", "c3"], ["a3"]),
        helper.make_node("Conv", ["a3", "w3"], ["out"]),
    ]
    outputs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 5, 8, 10])]
    if extra_consumer:
        outputs.append(helper.make_tensor_value_info("m1", TensorProto.FLOAT, [1, 4, 8, 10]))
    graph = helper.make_graph(nodes, "toy", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 10])],
                              outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def test_toy_graph_folds_and_computes_the_same(tmp_path: Path) -> None:
    path = _toy_model(tmp_path / "toy.onnx")
    folded = fold_affine(path)
    # conv1+affine1; hard-swish; affine2 into the padded depthwise conv (its Add stays, as b/s);
    # conv2+affine3 (a Conv -> Mul -> Add) rather than affine3 into the 1x1 conv.
    assert (folded.conv_affine, folded.hard_swish, folded.affine_conv) == (2, 1, 1)
    ops = [n.op_type for n in onnx.load_from_string(folded.model).graph.node if n.op_type != "Constant"]
    assert ops == ["Conv", "HardSigmoid", "Mul", "Add", "Conv", "Conv"]
    x = np.random.default_rng(0).normal(size=(1, 3, 8, 10)).astype(np.float32) * 3
    np.testing.assert_allclose(_run(folded.model, x), _run(str(path), x), rtol=1e-5, atol=1e-5)


def test_a_product_used_elsewhere_is_left_alone(tmp_path: Path) -> None:
    path = _toy_model(tmp_path / "toy.onnx", extra_consumer=True)
    folded = fold_affine(path)
    assert folded.conv_affine == 1  # only the second convolution's affine step
    x = np.random.default_rng(1).normal(size=(1, 3, 8, 10)).astype(np.float32)
    s0, s1 = _session(str(path)), _session(folded.model)
    for a, b in zip(s0.run(None, {"x": x}), s1.run(None, {"x": x}), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def _shipped(name: str) -> Path:
    import rapidocr_onnxruntime

    path = Path(rapidocr_onnxruntime.__file__).resolve().parent / "models" / name
    if not path.is_file():
        pytest.skip(f"{name} not in the rapidocr-onnxruntime wheel")
    return path


def test_shipped_recognition_model_reads_the_same() -> None:
    path = _shipped("ch_PP-OCRv4_rec_infer.onnx")
    folded = fold_affine(path)
    assert folded.conv_affine >= 20 and folded.hard_swish >= 20 and folded.affine_conv >= 20
    x = (np.random.default_rng(2).random((2, 3, 48, 160)) * 2 - 1).astype(np.float32)
    a, b = _run(str(path), x), _run(folded.model, x)
    np.testing.assert_allclose(b, a, atol=1e-4)
    assert np.array_equal(a.argmax(-1), b.argmax(-1))


def test_shipped_detection_model_maps_the_same() -> None:
    path = _shipped("ch_PP-OCRv4_det_infer.onnx")
    folded = fold_affine(path)
    assert folded.changed
    x = (np.random.default_rng(4).random((1, 3, 160, 224)) * 2 - 1).astype(np.float32)
    np.testing.assert_allclose(_run(folded.model, x), _run(str(path), x), atol=1e-4)


def test_engine_runs_the_shipped_model_when_folding_fails(monkeypatch, caplog) -> None:
    import ocr_pipeline.engines.onnxopt as onnxopt
    import ocr_pipeline.engines.ppocr as ppocr
    from ocr_pipeline.engines import EngineOptions, create_engine

    def broken(path: Path) -> None:
        raise ValueError("unexpected graph")

    monkeypatch.setattr(onnxopt, "fold_affine", broken)
    monkeypatch.setattr(ppocr, "_SESSION_CACHE", OrderedDict())  # models loaded by earlier tests are not reused
    engine = create_engine("ppocr", EngineOptions(lang="zh"))
    page = np.full((80, 400), 255, np.uint8)
    with caplog.at_level(logging.WARNING):
        assert engine.recognize(page) == []
    assert "runs as shipped" in caplog.text
    assert engine.provenance().settings["fold_affine"] is False  # what was done, not what was asked
    monkeypatch.undo()
    assert create_engine("ppocr", EngineOptions(lang="zh")).provenance().settings["fold_affine"] is True
