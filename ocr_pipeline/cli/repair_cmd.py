"""``ocr-pipeline repair``: rejoin paragraphs that a text dump cut at column ends."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ocr_pipeline.errors import BadInputError, ExportError


@click.command("repair")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the repaired text here (default: standard output).")
@click.option("--lang", type=click.Choice(["auto", "zh", "ja", "ko", "en", "de", "fr"]), default="auto",
              show_default=True, help="Language of the text; decides how pieces are joined.")
@click.option("--issues", "issues_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the counts, the uncertain places and every decision as JSON.")
@click.option("--normalize/--no-normalize", default=False, show_default=True,
              help="Also normalise punctuation (full-width in CJK text) and quotes.")
def repair(file: Path, out: Path | None, lang: str, issues_path: Path | None, normalize: bool) -> None:
    """Rejoin paragraphs of FILE that were cut inside a sentence or word.

    FILE holds blank-line separated chunks with "# " headings, as an OCR pipeline without layout analysis
    writes them. Headings, subheads and real paragraph ends are kept; places that look damaged are listed
    on standard error (and in --issues).

    \b
    Examples:
      ocr-pipeline repair page.txt -o page.fixed.txt --issues page.issues.json
      ocr-pipeline repair page.txt --lang en
    """
    from ocr_pipeline.text.repair import repair_text
    from ocr_pipeline.util.fs import atomic_write_text

    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadInputError("file not found; give the path of a UTF-8 text file", path=str(file)) from exc
    except UnicodeDecodeError as exc:
        raise BadInputError("not UTF-8 text; convert it first (e.g. iconv -t UTF-8)", path=str(file)) from exc
    except OSError as exc:
        raise BadInputError(f"cannot read: {exc.strerror}", path=str(file)) from exc

    result = repair_text(text, None if lang == "auto" else lang, normalize=normalize)
    try:
        if out is None:
            sys.stdout.write(result.text)
        else:
            atomic_write_text(out, result.text)
        if issues_path is not None:
            atomic_write_text(issues_path, json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n")
    except OSError as exc:
        raise ExportError(f"cannot write: {exc.strerror}", path=str(exc.filename or out)) from exc

    for d in result.uncertain():
        click.echo(f"uncertain: after chunk {d.index + 1}: {d.context} {d.note}".rstrip(), err=True)
    c = result.counts
    click.echo(
        f"{file.name}: {c.chunks} chunks ({c.headings} headings, {c.subheads} subheads) -> "
        f"{c.paragraphs_out} paragraphs; joins made {c.joins}, paragraph ends kept {c.kept_paragraph_ends}, "
        f"other breaks kept {c.kept_other}, uncertain {c.uncertain} [lang {result.lang}]",
        err=True,
    )
