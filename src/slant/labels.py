"""The official SemEval-2023 Task 3 label sets, in the organisers' spelling and order.

Order matters: the official scorers binarise labels over these lists, and every output of slant
lists labels in this order.
"""

from __future__ import annotations

from dataclasses import dataclass

GENRES: tuple[str, ...] = ("opinion", "reporting", "satire")

FRAMES: tuple[str, ...] = (
    "Economic",
    "Capacity_and_resources",
    "Morality",
    "Fairness_and_equality",
    "Legality_Constitutionality_and_jurisprudence",
    "Policy_prescription_and_evaluation",
    "Crime_and_punishment",
    "Security_and_defense",
    "Health_and_safety",
    "Quality_of_life",
    "Cultural_identity",
    "Public_opinion",
    "Political",
    "External_regulation_and_reputation",
)

TECHNIQUES: tuple[str, ...] = (
    "Appeal_to_Authority",
    "Appeal_to_Popularity",
    "Appeal_to_Values",
    "Appeal_to_Fear-Prejudice",
    "Flag_Waving",
    "Causal_Oversimplification",
    "False_Dilemma-No_Choice",
    "Consequential_Oversimplification",
    "Straw_Man",
    "Red_Herring",
    "Whataboutism",
    "Slogans",
    "Appeal_to_Time",
    "Conversation_Killer",
    "Loaded_Language",
    "Repetition",
    "Exaggeration-Minimisation",
    "Obfuscation-Vagueness-Confusion",
    "Name_Calling-Labeling",
    "Doubt",
    "Guilt_by_Association",
    "Appeal_to_Hypocrisy",
    "Questioning_the_Reputation",
)

# The six coarse categories of the SemEval-2023 taxonomy (Piskorski et al., 2023, Table 1).
CATEGORIES: tuple[str, ...] = (
    "Attack_on_Reputation",
    "Justification",
    "Simplification",
    "Distraction",
    "Call",
    "Manipulative_Wording",
)

CATEGORY_OF: dict[str, str] = {
    "Name_Calling-Labeling": "Attack_on_Reputation",
    "Guilt_by_Association": "Attack_on_Reputation",
    "Doubt": "Attack_on_Reputation",
    "Appeal_to_Hypocrisy": "Attack_on_Reputation",
    "Questioning_the_Reputation": "Attack_on_Reputation",
    "Flag_Waving": "Justification",
    "Appeal_to_Authority": "Justification",
    "Appeal_to_Popularity": "Justification",
    "Appeal_to_Values": "Justification",
    "Appeal_to_Fear-Prejudice": "Justification",
    "Causal_Oversimplification": "Simplification",
    "False_Dilemma-No_Choice": "Simplification",
    "Consequential_Oversimplification": "Simplification",
    "Straw_Man": "Distraction",
    "Red_Herring": "Distraction",
    "Whataboutism": "Distraction",
    "Slogans": "Call",
    "Conversation_Killer": "Call",
    "Appeal_to_Time": "Call",
    "Loaded_Language": "Manipulative_Wording",
    "Obfuscation-Vagueness-Confusion": "Manipulative_Wording",
    "Exaggeration-Minimisation": "Manipulative_Wording",
    "Repetition": "Manipulative_Wording",
}


@dataclass(frozen=True)
class LabelInfo:
    """A label with the human-readable text shown in reports."""

    name: str
    kind: str  # "genre" | "frame" | "technique" | "category"
    title: str
    definition: str
    example: str
    category: str | None = None


def _title(name: str) -> str:
    return name.replace("_", " ").replace("-", " / ")


# name -> (definition, example). Written by the slant authors; examples are invented sentences.
_TEXTS: dict[str, tuple[str, str]] = {
    "opinion": (
        (
            "An article written mainly to argue for a point of view, such as a column, editorial, "
            "commentary or letter to the editor. The author's own judgements are openly part of "
            "the text instead of being attributed to sources."
        ),
        (
            "In my view, the Northport council's parking plan is the worst idea it has had in a "
            "decade."
        ),
    ),
    "reporting": (
        (
            "An article written mainly to inform readers about events, usually attributing claims "
            "to named sources and keeping the writer's own opinions out of the text."
        ),
        (
            "The Northport council voted 7-2 on Tuesday to raise parking fees, a spokesperson for "
            "Mayor Dalton said."
        ),
    ),
    "satire": (
        (
            "An article that imitates the style of news or commentary in order to mock its targets "
            "through irony, absurdity or deliberate exaggeration. Its claims are not meant to be "
            "taken literally."
        ),
        (
            "Mayor Dalton unveiled a bold plan to end traffic jams by removing the colour red from "
            "every traffic light in Northport."
        ),
    ),
    "Economic": (
        (
            "The issue is discussed in terms of money: costs and benefits, prices, jobs, taxes, "
            "trade and other financial consequences for households, businesses or the state."
        ),
        (
            "The new port tariff will cost Northport's fishing firms an estimated four million "
            "crowns a year."
        ),
    ),
    "Capacity_and_resources": (
        (
            "The issue is discussed in terms of whether there is enough, or too much, of what is "
            "needed to deal with it: money, staff, space, equipment, time or infrastructure."
        ),
        "Brenholm's only shelter has 40 beds and turned away 120 people last winter.",
    ),
    "Morality": (
        (
            "The issue is discussed as a question of right and wrong on ethical, religious or "
            "conscience-based grounds, including moral duties, rather than on legal or practical "
            "grounds."
        ),
        (
            "Councillor Vasquez said it is simply wrong to let neighbours go hungry while the town "
            "granary sits full."
        ),
    ),
    "Fairness_and_equality": (
        (
            "The issue is discussed in terms of whether people or groups are treated equally and "
            "justly: discrimination, equal rights, and who carries the burdens or receives the "
            "benefits."
        ),
        (
            "Residents of the east district pay the same water tax as everyone else but get water "
            "only four days a week."
        ),
    ),
    "Legality_Constitutionality_and_jurisprudence": (
        (
            "The issue is discussed in terms of laws, courts and constitutional rights: what is "
            "legally permitted, who has the authority to act, and how rules and rulings are "
            "interpreted."
        ),
        (
            "Lawyers for the shopkeepers argue that the curfew goes beyond the powers the city "
            "charter grants the Northport council."
        ),
    ),
    "Policy_prescription_and_evaluation": (
        (
            "The issue is discussed in terms of specific policies, proposed or already in place, "
            "and judgements about whether they will work or have worked."
        ),
        (
            "Six months after the bus-lane scheme began, average commute times in Eastfield have "
            "fallen by nine minutes."
        ),
    ),
    "Crime_and_punishment": (
        (
            "The issue is discussed in terms of breaking the law, policing, enforcement, "
            "sentencing and punishment, including whether offences are punished appropriately."
        ),
        (
            "Brenholm police arrested twelve people in connection with the warehouse thefts, and "
            "prosecutors are seeking prison terms."
        ),
    ),
    "Security_and_defense": (
        (
            "The issue is discussed in terms of threats to the safety or integrity of a country, "
            "community or group and the measures taken against them, such as military action, "
            "border control or counter-terrorism."
        ),
        (
            "The Valdorian defence ministry is moving two battalions to the northern border after "
            "the drone incursions."
        ),
    ),
    "Health_and_safety": (
        (
            "The issue is discussed in terms of physical and mental health, disease, access to "
            "healthcare, injuries and public-safety risks such as accidents or pollution."
        ),
        (
            "Doctors at Northport General report a sharp rise in asthma admissions since the "
            "smelter reopened."
        ),
    ),
    "Quality_of_life": (
        (
            "The issue is discussed in terms of its effects on people's everyday wellbeing, "
            "comfort, opportunities and living conditions, beyond narrowly economic or medical "
            "effects."
        ),
        (
            "Since the night flights began, families near the airfield say they can no longer "
            "sleep with the windows open."
        ),
    ),
    "Cultural_identity": (
        (
            "The issue is discussed in terms of a group's traditions, customs, language, heritage "
            "and shared values, and how it relates to the way a community sees itself."
        ),
        "For many islanders, the annual boat festival is what makes Kessa feel like home.",
    ),
    "Public_opinion": (
        (
            "The issue is discussed in terms of what the public or particular groups think about "
            "it, as shown by polls, protests, petitions, votes or general mood."
        ),
        "A new poll finds that 61 percent of Brenholm voters oppose the stadium plan.",
    ),
    "Political": (
        (
            "The issue is discussed as a matter of politics: party positions, partisan conflict, "
            "elections, political strategy and the manoeuvres of political actors."
        ),
        (
            "The Green Alliance hopes the bridge vote will split Mayor Dalton's coalition before "
            "the spring election."
        ),
    ),
    "External_regulation_and_reputation": (
        (
            "The issue is discussed in terms of a country's or institution's standing with "
            "outsiders: its international reputation, foreign relations, treaties and oversight by "
            "external bodies."
        ),
        (
            "Valdoria's trade envoy warned that the tariff dispute is damaging the country's image "
            "among its neighbours."
        ),
    ),
    "Appeal_to_Authority": (
        (
            "Supports a claim mainly by pointing out that an expert, official, institution or "
            "celebrity endorses it, offering the source's status in place of evidence. Unlike "
            "Appeal_to_Popularity, the weight comes from who says it, not from how many people "
            "agree."
        ),
        (
            "As the renowned economist Dr Hale has said, the new tariff can only be good for "
            "Valdoria."
        ),
    ),
    "Appeal_to_Popularity": (
        (
            "Argues that a claim or action is right because many people, most people or 'everyone' "
            "already believe or do it (the bandwagon). Unlike Appeal_to_Authority, it relies on "
            "numbers rather than on the standing of a particular source."
        ),
        "Thousands of Brenholm families have already signed the petition, so you should too.",
    ),
    "Appeal_to_Values": (
        (
            "Justifies a position by tying it to values the audience cherishes, such as freedom, "
            "tradition, fairness, faith or democracy, treated as self-evidently good. Unlike "
            "Flag_Waving, it invokes shared principles rather than loyalty to a nation or group."
        ),
        "Anyone who truly believes in education and opportunity will vote for the library levy.",
    ),
    "Appeal_to_Fear-Prejudice": (
        (
            "Promotes an idea by stirring up anxiety, panic or hostility towards something or some "
            "group, often by painting the alternative as frightening or by playing on existing "
            "prejudice. Unlike Consequential_Oversimplification, the aim is emotional alarm rather "
            "than a chain of effects."
        ),
        (
            "If the northern border stays open, criminals will be roaming our children's "
            "schoolyards by summer."
        ),
    ),
    "Flag_Waving": (
        (
            "Justifies an idea by appealing to pride in, or loyalty to, a nation, region, party or "
            "other group, implying that any true member must support it. Unlike Appeal_to_Values, "
            "it rests on group identity ('as patriots', 'for our country') rather than on general "
            "principles."
        ),
        "Every true Valdorian will stand behind our soldiers and support this budget.",
    ),
    "Causal_Oversimplification": (
        (
            "Attributes an outcome to a single cause when several are at work, or blames one "
            "person or group for a complex problem. It looks backwards at why something happened, "
            "whereas Consequential_Oversimplification predicts a chain of future effects."
        ),
        "Crime in Northport rose for one reason only: Mayor Dalton cut the police budget.",
    ),
    "False_Dilemma-No_Choice": (
        (
            "Presents only two options, or just one, as if no others existed, usually pairing the "
            "author's preferred choice with an unacceptable alternative. The simplification lies "
            "in the choices offered, not in a claimed cause or chain of consequences."
        ),
        "Either we build the dam this year or Brenholm's farms will die of thirst.",
    ),
    "Consequential_Oversimplification": (
        (
            "Claims that a first step will inevitably set off a chain of increasingly extreme "
            "consequences (a slippery slope) without showing why each step must follow. It reasons "
            "forwards about effects, unlike Causal_Oversimplification, which shrinks the causes of "
            "something that already happened."
        ),
        (
            "If we let the council close one branch library, next it will close the schools, and "
            "soon Northport will have no public services at all."
        ),
    ),
    "Straw_Man": (
        (
            "Replaces an opponent's actual position with a distorted, exaggerated or weaker "
            "version and then attacks that version. Unlike Red_Herring it stays on topic but "
            "misrepresents what was said; unlike Whataboutism it does not point to the opponent's "
            "own conduct."
        ),
        (
            "Councillor Ames wants a lower speed limit near schools; apparently she thinks nobody "
            "should be allowed to drive at all."
        ),
    ),
    "Red_Herring": (
        (
            "Brings in an unrelated issue to pull attention away from the point under discussion. "
            "Unlike Straw_Man it does not distort the opponent's position, and unlike Whataboutism "
            "it does not accuse anyone of similar conduct; it simply changes the subject."
        ),
        (
            "Asked about the missing hospital funds, Minister Orla replied that Valdoria had just "
            "won the regional football cup."
        ),
    ),
    "Whataboutism": (
        (
            "Deflects a criticism by pointing to a similar or worse wrong by the critic or their "
            "allies ('what about...?') instead of answering it. Unlike Appeal_to_Hypocrisy, which "
            "attacks a target's credibility, its function is to steer attention away from the "
            "accusation."
        ),
        (
            "The opposition complains about our travel expenses, but what about the yacht their "
            "leader rented two summers ago?"
        ),
    ),
    "Slogans": (
        (
            "A short, catchy and often rhythmic phrase that packs a stance or call to action into "
            "a memorable formula that stands in for an argument. Unlike Conversation_Killer, it is "
            "meant to rally support and be repeated, not to end a discussion."
        ),
        "Northport first, Northport always!",
    ),
    "Appeal_to_Time": (
        (
            "Argues that something must be done now because the moment is uniquely right or time "
            "is running out, so that urgency itself becomes the reason to act."
        ),
        "This is Brenholm's moment: the time to approve the tram line is tonight, not next year.",
    ),
    "Conversation_Killer": (
        (
            "A phrase that discourages further thought or debate by declaring the matter closed, "
            "settled or not worth discussing ('enough said', 'it is what it is'). Unlike Slogans, "
            "its job is to shut down critical questioning rather than to rally people."
        ),
        "The council has decided, and that's the end of it; there is nothing more to talk about.",
    ),
    "Loaded_Language": (
        (
            "Uses words with strong emotional connotations, positive or negative, to sway the "
            "audience beyond what the facts support. Unlike Name_Calling-Labeling, the charged "
            "words describe events, actions or things rather than pinning a label on a person or "
            "group."
        ),
        "The council's reckless scheme will ravage our peaceful harbour.",
    ),
    "Repetition": (
        (
            "Repeats the same word, phrase or claim several times so that the audience comes to "
            "accept it through familiarity rather than argument. A phrase used only once is not "
            "repetition."
        ),
        "The plan is unfair: unfair to workers, unfair to families and unfair to Northport.",
    ),
    "Exaggeration-Minimisation": (
        (
            "Makes something seem far bigger, worse or more important than it is, or shrinks "
            "something serious into a trifle. Unlike Loaded_Language, the distortion lies in the "
            "size of the claim rather than in the emotional colour of the words."
        ),
        "Mayor Dalton's two-percent fee rise is the greatest robbery in the history of Northport.",
    ),
    "Obfuscation-Vagueness-Confusion": (
        (
            "Uses deliberately unclear, ambiguous or jargon-heavy wording so the audience cannot "
            "pin down what is being claimed and may read into it whatever they like. It avoids "
            "commitment rather than distorting a specific claim."
        ),
        (
            "Minister Orla said the budget would 'realign certain priorities in a forward-looking "
            "way, where appropriate'."
        ),
    ),
    "Name_Calling-Labeling": (
        (
            "Pins a label, usually insulting or belittling but sometimes flattering, on a person "
            "or group so the audience judges them by the label rather than by what they do or "
            "argue. Unlike Loaded_Language, the charged term names the target itself ('traitors', "
            "'clowns')."
        ),
        "The spineless bureaucrats at city hall have done it again.",
    ),
    "Doubt": (
        (
            "Casts doubt on the honesty, competence or credibility of a person or organisation, or "
            "on a specific claim of theirs, often with insinuating questions and little evidence. "
            "Unlike Questioning_the_Reputation, it targets trustworthiness on the matter at hand "
            "rather than the target's character in general."
        ),
        (
            "Can we really trust a finance minister whose forecasts have been wrong three years "
            "running?"
        ),
    ),
    "Guilt_by_Association": (
        (
            "Discredits a person, group or idea by linking it to someone or something the audience "
            "already despises, such as a hated regime, criminal or extremist group, instead of "
            "judging it on its merits. Unlike Name_Calling-Labeling, the damage comes from the "
            "association with a reviled third party."
        ),
        (
            "The council's curfew is exactly the kind of rule the old junta in Marvest loved to "
            "impose."
        ),
    ),
    "Appeal_to_Hypocrisy": (
        (
            "Attacks a target's credibility by pointing out that their words contradict their own "
            "past or present actions, implying their position can be dismissed. Unlike "
            "Whataboutism, it goes on the offensive against the target rather than deflecting "
            "criticism aimed at the speaker."
        ),
        (
            "Councillor Ames lectures us about saving water while she refills her private swimming "
            "pool every week."
        ),
    ),
    "Questioning_the_Reputation": (
        (
            "Makes strong negative claims about a person's or group's character, morals or record, "
            "often unrelated to the issue, to undermine them in general. Unlike Doubt, it does not "
            "question a specific claim or competence but paints the target as a bad person or "
            "institution."
        ),
        "Minister Orla has never cared about anyone but herself and her wealthy friends.",
    ),
    "Attack_on_Reputation": (
        (
            "Techniques that go after the person or group behind a position rather than the "
            "position itself, by labelling, smearing or casting doubt on them: "
            "Name_Calling-Labeling, Guilt_by_Association, Doubt, Appeal_to_Hypocrisy and "
            "Questioning_the_Reputation."
        ),
        "Why listen to Councillor Ames, a hypocrite who has never kept a promise in her life?",
    ),
    "Justification": (
        (
            "Techniques that back a claim with something other than evidence about it: a source's "
            "authority, the number of supporters, shared values, group loyalty or fear. They are "
            "Appeal_to_Authority, Appeal_to_Popularity, Appeal_to_Values, Appeal_to_Fear-Prejudice "
            "and Flag_Waving."
        ),
        "Every patriotic Valdorian, and every serious economist, backs the new tariff.",
    ),
    "Simplification": (
        (
            "Techniques that reduce a complex situation to a misleadingly simple one: a single "
            "cause, only two options, or an inevitable chain of consequences. They are "
            "Causal_Oversimplification, False_Dilemma-No_Choice and "
            "Consequential_Oversimplification."
        ),
        "Either we sack the harbour master or Northport's economy will collapse.",
    ),
    "Distraction": (
        (
            "Techniques that move attention away from the real issue or the opponent's real "
            "argument, by misrepresenting it, changing the subject or pointing to other people's "
            "misdeeds. They are Straw_Man, Red_Herring and Whataboutism."
        ),
        "Why worry about our budget overrun when the previous council wasted twice as much?",
    ),
    "Call": (
        (
            "Techniques that push the audience to act, or to stop questioning, through catchy "
            "formulas, urgency or phrases that close the debate. They are Slogans, "
            "Conversation_Killer and Appeal_to_Time."
        ),
        "Build the bridge, build it now: Brenholm can't wait another day!",
    ),
    "Manipulative_Wording": (
        (
            "Techniques that persuade through the choice and arrangement of words rather than "
            "through an argument: emotionally charged terms, inflated or shrunken claims, "
            "deliberate vagueness and repetition. They are Loaded_Language, "
            "Exaggeration-Minimisation, Obfuscation-Vagueness-Confusion and Repetition."
        ),
        "This catastrophic, catastrophic tax will crush every last family in Northport.",
    ),
}


def _build() -> dict[str, LabelInfo]:
    info: dict[str, LabelInfo] = {}
    for kind, names in (
        ("genre", GENRES),
        ("frame", FRAMES),
        ("technique", TECHNIQUES),
        ("category", CATEGORIES),
    ):
        for name in names:
            definition, example = _TEXTS[name]
            info[name] = LabelInfo(
                name=name,
                kind=kind,
                title=_title(name),
                definition=definition,
                example=example,
                category=CATEGORY_OF.get(name),
            )
    return info


LABELS: dict[str, LabelInfo] = _build()


def describe(name: str) -> LabelInfo:
    """Return the human-readable description of an official label name."""
    try:
        return LABELS[name]
    except KeyError:
        raise KeyError(f"unknown label {name!r}") from None
