"""Layout profiles: the shipped ones load, inheritance merges, a paper's own jump wording is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr_pipeline.edition import link_continuations, parse_jumps
from ocr_pipeline.errors import ConfigError
from ocr_pipeline.model import Article, Edition, Page
from ocr_pipeline.profiles import available_profiles, load_profile


def test_shipped_profiles_load() -> None:
    names = available_profiles()
    assert {"generic", "zh-daily", "en-broadsheet"} <= set(names)
    for name in names:
        prof = load_profile(name)
        assert prof.name == name
        assert prof.jumps.compiled_out and prof.jumps.compiled_in
        assert 1 <= prof.columns[0] <= prof.columns[1]


def test_default_is_generic_and_children_inherit_its_patterns() -> None:
    generic = load_profile()
    assert generic.name == "generic" and generic.extends is None
    for name in ("zh-daily", "en-broadsheet"):
        child = load_profile(name)
        assert child.extends == "generic"
        # Inherited patterns first, then the child's own.
        assert child.jumps.out[: len(generic.jumps.out)] == generic.jumps.out
        assert child.jumps.in_[: len(generic.jumps.in_)] == generic.jumps.in_
        assert len(child.jumps.out) + len(child.jumps.in_) > len(generic.jumps.out) + len(generic.jumps.in_)
    assert load_profile("zh-daily").languages == ["zh"]
    # A zh-daily-only form: "(续第一版)" is a jump-in there, not in the generic profile.
    assert parse_jumps("(续第一版)", "generic") == []
    (j,) = parse_jumps("(续第一版)", "zh-daily")
    assert (j.direction, j.page) == ("in", 1)


def test_custom_jump_phrase_in_one_line(tmp_path: Path) -> None:
    toml = tmp_path / "tageblatt.toml"
    toml.write_text(
        'extends = "generic"\n'
        'languages = ["de"]\n'
        "columns = [4, 6]\n"
        "[jumps]\n"
        "out = ['(?i:fortsetzung\\s+auf\\s+seite)\\s*{page}']\n"
        "in = ['(?i:fortsetzung\\s+von\\s+seite)\\s*{page}']\n"
        "[headlines]\n"
        "size_ratio = 1.6\n"
        "[jumps.extra]\n"
        "note = 'kept'\n",
        encoding="utf-8",
    )
    prof = load_profile(str(toml))
    assert prof.name == "tageblatt" and prof.languages == ["de"] and prof.columns == (4, 6)
    # Unknown sections and keys stay in raw for the stages that read them.
    assert prof.raw["headlines"] == {"size_ratio": 1.6}
    assert prof.section("headlines")["size_ratio"] == 1.6
    assert prof.raw["jumps"]["extra"] == {"note": "kept"}
    assert prof.section("nothing") == {}
    (j,) = parse_jumps("der Stadtrat hat (Fortsetzung auf Seite 3)", prof)
    assert (j.direction, j.page, j.text) == ("out", 3, "(Fortsetzung auf Seite 3)")
    assert parse_jumps("Fortsetzung auf Seite 3", "generic") == []
    # Inherited patterns still work.
    assert [x.page for x in parse_jumps("Continued on Page 5", prof)] == [5]

    # And the edition stage uses the phrase to stitch a German continuation.
    a = Article(id="a", headline="Neue Brücke über den Rhein", pages=[1],
                paragraphs=["Der Stadtrat hat gestern den Bau einer neuen Brücke beschlossen, die",
                            "Fortsetzung auf Seite 3"])
    b = Article(id="b", headline="Brücke", pages=[3],
                paragraphs=["Fortsetzung von Seite 1", "im Jahr 2028 fertig sein soll."])
    ed = Edition(id="e", language="de", pages=[Page(3, "p3.png", 10, 10), Page(1, "p1.png", 10, 10)],
                 articles=[b, a])
    report = link_continuations(ed, prof, lang="de")
    assert [(ln.from_article, ln.to_article) for ln in report.links] == [("a", "b")]
    (art,) = ed.articles
    assert art.paragraphs == ["Der Stadtrat hat gestern den Bau einer neuen Brücke beschlossen, die im Jahr 2028 "
                              "fertig sein soll."]
    assert art.pages == [1, 3]


def test_replace_drops_inherited_patterns(tmp_path: Path) -> None:
    (tmp_path / "only.toml").write_text(
        'extends = "generic"\n[jumps]\nreplace = true\nout = [\'>>\\s*{page}\']\nin = [\'<<\\s*{page}\']\n',
        encoding="utf-8")
    prof = load_profile(str(tmp_path / "only.toml"))
    assert prof.jumps.out == [">>\\s*{page}"]
    assert parse_jumps("Continued on Page 5", prof) == []
    assert [(j.direction, j.page) for j in parse_jumps("text >> 5", prof)] == [("out", 5)]


def test_extends_a_sibling_file_and_env_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "base-paper.toml").write_text(
        'extends = "generic"\ncolumns = [3, 5]\n[jumps]\nout = [\'Weiter S\\.\\s*{page}\']\n', encoding="utf-8")
    (tmp_path / "child-paper.toml").write_text('extends = "base-paper"\nlanguages = ["de"]\n', encoding="utf-8")
    prof = load_profile(str(tmp_path / "child-paper.toml"))
    assert prof.columns == (3, 5) and prof.languages == ["de"]
    assert [j.page for j in parse_jumps("Weiter S. 4", prof)] == [4]
    # Named lookup through $OCR_PIPELINE_LAYOUTS.
    monkeypatch.setenv("OCR_PIPELINE_LAYOUTS", str(tmp_path))
    assert load_profile("child-paper").columns == (3, 5)
    assert "child-paper" in available_profiles()


@pytest.mark.parametrize("content,message", [
    ("columns = [5, 2]\n", "columns"),
    ("[jumps]\nout = ['(unclosed']\n", "bad jump pattern"),
    ("[jumps]\nmin_score = 3\n", "min_score"),
    ("columns = [\n", "TOML"),
    ('extends = "no-such-profile"\n', "unknown layout profile"),
])
def test_bad_profiles_raise_config_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as exc:
        load_profile(str(path))
    assert exc.value.exit_code == ConfigError.exit_code


def test_unknown_name_and_circular_extends(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="generic"):
        load_profile("no-such-layout")
    (tmp_path / "a.toml").write_text('extends = "b"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="circle"):
        load_profile(str(tmp_path / "a.toml"))
