"""Shared fixtures: a tiny model trained on the fixture corpus, and the shared SemEval data."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

import slant
from slant.train import TrainConfig, train

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
FIXTURE_CORPUS = FIXTURES / "semeval"  # SemEval layout: lang "en", split "train"
FIXTURE_ARTICLES = FIXTURE_CORPUS / "en" / "train-articles-subtask-3"
CRLF_ARTICLE = FIXTURE_ARTICLES / "article9000002.txt"

SHARED_DATA = Path(os.environ.get("SLANT_DATA") or REPO_ROOT.parent / "shared" / "data")


def require_corpus() -> Path:
    """The shared SemEval-2023 Task 3 folder; skips the calling test when it is not there."""
    root = SHARED_DATA / "semeval2023t3"
    if not root.is_dir():
        pytest.skip(f"shared SemEval data not found at {root}; set SLANT_DATA to run this test")
    return root


def read_article(path: Path) -> str:
    """Read an article as SemEval does: line endings kept, so offsets count ``\\r``."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def train_fixture_model(seed: int = 0):
    """Train on the fixture corpus (two folds); returns ``(model, report)``."""
    config = TrainConfig(langs=("en",), folds=2, seed=seed)
    return train(FIXTURE_CORPUS, config, log=lambda m: None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory trained on tests/fixtures/semeval (a few seconds, once per session)."""
    model, _ = train_fixture_model()
    return model.save(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def analyzer(tiny_model: Path) -> slant.Analyzer:
    return slant.Analyzer(tiny_model)


class FakeE5:
    """Stands in for multilingual-e5-small: a fixed random unit vector per text."""

    name, dim = "e5", 384

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
            row = np.random.default_rng(seed).normal(size=self.dim)
            out[i] = row / np.linalg.norm(row)
        return out
