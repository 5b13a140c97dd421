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


def use_fake_e5(monkeypatch: pytest.MonkeyPatch) -> FakeE5:
    """Make analysis and training load a ``FakeE5`` where they ask for "e5"; returns it."""
    import slant.analyzer
    import slant.train

    fake = FakeE5()
    for module in (slant.analyzer, slant.train):
        real = module.load_encoder
        monkeypatch.setattr(
            module,
            "load_encoder",
            lambda name, real=real, **kw: fake if name == "e5" else real(name, **kw),
        )
    return fake


@pytest.fixture(scope="session")
def accurate_model(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny_model`` with an accurate head trained on ``FakeE5`` vectors: analyse with it
    under ``use_fake_e5``."""
    from slant.model import Model
    from slant.train import train_accurate

    config = TrainConfig(langs=("en",), folds=2, seed=0)
    with pytest.MonkeyPatch.context() as patch:
        use_fake_e5(patch)
        model, _ = train_accurate(Model.load(tiny_model), FIXTURE_CORPUS, config, lambda m: None)
    return model.save(tmp_path_factory.mktemp("accurate-model"))
