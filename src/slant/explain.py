"""Explanations: why slant reports a technique, from the detected words and the model's scores.

Every sentence is a template filled only with what the analysis holds: the technique's
definition (``slant.labels``), the quoted span(s), the target found in the text (if any), the
paragraph model's probability and the span tagger's word score. Nothing is invented.
"""

from __future__ import annotations

from collections.abc import Sequence

from slant.doc import Explanation, Span
from slant.labels import describe

# What the words do, per technique; "{target}" is the target, or the fallback after the bar.
_DOES: dict[str, str] = {
    "Name_Calling-Labeling": "{label} with a name meant to insult or to praise|someone",
    "Doubt": "questions the credibility of {target}|someone or something",
    "Guilt_by_Association": "links {target} to a person or group the reader is meant to despise"
    "|someone",
    "Appeal_to_Hypocrisy": "accuses {target} of hypocrisy|someone",
    "Questioning_the_Reputation": "attacks the character or reputation of {target}|someone",
    "Loaded_Language": "uses emotionally charged words{about}|",
    "Appeal_to_Authority": "rests a claim on who endorses it rather than on evidence|",
    "Appeal_to_Popularity": "argues from what many people think or do|",
    "Appeal_to_Values": "invokes values the reader is expected to share|",
    "Appeal_to_Fear-Prejudice": "plays on fear or prejudice|",
    "Flag_Waving": "appeals to pride in a nation or group|",
    "Causal_Oversimplification": "reduces a complex matter to a single cause|",
    "False_Dilemma-No_Choice": "presents only two options, or only one|",
    "Consequential_Oversimplification": "claims that one step will lead to extreme consequences|",
    "Straw_Man": "attacks a distorted version of an opposing position|",
    "Red_Herring": "turns attention to an unrelated matter|",
    "Whataboutism": "deflects criticism by pointing to others' misdeeds|",
    "Slogans": "uses a short, catchy formula|",
    "Appeal_to_Time": "presses for urgency|",
    "Conversation_Killer": "discourages further discussion|",
    "Repetition": "repeats words to drive the point home|",
    "Exaggeration-Minimisation": "inflates or shrinks the matter beyond the facts|",
    "Obfuscation-Vagueness-Confusion": "stays vague where a clear claim is expected|",
}
_QUOTED = 3  # spans quoted in one explanation


def _quote(spans: Sequence[Span]) -> str:
    quoted = [f"“{s.text}”" for s in spans[:_QUOTED]]
    if len(spans) > _QUOTED:
        quoted.append(f"{len(spans) - _QUOTED} more")
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _does(label: str, targets: Sequence[str]) -> str:
    template, _, fallback = _DOES[label].partition("|")
    named = " and ".join(targets)
    if "{label}" in template:  # name calling: "labels Putin with ..."
        return template.replace("{label}", f"labels {named or fallback}")
    if "{about}" in template:
        return template.replace("{about}", f" about {named}" if named else "")
    return template.replace("{target}", named or fallback)


def explain(label: str, score: float, spans: Sequence[Span]) -> Explanation:
    """The explanation of technique ``label`` found with probability ``score`` in ``spans``."""
    targets = list(dict.fromkeys(s.target for s in spans if s.target))[:2]
    does = _does(label, targets)
    if len(spans) > 1:  # "uses" -> "use", "presses" -> "press" after a plural subject
        first, _, rest = does.partition(" ")
        first = first[:-2] if first.endswith("sses") else first[:-1]
        does = first + (" " + rest if rest else "")
    word_score = max((s.score for s in spans), default=0.0)
    why = (
        f"{_quote(spans)} {does}. The paragraph model gives this technique {score:.2f}; the span "
        f"tagger chose these words (word score up to {word_score:.2f})."
        if spans
        else f"The paragraph model gives this technique {score:.2f}; no words were located."
    )
    return Explanation(definition=describe(label).definition, why=why)
