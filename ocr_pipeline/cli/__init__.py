"""The ``ocr-pipeline`` command. Thin: parse options, call the library, print a summary, exit.

Subcommands live in their own modules and are imported only when invoked, so ``--help`` starts fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys

import click

from ocr_pipeline import __version__

# command name -> "module:attribute"; a command whose module is absent is not listed.
COMMANDS: dict[str, str] = {
    "convert": "ocr_pipeline.cli.convert_cmd:convert",
    "engines": "ocr_pipeline.cli.engines_cmd:engines",
    "samples": "ocr_pipeline.cli.samples_cmd:samples",
    "evaluate": "ocr_pipeline.cli.evaluate_cmd:evaluate",
    "inspect": "ocr_pipeline.cli.inspect_cmd:inspect_page",
    "repair": "ocr_pipeline.cli.repair_cmd:repair",
    "export": "ocr_pipeline.cli.export_cmd:export",
    "report": "ocr_pipeline.cli.report_cmd:report",
    "rebuild": "ocr_pipeline.cli.rebuild_cmd:rebuild",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n, t in COMMANDS.items() if importlib.util.find_spec(t.partition(":")[0]) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        if importlib.util.find_spec(module) is None:
            return None
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ocr-pipeline")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Turn scanned newspaper pages into articles: OCR, layout, reading order, continuations, exports.

    \b
    Examples:
      ocr-pipeline engines
      ocr-pipeline convert samples/zh-daily-1/scanned -o output/
      ocr-pipeline convert page-01.png page-02.png -o output/ --lang zh
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def main() -> None:
    from ocr_pipeline.errors import OcrPipelineError

    try:
        # Without standalone mode click returns the code a command exits with instead of exiting.
        rc = cli(standalone_mode=False)
    except OcrPipelineError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(rc if isinstance(rc, int) else 0)
