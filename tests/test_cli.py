"""The ``slant`` command line, run in-process with Typer's CliRunner and the tiny model.

In the installed Typer (>= 0.16), ``CliRunner`` has no ``mix_stderr`` argument: ``result.stdout``
and ``result.stderr`` are always captured apart, and ``result.output`` is both interleaved.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURE_ARTICLES, FIXTURE_CORPUS, read_article
from typer.testing import CliRunner, Result

import slant.analyzer
from slant import Analyzer
from slant.cli import app
from slant.ingest import DEFAULT_MAX_BYTES
from slant.labels import FRAMES, GENRES, TECHNIQUES

runner = CliRunner()
SCHEMA_KEYS = {
    "schema_version",
    "slant_version",
    "model",
    "language",
    "genre",
    "frames",
    "paragraphs",
    "warnings",
    "source",
    "title",
    "targets",
}
ARTICLES = sorted(FIXTURE_ARTICLES.glob("article*.txt"))
FIRST_TITLE = "Northport Council Caves In Again"  # title line of article9000001.txt
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module", autouse=True)
def _shared_encoder(analyzer: Analyzer) -> Iterator[None]:
    """Every ``Analyzer`` the CLI builds reuses one loaded encoder (loading one takes ~1 s)."""
    encoder = analyzer.encoder
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(slant.analyzer, "load_encoder", lambda *_, **__: encoder)
        yield


def invoke(*args: str | Path, stdin: str | bytes | None = None) -> Result:
    return runner.invoke(app, [str(a) for a in args], input=stdin)


def error_lines(result: Result) -> list[str]:
    return [line for line in _ANSI.sub("", result.stderr).splitlines() if line.strip()]


def template_keys() -> list[tuple[str, int]]:
    """(article id, paragraph) rows of the fixture's per-article subtask-3 templates, in order."""
    keys = []
    folder = FIXTURE_CORPUS / "en" / "train-labels-subtask-3"
    for path in sorted(folder.glob("*.template")):
        for line in read_article(path).split("\n"):
            if line.strip():
                aid, number, _ = line.split("\t", 2)
                keys.append((aid, int(number)))
    return keys


def read_rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]


# --- analyze -------------------------------------------------------------------------------------


def test_analyze_text_report(tiny_model: Path) -> None:
    result = invoke("analyze", ARTICLES[0], "--model", tiny_model)
    assert result.exit_code == 0, result.output
    assert FIRST_TITLE in result.stdout
    assert "Genre" in result.stdout
    assert "Frames" in result.stdout
    assert result.stderr == ""


def test_analyze_json_single_file(tiny_model: Path) -> None:
    result = invoke("analyze", ARTICLES[1], "--format", "json", "--model", tiny_model)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == SCHEMA_KEYS
    assert data["source"] == str(ARTICLES[1])
    assert data["language"] == "en"
    assert [p["index"] for p in data["paragraphs"]] == [1, 3, 5, 6, 8, 9]
    text = read_article(ARTICLES[1])  # the CRLF article: offsets count "\r"
    for p in data["paragraphs"]:
        assert text[p["start"] : p["end"]] == p["text"]


def test_analyze_fast_mode_needs_no_encoder(tiny_model: Path) -> None:
    def no_encoder(*_: object, **__: object) -> None:
        raise AssertionError("fast mode must not load the neural encoder")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(slant.analyzer, "load_encoder", no_encoder)
        result = invoke("analyze", ARTICLES[1], "--format", "json", "--fast", "--model", tiny_model)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"]["mode"] == "fast"
    assert data["genre"]["label"] in {"opinion", "reporting", "satire"}
    assert abs(sum(data["genre"]["scores"].values()) - 1) < 1e-3
    text = read_article(ARTICLES[1])
    for p in data["paragraphs"]:
        for t in p["techniques"]:
            for span in t["spans"]:
                assert text[span["start"] : span["end"]] == span["text"]


def test_fast_mode_reads_a_language_without_lexical_model_with_the_pooled_one(
    tiny_model: Path,
) -> None:
    def no_encoder(*_: object, **__: object) -> None:
        raise AssertionError("fast mode must not load the neural encoder")

    text = "Un titular\n\nLos cobardes del ayuntamiento venden el agua de todos.\n"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(slant.analyzer, "load_encoder", no_encoder)
        result = invoke(
            "analyze", "-", "--format", "json", "--fast", "--model", tiny_model, stdin=text
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"]["mode"] == "fast"
    assert any("no lexical model of this language" in w for w in data["warnings"])
    assert any("zero-shot" in w for w in data["warnings"])


def test_fast_mode_finds_nothing_where_it_knows_no_word(tiny_model: Path) -> None:
    text = "ახალი ამბები\n\nსაქართველოს პარლამენტმა დღეს ახალი კანონი მიიღო.\n"
    analysis = Analyzer(tiny_model, fast=True).analyze(text)
    assert analysis.language == "ka" and analysis.model.mode == "fast"
    assert all(not p.techniques for p in analysis.paragraphs)


def test_fast_mode_without_a_zero_shot_head_falls_back_to_the_encoder(tiny_model: Path) -> None:
    analyzer = Analyzer(tiny_model, fast=True)
    analyzer.model.zero_shot_lexical = None  # as in models saved before it existed
    text = "Un titular\n\nLos cobardes del ayuntamiento venden el agua de todos.\n"
    analysis = analyzer.analyze(text)
    assert analysis.model.mode == "default"
    assert any("fast mode has no model for this language" in w for w in analysis.warnings)


def test_analyze_json_many_files_one_object_per_line(tiny_model: Path) -> None:
    result = invoke("analyze", *ARTICLES, "-f", "json", "--model", tiny_model)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    objects = [json.loads(line) for line in lines]
    assert [o["source"] for o in objects] == [str(p) for p in ARTICLES]
    assert all(set(o) == SCHEMA_KEYS for o in objects)


def test_analyze_folder_expands_to_its_articles(tiny_model: Path) -> None:
    result = invoke("analyze", FIXTURE_ARTICLES, "--format", "json", "--model", tiny_model)
    assert result.exit_code == 0, result.output
    sources = [json.loads(line)["source"] for line in result.stdout.splitlines()]
    assert sources == [str(p) for p in ARTICLES]


def test_analyze_in_worker_processes_keeps_order_and_skips_a_bad_file(
    tiny_model: Path, tmp_path: Path
) -> None:
    for i in range(20):
        shutil.copy(ARTICLES[i % len(ARTICLES)], tmp_path / f"article{i:02d}.txt")
    (tmp_path / "article05.txt").write_text("  \n", encoding="utf-8")
    args = ("analyze", tmp_path, "--format", "json", "--fast", "--model", tiny_model)
    alone, shared = invoke(*args, "--workers", "1"), invoke(*args, "--workers", "2")
    assert alone.exit_code == shared.exit_code == 1
    assert shared.stdout == alone.stdout
    assert len(shared.stdout.splitlines()) == 19
    assert "article05.txt" in shared.stderr and "1 of 20 inputs failed" in shared.stderr


def test_analyze_semeval_lines(tiny_model: Path) -> None:
    result = invoke("analyze", *ARTICLES, "--format", "semeval", "--model", tiny_model)
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert all(len(row) == 3 for row in rows), result.stdout
    assert [(aid, int(n)) for aid, n, _ in rows] == template_keys()
    for _, _, labels in rows:
        names = [x for x in labels.split(",") if x]
        assert all(name in TECHNIQUES for name in names)
        assert names == sorted(names, key=TECHNIQUES.index)


def test_analyze_reads_stdin(tiny_model: Path) -> None:
    text = read_article(ARTICLES[2])
    result = invoke("analyze", "-", "--format", "json", "--model", tiny_model, stdin=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["source"] == "<stdin>"
    assert data["title"] == "Harbour Fees Rise After Council Vote"
    assert [p["index"] for p in data["paragraphs"]] == [1, 2, 3, 4, 5]


def test_empty_stdin_fails(tiny_model: Path) -> None:
    result = invoke("analyze", "-", "--model", tiny_model, stdin="")
    assert result.exit_code != 0
    assert error_lines(result) == ["error: <stdin>: empty: no text to analyse"]


BAD_INPUTS = {
    "empty.txt": (b"", "empty"),
    "binary.txt": (b"PK\x03\x04\x00\x00\x08\x00binary junk\x00\x00", "binary"),
    "huge.txt": (b"word " * 1_200_000, "too large"),  # 6 MB; the limit is 5,000,000 bytes
    "latin1.txt": ("Caf\u00e9 au lait\n\nUn r\u00e9cit.\n".encode("latin-1"), "UTF-8"),
    "missing.txt": (None, "no such file"),
}


def _bad_file(tmp_path: Path, name: str) -> tuple[Path, str]:
    content, problem = BAD_INPUTS[name]
    path = tmp_path / "in put" / name  # a space in the path: it must still be named whole
    path.parent.mkdir(exist_ok=True)
    if content is not None:
        path.write_bytes(content)
    return path, problem


def test_huge_file_is_over_the_default_limit(tmp_path: Path) -> None:
    path, _ = _bad_file(tmp_path, "huge.txt")
    assert path.stat().st_size > DEFAULT_MAX_BYTES == 5_000_000


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_single_input_fails_with_one_clear_line(
    tiny_model: Path, tmp_path: Path, name: str
) -> None:
    path, problem = _bad_file(tmp_path, name)
    result = invoke("analyze", path, "--model", tiny_model)
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = error_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}: ")
    assert problem.lower() in lines[0].lower()


def test_bad_file_in_a_batch_does_not_stop_the_others(tiny_model: Path, tmp_path: Path) -> None:
    bad, _ = _bad_file(tmp_path, "binary.txt")
    result = invoke("analyze", ARTICLES[0], bad, ARTICLES[2], "-f", "json", "--model", tiny_model)
    assert result.exit_code == 1
    sources = [json.loads(line)["source"] for line in result.stdout.splitlines()]
    assert sources == [str(ARTICLES[0]), str(ARTICLES[2])]
    lines = error_lines(result)
    assert lines[0].startswith(f"error: {bad}: binary")
    assert lines[1] == "1 of 3 inputs failed; the others were analysed"
    assert len(lines) == 2


def test_bracketed_file_name_is_reported_verbatim(tiny_model: Path, tmp_path: Path) -> None:
    # Rich markup in a path must not be interpreted: "[v2]" would vanish, "[/b]" would crash
    path = tmp_path / "draft [v2] a[" / "b].txt"
    path.parent.mkdir()
    path.write_bytes(b"")
    assert "[/b]" in str(path)
    result = invoke("analyze", path, "--model", tiny_model)
    assert result.exit_code != 0
    assert error_lines(result) == [f"error: {path}: empty: no text to analyse"]


def test_text_report_shows_bracketed_article_text(tiny_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "brackets.txt"
    title = "The mayor [sic] lies [/i] again"
    path.write_text(f"{title}\n\nHe said the council [the cowards] will pay [/b] for it.\n")
    result = invoke("analyze", path, "--model", tiny_model)
    assert result.exit_code == 0, result.output
    assert title in result.stdout


def test_unknown_format_fails_clearly(tiny_model: Path) -> None:
    result = invoke("analyze", ARTICLES[0], "--format", "xml", "--model", tiny_model)
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = error_lines(result)
    assert len(lines) == 1
    assert "unknown format 'xml'" in lines[0] and "json" in lines[0]


def test_a_folder_that_is_not_a_model_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text("{}")  # no weights.npz
    result = invoke("analyze", ARTICLES[0], "--model", tmp_path)
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = error_lines(result)
    assert len(lines) == 1
    assert str(tmp_path) in lines[0] and "not a slant model directory" in lines[0]


# --- predict and evaluate ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def predictions(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("predictions")
    args = ("predict", FIXTURE_CORPUS, "--lang", "en", "--split", "train", "--out", out)
    result = invoke(*args, "--model", tiny_model)
    assert result.exit_code == 0, result.output
    return out


def test_predict_writes_the_four_files(predictions: Path) -> None:
    names = sorted(p.name for p in predictions.iterdir())
    assert names == [
        "en-subtask-1.txt",
        "en-subtask-2.txt",
        "en-subtask-3-spans.txt",
        "en-subtask-3.txt",
    ]
    genres = read_rows(predictions / "en-subtask-1.txt")
    assert [aid for aid, _ in genres] == ["9000001", "9000002", "9000003"]
    assert all(label in GENRES for _, label in genres)
    for aid, labels in read_rows(predictions / "en-subtask-2.txt"):
        assert aid in {"9000001", "9000002", "9000003"}
        assert all(label in FRAMES for label in labels.split(",") if label)


def test_predict_subtask3_follows_the_template(predictions: Path) -> None:
    rows = read_rows(predictions / "en-subtask-3.txt")
    assert all(len(row) == 3 for row in rows)
    assert [(aid, int(n)) for aid, n, _ in rows] == template_keys()
    for _, _, labels in rows:
        assert all(label in TECHNIQUES for label in labels.split(",") if label)


def test_predict_spans_slice_their_articles(predictions: Path) -> None:
    texts = {p.stem.removeprefix("article"): read_article(p) for p in ARTICLES}
    paragraph_labels = {
        (aid, int(n)): set(labels.split(","))
        for aid, n, labels in read_rows(predictions / "en-subtask-3.txt")
    }
    rows = read_rows(predictions / "en-subtask-3-spans.txt")
    assert rows, "the tiny model predicts some techniques, so some spans"
    for aid, technique, start, end in rows:
        text, start, end = texts[aid], int(start), int(end)
        assert technique in TECHNIQUES
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip()
        # the line that holds the span lists its technique in the subtask-3 file
        number = text.count("\n", 0, start) + 1
        assert "\n" not in text[start:end]
        assert technique in paragraph_labels[(aid, number)]


def test_evaluate_prints_the_official_metrics(predictions: Path) -> None:
    result = invoke("evaluate", FIXTURE_CORPUS, "--lang", "en", "--pred", predictions)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())  # Rich wraps table titles to the table's width
    scores = json.loads(invoke("evaluate", FIXTURE_CORPUS, "--pred", predictions, "--json").stdout)
    for name, metric in (
        ("subtask1", "macro_f1"),
        ("subtask2", "micro_f1"),
        ("subtask3", "micro_f1"),
    ):
        assert f"{name}: official {metric} = {scores[name][metric]:.4f}" in flat


def test_evaluate_json_parses(predictions: Path) -> None:
    result = invoke("evaluate", FIXTURE_CORPUS, "--lang", "en", "--pred", predictions, "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert set(scores) == {"subtask1", "subtask2", "subtask3"}
    assert set(scores["subtask1"]["per_label"]) == set(GENRES)
    assert set(scores["subtask3"]["per_label"]) == set(TECHNIQUES)
    assert scores["subtask1"]["n"] == 3 and scores["subtask3"]["n"] == len(template_keys())
    for name in scores:
        assert 0.0 <= scores[name]["micro_f1"] <= 1.0
        assert 0.0 <= scores[name]["macro_f1"] <= 1.0


def test_evaluate_gold_as_predictions_scores_one(tmp_path: Path) -> None:
    gold = FIXTURE_CORPUS / "en"
    for n in (1, 2, 3):
        shutil.copy(gold / f"train-labels-subtask-{n}.txt", tmp_path / f"en-subtask-{n}.txt")
    result = invoke("evaluate", FIXTURE_CORPUS, "--pred", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["subtask1"]["macro_f1"] == 1.0
    assert scores["subtask2"]["micro_f1"] == 1.0
    assert scores["subtask3"]["micro_f1"] == 1.0
    # one wrong genre: the official macro-F1 drops below 1
    all_opinion = "".join(f"{aid}\topinion\n" for aid in ("9000001", "9000002", "9000003"))
    (tmp_path / "en-subtask-1.txt").write_text(all_opinion)
    worse = json.loads(invoke("evaluate", FIXTURE_CORPUS, "--pred", tmp_path, "--json").stdout)
    assert worse["subtask1"]["macro_f1"] < 1.0


def test_evaluate_with_missing_prediction_files_fails_clearly(tmp_path: Path) -> None:
    result = invoke("evaluate", FIXTURE_CORPUS, "--pred", tmp_path)
    assert result.exit_code != 0
    lines = error_lines(result)
    assert len(lines) == 1
    assert "en-subtask-1.txt" in lines[0]


def test_analyze_accurate_needs_a_model_with_the_head(tiny_model: Path) -> None:
    result = invoke("analyze", ARTICLES[1], "--accurate", "--model", tiny_model)
    assert result.exit_code == 2
    assert "has no accurate mode; add one with `slant train-accurate`" in result.output
    result = invoke("analyze", ARTICLES[1], "--accurate", "--fast", "--model", tiny_model)
    assert result.exit_code == 2 and "choose fast or accurate, not both" in result.output


def test_train_accurate_then_analyze_accurate(tiny_model: Path, tmp_path: Path) -> None:
    from conftest import use_fake_e5

    model_dir = tmp_path / "model"
    shutil.copytree(tiny_model, model_dir)
    with pytest.MonkeyPatch.context() as patch:
        use_fake_e5(patch)
        trained = invoke("train-accurate", FIXTURE_CORPUS, "--model", model_dir)
        assert trained.exit_code == 0, trained.output
        assert "accurate mode, CV ST3 micro-F1: en " in trained.output
        result = invoke("analyze", ARTICLES[1], "--accurate", "-f", "json", "--model", model_dir)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"]["mode"] == "accurate"
    card = json.loads((model_dir / "model.json").read_text())
    assert card["accurate"]["encoder"] == "e5" and "en" in card["accurate"]["cv_st3_micro_f1"]


def test_predict_and_serve_take_the_accurate_option(
    accurate_model: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from conftest import use_fake_e5

    with pytest.MonkeyPatch.context() as patch:
        use_fake_e5(patch)
        args = ("predict", FIXTURE_CORPUS, "--lang", "en", "--split", "train")
        result = invoke(*args, "--out", tmp_path / "a", "--model", accurate_model, "--accurate")
        assert result.exit_code == 0, result.output
        default = invoke(*args, "--out", tmp_path / "d", "--model", accurate_model)
    assert default.exit_code == 0, default.output

    def read(mode: str, subtask: str) -> str:
        return (tmp_path / mode / f"en-subtask-{subtask}.txt").read_text()

    assert read("a", "3") != read("d", "3")  # techniques come from the accurate head
    assert read("a", "1") == read("d", "1") and read("a", "2") == read("d", "2")
    result = invoke("predict", FIXTURE_CORPUS, "--lang", "en", "--accurate", "--model", tiny_model)
    assert result.exit_code == 2 and "no accurate mode" in result.output
    for extra in (["--accurate"], ["--accurate", "--fast"]):
        result = invoke("serve", "--model", tiny_model, *extra)
        assert result.exit_code == 2
    assert "choose fast or accurate, not both" in result.output
