"""Decoding page images (PNG, JPEG, TIFF and what else Pillow reads) into 8-bit grayscale or BGR arrays."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.ingest.types import PageImage, PageSource

logger = logging.getLogger(__name__)

MIN_SIDE = 32
DEFAULT_MAX_PIXELS = 200_000_000

# TIFF NewSubfileType: bit 0 marks a reduced-resolution copy (a thumbnail), not a page.
_TAG_NEW_SUBFILE_TYPE = 254


@dataclass(slots=True)
class ImageHeader:
    width: int
    height: int
    dpi: float | None
    frames: int = 1


def _dpi_from_info(info: Mapping[Any, Any]) -> float | None:
    dpi = info.get("dpi")
    if isinstance(dpi, (tuple, list)) and dpi:
        try:
            value = float(dpi[0])
        except (TypeError, ValueError):
            return None
        # 1 and 72 are what software writes when it does not know; neither is a scan resolution.
        if 50 <= value <= 5000 and abs(value - 72) > 0.01:
            return round(value, 2)  # PNG stores pixels per metre: 300 dpi comes back as 299.9994
    return None


_ORIENTATION = 0x0112  # the EXIF tag of a camera's turn


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open (header only) with our pixel limit; Pillow's bomb checks become ``BadInputError``."""
    if not path.exists():
        raise BadInputError("file not found; check the path", path=str(path))
    if not path.is_file():
        raise BadInputError("not a regular file; give an image, a PDF or a folder", path=str(path))
    size = path.stat().st_size
    if size == 0:
        raise BadInputError("file is empty (0 bytes); copy it again from the source", path=str(path))
    # Pillow checks MAX_IMAGE_PIXELS when it reads the header: raise it to our limit so that our own check
    # (with a message that says what to do) decides, and Pillow's warning for 1-2x the limit is an error.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        logger.debug("%s: %s", path, exc)
        raise _bomb(path, max_pixels, "found by Pillow while reading the header") from None
    except UnidentifiedImageError:
        raise BadInputError(
            "not an image Pillow can read (wrong suffix or damaged file); convert it to PNG, JPEG or TIFF",
            path=str(path),
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInputError(f"cannot read the image header ({exc}); the file is damaged", path=str(path)) from None
    # The whole file to the decoder at once: Pillow feeds it 64 KB at a time, and takes the interpreter back
    # after each, which beside another thread's Python work (a page is decoded while the one before is laid
    # out) made an 8-megapixel JPEG take 130 ms instead of 17.
    im.decodermaxblock = max(im.decodermaxblock, size + 1)
    return im


def _bomb(path: Path, max_pixels: int, detail: str) -> BadInputError:
    return BadInputError(
        f"image is larger than the limit of {max_pixels} pixels ({detail}): a damaged file or a decompression "
        "bomb; if it is a real page, scale it down or raise the max_pixels setting",
        path=str(path),
    )


def _check_size(im: Image.Image, path: Path, max_pixels: int) -> None:
    w, h = im.size
    if w * h > max_pixels:
        raise _bomb(path, max_pixels, f"{w}x{h} px")
    if min(w, h) < MIN_SIDE:
        raise BadInputError(
            f"image is only {w}x{h} px; a page needs at least {MIN_SIDE} px a side (scan at 300 dpi)",
            path=str(path),
        )


def _frame_is_thumbnail(im: Image.Image) -> bool:
    tags = getattr(im, "tag_v2", None)
    if tags is None:
        return False
    try:
        return bool(int(tags.get(_TAG_NEW_SUBFILE_TYPE, 0)) & 1)
    except (TypeError, ValueError):
        return False


def tiff_page_frames(path: Path) -> list[int]:
    """Frame indices of a (multi-page) TIFF that are pages, skipping stored thumbnails.

    Reads headers only. An unreadable file gives ``[0]``: it is listed as one page and fails with a clear
    message when loaded, so that the page count stays right for the others.
    """
    try:
        with Image.open(path) as im:
            n = getattr(im, "n_frames", 1)
            frames = []
            for i in range(n):
                im.seek(i)
                if not _frame_is_thumbnail(im):
                    frames.append(i)
            return frames or [0]
    except Exception as exc:  # a broken file is reported when the page is loaded
        logger.debug("%s: cannot count frames (%s)", path, exc)
        return [0]


def read_image_header(path: Path, *, frame: int = 0, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageHeader:
    """Size, DPI and frame count without decoding pixels."""
    im = _open(path, max_pixels)
    with im:
        frames = getattr(im, "n_frames", 1)
        if frame:
            im.seek(frame)
        return ImageHeader(width=im.size[0], height=im.size[1], dpi=_dpi_from_info(im.info), frames=frames)


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    """Scale 16/32-bit integer or float samples to 0..255."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind == "f":
        a = np.nan_to_num(arr.astype(np.float32))
        hi = float(a.max()) if a.size else 1.0
        a = a * 255.0 if hi <= 1.0 else a
        return np.clip(np.rint(a), 0, 255).astype(np.uint8)
    a = arr.astype(np.int64) if arr.dtype.kind == "i" else arr
    hi = int(a.max()) if a.size else 0
    if hi <= 255 and arr.dtype.itemsize == 1:
        return a.astype(np.uint8)
    # 16-bit samples use the full 0..65535 range; anything wider is scaled by its own maximum.
    full = 65535 if hi <= 65535 else hi
    return np.clip(np.rint(np.clip(a, 0, None) * (255.0 / full)), 0, 255).astype(np.uint8)


def _flatten_alpha(im: Image.Image) -> Image.Image:
    """Composite on white: transparent page areas are paper, not black."""
    rgba = im.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _to_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode == "1":
        return np.asarray(im.convert("L"))
    if mode == "L":
        return np.asarray(im)
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        return _to_uint8(np.asarray(im))
    if mode in ("LA", "La"):
        return np.asarray(_flatten_alpha(im).convert("L"))
    if mode == "P" and "transparency" in im.info or mode in ("RGBA", "PA", "RGBa"):
        im = _flatten_alpha(im)
    elif mode != "RGB":
        # CMYK, YCbCr, LAB, palette: Pillow converts to RGB (Adobe's inverted CMYK JPEGs are handled by its decoder).
        im = im.convert("RGB")
    rgb = np.asarray(im)
    if rgb.dtype != np.uint8:
        rgb = _to_uint8(rgb)
    if rgb.ndim == 2:
        return rgb
    import cv2

    # RGB -> BGR in OpenCV's vectorised loop: numpy's copy of a reversed view took 50 ms a page.
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _jpeg_luma(path: Path, im: Image.Image, exif_transpose: bool) -> np.ndarray | None:
    """The luma plane of a whole 8-bit JPEG decoded by OpenCV in one call, without the interpreter: the pixels
    of Pillow's decoding (the same libjpeg-turbo, told to leave the colour planes out): 12 ms for a sample page
    against Pillow's 16, which go back into Python between steps (the next page is decoded beside the layout's
    Python; beside a thread running Python all along, Pillow took 45 ms).
    None for what OpenCV is not to decode: a file cut short (no end marker: Pillow's decoding fails on it as it
    should), a page to turn as its EXIF says, a file OpenCV cannot read."""
    import cv2

    if exif_transpose and im.getexif().get(_ORIENTATION, 1) != 1:
        return None
    data = np.fromfile(path, dtype=np.uint8)
    if data.size < 4 or data[-2] != 0xFF or data[-1] != 0xD9:
        return None
    arr = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
    return arr if arr is not None and arr.shape == (im.height, im.width) else None


def load_raster(
    path: Path,
    *,
    frame: int = 0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    exif_transpose: bool = True,
    gray: bool = False,
) -> PageImage:
    """Decode one image file (frame ``frame`` of a multi-page TIFF) fully; never returns partial pixels.

    ``gray``: return grayscale whatever the source. A colour JPEG is then decoded to its luma plane
    directly (the decoder skips the colour planes: 13 ms instead of 62 ms for an 8-megapixel page), which
    is the same weighting of R, G and B as ``cv2.COLOR_BGR2GRAY`` up to rounding."""
    im = _open(path, max_pixels)
    with im:
        if frame:
            n = getattr(im, "n_frames", 1)
            if frame >= n:
                raise BadInputError(f"image has {n} frame(s), frame {frame + 1} requested", path=str(path))
            try:
                im.seek(frame)
            except (EOFError, OSError) as exc:
                raise BadInputError(f"cannot read frame {frame + 1} ({exc})", path=str(path)) from None
        _check_size(im, path, max_pixels)
        dpi = _dpi_from_info(im.info)
        channels = len(im.getbands())
        if gray and im.format == "JPEG" and im.mode in ("L", "RGB") and not frame:
            arr = _jpeg_luma(path, im, exif_transpose)
            if arr is not None:
                return PageImage(image=arr, dpi=dpi, channels=channels)
        if gray and im.format == "JPEG" and im.mode == "RGB":
            im.draft("L", im.size)  # same size: no DCT scaling, only the colour conversion left out
        prev = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False  # a cut-off file must fail, not come back half grey
        try:
            im.load()
            if exif_transpose and im.getexif().get(_ORIENTATION, 1) != 1:
                # Only a turned page: without a turn to make, Pillow returns a copy of the page (1.5 ms).
                im = ImageOps.exif_transpose(im) or im
            arr = _to_array(im)
            if gray and arr.ndim == 3:
                import cv2

                arr = cv2.cvtColor(arr, cv2.COLOR_BGR2GRAY)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _bomb(path, max_pixels, "found by Pillow while decoding") from None
        except MemoryError:
            raise _bomb(path, max_pixels, "out of memory while decoding") from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
            raise BadInputError(
                f"image data is damaged or truncated ({exc}); copy or export the file again", path=str(path)
            ) from None
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = prev
    return PageImage(image=arr, dpi=dpi, channels=channels)


def load_image(
    src: PageSource, *, dpi: int = 300, max_pixels: int = DEFAULT_MAX_PIXELS, gray: bool = False
) -> PageImage:
    """Decode a page: an image file (frame ``src.index``), a PDF page rasterised at ``dpi``, or the image
    beside an ALTO/PAGE file. Returns uint8 grayscale (H, W) or BGR (H, W, 3), grayscale always with
    ``gray`` (cheaper than converting afterwards); raises ``BadInputError``."""
    if src.kind in ("alto", "page"):
        if src.image_path is None:
            raise BadInputError(
                "no page image found beside this OCR file; put the image next to it with the same name",
                path=str(src.path),
            )
        # Coordinates in the OCR file refer to the stored pixels, so EXIF rotation is not applied here.
        return load_raster(src.image_path, max_pixels=max_pixels, exif_transpose=False, gray=gray)
    if src.kind == "pdf" or _looks_like_pdf(src.path):
        from ocr_pipeline.ingest.pdf import render_pdf_page

        return render_pdf_page(src, dpi=dpi, max_pixels=max_pixels, gray=gray)
    return load_raster(src.path, frame=src.index, max_pixels=max_pixels, gray=gray)


def _looks_like_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"%PDF-" in fh.read(1024)
    except OSError:
        return False
