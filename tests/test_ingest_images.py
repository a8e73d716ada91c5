"""load_image on every image kind, rendered here with Pillow, and on every kind of bad file."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.ingest import PageSource, load_image
from ocr_pipeline.ingest.images import read_image_header, tiff_page_frames

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default()


def render_page(size: tuple[int, int] = (400, 300), text: str = "Page one", mode: str = "L") -> Image.Image:
    """A small page: white paper, black text at (20, 20), a red box at the bottom right (colour modes)."""
    bg = {"L": 255, "RGB": (255, 255, 255), "RGBA": (255, 255, 255, 255), "1": 1}[mode]
    im = Image.new(mode, size, bg)
    d = ImageDraw.Draw(im)
    d.text((20, 20), text, fill=0 if mode in ("L", "1") else (0, 0, 0), font=_font(32))
    if mode in ("RGB", "RGBA"):
        d.rectangle((size[0] - 60, size[1] - 60, size[0] - 10, size[1] - 10), fill=(255, 0, 0))
    return im


def load(path: Path, index: int = 0, **kw: object) -> np.ndarray:
    return load_image(PageSource(path=path, index=index), **kw).image  # type: ignore[arg-type]


def test_png_gray_with_dpi(tmp_path: Path) -> None:
    p = tmp_path / "page.png"
    render_page().save(p, dpi=(300, 300))
    out = load_image(PageSource(path=p))
    assert out.image.shape == (300, 400) and out.image.dtype == np.uint8
    assert out.dpi == pytest.approx(300, abs=0.1)
    # Text was drawn in the top-left corner only: ink there, paper elsewhere.
    assert out.image[20:60, 20:200].min() < 64
    assert out.image[200:, :].min() == 255


def test_jpeg_rgb_is_bgr(tmp_path: Path) -> None:
    p = tmp_path / "page.jpg"
    render_page(mode="RGB").save(p, quality=95, dpi=(200, 200))
    out = load_image(PageSource(path=p))
    assert out.image.shape == (300, 400, 3)
    b, g, r = out.image[265, 365]
    assert r > 200 and b < 60 and g < 60, "red box must come back as BGR (0, 0, 255)"
    assert out.dpi == pytest.approx(200, abs=0.5)


@pytest.mark.parametrize(("mode", "suffix"), [("RGB", "jpg"), ("RGB", "png"), ("RGBA", "png"), ("L", "jpg")])
def test_gray_load_matches_converting_afterwards(tmp_path: Path, mode: str, suffix: str) -> None:
    """``gray=True`` (colour JPEGs decoded to their luma plane) gives what converting the BGR image with
    OpenCV gives, up to rounding, and still says how many channels the file had. (Where a saturated colour
    meets white, a colour decode clips R, G or B and the luma plane does not: the red box's edge differs.)"""
    import cv2

    p = tmp_path / f"page.{suffix}"
    im = render_page(mode=mode)
    im.save(p, dpi=(300, 300))
    colour = load_image(PageSource(path=p))
    gray = load_image(PageSource(path=p), gray=True)
    assert gray.image.ndim == 2 and gray.image.dtype == np.uint8 and gray.image.flags.c_contiguous
    expected = colour.image if colour.image.ndim == 2 else cv2.cvtColor(colour.image, cv2.COLOR_BGR2GRAY)
    diff = np.abs(gray.image.astype(int) - expected)
    assert diff[:80, :240].max() <= 3, "black text on white"
    assert (diff > 3).mean() < 0.01
    assert gray.channels == colour.channels == {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    assert gray.dpi == pytest.approx(300, abs=0.5)


def test_jpeg_without_dpi_has_none(tmp_path: Path) -> None:
    p = tmp_path / "page.jpg"
    render_page().save(p)
    assert load_image(PageSource(path=p)).dpi is None


def test_multipage_tiff_frames(tmp_path: Path) -> None:
    p = tmp_path / "edition.tif"
    frames = [render_page((300 + 50 * i, 200), text=f"P{i + 1}") for i in range(3)]
    frames[0].save(p, save_all=True, append_images=frames[1:], compression="tiff_lzw")
    assert tiff_page_frames(p) == [0, 1, 2]
    for i in range(3):
        assert load(p, i).shape == (200, 300 + 50 * i)
    with pytest.raises(BadInputError, match="frame"):
        load(p, 5)


def test_tiff_thumbnail_frame_is_not_a_page(tmp_path: Path) -> None:
    from PIL import TiffImagePlugin

    p = tmp_path / "with-thumb.tif"
    # Scanners store a reduced-resolution copy as a second IFD (NewSubfileType bit 0): not a page.
    with TiffImagePlugin.AppendingTiffWriter(str(p), True) as tf:
        render_page((400, 300)).save(tf, format="TIFF", tiffinfo={254: 0})
        tf.newFrame()
        render_page((40, 30)).save(tf, format="TIFF", tiffinfo={254: 1})
        tf.newFrame()
    with Image.open(p) as im:
        assert im.n_frames == 2
    assert tiff_page_frames(p) == [0]


def test_16bit_gray_tiff_and_png_scaled(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (64, 1))
    for name in ("g16.tif", "g16.png"):
        p = tmp_path / name
        Image.fromarray(ramp).save(p)
        out = load(p)
        assert out.dtype == np.uint8 and out.shape == (64, 256)
        assert out[0, 0] == 0 and out[0, -1] == 255
        assert abs(int(out[0, 128]) - 128) <= 1


def test_16bit_rgb_tiff(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    a = np.zeros((64, 64, 3), np.uint16)
    a[..., 2] = 65535  # red (cv2 writes BGR)
    a[..., 1] = 32896
    p = tmp_path / "rgb16.tif"
    assert cv2.imwrite(str(p), a)
    out = load(p)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert tuple(int(v) for v in out[5, 5]) == pytest.approx((0, 128, 255), abs=1)


@pytest.mark.parametrize("name", ["cmyk.jpg", "cmyk.tif"])
def test_cmyk_to_bgr(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    im = Image.new("CMYK", (100, 80), (0, 0, 0, 0))  # white paper
    ImageDraw.Draw(im).rectangle((50, 40, 99, 79), fill=(0, 255, 255, 0))  # red in CMYK
    im.save(p)
    out = load(p)
    assert out.shape == (80, 100, 3)
    assert out[10, 10].min() > 240
    b, g, r = (int(v) for v in out[60, 75])
    assert r > 220 and g < 40 and b < 40


def test_rgba_composited_on_white(tmp_path: Path) -> None:
    p = tmp_path / "rgba.png"
    im = Image.new("RGBA", (200, 100), (0, 0, 0, 0))  # fully transparent black: must become white paper
    ImageDraw.Draw(im).text((10, 10), "Ink", fill=(0, 0, 0, 255), font=_font(40))
    im.save(p)
    out = load(p)
    assert out.ndim == 3
    assert out[90, 190].tolist() == [255, 255, 255]
    assert out[10:60, 10:80].min() < 50


def test_gray_alpha_stays_gray(tmp_path: Path) -> None:
    p = tmp_path / "la.png"
    im = Image.new("LA", (120, 60), (0, 0))
    ImageDraw.Draw(im).rectangle((0, 0, 59, 59), fill=(0, 255))
    im.save(p)
    out = load(p)
    assert out.ndim == 2 and out[30, 30] == 0 and out[30, 100] == 255


def test_palette_png_with_and_without_transparency(tmp_path: Path) -> None:
    rgb = render_page(mode="RGB")
    pal = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    p = tmp_path / "pal.png"
    pal.save(p)
    out = load(p)
    assert out.shape == (300, 400, 3)
    assert out[265, 365, 2] > 200 and out[265, 365, 0] < 60
    pal.info["transparency"] = pal.getpixel((0, 0))  # the paper colour becomes transparent -> white
    p2 = tmp_path / "pal-t.png"
    pal.save(p2, transparency=pal.getpixel((0, 0)))
    out2 = load(p2)
    assert out2[150, 200].tolist() == [255, 255, 255]


@pytest.mark.parametrize("name,kw", [("bw.png", {}), ("bw.tif", {"compression": "group4"})])
def test_one_bit(tmp_path: Path, name: str, kw: dict[str, str]) -> None:
    p = tmp_path / name
    render_page(mode="1").save(p, **kw)
    out = load(p)
    assert out.dtype == np.uint8 and out.ndim == 2
    assert set(np.unique(out).tolist()) == {0, 255}
    assert out[20:60, 20:200].min() == 0


def test_exif_orientation_applied(tmp_path: Path) -> None:
    p = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate 90° clockwise
    render_page((400, 300)).save(p, exif=exif)
    assert load(p).shape == (400, 300)


def test_a_jpeg_decoded_to_gray_has_pillows_pixels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A colour or gray JPEG read in grayscale is decoded by OpenCV in one call: the pixels of Pillow's own
    decoding of its luma plane; a turned, cut or unreadable one is left to Pillow."""
    import ocr_pipeline.ingest.images as images

    rng = np.random.default_rng(4)
    rgb = np.clip(rng.normal(128, 60, (300, 220, 3)), 0, 255).astype(np.uint8)
    rgb[40:120, 30:200] = (200, 30, 30)  # colour the luma weighting must agree on
    for name, img, kwargs in (("colour.jpg", Image.fromarray(rgb), {"quality": 85}),
                              ("progressive.jpg", Image.fromarray(rgb), {"quality": 60, "progressive": True}),
                              ("gray.jpg", Image.fromarray(rgb).convert("L"), {"quality": 90})):
        p = tmp_path / name
        img.save(p, **kwargs)
        with Image.open(p) as im:
            if im.mode == "RGB":
                im.draft("L", im.size)
            want = np.asarray(im.convert("L"))
        assert np.array_equal(images.load_raster(p, gray=True).image, want), name
    # What the one-call decoding gives back (None) is decoded by Pillow: a sideways page, a cut file.
    calls = []
    real = images._jpeg_luma
    monkeypatch.setattr(images, "_jpeg_luma", lambda *a: calls.append(real(*a)) or calls[-1])
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).save(tmp_path / "turned.jpg", exif=exif)
    assert images.load_raster(tmp_path / "turned.jpg", gray=True).image.shape == (220, 300)
    data = (tmp_path / "colour.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(BadInputError, match="truncated|damaged"):
        images.load_raster(tmp_path / "cut.jpg", gray=True)
    assert calls == [None, None]
    assert images.load_raster(tmp_path / "colour.jpg", gray=True).image.shape == (300, 220) and calls[-1] is not None


# --- bad inputs ------------------------------------------------------------------------------------


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def bomb_png(path: Path, w: int = 20000, h: int = 20000) -> None:
    """A valid-looking 1-bit PNG header claiming w x h px, with almost no data: a few hundred bytes."""
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _png_chunk(b"IEND", b"")
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not found") as ei:
        load(tmp_path / "nope.png")
    assert ei.value.path == str(tmp_path / "nope.png") and ei.value.exit_code == 2


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.png"
    p.write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        load(p)


@pytest.mark.parametrize("name", ["cut.png", "cut.jpg"])
def test_truncated_images_fail(tmp_path: Path, name: str) -> None:
    full = tmp_path / f"full{Path(name).suffix}"
    # Noise, so that the compressed data is long and half of it is surely missing pixels.
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 255, (200, 200), dtype=np.uint8))
    noise.save(full)
    data = full.read_bytes()
    p = tmp_path / name
    p.write_bytes(data[: len(data) // 2])
    assert load(full).shape == (200, 200)
    with pytest.raises(BadInputError, match="truncated|damaged"):
        load(p)


def test_text_file_named_png(tmp_path: Path) -> None:
    p = tmp_path / "notes.png"
    p.write_text("this is not an image\n")
    with pytest.raises(BadInputError, match="not an image"):
        load(p)


def test_decompression_bomb_rejected_before_decoding(tmp_path: Path) -> None:
    p = tmp_path / "bomb.png"
    bomb_png(p)
    assert p.stat().st_size < 1000
    with pytest.raises(BadInputError, match="limit"):
        load(p)
    bomb_png(p, 30000, 30000)  # beyond twice the limit: Pillow's own error, turned into ours
    with pytest.raises(BadInputError, match="limit"):
        load(p)


def test_max_pixels_is_honoured(tmp_path: Path) -> None:
    p = tmp_path / "page.png"
    render_page().save(p)
    with pytest.raises(BadInputError, match="limit"):
        load(p, max_pixels=100_000)
    assert load(p, max_pixels=120_000).shape == (300, 400)


@pytest.mark.parametrize("size", [(1, 1), (500, 20)])
def test_too_small(tmp_path: Path, size: tuple[int, int]) -> None:
    p = tmp_path / "tiny.png"
    Image.new("L", size, 255).save(p)
    with pytest.raises(BadInputError, match="32 px"):
        load(p)


def test_header_reads_size_without_decoding(tmp_path: Path) -> None:
    p = tmp_path / "bomb-ok.png"
    bomb_png(p, 12000, 9000)
    h = read_image_header(p)
    assert (h.width, h.height, h.frames) == (12000, 9000, 1)


def test_ocr_page_without_image(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no page image"):
        load_image(PageSource(path=tmp_path / "p.xml", kind="alto"))
