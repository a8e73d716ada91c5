"""Layout profiles: TOML files for families of papers (columns, languages, jump-line grammar, …).

A profile is looked up by name in the folders of :func:`profile_dirs` (``$OCR_PIPELINE_LAYOUTS``, then the
repository's ``layouts/`` folder beside the package) or given as a path to a ``.toml`` file. The TOML files
live only in ``layouts/``; the loader finds them relative to the package, which works for source checkouts
and editable installs.

``extends = "generic"`` inherits another profile: tables are merged key by key (the child wins), except
the ``[jumps]`` pattern lists ``out`` and ``in``, which are appended to the inherited ones so that a paper
with its own wording needs one line (``replace = true`` in ``[jumps]`` drops the inherited patterns).
Every key, known or not, stays available in :attr:`LayoutProfile.raw` for the stages that need it.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr_pipeline.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ImportError as exc:  # pragma: no cover
        raise ImportError("Python 3.10 needs the 'tomli' package to read layout profiles: pip install tomli") from exc

log = logging.getLogger(__name__)

DEFAULT_PROFILE = "generic"
LAYOUTS_ENV = "OCR_PIPELINE_LAYOUTS"

# Shorthands usable in jump patterns; each expands to a regular expression (see layouts/generic.toml).
JUMP_MACROS: dict[str, str] = {
    # Chinese page label: Arabic (half or full width) with an optional section letter, or Chinese numerals.
    # OCR reads a lone "1" as "I", "l" or "|" often enough on these lines to accept those too.
    "cnpage": r"(?P<page>[A-Za-zＡ-Ｚａ-ｚ]{0,2}\s?[0-9０-９]{1,3}|[〇零一二三四五六七八九十两兩百]{1,4}|[Il|])",
    # "（下转第二版上）": the upper/lower half of the page, only where a closing bracket follows.
    "cnpos": r"(?:\s*[上中下](?=\s*[)）〕\]】］]))?",
    # Latin page label: "7", "A4", "B-12", or a word ("Eleven", "Second", OCR-damaged "8*cond").
    "page": r"(?P<page>(?:[A-Za-z]{1,2}-?)?\d{1,3}(?![\w*?])|[A-Za-z0-9*?'’]{2,12})",
    # "Page" and its abbreviations, plus OCR slips of the capitalised word seen on old scans ("Fa?e").
    "PAGE": r"(?:(?i:pages?|pg\.?|p\.)|[PF][a?*][g?*]e)",
    # A jump head printed in capitals: "BUDGET", "WAR TAX".
    "HEAD": r"(?P<keyword>[A-Z][A-Z0-9'’&\-]+(?:[ ]+[A-Z][A-Z0-9'’&\-]+){0,3})",
}
_MACRO_RE = re.compile(r"\{(" + "|".join(JUMP_MACROS) + r")\}")


def expand_pattern(pattern: str) -> str:
    """Replace the ``{page}``-style shorthands of a jump pattern with their regular expressions."""
    return _MACRO_RE.sub(lambda m: JUMP_MACROS[m.group(1)], pattern)


@dataclass(slots=True)
class JumpGrammar:
    """Regular expressions for jump-out ("continued on") and jump-in ("continued from") markers."""

    out: list[str] = field(default_factory=list)
    in_: list[str] = field(default_factory=list)
    # Combined match score (0..1) a jump-out/jump-in pair needs to be linked.
    min_score: float = 0.45
    compiled_out: list[re.Pattern[str]] = field(default_factory=list, repr=False, compare=False)
    compiled_in: list[re.Pattern[str]] = field(default_factory=list, repr=False, compare=False)
    # All the patterns as one, without their group names: a text it finds nothing in has no jump marker (most
    # lines of a page; one search instead of one per pattern). None when the patterns cannot be joined.
    any_marker: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def compile(self, source: str = "") -> None:
        self.compiled_out = [_compile(p, source) for p in self.out]
        self.compiled_in = [_compile(p, source) for p in self.in_]
        joined = "|".join(f"(?:{_UNNAMED.sub('(?:', p.pattern)})" for p in (*self.compiled_out, *self.compiled_in))
        try:
            self.any_marker = re.compile(joined) if joined else None
        except re.error:  # a back-reference to a name, a flag for the whole pattern: each pattern on its own
            self.any_marker = None


_UNNAMED = re.compile(r"(?<!\\)\(\?P<\w+>")  # "(?P<name>", not after a backslash


def _compile(pattern: str, source: str) -> re.Pattern[str]:
    try:
        return re.compile(expand_pattern(pattern))
    except re.error as exc:
        raise ConfigError(f"bad jump pattern {pattern!r}: {exc}; fix the [jumps] section", path=source or None) from None


@dataclass(slots=True)
class LayoutProfile:
    name: str
    languages: list[str] = field(default_factory=list)
    columns: tuple[int, int] = (1, 12)
    jumps: JumpGrammar = field(default_factory=JumpGrammar)
    extends: str | None = None
    # The whole merged TOML document, unknown sections and keys included.
    raw: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    def section(self, name: str) -> dict[str, Any]:
        """A table of the profile (``profile.section("headlines")``), empty when absent."""
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}


def profile_dirs() -> list[Path]:
    """Folders searched for ``<name>.toml``, in order."""
    dirs = [Path(p) for p in os.environ.get(LAYOUTS_ENV, "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parents[1] / "layouts")
    return dirs


def available_profiles() -> list[str]:
    names: set[str] = set()
    for d in profile_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.toml"))
    return sorted(names)


def _find(name_or_path: str, near: Path | None = None) -> Path:
    candidate = Path(name_or_path)
    if name_or_path.endswith(".toml") or candidate.is_file():
        if candidate.is_file():
            return candidate
        if near is not None and (near / candidate).is_file():
            return near / candidate
        raise ConfigError(f"layout profile file {name_or_path!r} not found")
    dirs = ([near] if near is not None else []) + profile_dirs()
    for d in dirs:
        path = d / f"{name_or_path}.toml"
        if path.is_file():
            return path
    known = ", ".join(available_profiles()) or "none found"
    raise ConfigError(
        f"unknown layout profile {name_or_path!r}; choose one of: {known} (or give a path to a .toml file)"
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read layout profile: {exc}", path=str(path)) from None


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(p.stem for p in (*seen, path))
        raise ConfigError(f"layout profiles extend each other in a circle: {chain}", path=str(path))
    data = _read(path)
    parent_name = data.get("extends")
    if not parent_name:
        return data
    if not isinstance(parent_name, str):
        raise ConfigError("'extends' must be the name of a profile", path=str(path))
    parent = _resolve(_find(parent_name, near=path.parent), (*seen, path))
    merged = _merge(parent, data)
    # A profile's name is its own, never its parent's.
    merged["name"] = data.get("name") or path.stem
    # Jump patterns accumulate down the chain: the child's lines add to what it inherits.
    pj, cj = parent.get("jumps", {}), data.get("jumps", {})
    if isinstance(pj, dict) and isinstance(cj, dict) and not cj.get("replace", False):
        for key in ("out", "in"):
            inherited = list(pj.get(key, []))
            merged.setdefault("jumps", {})[key] = inherited + [p for p in cj.get(key, []) if p not in inherited]
    return merged


def _str_list(value: Any, what: str, source: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{what} must be a list of strings", path=source)


def profile_from_dict(data: dict[str, Any], *, name: str = "", source: str = "") -> LayoutProfile:
    """Build a profile from already-merged TOML data (used by :func:`load_profile` and by tests)."""
    cols = data.get("columns", [1, 12])
    if (
        not isinstance(cols, list)
        or len(cols) != 2
        or not all(isinstance(c, int) for c in cols)
        or not 1 <= cols[0] <= cols[1]
    ):
        raise ConfigError(f"columns must be [min, max] with 1 <= min <= max, not {cols!r}", path=source or None)
    jumps_raw = data.get("jumps", {})
    if not isinstance(jumps_raw, dict):
        raise ConfigError("[jumps] must be a table", path=source or None)
    min_score = jumps_raw.get("min_score", 0.45)
    if not isinstance(min_score, (int, float)) or not 0.0 <= float(min_score) <= 1.0:
        raise ConfigError(f"jumps.min_score must be between 0 and 1, not {min_score!r}", path=source or None)
    grammar = JumpGrammar(
        out=_str_list(jumps_raw.get("out"), "jumps.out", source),
        in_=_str_list(jumps_raw.get("in"), "jumps.in", source),
        min_score=float(min_score),
    )
    grammar.compile(source)
    return LayoutProfile(
        name=str(data.get("name") or name),
        languages=_str_list(data.get("languages"), "languages", source),
        columns=(cols[0], cols[1]),
        jumps=grammar,
        extends=data.get("extends"),
        raw=data,
        path=source,
    )


def load_profile(name_or_path: str = DEFAULT_PROFILE) -> LayoutProfile:
    """Load a layout profile by name ("generic", "zh-daily", "en-broadsheet") or from a ``.toml`` path."""
    path = _find(name_or_path).resolve()
    profile = profile_from_dict(_resolve(path, ()), name=path.stem, source=str(path))
    log.debug("layout profile %s loaded from %s", profile.name, path)
    return profile


_SHARED: dict[tuple[str, int], LayoutProfile] = {}


def as_profile(profile: LayoutProfile | str | None) -> LayoutProfile:
    """A profile object from a profile, a name or path, or None (the default profile).

    Names are loaded once per file version and shared, since parsing a text at a time
    (``parse_jumps(text)``) would otherwise read and compile the profile for every line.
    """
    if isinstance(profile, LayoutProfile):
        return profile
    path = _find(profile or DEFAULT_PROFILE).resolve()
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _SHARED:
        _SHARED[key] = load_profile(str(path))
    return _SHARED[key]


__all__ = [
    "DEFAULT_PROFILE",
    "JumpGrammar",
    "LayoutProfile",
    "as_profile",
    "available_profiles",
    "expand_pattern",
    "load_profile",
    "profile_dirs",
    "profile_from_dict",
]
