"""The geometry preprocessing applied to a page, to map output coordinates back to the scan and forth.

Coordinates are continuous page pixels, origin at the top-left corner of the top-left pixel (so pixel
``i`` spans ``[i, i+1)``, matching the model's exclusive ``x1``/``y1``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ocr_pipeline.model import BBox

Affine = tuple[tuple[float, float, float], tuple[float, float, float]]


def _as_affine(m: np.ndarray) -> Affine:
    return (
        (float(m[0, 0]), float(m[0, 1]), float(m[0, 2])),
        (float(m[1, 0]), float(m[1, 1]), float(m[1, 2])),
    )


def _h(m: Affine | np.ndarray) -> np.ndarray:
    out = np.eye(3)
    out[:2, :] = np.asarray(m, dtype=np.float64)
    return out


def quarter_turn_matrix(width: int, height: int, rotation: int) -> np.ndarray:
    """2x3 matrix turning a ``width`` x ``height`` page clockwise by 0/90/180/270 degrees."""
    r = rotation % 360
    if r == 0:
        return np.array([[1.0, 0, 0], [0, 1.0, 0]])
    if r == 90:
        return np.array([[0, -1.0, height], [1.0, 0, 0]])
    if r == 180:
        return np.array([[-1.0, 0, width], [0, -1.0, height]])
    if r == 270:
        return np.array([[0, 1.0, 0], [-1.0, 0, width]])
    raise ValueError(f"rotation must be a multiple of 90, not {rotation}")


@dataclass(slots=True, frozen=True)
class Transform:
    """Affine map from the source image to the preprocessed image, and back.

    ``matrix`` maps source to output (``[x', y'] = A @ [x, y, 1]``, OpenCV's ``warpAffine`` sense but in
    continuous coordinates); ``inverse`` maps output to source.
    """

    matrix: Affine
    inverse: Affine
    source_size: tuple[int, int]  # width, height of the input image
    output_size: tuple[int, int]  # width, height of the preprocessed image

    @classmethod
    def from_matrix(
        cls, matrix: np.ndarray, source_size: tuple[int, int], output_size: tuple[int, int]
    ) -> Transform:
        inv = np.linalg.inv(_h(matrix))[:2, :]
        return cls(_as_affine(np.asarray(matrix)), _as_affine(inv), source_size, output_size)

    @classmethod
    def identity(cls, width: int, height: int) -> Transform:
        return cls.from_matrix(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (width, height), (width, height))

    def then(self, matrix: np.ndarray, output_size: tuple[int, int]) -> Transform:
        """This transform followed by ``matrix`` (2x3, from this output to a new output)."""
        combined = (_h(matrix) @ _h(self.matrix))[:2, :]
        return Transform.from_matrix(combined, self.source_size, output_size)

    def to_source(self, x: float, y: float) -> tuple[float, float]:
        """A point of the preprocessed image in the coordinates of the input image."""
        (a, b, c), (d, e, f) = self.inverse
        return a * x + b * y + c, d * x + e * y + f

    def to_output(self, x: float, y: float) -> tuple[float, float]:
        """A point of the input image in the coordinates of the preprocessed image."""
        (a, b, c), (d, e, f) = self.matrix
        return a * x + b * y + c, d * x + e * y + f

    def bbox_to_source(self, bbox: BBox) -> BBox:
        """Axis-aligned box around the four mapped corners (a turned box grows a little)."""
        return _map_box(self.to_source, bbox)

    def bbox_to_output(self, bbox: BBox) -> BBox:
        return _map_box(self.to_output, bbox)

    @property
    def angle(self) -> float:
        """Total counter-clockwise rotation (degrees, as seen) from source to output, in (-180, 180]."""
        (a, b, _), _ = self.matrix
        return math.degrees(math.atan2(b, a))


def _map_box(fn: Callable[[float, float], tuple[float, float]], bbox: BBox) -> BBox:
    x0, y0, x1, y1 = bbox
    pts = [fn(x, y) for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))
