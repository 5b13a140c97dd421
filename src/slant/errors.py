"""Errors that name the input they are about, so batch runs can report and skip them."""

from __future__ import annotations

from pathlib import Path


class SlantError(Exception):
    """Base class of every error slant raises on purpose."""


class InputError(SlantError):
    """An input (file, folder, text) that slant cannot use, with the reason."""

    def __init__(self, source: str | Path, problem: str) -> None:
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # pickle (worker processes) would call InputError(message) and fail
        return type(self), (self.source, self.problem)


class ModelError(SlantError):
    """A model directory that is missing, incomplete or of an incompatible version."""
