"""The document model's JSON round-trips exactly and follows DESIGN.md's contract."""

from __future__ import annotations

import json

from ocr_pipeline import model
from ocr_pipeline.model import (
    Article,
    Block,
    BlockRef,
    Char,
    Continuation,
    Edition,
    Flag,
    Line,
    Page,
    ProcessingStep,
    Separator,
)


def make_edition() -> Edition:
    lines = [
        Line(id="l0001", bbox=(100.0, 200.0, 520.5, 232.0), text="本报讯（记者 林晓）市图书馆新馆", confidence=0.98,
             polygon=[(100.0, 200.0), (520.5, 200.0), (520.5, 232.0), (100.0, 232.0)],
             chars=[Char("本", (100.0, 200.0, 130.0, 232.0), 0.99)]),
        Line(id="l0002", bbox=(100, 240, 400, 272), text="昨日开放。", confidence=0.91),
        Line(id="l0003", bbox=(600, 200, 900, 232), text="By Ann Lee", words=[Char("By", (600, 200, 640, 232))]),
    ]
    page = Page(number=1, source="page-01.png", width=2400, height=3400, dpi=300.0, lines=lines,
                blocks=[Block(id="b001", kind="body", bbox=(100, 200, 520.5, 272), line_ids=["l0001", "l0002"],
                              columns=(0, 1), article_id="a1")],
                separators=[Separator(id="s001", kind="hrule", bbox=(90, 190, 2300, 193))],
                reading_order=["b001"], columns=[(100.0, 520.5)], rotation=90, skew=-1.25,
                provenance=[ProcessingStep(stage="ocr", name="ppocr", version="1.4.4", model="det, rec",
                                           settings={"threads": 2, "nested": {"a": [1, 2]}})])
    failed = Page(number=2, source="page-02.png", width=0, height=0, status="failed", errors=["truncated"])
    art = Article(id="a1", headline="新馆开放", byline="林晓", paragraphs=["本报讯（记者 林晓）市图书馆新馆昨日开放。"],
                  pages=[1, 3], blocks=[BlockRef(1, "b001")],
                  continuation=Continuation(from_page=1, to_page=3, jump_out="（下转第3版）"), confidence=0.94,
                  flags=[Flag(code="low-confidence", message="line l0002 below 0.95", page=1, line_id="l0002")])
    return Edition(id="zh-daily-1", title="Sample Daily", date="2025-01-02", language="zh", pages=[page, failed],
                   articles=[art])


def test_round_trip_is_exact() -> None:
    ed = make_edition()
    again = model.loads(model.dumps(ed))
    assert again == ed
    # Tuples come back as tuples, not lists, so equality is not an accident of comparison rules.
    assert isinstance(again.pages[0].lines[0].bbox, tuple)
    assert isinstance(again.pages[0].blocks[0].columns, tuple)
    assert isinstance(again.articles[0].blocks[0], BlockRef)
    assert again.articles[0].continuation == Continuation(1, 3, "（下转第3版）", "", True)


def test_round_trip_through_file(tmp_path) -> None:
    ed = make_edition()
    model.dump(ed, tmp_path / "ed" / "edition.json")
    assert model.load(tmp_path / "ed" / "edition.json") == ed
    assert not [p for p in (tmp_path / "ed").iterdir() if p.name.endswith(".tmp")]


def test_fast_and_fallback_json_writers_agree() -> None:
    """orjson writes the dataclasses itself; the json module writes them where orjson refuses (a lone
    surrogate). Both give the same compact data, with fields in the model's order."""
    ed = make_edition()
    fast = model.to_json_bytes(ed)
    assert json.loads(fast) == model.to_dict(ed)
    assert list(json.loads(fast)) == list(model.to_dict(ed))  # field order
    # Byte for byte what the json module writes in its compact form (floats here are exact in both).
    assert fast == json.dumps(model.to_dict(ed), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ed.pages[0].lines[1].text = "昨日\ud800开放"
    slow = model.to_json_bytes(ed)
    assert b"\\ud800" in slow and b'"text":"' in slow
    assert model.loads(slow) == ed and model.loads(slow.decode("utf-8")) == ed


def test_nan_comes_back_as_nan() -> None:
    """A NaN confidence (a broken engine) is written as null, which JSON can hold, and read back as NaN."""
    import math

    ed = make_edition()
    ed.pages[0].lines[1].confidence = math.nan
    ed.pages[0].lines[0].chars[0].confidence = math.nan  # type: ignore[index]
    data = model.to_json_bytes(ed)
    assert b"NaN" not in data and json.loads(data)["pages"][0]["lines"][1]["confidence"] is None
    again = model.loads(data)
    assert math.isnan(again.pages[0].lines[1].confidence)
    assert math.isnan(again.pages[0].lines[0].chars[0].confidence)  # type: ignore[index]
    assert again.pages[0].lines[1].text == ed.pages[0].lines[1].text and again.date == ed.date


def test_json_matches_contract() -> None:
    data = json.loads(model.dumps(make_edition()))
    assert {"id", "title", "date", "language", "pages", "articles"} <= data.keys()
    p = data["pages"][0]
    assert {"number", "source", "width", "height", "blocks"} <= p.keys()
    a = data["articles"][0]
    assert {"id", "headline", "byline", "paragraphs", "pages", "continuation", "confidence", "flags"} <= a.keys()
    assert a["continuation"]["from_page"] == 1 and a["continuation"]["to_page"] == 3
    assert a["paragraphs"][0].startswith("本报讯")  # ensure_ascii off: readable UTF-8


def test_unknown_keys_are_ignored_for_forward_compatibility() -> None:
    data = json.loads(model.dumps(make_edition()))
    data["future_field"] = 1
    data["articles"][0]["another"] = {"x": 1}
    assert model.from_dict(Edition, data) == make_edition()


def test_outputs_get_the_usual_file_mode(tmp_path) -> None:
    import os
    import stat

    from ocr_pipeline.util.fs import atomic_write_text

    umask = os.umask(0)
    os.umask(umask)
    atomic_write_text(tmp_path / "a.txt", "x")
    # Not mkstemp's owner-only 0600: what open() would give under the process umask (0644 under 022).
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~umask


def test_fields_missing_from_an_older_file_take_their_defaults() -> None:
    """Reading back goes through converters written out per class (the usual case: every field present);
    a field missing from the data falls back to the plain form and takes the field's default, nested too,
    and a null inside a box reads back as NaN."""
    import dataclasses
    import math

    ed = make_edition()
    data = json.loads(model.dumps(ed))
    del data["articles"][0]["flags"]
    del data["pages"][0]["lines"][0]["words"]
    data["pages"][0]["lines"][1]["bbox"][2] = None
    again = model.from_dict(Edition, data)
    defaults = {f.name: f for f in dataclasses.fields(type(ed.articles[0]))}
    assert again.articles[0].flags == defaults["flags"].default_factory()  # type: ignore[misc]
    assert again.pages[0].lines[0].words == type(ed.pages[0].lines[0])(id="x", bbox=(0, 0, 1, 1), text="").words
    assert math.isnan(again.pages[0].lines[1].bbox[2]) and again.pages[0].lines[1].bbox[:2] == ed.pages[0].lines[1].bbox[:2]
    assert again.pages[0].lines[0].chars == ed.pages[0].lines[0].chars and again.pages[1:] == ed.pages[1:]
    data["pages"][0]["lines"][1]["bbox"] = [1.0, 2.0, 3.0]
    try:  # a box of three numbers is refused, as before
        model.from_dict(Edition, data)
    except ValueError:
        pass
    else:
        raise AssertionError("a three-number box was taken")
