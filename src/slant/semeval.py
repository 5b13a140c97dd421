"""Read and write the SemEval-2023 Task 3 data layout.

Layout under ``root/L/``: ``S-articles-subtask-{1,2,3}/article<ID>.txt`` (or ``S-articles/`` for the
unlabelled test release), ``S-labels-subtask-{1,2,3}.txt``, the paragraph template(s)
``S-labels-subtask-3.template`` or ``S-labels-subtask-3/*.template``, and the span files
``S-labels-subtask-3-spans/*.txt``. Label files are optional: ``predict`` needs none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from slant.errors import InputError
from slant.labels import FRAMES, GENRES, TECHNIQUES
from slant.segment import paragraphs

LANGS: tuple[str, ...] = ("en", "fr", "ge", "it", "po", "ru")
# SemEval's language codes -> ISO 639-1; the unlabelled test release adds es, gr and ka.
ISO_OF: dict[str, str] = {
    "en": "en", "fr": "fr", "ge": "de", "it": "it", "po": "pl", "ru": "ru",
    "es": "es", "gr": "el", "ka": "ka",
}  # fmt: skip
SEMEVAL_OF: dict[str, str] = {iso: code for code, iso in ISO_OF.items()}

_ARTICLE = re.compile(r"^article(\d+)\.txt$")
_TEMPLATE = re.compile(r"^article(\d+)-labels-subtask-3\.txt\.template$")
ParagraphKey = tuple[str, int]


@dataclass
class Split:
    """One language and split: article texts plus whatever gold labels exist."""

    lang: str
    split: str
    texts: dict[str, str]
    paragraph_ids: list[ParagraphKey]
    genres: dict[str, str] | None = None
    frames: dict[str, list[str]] | None = None
    techniques: dict[ParagraphKey, list[str]] | None = None
    spans: dict[str, list[tuple[str, int, int]]] | None = field(default=None)
    # subtask (1, 2, 3) -> ids of the articles in that subtask's folder
    subtask_ids: dict[int, list[str]] = field(default_factory=dict)

    @property
    def article_ids(self) -> list[str]:
        return sorted(self.texts)


def read_text(path: Path) -> str:
    """Read an article as SemEval does: UTF-8, line endings kept (offsets count ``\\r``)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(path, exc.strerror or str(exc)) from None


def language_dir(root: Path, lang: str) -> Path:
    path = Path(root) / lang
    if not path.is_dir():
        raise InputError(path, f"no folder for language {lang!r} under {root}")
    return path


def article_dirs(lang_dir: Path, split: str) -> list[Path]:
    dirs = [lang_dir / f"{split}-articles-subtask-{n}" for n in (3, 1, 2)]
    dirs.append(lang_dir / f"{split}-articles")
    return [d for d in dirs if d.is_dir()]


def read_articles(lang_dir: Path, split: str) -> tuple[dict[str, str], dict[int, list[str]]]:
    """Texts of every article of the split, and which article ids each subtask folder holds.

    The subtask folders hold different sets (e.g. 446 vs 433 articles in en train), and the
    official scorers want exactly a subtask's own ids. A plain ``S-articles/`` folder (the test
    release) serves all three subtasks.
    """
    dirs = article_dirs(lang_dir, split)
    if not dirs:
        raise InputError(lang_dir, f"no {split}-articles-subtask-N folder")
    texts: dict[str, str] = {}
    by_subtask: dict[int, list[str]] = {}
    for folder in dirs:
        ids = []
        for path in sorted(folder.iterdir()):
            match = _ARTICLE.match(path.name)
            if match:
                ids.append(match.group(1))
                if match.group(1) not in texts:
                    texts[match.group(1)] = read_text(path)
        suffix = folder.name.rsplit("-", 1)[-1]
        subtasks = [int(suffix)] if suffix.isdigit() else [1, 2, 3]
        for subtask in subtasks:
            by_subtask.setdefault(subtask, sorted(ids))
    for subtask in (1, 2, 3):
        by_subtask.setdefault(subtask, sorted(texts))
    return texts, by_subtask


def _rows(path: Path, min_fields: int) -> Iterable[tuple[int, list[str]]]:
    # Split on "\n" only, as segment.paragraphs does: str.splitlines would also break a template's
    # text field at \x0c, \x85, \u2028 and other characters that are not line ends for SemEval.
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\r").split("\t")
        if len(fields) < min_fields:
            raise InputError(path, f"line {number}: expected {min_fields} tab-separated fields")
        yield number, fields


def _check_labels(path: Path, number: int, labels: list[str], allowed: tuple[str, ...]) -> None:
    for label in labels:
        if label not in allowed:
            raise InputError(path, f"line {number}: unknown label {label!r}")


def _split_labels(field_text: str) -> list[str]:
    return [x.strip() for x in field_text.split(",") if x.strip()]


def read_genres(path: Path) -> dict[str, str]:
    out = {}
    for number, (aid, label, *_) in _rows(path, 2):
        _check_labels(path, number, [label.strip()], GENRES)
        out[aid] = label.strip()
    return out


def read_frames(path: Path) -> dict[str, list[str]]:
    out = {}
    for number, fields in _rows(path, 1):
        labels = _split_labels(fields[1]) if len(fields) > 1 else []
        _check_labels(path, number, labels, FRAMES)
        out[fields[0]] = labels
    return out


def read_techniques(path: Path) -> dict[ParagraphKey, list[str]]:
    out = {}
    for number, fields in _rows(path, 2):
        labels = _split_labels(fields[2]) if len(fields) > 2 else []
        _check_labels(path, number, labels, TECHNIQUES)
        try:
            out[(fields[0], int(fields[1]))] = labels
        except ValueError:
            raise InputError(path, f"line {number}: paragraph number {fields[1]!r}") from None
    return out


def read_spans(path: Path) -> list[tuple[str, str, int, int]]:
    out = []
    for number, fields in _rows(path, 4):
        _check_labels(path, number, [fields[1]], TECHNIQUES)
        try:
            start, end = int(fields[2]), int(fields[3])
        except ValueError:
            raise InputError(path, f"line {number}: offsets must be integers") from None
        if not 0 <= start < end:
            raise InputError(path, f"line {number}: bad offsets {start}-{end}")
        out.append((fields[0], fields[1], start, end))
    return out


def read_template(lang_dir: Path, split: str, texts: dict[str, str]) -> list[ParagraphKey]:
    """Paragraph ids to predict, in template order.

    Prefers the per-article templates: the merged file of the official bundle glues rows together
    where an article's template lacks a final newline. Falls back to segmenting the articles.
    """
    per_article = lang_dir / f"{split}-labels-subtask-3"
    keys: list[ParagraphKey] = []
    if per_article.is_dir():
        files = sorted(p for p in per_article.iterdir() if _TEMPLATE.match(p.name))
        for path in files:
            for number, fields in _rows(path, 2):
                try:
                    keys.append((fields[0], int(fields[1])))
                except ValueError:
                    raise InputError(
                        path, f"line {number}: paragraph number {fields[1]!r}"
                    ) from None
        if keys:
            return keys
    merged = lang_dir / f"{split}-labels-subtask-3.template"
    if merged.is_file():
        for number, fields in _rows(merged, 3):
            # A glued row carries the next article's id after a tab inside the text field.
            try:
                keys.append((fields[0], int(fields[1])))
            except ValueError:
                raise InputError(merged, f"line {number}: paragraph number {fields[1]!r}") from None
        covered = {aid for aid, _ in keys}
        for aid in sorted(texts):
            if aid not in covered:
                keys.extend((aid, p.number) for p in paragraphs(texts[aid]))
        return _repair_glued(keys, texts)
    return [(aid, p.number) for aid in sorted(texts) for p in paragraphs(texts[aid])]


def _repair_glued(keys: list[ParagraphKey], texts: dict[str, str]) -> list[ParagraphKey]:
    """Add paragraphs lost to glued rows: every article's paragraphs must all be present."""
    present = set(keys)
    out = list(keys)
    for aid in dict.fromkeys(aid for aid, _ in keys):
        if aid not in texts:
            continue
        for p in paragraphs(texts[aid]):
            if (aid, p.number) not in present:
                out.append((aid, p.number))
    return out


def load_split(root: Path, lang: str, split: str, with_labels: bool = True) -> Split:
    lang_dir = language_dir(Path(root), lang)
    texts, subtask_ids = read_articles(lang_dir, split)
    data = Split(
        lang=lang,
        split=split,
        texts=texts,
        # subtask 3 is scored on its own folder's articles only
        paragraph_ids=read_template(lang_dir, split, {a: texts[a] for a in subtask_ids[3]}),
        subtask_ids=subtask_ids,
    )
    if not with_labels:
        return data
    st1 = lang_dir / f"{split}-labels-subtask-1.txt"
    st2 = lang_dir / f"{split}-labels-subtask-2.txt"
    st3 = lang_dir / f"{split}-labels-subtask-3.txt"
    spans_dir = lang_dir / f"{split}-labels-subtask-3-spans"
    data.genres = read_genres(st1) if st1.is_file() else None
    data.frames = read_frames(st2) if st2.is_file() else None
    data.techniques = read_techniques(st3) if st3.is_file() else None
    if spans_dir.is_dir():
        spans: dict[str, list[tuple[str, int, int]]] = {aid: [] for aid in texts}
        for path in sorted(spans_dir.glob("*.txt")):
            for aid, tech, start, end in read_spans(path):
                if aid in texts and end > len(texts[aid]):
                    raise InputError(path, f"span {start}-{end} is past the end of article {aid}")
                spans.setdefault(aid, []).append((tech, start, end))
        data.spans = spans
    return data


def write_predictions(
    out_dir: Path,
    lang: str,
    genres: dict[str, str],
    frames: dict[str, list[str]],
    techniques: list[tuple[str, int, list[str]]],
    spans: list[tuple[str, str, int, int]],
) -> list[Path]:
    """Write the official-format prediction files; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        f"{lang}-subtask-1.txt": [f"{aid}\t{label}" for aid, label in genres.items()],
        f"{lang}-subtask-2.txt": [f"{aid}\t{','.join(labels)}" for aid, labels in frames.items()],
        f"{lang}-subtask-3.txt": [
            f"{aid}\t{n}\t{','.join(labels)}" for aid, n, labels in techniques
        ],
        f"{lang}-subtask-3-spans.txt": [f"{a}\t{t}\t{s}\t{e}" for a, t, s, e in spans],
    }
    written = []
    for name, lines in files.items():
        path = out_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
