"""The ``slant corpus`` commands (run, report, query); mounted on the main CLI in slant.cli.

Imports here stay light: pyarrow, DuckDB, Dask and matplotlib load only in the command that
needs them, so ``slant --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import csv
import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

corpus_app = typer.Typer(
    help="Analyse whole corpora: resumable batch runs, an HTML report, SQL over the results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstrings wrap like prose: single line breaks are not kept
)


def _consoles() -> tuple[Any, Any]:
    from slant.cli import err, out  # the main CLI's consoles (imported late: no cycle)

    return out, err


def _fail(message: str, code: int = 2) -> None:
    _, err = _consoles()
    err.print(f"[red]error:[/] {escape(message)}", markup=True)
    raise typer.Exit(code)


def _need_extra() -> None:
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        _fail("slant corpus needs its extra dependencies: pip install 'slant[corpus]'")


@corpus_app.command("run")
def run_command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Folders (searched recursively for .txt/.html/.jsonl/.csv/.parquet), article "
            "files, or JSONL/CSV/TSV/Parquet files with `id` and `text` or `html` columns."
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Results folder (resumable).")],
    engine: Annotated[str, typer.Option(help="local (processes here) or dask.")] = "local",
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per CPU).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Join a running Dask cluster, e.g. tcp://10.0.0.5:8786 (dask engine)."),
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Lexical-only fast mode (no neural encoder).")
    ] = False,
    accurate: Annotated[
        bool,
        typer.Option(
            "--accurate",
            help="Techniques also read with multilingual-e5-small: more accurate, over ten "
            "times slower (needs slant's 'accurate' extra).",
        ),
    ] = False,
    model: Annotated[
        Path | None, typer.Option(help="Model directory (default: the model shipped with slant).")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="ISO 639-1 code for every article; detected when omitted.")
    ] = None,
    part_size: Annotated[
        int, typer.Option(help="Commit results every N articles (one Parquet part each).")
    ] = 2000,
    flush_seconds: Annotated[
        float, typer.Option(help="...or every S seconds, whichever comes first.")
    ] = 60.0,
    chunk_size: Annotated[int, typer.Option(help="Articles per task sent to a worker.")] = 16,
    threads: Annotated[
        int | None,
        typer.Option(help="BLAS threads per worker (default: the CPUs shared among the workers)."),
    ] = None,
) -> None:
    """Analyse a corpus into Parquet tables; rerun the same command to resume after a crash."""
    _need_extra()
    from slant.corpus.run import run_corpus
    from slant.errors import SlantError

    _, err = _consoles()
    if scheduler and engine == "local":
        engine = "dask"  # --scheduler only makes sense with Dask
    progress = _RichProgress(err)
    # SIGTERM (kill, batch schedulers) stops like Ctrl-C: finished work is committed first
    previous = None
    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with progress:
            summary = run_corpus(
                inputs,
                out_dir,
                engine=engine,
                workers=workers,
                scheduler=scheduler,
                model=model,
                fast=fast,
                accurate=accurate,
                language=language,
                threads=threads,
                chunk_size=max(1, chunk_size),
                part_size=max(1, part_size),
                flush_seconds=flush_seconds,
                progress=progress,
            )
    except SlantError as exc:
        _fail(str(exc))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    _print_summary(summary, err)
    if summary.interrupted:
        raise typer.Exit(130)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _print_summary(summary: Any, console: Any) -> None:
    state = "interrupted" if summary.interrupted else "finished"
    console.print(
        f"{state}: [bold]{summary.done:,}[/] analysed, {summary.failed:,} failed, "
        f"{summary.skipped:,} skipped (already done)"
        + (f", {summary.duplicates:,} duplicate ids ignored" if summary.duplicates else "")
        + f" in {summary.seconds:,.1f} s ({summary.rate:,.1f} articles/s, {summary.engine} engine,"
        f" {summary.workers} worker{'s' if summary.workers != 1 else ''})",
        markup=True,
        highlight=False,
    )
    console.print(f"results: {escape(summary.out)}", highlight=False)
    if summary.failed:
        console.print(
            "failed articles are listed in the errors table: "
            f'slant corpus query {escape(summary.out)} "SELECT * FROM errors"',
            highlight=False,
        )
    if summary.interrupted:
        console.print("rerun the same command to go on where it stopped", highlight=False)


class _RichProgress:
    """A Rich progress bar (on stderr) with rate and ETA, fed by the run's callbacks."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.1f}/s" if speed else "--/s")

        self.bar = Progress(
            SpinnerColumn(),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            Rate(),
            TextColumn("ETA"),
            TimeRemainingColumn(compact=True),
            TextColumn("{task.fields[status]}"),
            console=console,
            speed_estimate_period=60,
        )
        self.task = self.bar.add_task("analysing", total=None, status="")

    def __enter__(self) -> _RichProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def total(self, n: int) -> None:
        self.bar.update(self.task, total=n)

    def advance(self, n: int, summary: Any) -> None:
        self.bar.update(
            self.task,
            advance=n,
            status=f"ok {summary.done:,} · failed {summary.failed:,} · skipped {summary.skipped:,}",
        )

    def warn(self, message: str) -> None:
        self.bar.console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)


@corpus_app.command("report")
def report_command(
    results_dir: Annotated[Path, typer.Argument(help="Results folder of `slant corpus run`.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    title: Annotated[str | None, typer.Option(help="Report title.")] = None,
    examples: Annotated[int, typer.Option(help="Example spans shown per technique.")] = 5,
    top_sources: Annotated[int, typer.Option(help="Sources shown (by article count).")] = 15,
) -> None:
    """Write a self-contained HTML report of the results (prevalence, targets, examples)."""
    _need_extra()
    from slant.corpus.report import write_report
    from slant.errors import SlantError

    _, err = _consoles()
    try:
        stats = write_report(
            results_dir, out_file, title=title, examples=examples, top_sources=top_sources
        )
    except SlantError as exc:
        _fail(str(exc))
    err.print(
        f"wrote {escape(str(out_file))} ({stats['articles']:,} articles, "
        f"{stats['bytes'] / 1024:,.0f} kB)",
        highlight=False,
    )


@corpus_app.command("query")
def query_command(
    results_dir: Annotated[Path, typer.Argument(help="Results folder of `slant corpus run`.")],
    sql: Annotated[
        str,
        typer.Argument(
            help="DuckDB SQL over the tables articles, paragraphs, spans, targets, errors."
        ),
    ],
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (all rows).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per row.")] = False,
    max_rows: Annotated[int, typer.Option(help="Rows shown in the table view.")] = 200,
) -> None:
    """Run DuckDB SQL over the results and print a table (or CSV/JSON lines for all rows)."""
    _need_extra()
    from slant.corpus.query import run_query
    from slant.errors import SlantError

    out, err = _consoles()
    try:
        columns, rows = run_query(results_dir, sql)
        if as_csv:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(v, csv_mode=True) for v in row])
            return
        if as_json:
            for row in rows:
                sys.stdout.write(
                    json.dumps(
                        dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False
                    )
                    + "\n"
                )
            return
        _print_table(columns, rows, max_rows, out, err)
    except SlantError as exc:
        _fail(str(exc))


def _cell(value: Any, csv_mode: bool = False) -> str:
    if value is None:
        return "" if csv_mode else "NULL"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _print_table(columns: list[str], rows: Any, max_rows: int, out: Any, err: Any) -> None:
    from rich.table import Table

    table = Table(show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    shown = more = 0
    for row in rows:
        if shown < max_rows:
            table.add_row(*(escape(_cell(v)) for v in row))
            shown += 1
        else:
            more += 1
    out.print(table)
    if more:
        err.print(f"{more:,} more rows not shown (use --max-rows, --csv or --json)")
    else:
        err.print(f"{shown:,} row{'s' if shown != 1 else ''}")
