"""Score predictions the way the SemEval-2023 Task 3 scorers do.

* Subtask 1 (genre): the official metric is macro-F1 over the labels that occur in the gold or the
  predictions (scikit-learn's default label set), with undefined scores counted as 0. Beside it,
  ``balanced_macro_f1``: the same score as if every genre were equally common.
* Subtasks 2 and 3 (frames, techniques): labels are binarised over the official label list and the
  official metric is micro-F1, with undefined scores counted as 1 (so all-empty gold and
  predictions score 1.0).

Like the official scorers, every function first checks the format: the prediction ids must be
exactly the gold ids and every label must be in the official list; otherwise ``InputError``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from slant.errors import InputError
from slant.labels import FRAMES, GENRES, TECHNIQUES

_SHOW = 5  # how many offending ids an error message lists


def _show(ids: Sequence[Hashable]) -> str:
    shown = ", ".join(_format_id(i) for i in ids[:_SHOW])
    return shown + (", ..." if len(ids) > _SHOW else "")


def _format_id(key: Hashable) -> str:
    if isinstance(key, tuple):
        return ":".join(str(part) for part in key)
    return str(key)


def _sort_key(key: Hashable) -> tuple[Any, ...]:
    parts = key if isinstance(key, tuple) else (key,)
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in parts)


def check_ids(gold: Mapping[Any, Any], pred: Mapping[Any, Any], source: str) -> list[Any]:
    """Return the gold ids in a stable order; raise if the prediction ids are not the same set."""
    missing = sorted(set(gold) - set(pred), key=_sort_key)
    extra = sorted(set(pred) - set(gold), key=_sort_key)
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} gold id(s) missing from the predictions ({_show(missing)})"
        )
    if extra:
        problems.append(f"{len(extra)} id(s) not in the gold labels ({_show(extra)})")
    if problems:
        raise InputError(source, "; ".join(problems))
    if not gold:
        raise InputError(source, "nothing to score: the gold labels are empty")
    return sorted(gold, key=_sort_key)


def check_labels(
    labels_of: Mapping[Any, Sequence[str]], allowed: Sequence[str], source: str
) -> None:
    """Raise if any id carries a label outside ``allowed``."""
    known = set(allowed)
    for key in sorted(labels_of, key=_sort_key):
        if isinstance(labels_of[key], str):
            raise InputError(source, f"id {_format_id(key)}: expected a list of labels")
        for label in labels_of[key]:
            if label not in known:
                raise InputError(source, f"id {_format_id(key)}: unknown label {label!r}")


def _per_label(
    y_true: Any, y_pred: Any, labels: Sequence[Any], names: Sequence[str], zero_division: int
) -> dict[str, dict[str, float | int]]:
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(labels), average=None, zero_division=zero_division
    )
    return {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(names)
    }


def score_genres(
    gold: Mapping[str, str], pred: Mapping[str, str], *, source: str = "predictions"
) -> dict[str, Any]:
    """Subtask 1: official macro-F1 (zero_division=0), plus micro-F1 and per-genre scores."""
    ids = check_ids(gold, pred, source)
    for name, labels in (("gold", gold), (source, pred)):
        for key in ids:
            if not isinstance(labels[key], str):
                raise InputError(name, f"id {key}: expected one genre, got {labels[key]!r}")
        check_labels({key: [labels[key]] for key in ids}, GENRES, name)
    y_true = [gold[key] for key in ids]
    y_pred = [pred[key] for key in ids]
    index = {label: i for i, label in enumerate(GENRES)}
    return {
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "balanced_macro_f1": balanced_macro_f1(
            np.array([index[g] for g in y_true], int),
            np.array([index[g] for g in y_pred], int),
            len(GENRES),
        ),
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "per_label": _per_label(y_true, y_pred, GENRES, GENRES, zero_division=0),
        "n": len(ids),
    }


def balanced_macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> float:
    """Macro-F1 of label indices as if every gold label were equally common: each gold label's
    row of the confusion matrix is scaled to the same total before precision and recall.

    Genre mixes shift between corpora (SemEval-2023 English train is 88% opinion, its dev split
    two-thirds reporting, a news feed mostly reporting), and plain macro-F1 on a skewed sample
    rewards calling everything the common genre. Labels are averaged as in the official score:
    those in the gold or the predictions, undefined scores counted as 0.
    """
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    confusion = np.zeros((n_labels, n_labels))
    np.add.at(confusion, (y_true, y_pred), 1.0)
    support = confusion.sum(axis=1, keepdims=True)
    confusion = np.divide(confusion, support, out=np.zeros_like(confusion), where=support > 0)
    hits = np.diag(confusion)
    predicted, actual = confusion.sum(axis=0), confusion.sum(axis=1)
    denominator = predicted + actual
    f1 = np.divide(2 * hits, denominator, out=np.zeros_like(hits), where=denominator > 0)
    present = (support[:, 0] > 0) | (np.bincount(y_pred, minlength=n_labels) > 0)
    return float(f1[present].mean()) if present.any() else 0.0


def micro_f1_by_genre(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    genres: Sequence[str | None],
    articles: Sequence[str],
    mixes: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, Any]:
    """Micro-F1 (subtasks 2 and 3) of the rows of each genre of article, and re-weighted to
    other genre mixes.

    ``y_true``/``y_pred``: binary (rows x labels), a row being a paragraph (subtask 3) or an
    article (subtask 2); ``genres``: each row's article genre (None: no genre label);
    ``articles``: each row's article id. ``mixes``: name -> articles per genre, e.g.
    ``{"dev": {"opinion": 20, "reporting": 54, "satire": 9}}``; under a mix every article of
    genre g weighs ``mix[g] / (articles of g)``, so micro-F1 is what the same predictions would
    score on a corpus with that genre mix (rows without a genre weigh 0). ``"balanced"``
    (every genre present equally common) is always added.

    Techniques are rarer and used differently in reports than in opinion pieces, and the genre
    mix differs between corpora (SemEval-2023 English train is 88% opinion, its dev split about
    two-thirds reporting), so micro-F1 on one mix says little about another.
    """
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    genres = np.array([g or "" for g in genres], dtype=object)
    articles = np.asarray(articles, dtype=object)
    if not len(genres) == len(articles) == len(y_true) == len(y_pred):
        raise ValueError("y_true, y_pred, genres and articles need one entry per row")
    counts = {g: len(set(articles[genres == g])) for g in GENRES if (genres == g).any()}
    result: dict[str, Any] = {
        "micro_f1": {
            g: float(
                f1_score(y_true[genres == g], y_pred[genres == g], average="micro", zero_division=1)
            )
            for g in counts
        },
        "articles": counts,
    }
    every_mix = {"balanced": {g: 1.0 for g in counts}, **(mixes or {})}
    for name, mix in every_mix.items():
        weights = np.zeros(len(genres))
        for g, n in counts.items():
            weights[genres == g] = mix.get(g, 0.0) / n
        result[f"{name}_micro_f1"] = (
            float(f1_score(y_true, y_pred, average="micro", sample_weight=weights, zero_division=1))
            if weights.any()
            else float("nan")
        )
    return result


def _score_multilabel(
    gold: Mapping[Any, Sequence[str]],
    pred: Mapping[Any, Sequence[str]],
    classes: Sequence[str],
    source: str,
) -> dict[str, Any]:
    ids = check_ids(gold, pred, source)
    check_labels(gold, classes, "gold")
    check_labels(pred, classes, source)
    binarizer = MultiLabelBinarizer(classes=list(classes))
    binarizer.fit([list(classes)])
    y_true = binarizer.transform([list(gold[key]) for key in ids])
    y_pred = binarizer.transform([list(pred[key]) for key in ids])
    columns = np.arange(len(classes))
    return {
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=1)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=1)),
        "per_label": _per_label(y_true, y_pred, columns, classes, zero_division=1),
        "n": len(ids),
    }


def score_frames(
    gold: Mapping[str, Sequence[str]],
    pred: Mapping[str, Sequence[str]],
    *,
    source: str = "predictions",
) -> dict[str, Any]:
    """Subtask 2: official micro-F1 over ``labels.FRAMES`` (zero_division=1), plus macro-F1."""
    return _score_multilabel(gold, pred, FRAMES, source)


def score_techniques(
    gold: Mapping[tuple[str, int], Sequence[str]],
    pred: Mapping[tuple[str, int], Sequence[str]],
    *,
    source: str = "predictions",
) -> dict[str, Any]:
    """Subtask 3: official micro-F1 over ``labels.TECHNIQUES`` per (article, paragraph) id."""
    return _score_multilabel(gold, pred, TECHNIQUES, source)


# (technique, start, end) character spans of one article
ArticleSpans = Sequence[tuple[str, int, int]]


def _credit(spans: Sequence[tuple[int, int]], others: Sequence[tuple[int, int]]) -> float:
    """Sum over ``spans`` of min(1, sum over ``others`` of |s & o| / |s|)."""
    total = 0.0
    for a, b in spans:
        overlap = sum(max(0, min(b, d) - max(a, c)) for c, d in others)
        total += min(1.0, overlap / (b - a))
    return total


def _prf(p_credit: float, n_pred: int, r_credit: float, n_gold: int) -> dict[str, float | int]:
    p = p_credit / n_pred if n_pred else 0.0
    r = r_credit / n_gold if n_gold else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "pred_spans": n_pred,
        "gold_spans": n_gold,
        "precision_credit": p_credit,
        "recall_credit": r_credit,
    }


def score_spans(
    gold: Mapping[str, ArticleSpans],
    pred: Mapping[str, ArticleSpans],
    *,
    source: str = "predictions",
) -> dict[str, Any]:
    """Technique spans: the SemEval-2020 Task 11 / CheckThat! 2024 partial-overlap span metric.

    ``gold`` and ``pred`` map an article id to its (technique, start, end) spans. Within one
    article and technique, a predicted span s earns min(1, sum_g |s & g| / |s|) over the gold
    spans g, and a gold span g earns min(1, sum_s |s & g| / |g|) over the predicted spans.
    Precision is the predicted spans' credit over their number, recall the gold spans' credit
    over theirs; ``micro`` sums credits and counts over all techniques. Articles missing from
    ``pred`` have no predicted spans; an article or label unknown to the gold is an error.
    """
    extra = sorted(set(pred) - set(gold), key=_sort_key)
    if extra:
        raise InputError(
            source, f"{len(extra)} article id(s) not in the gold spans ({_show(extra)})"
        )
    for name, spans_of in (("gold", gold), (source, pred)):
        check_labels({aid: [t for t, _, _ in s] for aid, s in spans_of.items()}, TECHNIQUES, name)
        for aid, spans in spans_of.items():
            for technique, start, end in spans:
                if not 0 <= start < end:
                    raise InputError(name, f"id {aid}: bad offsets {start}-{end} ({technique})")
    credit: dict[str, list[float]] = {t: [0.0, 0, 0.0, 0] for t in TECHNIQUES}
    for aid, gold_spans in gold.items():
        pred_spans = pred.get(aid, ())
        for technique in {t for t, _, _ in gold_spans} | {t for t, _, _ in pred_spans}:
            g = [(s, e) for t, s, e in gold_spans if t == technique]
            p = [(s, e) for t, s, e in pred_spans if t == technique]
            row = credit[technique]
            row[0] += _credit(p, g)
            row[1] += len(p)
            row[2] += _credit(g, p)
            row[3] += len(g)
    total = [sum(row[i] for row in credit.values()) for i in range(4)]
    return {
        "micro": _prf(total[0], int(total[1]), total[2], int(total[3])),
        "per_label": {
            t: _prf(row[0], int(row[1]), row[2], int(row[3]))
            for t, row in credit.items()
            if row[1] or row[3]
        },
        "n": len(gold),
    }
