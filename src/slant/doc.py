"""The result types: an analysed article with character-offset spans.

Every offset is a character offset into the analysed text, so ``text[start:end]`` is always the
quoted text. ``Analysis.to_dict()`` is the documented JSON schema (docs/json-schema.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class Span:
    start: int
    end: int
    text: str
    score: float = 1.0
    target: str | None = None  # who the words attack (attack techniques only; None: no one found)


@dataclass
class Explanation:
    """Why a technique is reported: its definition and a reason built from the detected span."""

    definition: str
    why: str


@dataclass
class Technique:
    label: str
    category: str
    score: float
    spans: list[Span] = field(default_factory=list)
    explanation: Explanation | None = None


@dataclass
class TargetExample:
    paragraph: int  # the paragraph's index
    start: int
    end: int
    text: str


@dataclass
class TargetTechnique:
    label: str
    count: int
    examples: list[TargetExample] = field(default_factory=list)


@dataclass
class Target:
    """Someone the article attacks, with the techniques used on them (most used first)."""

    target: str
    count: int
    techniques: list[TargetTechnique] = field(default_factory=list)


@dataclass
class Paragraph:
    """One non-empty line of the article; ``index`` is its 1-based line number (SemEval's id)."""

    index: int
    start: int
    end: int
    text: str
    techniques: list[Technique] = field(default_factory=list)


@dataclass
class LabelScore:
    label: str
    score: float


@dataclass
class Genre:
    label: str
    scores: dict[str, float]


@dataclass
class ModelInfo:
    name: str
    version: str
    # "fast": lexical heads only, no neural encoder; "accurate": with multilingual-e5-small too
    mode: str = "default"


@dataclass
class Analysis:
    slant_version: str
    model: ModelInfo
    language: str
    genre: Genre
    frames: list[LabelScore]
    paragraphs: list[Paragraph]
    warnings: list[str] = field(default_factory=list)
    source: str | None = None
    title: str | None = None
    targets: list[Target] = field(default_factory=list)

    @property
    def techniques(self) -> list[str]:
        """Distinct technique labels found anywhere in the article."""
        seen: dict[str, None] = {}
        for paragraph in self.paragraphs:
            for technique in paragraph.techniques:
                seen.setdefault(technique.label)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, **_plain(self)}

    def to_json(self, indent: int | None = 2) -> str:
        # the encoder walks the objects itself (``vars`` of each dataclass): building
        # ``to_dict`` first cost more than the encoding
        document = {"schema_version": SCHEMA_VERSION, **vars(self)}
        return json.dumps(document, ensure_ascii=False, indent=indent, default=vars)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        paragraphs = [
            Paragraph(
                index=p["index"],
                start=p["start"],
                end=p["end"],
                text=p["text"],
                techniques=[
                    Technique(
                        label=t["label"],
                        category=t["category"],
                        score=t["score"],
                        spans=[Span(**s) for s in t["spans"]],
                        explanation=Explanation(**t["explanation"])
                        if t.get("explanation")
                        else None,
                    )
                    for t in p["techniques"]
                ],
            )
            for p in data["paragraphs"]
        ]
        return cls(
            slant_version=data["slant_version"],
            model=ModelInfo(**data["model"]),
            language=data["language"],
            genre=Genre(**data["genre"]),
            frames=[LabelScore(**f) for f in data["frames"]],
            paragraphs=paragraphs,
            warnings=list(data.get("warnings", [])),
            source=data.get("source"),
            title=data.get("title"),
            targets=[
                Target(
                    target=x["target"],
                    count=x["count"],
                    techniques=[
                        TargetTechnique(
                            label=t["label"],
                            count=t["count"],
                            examples=[TargetExample(**e) for e in t["examples"]],
                        )
                        for t in x["techniques"]
                    ],
                )
                for x in data.get("targets", [])
            ],
        )


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` without its deep copies (the values here are immutable leaves),
    several times faster on a long article's thousands of spans."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
