"""End-to-end speed of `slant analyze` as a user runs it, beside an XLM-RoBERTa-large encoder.

    python bench/speed.py                      # all nine languages' unlabelled test articles
    python bench/speed.py --articles ../shared/data/semeval2023t3-unlabelled/en/test-articles

For each mode (default, --fast, --accurate) one `slant analyze` process reads every article and
writes JSON: the whole process is timed (start-up, model load, segmentation, encoding, every
prediction, spans, output), with its peak RSS. Cold start is one process analysing one article.
The processes may cache bytecode, as an installed slant does (``record.user_env``). The accurate
mode runs multilingual-e5-small (`pip install -e ".[accurate]"`) and is about ten times slower,
so it runs ``--accurate-repeat`` times (default once); ``--modes`` picks the modes.

The comparison runs a random sample of the same paragraphs through an XLM-RoBERTa-large-sized
encoder (the model of the best SemEval-2023 systems) built from its configuration with random
weights: nothing is downloaded and the arithmetic is the same. Tokens come from blingfire's
XLM-RoBERTa tokenizer, so sequence lengths are the real ones. Only the encoder's forward pass is
timed, which flatters the large model (no heads, no load time). Needs `torch==2.13.0` and
`transformers` (`pip install -e ".[bench]"`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from record import append, command, machine, user_env

ROOT = Path(__file__).resolve().parents[1]
UNLABELLED = ROOT.parent / "shared/data/semeval2023t3-unlabelled"

LARGE = r"""
import sys, time, json
import blingfire, os, torch
from transformers import XLMRobertaConfig, XLMRobertaModel
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
texts = json.load(sys.stdin)
model_file = os.path.join(os.path.dirname(blingfire.__file__), "xlm_roberta_base.bin")
tok = blingfire.load_model(model_file)
ids = [[int(i) for i in blingfire.text_to_ids(tok, t, 510, 3, True)] for t in texts]
ids = [[0] + [i for i in x if i != 0] + [2] for x in ids]
config = XLMRobertaConfig(vocab_size=250002, hidden_size=1024, num_hidden_layers=24,
    num_attention_heads=16, intermediate_size=4096, max_position_embeddings=514)
model = XLMRobertaModel(config).eval()
order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
start = time.perf_counter()
with torch.inference_mode():
    for b in range(0, len(order), 8):
        batch = [ids[i] for i in order[b:b + 8]]
        width = max(map(len, batch))
        x = torch.tensor([s + [1] * (width - len(s)) for s in batch])
        model(input_ids=x, attention_mask=(x != 1).long())
print(json.dumps({"seconds": time.perf_counter() - start,
                  "tokens": sum(map(len, ids)), "paragraphs": len(ids)}))
"""


# mode -> its `slant analyze` options
MODES = {"default": [], "fast": ["--fast"], "accurate": ["--accurate"]}


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `slant` process."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
        "w = time.perf_counter() - t; "
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.returncode)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, check=True, env=user_env(),
    )  # fmt: skip
    wall, rss, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"slant exited with {rc}: {' '.join(args)}")
    return float(wall), float(rss)


def large_encoder_rate(paragraphs: list[str], sample: int, threads: int) -> dict[str, float]:
    import json
    import random

    chosen = random.Random(0).sample(paragraphs, min(sample, len(paragraphs)))
    out = subprocess.run(
        [sys.executable, "-c", LARGE, str(threads)],
        input=json.dumps(chosen),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"the XLM-R-large run failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rate"] = result["paragraphs"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles", type=Path, nargs="+",
        default=sorted(UNLABELLED.glob("*/test-articles")),
        help="folders of .txt articles (default: every language's unlabelled test articles)",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--modes", nargs="+", choices=list(MODES), default=list(MODES), help="modes to time"
    )
    parser.add_argument("--accurate-repeat", type=int, default=1, help="runs of --accurate")
    parser.add_argument("--large-sample", type=int, default=48, help="paragraphs (0: skip)")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from slant.ingest import read_input
    from slant.segment import paragraphs

    files = sorted(f for folder in args.articles for f in folder.glob("*.txt"))
    if not files:
        raise SystemExit(f"no articles under {' '.join(map(str, args.articles))}")
    texts = [p.text for f in files for p in paragraphs(read_input(str(f)).text)]
    slant = str(Path(sys.executable).with_name("slant"))
    folders = [str(f) for f in args.articles]

    def repeats(mode: str) -> int:
        return args.accurate_repeat if mode == "accurate" else args.repeat

    cold = {
        mode: min(
            run([slant, "analyze", str(files[0]), "--format", "json", *MODES[mode]])[0]
            for _ in range(repeats(mode))
        )
        for mode in args.modes
        if mode != "fast"
    }
    rows, rates = [], {}
    for mode in args.modes:
        runs = [
            run([slant, "analyze", *folders, "--format", "json", *MODES[mode]])
            for _ in range(repeats(mode))
        ]
        wall, rss = min(w for w, _ in runs), max(r for _, r in runs)
        label = " ".join(MODES[mode]) or mode
        rates[label] = len(texts) / wall
        rows.append(
            f"| {label} | {len(files)} | {len(texts)} | {wall:.2f} | {len(files) / wall:.1f} | "
            f"{len(texts) / wall:.0f} | {rss:.0f} | {len(runs)} |"
        )
    text = (
        "| mode | articles | paragraphs | best wall (s) | articles/s | paragraphs/s "
        "| peak RSS (MB) | runs |\n|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\n"
        + "".join(
            f"Cold start (`slant analyze{''.join(' ' + o for o in MODES[m])}` on one article, "
            f"whole process): {seconds:.2f} s\n"
            for m, seconds in cold.items()
        )
    )
    if args.large_sample:
        large = large_encoder_rate(texts, args.large_sample, os.cpu_count() or 2)
        text += (
            f"\nXLM-RoBERTa-large-sized encoder (random weights, forward pass only, batch 8, "
            f"{os.cpu_count()} threads): {large['paragraphs']} sampled paragraphs, "
            f"{large['tokens']} tokens, {large['seconds']:.1f} s = {large['rate']:.2f} "
            f"paragraphs/s.\n\n"
            + "; ".join(
                f"slant {m} end to end is {rate / large['rate']:.0f}x faster"
                for m, rate in rates.items()
            )
            + ".\n"
        )
    print(text)
    if args.record:
        where = ", ".join(f"{Path(f).parent.name}/{Path(f).name}" for f in folders)
        if len(folders) > 3:
            where = f"{len(folders)} folders ({Path(folders[0]).parent.parent.name}/*)"
        append(
            f"\n### Speed: `slant analyze` on {where}\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}; best of "
            + ", ".join(f"{repeats(mode)} ({mode})" for mode in args.modes)
            + "\n"
            f"- command: `{command()}`\n\n{text}"
        )


if __name__ == "__main__":
    main()
