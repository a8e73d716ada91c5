"""``ocr-pipeline inspect``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=None,
              help="PNG to write (default: <page>.layout.png beside the input).")
@click.option("--page", "page_no", type=int, default=1, show_default=True,
              help="Page number, when TARGET is a converted edition folder.")
@click.option("--engine", default="ppocr", show_default=True, help="OCR engine for image pages.")
@click.option("--lang", default="zh", show_default=True)
@click.option("--width", default=1600, show_default=True, help="Width of the picture in pixels.")
def inspect_page(target: Path, out: Path | None, page_no: int, engine: str, lang: str, width: int) -> None:
    """Draw a page's blocks (coloured by kind), articles and reading order on the page.

    TARGET is a page (image, PDF, ALTO or PAGE file; it is converted first) or a converted edition
    folder (drawn from its edition.json and saved page image, without OCR).

    \b
    Examples:
      ocr-pipeline inspect samples/zh-daily-1/scanned/page-01.jpg -o page.png
      ocr-pipeline inspect output/zh-daily-1 --page 2 -o page2.png
    """
    from ocr_pipeline.layout.draw import render_layout

    image = None
    if target.is_dir() and (target / "edition.json").is_file():
        from ocr_pipeline import model

        edition = model.load(target / "edition.json")
        page = edition.page(page_no)
        img_path = target / "pages" / f"page-{page_no:02d}.jpg"
        if img_path.is_file():
            import cv2

            image = cv2.imread(str(img_path), cv2.IMREAD_GRAYSCALE)
        default_out = target / f"page-{page_no:02d}.layout.png"
    else:
        from ocr_pipeline.ingest import discover
        from ocr_pipeline.pipeline import Converter
        from ocr_pipeline.settings import ConvertSettings

        editions = discover([target])
        if not editions or not editions[0].pages:
            raise click.ClickException(f"{target}: no page found to inspect")
        src = editions[0].pages[min(page_no, len(editions[0].pages)) - 1]
        from ocr_pipeline.model import Edition
        from ocr_pipeline.pipeline import assemble_edition

        res = Converter(ConvertSettings(engine=engine, lang=lang)).convert_page(src, page_no)
        page, image = res.page, res.image
        # Articles get their ids when they are composed: without this the drawing has no article colours.
        assemble_edition(Edition(id=target.stem, language=lang, pages=[page]), [res], lang)
        default_out = target.with_name(target.stem + ".layout.png")
    picture = render_layout(page, image, max_width=width)
    dest = out or default_out
    picture.save(dest)
    kinds: dict[str, int] = {}
    for b in page.blocks:
        kinds[b.kind] = kinds.get(b.kind, 0) + 1
    articles = len({b.article_id for b in page.blocks if b.article_id})
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    click.echo(f"{dest}: {len(page.blocks)} blocks ({summary}), {articles} articles")
