"""Folding the PP-LCNetV3 backbone's scalar affine steps into its convolutions, before ONNX Runtime sees it.

The PP-OCRv4 detection and recognition models (PP-LCNetV3 backbone, as exported from Paddle) follow most
convolutions with a "learnable affine block": a multiplication by one scalar and an addition of another,
before and after each hard-swish activation, and write the activation itself as four element-wise nodes
(``x * clip(x + 3, 0, 6) / 6``). ONNX Runtime fuses none of this (its Conv+Mul fusion wants the constant
as the second input, and it has no pattern for a scalar affine step after an activation), so a third of
the recognition model's time went to element-wise passes over the feature maps. Rewritten here:

1. ``Conv -> Mul(s) -> Add(b)``: the convolution's weights times ``s``, its bias ``s * bias + b``.
2. ``x * clip(x + 3, 0, 6) / 6``: ``x * HardSigmoid(x)`` (alpha 1/6, beta 1/2), two nodes instead of four.
3. ``Mul(s) -> Add(b) -> Conv``: the weights times ``s``; ``b`` goes into the bias where the convolution
   has no padding (the sum of each output channel's weights times ``b``), else stays as ``Add(b / s)`` in
   front of it (zero padding of ``h + b/s`` is zero padding of ``s*h + b``, so the borders agree).

Only nodes whose intermediate results have no other consumer are touched, so what comes out is the same
function up to float rounding (logits within 1e-5 of the original on test batches; the same text on
every sample page). A model without these patterns comes back unchanged; anything unexpected leaves the
original model in use.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Folded:
    """The rewritten model and what was done to it."""

    model: bytes
    conv_affine: int = 0  # Conv -> Mul -> Add folded into the convolution
    hard_swish: int = 0  # four-node hard-swish written as x * HardSigmoid(x)
    affine_conv: int = 0  # Mul -> Add folded into the next convolution

    @property
    def changed(self) -> bool:
        return bool(self.conv_affine or self.hard_swish or self.affine_conv)

    def describe(self) -> str:
        return (f"folded {self.conv_affine} conv+affine, {self.affine_conv} affine+conv, "
                f"{self.hard_swish} hard-swish")


class _Graph:
    """Index of a graph's constants, producers and consumers; rebuilt after each pass."""

    def __init__(self, graph: Any) -> None:
        from onnx import numpy_helper

        self.graph = graph
        self.consts: dict[str, np.ndarray] = {}
        for n in graph.node:
            if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
                self.consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        for init in graph.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)
        self.producer = {o: n for n in graph.node for o in n.output}
        self.consumers: dict[str, list[Any]] = defaultdict(list)
        for n in graph.node:
            for i in n.input:
                self.consumers[i].append(n)
        self.outputs = {o.name for o in graph.output}

    def scalar(self, name: str) -> float | None:
        v = self.consts.get(name)
        if v is None or v.size != 1 or v.dtype != np.float32:
            return None
        return float(v.reshape(-1)[0])

    def only_consumer(self, name: str) -> Any | None:
        if name in self.outputs:
            return None
        users = self.consumers.get(name, [])
        return users[0] if len(users) == 1 else None

    def add_const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def replace_nodes(self, drop: set[int], insert: dict[int, list[Any]] | None = None) -> None:
        insert = insert or {}
        nodes = []
        for n in self.graph.node:
            if id(n) in insert:
                nodes.extend(insert[id(n)])
            elif id(n) not in drop:
                nodes.append(n)
        del self.graph.node[:]
        self.graph.node.extend(nodes)


def _conv_params(g: _Graph, conv: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if len(conv.input) < 2 or conv.input[1] not in g.consts:
        return None
    w = g.consts[conv.input[1]].astype(np.float32)
    if len(conv.input) > 2 and conv.input[2]:
        if conv.input[2] not in g.consts:
            return None
        b = g.consts[conv.input[2]].astype(np.float32)
    else:
        b = np.zeros(w.shape[0], np.float32)
    return w, b


def _set_conv_params(g: _Graph, conv: Any, w: np.ndarray, b: np.ndarray) -> None:
    base = conv.output[0]
    wn = g.add_const(f"{base}__folded_w", w)
    bn = g.add_const(f"{base}__folded_b", b)
    del conv.input[1:]
    conv.input.extend([wn, bn])


def _other_input(node: Any, name: str) -> str | None:
    rest = [i for i in node.input if i != name]
    return rest[0] if len(node.input) == 2 and len(rest) == 1 else None


def _fold_conv_affine(g: _Graph) -> int:
    """Conv -> Mul(s) -> Add(b)  =>  Conv with weights s*W and bias s*B + b."""
    done = 0
    drop: set[int] = set()
    for conv in list(g.graph.node):
        if conv.op_type != "Conv":
            continue
        mul = g.only_consumer(conv.output[0])
        if mul is None or mul.op_type != "Mul":
            continue
        s_name = _other_input(mul, conv.output[0])
        add = g.only_consumer(mul.output[0])
        if s_name is None or add is None or add.op_type != "Add":
            continue
        b_name = _other_input(add, mul.output[0])
        params = _conv_params(g, conv)
        s = g.scalar(s_name) if s_name else None
        b = g.scalar(b_name) if b_name else None
        if params is None or s is None or b is None:
            continue
        w, bias = params
        _set_conv_params(g, conv, w * s, bias * s + b)
        conv.output[0] = add.output[0]
        drop |= {id(mul), id(add)}
        done += 1
    g.replace_nodes(drop)
    return done


def _fold_hard_swish(g: _Graph) -> int:
    """x * clip(x + 3, 0, 6) / 6  =>  x * HardSigmoid(x), with alpha 1/6 and beta 1/2."""
    from onnx import helper

    done = 0
    drop: set[int] = set()
    insert: dict[int, list[Any]] = {}
    for clip in list(g.graph.node):
        if clip.op_type != "Clip" or len(clip.input) != 3:
            continue
        if g.scalar(clip.input[1]) != 0.0 or g.scalar(clip.input[2]) != 6.0:
            continue
        add = g.producer.get(clip.input[0])
        if add is None or add.op_type != "Add" or id(g.only_consumer(add.output[0])) != id(clip):
            continue
        xs = [i for i in add.input if g.scalar(i) is None]
        if len(xs) != 1 or len(add.input) != 2 or g.scalar(_other_input(add, xs[0]) or "") != 3.0:
            continue
        x = xs[0]
        mul = g.only_consumer(clip.output[0])
        if mul is None or mul.op_type != "Mul" or sorted(mul.input) != sorted([x, clip.output[0]]):
            continue
        div = g.only_consumer(mul.output[0])
        if div is None or div.op_type != "Div" or div.input[0] != mul.output[0] or g.scalar(div.input[1]) != 6.0:
            continue
        gate = f"{div.output[0]}__hard_sigmoid"
        insert[id(add)] = [
            helper.make_node("HardSigmoid", [x], [gate], alpha=1.0 / 6.0, beta=0.5),
            helper.make_node("Mul", [x, gate], [div.output[0]]),
        ]
        drop |= {id(clip), id(mul), id(div)}
        done += 1
    g.replace_nodes(drop, insert)
    return done


def _padded(conv: Any) -> bool:
    for a in conv.attribute:
        if a.name == "pads" and any(a.ints):
            return True
        if a.name == "auto_pad" and a.s not in (b"", b"NOTSET", b"VALID"):
            return True
    return False


def _fold_affine_conv(g: _Graph) -> int:
    """Mul(s) -> Add(b) -> Conv  =>  Conv with weights s*W (and b folded into the bias when unpadded)."""
    done = 0
    drop: set[int] = set()
    for mul in list(g.graph.node):
        if mul.op_type != "Mul" or len(mul.input) != 2:
            continue
        scalars = [i for i in mul.input if g.scalar(i) is not None]
        if len(scalars) != 1:
            continue
        h = _other_input(mul, scalars[0])
        s = g.scalar(scalars[0])
        add = g.only_consumer(mul.output[0])
        if h is None or not s or add is None or add.op_type != "Add":
            continue
        b_name = _other_input(add, mul.output[0])
        b = g.scalar(b_name) if b_name else None
        conv = g.only_consumer(add.output[0])
        if b is None or conv is None or conv.op_type != "Conv" or conv.input[0] != add.output[0]:
            continue
        params = _conv_params(g, conv)
        if params is None:
            continue
        w, bias = params
        if _padded(conv):
            # conv(s*h + b) == conv'(h + b/s) with weights s*W: the Mul goes, the Add stays.
            add.input[0] = h
            add.input[1] = g.add_const(f"{add.output[0]}__b_over_s", np.array([b / s], np.float32))
            drop.add(id(mul))
            _set_conv_params(g, conv, w * s, bias)
        else:
            conv.input[0] = h
            drop |= {id(mul), id(add)}
            _set_conv_params(g, conv, w * s, bias + b * w.sum(axis=tuple(range(1, w.ndim))))
        done += 1
    g.replace_nodes(drop)
    return done


def _drop_unused_constants(graph: Any) -> None:
    used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
    keep = [n for n in graph.node if n.op_type != "Constant" or n.output[0] in used]
    del graph.node[:]
    graph.node.extend(keep)
    inits = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(inits)


def fold_affine(path: str | Path) -> Folded:
    """The model at ``path`` with its scalar affine steps folded (see the module docstring)."""
    import onnx

    data = Path(path).read_bytes()
    model = onnx.load_from_string(data)
    g = _Graph(model.graph)
    conv_affine = _fold_conv_affine(g)
    hard_swish = _fold_hard_swish(_Graph(model.graph))
    affine_conv = _fold_affine_conv(_Graph(model.graph))
    out = Folded(data, conv_affine, hard_swish, affine_conv)
    if out.changed:
        _drop_unused_constants(model.graph)
        onnx.checker.check_model(model)
        out.model = model.SerializeToString()
    return out


def session_model(path: Path) -> tuple[str | bytes, Folded | None]:
    """What to give ``onnxruntime.InferenceSession`` for the model at ``path``: the folded graph's bytes,
    or the path when there is nothing to fold; and what was folded. When the onnx package is missing or
    folding fails, the path and None (logged: the model then runs as shipped, a little slower)."""
    try:
        folded = fold_affine(path)
    except ImportError:
        log.warning("the onnx package is missing, so %s runs as shipped (slower): pip install onnx", path.name)
        return str(path), None
    except Exception as exc:  # a model of another shape: run it as it is
        log.warning("%s runs as shipped: folding its graph failed (%s)", path.name, exc)
        return str(path), None
    log.debug("%s: %s", path.name, folded.describe())
    return (folded.model if folded.changed else str(path)), folded
