"""The document model: the contract between pipeline stages.

Typed dataclasses; pixel coordinates of the page image, origin top-left; stable string ids.
Later stages refer to earlier objects by id (a block lists line ids, an article lists block refs).

JSON round-trips exactly: ``edition_from_dict(edition_to_dict(e)) == e``. Fields that are empty or
``None`` are still written, so the JSON shape never depends on the content.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import orjson

SCHEMA_VERSION = 1

# Block kinds recognised by the layout stage (issue 4); "text" is the kind before classification.
BLOCK_KINDS = (
    "text",
    "masthead",
    "folio",
    "headline",
    "subhead",
    "byline",
    "body",
    "caption",
    "photo",
    "jump",
    "advertisement",
    "other",
)

BBox = tuple[float, float, float, float]
"""x0, y0, x1, y1 in page pixels; x1/y1 exclusive."""

Point = tuple[float, float]


@dataclass(slots=True)
class ProcessingStep:
    """Provenance: one stage that touched the data (engine, model, version, settings)."""

    stage: str
    name: str
    version: str = ""
    model: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Char:
    text: str
    bbox: BBox
    confidence: float = 1.0


@dataclass(slots=True)
class Line:
    id: str
    bbox: BBox
    text: str
    confidence: float = 1.0
    polygon: list[Point] | None = None
    chars: list[Char] | None = None
    # Per-word boxes where the engine reports words (Tesseract, ALTO Strings); text joined by spaces.
    words: list[Char] | None = None


@dataclass(slots=True)
class Block:
    id: str
    kind: str
    bbox: BBox
    line_ids: list[str] = field(default_factory=list)
    # First and last column index (0-based) the block spans; None where columns are unknown.
    columns: tuple[int, int] | None = None
    article_id: str | None = None


@dataclass(slots=True)
class Separator:
    """A printed rule (kind "hrule" / "vrule") or a photo/graphic region (kind "graphic")."""

    id: str
    kind: str
    bbox: BBox


@dataclass(slots=True)
class Flag:
    """Something a reviewer should look at, with the reason and where it is."""

    code: str
    message: str
    severity: float = 0.5
    page: int | None = None
    block_id: str | None = None
    line_id: str | None = None
    article_id: str | None = None


@dataclass(slots=True)
class Page:
    number: int
    source: str
    width: int
    height: int
    dpi: float | None = None
    lines: list[Line] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    separators: list[Separator] = field(default_factory=list)
    reading_order: list[str] = field(default_factory=list)
    # Index of the page within its source file (multi-page TIFF, PDF), 0-based.
    source_index: int = 0
    # Clockwise rotation (0/90/180/270) and skew (degrees) corrected by preprocessing.
    rotation: int = 0
    skew: float = 0.0
    # Column boundaries found on the page, as (x0, x1) pairs in page pixels.
    columns: list[tuple[float, float]] = field(default_factory=list)
    status: str = "ok"  # "ok" | "failed"
    errors: list[str] = field(default_factory=list)
    provenance: list[ProcessingStep] = field(default_factory=list)

    def line_map(self) -> dict[str, Line]:
        return {ln.id: ln for ln in self.lines}

    def block_map(self) -> dict[str, Block]:
        return {b.id: b for b in self.blocks}


@dataclass(slots=True)
class BlockRef:
    page: int
    block_id: str


@dataclass(slots=True)
class Continuation:
    """Where a stitched (or unmatched) article jumps: from page -> to page, and the jump lines seen."""

    from_page: int
    to_page: int
    jump_out: str = ""
    jump_in: str = ""
    matched: bool = True


@dataclass(slots=True)
class Article:
    id: str
    headline: str = ""
    kind: str = "news"  # "news" | "photo" | "continuation"
    subheads: list[str] = field(default_factory=list)
    byline: str = ""
    dateline: str = ""
    paragraphs: list[str] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    blocks: list[BlockRef] = field(default_factory=list)
    continuation: Continuation | None = None
    confidence: float = 1.0
    flags: list[Flag] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Edition:
    id: str
    title: str = ""
    date: str = ""
    language: str = ""
    pages: list[Page] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    provenance: list[ProcessingStep] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def page(self, number: int) -> Page:
        for p in self.pages:
            if p.number == number:
                return p
        raise KeyError(number)


# --- JSON ------------------------------------------------------------------------------------------

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, float, bool, type(None))


def to_dict(obj: Any) -> Any:
    """Dataclass tree -> plain JSON-able data (tuples become lists).

    Field names are looked up once per class: an edition with character boxes has ~100,000 objects."""
    t = type(obj)
    if t in _SCALARS:
        return obj
    if t is list or t is tuple:
        return [v if type(v) in _SCALARS else to_dict(v) for v in obj]
    if t is dict:
        return {str(k): to_dict(v) for k, v in obj.items()}
    names = _FIELD_NAMES.get(t)
    if names is None:
        if not (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
            return obj
        names = _FIELD_NAMES[t] = tuple(f.name for f in dataclasses.fields(obj))
    return {n: (v if type(v := getattr(obj, n)) in _SCALARS else to_dict(v)) for n in names}


Converter = typing.Callable[[Any], Any]
_CONVERTERS: dict[Any, Converter] = {}


def _identity(value: Any) -> Any:
    return value


def _float(value: Any) -> Any:
    """A float field: JSON null is NaN (orjson writes NaN, which JSON cannot hold, as null; a broken engine's
    confidence can be NaN, and it must come back as the float it was, not as None)."""
    return math.nan if value is None else value


def _converter(tp: Any) -> Converter:
    """A function turning plain JSON data into a value of type ``tp``; built once per type."""
    cached = _CONVERTERS.get(tp)
    if cached is not None:
        return cached
    origin = typing.get_origin(tp)
    conv: Converter
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _converter(args[0]) if len(args) == 1 else _identity
        conv = lambda v: None if v is None else inner(v)  # noqa: E731
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(tp)]
        conv = _dataclass_converter(tp, fields)
    elif origin is list:
        (arg,) = typing.get_args(tp)
        item = _converter(arg)
        conv = _identity if item is _identity else (lambda v: [item(x) for x in v])
    elif origin is tuple:
        targs = typing.get_args(tp)
        if len(targs) == 2 and targs[1] is Ellipsis:
            one = _converter(targs[0])
            conv = lambda v: tuple(one(x) for x in v)  # noqa: E731
        elif targs and all(a is float for a in targs):
            conv = _float_tuple_converter(len(targs))
        else:
            convs = [_converter(a) for a in targs]
            conv = lambda v: tuple(c(x) for c, x in zip(convs, v, strict=True))  # noqa: E731
    elif origin is dict:
        conv = dict
    elif tp is float:
        conv = _float
    else:
        conv = _identity
    _CONVERTERS[tp] = conv
    return conv


def _dataclass_converter(cls: type, fields: list[tuple[str, Converter]]) -> Converter:
    """``cls(**{name: conv(data[name]) for each field in data})``, with the usual case (every field present)
    written out as one call: reading an edition back makes a hundred thousand of these, and the generic form
    took three times as long."""

    def generic(data: Any) -> Any:
        return cls(**{name: c(data[name]) for name, c in fields if name in data})

    if not all(name.isidentifier() for name, _ in fields):
        return generic
    env: dict[str, Any] = {"cls": cls, "generic": generic}
    args = []
    for i, (name, c) in enumerate(fields):
        if c is _identity:
            args.append(f"{name}=data[{name!r}]")
        elif c is _float:
            args.append(f"{name}=_nan if (v := data[{name!r}]) is None else v")
            env["_nan"] = math.nan
        else:
            env[f"c{i}"] = c
            args.append(f"{name}=c{i}(data[{name!r}])")
    # A field missing from the data (an older file) takes its default: the generic form, which leaves it out.
    src = (f"def conv(data):\n    try:\n        return cls({', '.join(args)})\n"
           f"    except KeyError:\n        return generic(data)\n")
    exec(compile(src, f"<model converter for {cls.__name__}>", "exec"), env)
    return env["conv"]  # type: ignore[no-any-return]


def _float_tuple_converter(n: int) -> Converter:
    """``tuple(_float(x) for x in v)`` for a list of exactly ``n`` numbers (a box), written out."""
    names = [f"x{i}" for i in range(n)]
    src = (f"def conv(v):\n    {', '.join(names)}, = v\n"
           f"    return ({', '.join(f'_nan if {x} is None else {x}' for x in names)},)\n")
    env: dict[str, Any] = {"_nan": math.nan}
    exec(compile(src, f"<model converter for {n} floats>", "exec"), env)
    return env["conv"]  # type: ignore[no-any-return]


T = typing.TypeVar("T")


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Plain data -> dataclass of type ``cls``; unknown keys are ignored (forward compatible)."""
    return _converter(cls)(data)  # type: ignore[no-any-return]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(text: str) -> str:
    """JSON text with each lone surrogate written as its escape, so that UTF-8 can carry it."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON of a dataclass tree (or plain data), keys in field order.

    orjson walks the dataclasses itself, five times faster than ``to_dict`` and the json module. A lone
    surrogate, which OCR of damaged input can produce and UTF-8 cannot carry (orjson refuses it), is
    written by the json module as its JSON escape instead, in the same compact form, so the file still
    round-trips exactly."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError:
        return _escape_surrogates(json.dumps(to_dict(data), ensure_ascii=False, separators=(",", ":"))).encode("utf-8")


def from_json(data: bytes | str) -> Any:
    """Plain data from JSON text; the json module takes what orjson refuses (escaped lone surrogates)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(edition: Edition, *, indent: int | None = None) -> str:
    """JSON text of an edition. Compact by default (an edition with character boxes is tens of MB
    indented); see ``to_json_bytes``."""
    if indent is None:
        return to_json_bytes(edition).decode("utf-8")
    return _escape_surrogates(json.dumps(to_dict(edition), ensure_ascii=False, indent=indent))


def loads(text: bytes | str) -> Edition:
    return from_dict(Edition, from_json(text))


def dump(edition: Edition, path: str | Path) -> None:
    """Write edition.json atomically (temporary name, then rename)."""
    from ocr_pipeline.util.fs import atomic_write_bytes

    atomic_write_bytes(Path(path), to_json_bytes(edition) + b"\n")


def load(path: str | Path) -> Edition:
    return loads(Path(path).read_bytes())


def load_edition_folder(folder: str | Path) -> Edition:
    """The edition of a folder written by ``convert`` (its ``edition.json``); ``BadInputError`` with a
    message saying what to give instead when there is none or it cannot be read."""
    from ocr_pipeline.errors import BadInputError

    source = Path(folder) / "edition.json"
    if not source.is_file():
        raise BadInputError("no edition.json here; give a folder written by `ocr-pipeline convert`",
                            path=str(folder))
    try:
        return load(source)
    except (ValueError, TypeError, KeyError) as exc:
        raise BadInputError(f"cannot read edition.json: {exc}", path=str(source)) from exc


# --- small geometry helpers used everywhere ---------------------------------------------------------

def bbox_union(boxes: typing.Iterable[BBox]) -> BBox:
    xs0, ys0, xs1, ys1 = zip(*boxes, strict=True)
    return (min(xs0), min(ys0), max(xs1), max(ys1))


def bbox_height(b: BBox) -> float:
    return b[3] - b[1]


def bbox_width(b: BBox) -> float:
    return b[2] - b[0]
