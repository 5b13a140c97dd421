"""Turning files, folders, stdin and HTML into article texts, with errors that name the input."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from slant import ingest
from slant.errors import InputError

ARTICLE = "Harbour Fees Double\n\nThe spineless cowards on the council voted again.\n"

PARAGRAPHS = [
    (
        "The Northport council voted on Tuesday to double the fees charged to fishing boats using "
        "the old harbour, a decision that surprised many residents."
    ),
    (
        "Fishermen gathered outside the town hall on Wednesday morning, holding signs and "
        "demanding that the councillors explain how the new money would be spent."
    ),
    (
        "Mayor Dalton defended the plan, saying that the harbour walls had not been repaired in "
        "thirty years and that the town could no longer wait."
    ),
    (
        "Critics replied that the mayor had promised lower costs during the last campaign and "
        "that the fee rise broke that promise."
    ),
]
TITLE = "Harbour Fees Spark Anger in Northport"
PAGE = (
    "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>" + TITLE + "</title></head><body>\n"
    "<nav><ul><li><a href='/'>Home</a></li><li><a href='/sport'>Sport</a></li>"
    "<li><a href='/subscribe'>Subscribe now</a></li></ul></nav>\n"
    "<article><h1>"
    + TITLE
    + "</h1>\n"
    + "".join(f"<p>{p}</p>\n" for p in PARAGRAPHS)
    + "</article>\n<footer>Copyright 2024 Northport Gazette.</footer></body></html>\n"
)


def _error(path: Path, **kwargs: int) -> InputError:
    with pytest.raises(InputError) as info:
        ingest.read_path(path, **kwargs)
    assert str(path) in str(info.value)
    assert info.value.source == str(path)
    return info.value


def test_reads_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "op-ed.txt"
    path.write_bytes(ARTICLE.encode("utf-8"))
    source = ingest.read_path(path)
    assert source.name == str(path)
    assert source.text == ARTICLE
    assert source.title is None


def test_crlf_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(ARTICLE.replace("\n", "\r\n").encode("utf-8"))
    assert ingest.read_path(path).text == ARTICLE.replace("\n", "\r\n")


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "Café owners\n".encode())
    assert ingest.read_path(path).text == "Café owners\n"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert "empty" in str(_error(path))


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(b" \r\n\t\n\n")
    assert "empty" in str(_error(path))


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"GIF89a\x00\x01\x02\x00text")
    assert "binary" in str(_error(path))


def test_too_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 100)
    message = str(_error(path, max_bytes=50))
    assert "too large" in message
    assert "500 bytes" in message
    assert ingest.read_path(path, max_bytes=500).text == "word " * 100


def test_decode_checks_size_too() -> None:
    with pytest.raises(InputError, match="<stdin>: too large"):
        ingest.decode(b"x" * 11, "<stdin>", max_bytes=10)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le café était fermé.\n".encode("latin-1"))
    message = str(_error(path))
    assert "not valid UTF-8" in message
    assert "0xe9" in message
    assert "offset 6" in message


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "gone.txt"
    assert "no such file" in str(_error(path))
    with pytest.raises(InputError, match="no such file"):
        ingest.read_input(str(path))


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    assert "is a folder" in str(_error(tmp_path))


def test_expand_paths_recurses_sorted_and_filters(tmp_path: Path) -> None:
    for rel in ["b.txt", "a.TXT", "sub/c.html", "sub/deeper/d.htm", "notes.md", "sub/e.pdf"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    single = tmp_path / "b.txt"
    missing = tmp_path / "missing.txt"
    got = list(ingest.expand_paths([str(single), str(tmp_path), "-", str(missing)]))
    assert got == [
        str(single),
        str(tmp_path / "a.TXT"),
        str(tmp_path / "b.txt"),
        str(tmp_path / "sub" / "c.html"),
        str(tmp_path / "sub" / "deeper" / "d.htm"),
        "-",
        str(missing),
    ]


def test_read_input_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(ARTICLE.encode("utf-8")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    source = ingest.read_input("-")
    assert source.name == "<stdin>"
    assert source.text == ARTICLE


def test_read_input_from_stdin_reports_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\n \n"), encoding="utf-8"))
    with pytest.raises(InputError, match="<stdin>: empty"):
        ingest.read_input("-")


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def test_html_page_is_reduced_to_its_article(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    source = ingest.read_input(str(path))
    lines = _lines(source.text)
    assert source.title == TITLE
    assert lines[0] == TITLE
    assert lines[1:] == PARAGRAPHS
    assert "Subscribe" not in source.text
    assert "Copyright" not in source.text


def test_html_in_a_txt_file_is_detected(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    path = tmp_path / "saved.txt"
    path.write_text(PAGE, encoding="utf-8")
    assert _lines(ingest.read_path(path).text)[1:] == PARAGRAPHS


def test_html_without_article_text(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    path = tmp_path / "blank.html"
    path.write_text("<html><head><title>x</title></head><body></body></html>", encoding="utf-8")
    assert "no article text" in str(_error(path))
