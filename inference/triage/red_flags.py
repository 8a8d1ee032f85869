"""Red flags: a dispatcher's key questions as text rules that can only make a call more urgent.

Dispatch protocols open every call with the same few questions (is the patient awake? breathing
normally? is there chest pain, serious bleeding, choking?), and a "no" to "breathing?" sends an
ambulance whatever else was said. This layer asks them of the transcript: each ``RedFlag`` names
the question it models and the least urgent level a "yes" allows (0 immediate, 1 emergent). The
level acted on becomes ``min(classifier's level, every raised flag's level)``: a flag can raise
urgency, never lower it, so it can only trade over-triage for less under-triage.

A phrase does not count when it is negated in its clause ("no chest pain", "he didn't pass out",
"not unconscious", "denies any chest pain") or said as a figure of speech ("I nearly had a heart
attack when I saw the bill"). Rules are pure regular expressions over the text, microseconds
per call. They are written from the protocols' questions and checked against the corpus's
train and validation splits only (how often each fires on levels 2-4 there), never the test
split or the independent set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from inference.triage.base import Triage, UrgencyClassifier

_PRONOUN = r"(?:he|she|they|it|i|we|you|baby|(?:my|our|the|his|her) \w+)"
_IS = r"(?:'s|'re|'m| is| are| am| was| were| has| have| had|)"
_NOT = r"(?:\bnot|\b(?:is|was|are|were|has|have|does|did|ai)n'?t|\bno longer|\bnever)"
"""A negation that is part of a flag's phrase ("isn't breathing"); "can't breathe" is not one of them."""


@dataclass(frozen=True)
class RedFlag:
    """One key question: the phrases that answer it "yes", and the level that answer allows."""

    name: str
    question: str
    """The protocol question the rule models, as a dispatcher would ask it."""
    level: int
    """The least urgent level a call with this flag may be given (0 or 1)."""
    pattern: str
    """Case-insensitive regular expression; each match is checked for negation on its own."""
    unless: str = ""
    """A context that answers the question differently when it is in the match's sentence
    (an arm that will not lift after a fall is an injury, not a stroke); empty: none."""

    def __post_init__(self) -> None:
        if self.level not in (0, 1):
            raise ValueError(f"a red flag raises to level 0 or 1, got {self.level}")
        object.__setattr__(self, "_compiled", re.compile(self.pattern, re.IGNORECASE))
        object.__setattr__(self, "_unless", re.compile(self.unless, re.IGNORECASE) if self.unless else None)

    def excused(self, sentence: str) -> bool:
        return self._unless is not None and self._unless.search(sentence) is not None  # type: ignore[attr-defined]

    def matches(self, text: str) -> list[re.Match[str]]:
        return list(self._compiled.finditer(text))  # type: ignore[attr-defined]


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag("not_breathing", "Is the patient breathing normally?", 0,
            rf"{_NOT}\s+(?:breathing|breathin|breething|breath(?:e|es|ing)?)\b"
            r"(?!\s+(?:through|out of|thru|via)\s+(?:his|her|my|the|their|your)\s+(?:nose|mouth))"
            r"|\b(?:stopped|stop|stops)\s+breath\w*|\bbarely breathing|\bhardly breathing"
            r"|\b(?:no|can'?t (?:feel|find|get)(?: a| any)?)\s+(?:pulse|heartbeat)\b"
            r"|\bcan'?t see (?:him|her|them) breath\w*|\bagonal\b"
            r"|\b(?:doing|started|start|give|giving|do)\s+(?:cpr|compressions|chest compressions)\b"
            r"|\bheart (?:has |had |'s )?stopped\b|\bshock advised\b"),
    RedFlag("unconscious", "Is the patient awake (conscious)?", 0,
            r"\bunconscious\b|\bunresponsive\b|\bout cold\b"
            rf"|{_NOT}\s+(?:responding|responsive|respond|waking|wake|awake|conscious|answering (?:me|us|anyone))\b"
            r"|\bwon'?t\s+(?:wake|respond|come round)|\bcan'?t\s+(?:wake|rouse)\b|\bwill not wake"
            r"|\bnot (?:moving|talking|saying anything)\b(?!\s+(?:his|her|my|their|the)\s+\w+)"
            r"|\bnot (?:coming round|breathing or)\b"),
    RedFlag("arterial_bleeding", "Is there serious bleeding: spurting or pouring?", 0,
            r"\b(?:blood|bleeding|it)(?:'s| is| was)?\s+(?:is\s+)?(?:spurting|pumping|gushing|pouring|squirting|pulsing)"
            r"|\b(?:spurting|gushing|pumping out|squirting)\b.{0,20}\bblood|\bsoaked (?:right )?through"),
    RedFlag("heavy_bleeding", "Is there serious bleeding?", 1,
            r"\bbleeding (?:heavily|badly|a lot|loads|everywhere|really heavily)|\bheavy bleeding\b(?![^.]{0,30}\bperiod)"
            r"|\b(?:won'?t|will not|doesn'?t|does not|can'?t)\s+stop\s+(?:the\s+)?bleeding\b"
            r"|\bbleeding (?:won'?t|will not|isn'?t going to) stop|\b(?:so much|loads of|lots of|a lot of) blood\b"
            r"|\bblood everywhere\b|\bvomit\w* (?:up )?(?:lots of |loads of )?blood|\bthrowing up blood"),
    RedFlag("airway_swelling", "Is the throat or tongue swelling (airway)?", 0,
            r"\b(?:throat|tongue|airway)\s*(?:'s|is|are|has)?\s*(?:closing|closed|swelling up|swelled up|swollen shut|huge)"
            r"|\b(?:throat|tongue)\s+(?:is\s+|'s\s+)?(?:swelling|swollen)"),
    RedFlag("allergic_swelling", "Is this an allergic reaction with face or lip swelling?", 1,
            r"\b(?:lips?|face|mouth|eyes)\s+(?:is\s+|are\s+|has\s+|have\s+|'s\s+)?(?:swelling|swollen|swelled|blown up|puffing up)"
            r"|\bepi-?pen\b|\bauto-?injector\b|\banaphyla\w*"),
    RedFlag("choking_complete", "Is the patient choking and unable to breathe, talk or cough?", 0,
            r"\bchoking\b.{0,80}\b(?:can'?t|cannot|unable to|not able to|can not)\s+(?:breathe|breath|talk|speak|cough|make a sound)"
            r"|\b(?:can'?t|cannot)\s+(?:breathe|breath|talk|cough)\b.{0,60}\bchoking\b"),
    RedFlag("choking", "Is the patient choking?", 1,
            rf"\b{_PRONOUN}{_IS}\s+choking\b|\bchoking on\b"),
    RedFlag("cyanosis", "Has the patient changed colour (blue lips or face)?", 0,
            r"\b(?:lips?|face|skin|fingers|mouth)\s+(?:is\s+|are\s+|'s\s+|look\s+|looks\s+|have\s+|has\s+)?"
            r"(?:going|gone|turned|turning|went|looking)?\s*(?:blue|purple|grey|gray)\b"
            r"|\b(?:he|she|they|baby|he'?s|she'?s|they'?re|he has|she has)\s+(?:has\s+|is\s+|have\s+)?"
            r"(?:turned|turning|gone|going|went)\s+(?:blue|grey|gray|purple)\b"),
    RedFlag("status_epilepticus", "Is the fit still going on (over five minutes)?", 0,
            r"\b(?:fit|fitting|seiz\w+|convuls\w+|shaking)\b[^.!?]{0,60}\b(?:(?:for|over|more than|about|at least)\s+"
            r"(?:\d{1,2}|five|six|seven|eight|nine|ten|fifteen|twenty|thirty)\s*min\w*|for ages|not stopping|won'?t stop"
            r"|isn'?t stopping|keeps? (?:going|coming back)|since before)"
            r"|\b(?:won'?t|isn'?t|not)\s+stop\w*\s+(?:fitting|seizing|shaking)"),
    RedFlag("seizure", "Is the patient having or just had a fit?", 1,
            r"\bseiz(?:ure|ing)\b|\bconvuls\w+|\b(?:having|had|has) a fit\b|\bfitting\b"),
    RedFlag("chest_pain", "Does the patient have chest pain?", 1,
            r"\bchest\s+(?:pain|pains|hurts|hurting|tightness|pressure|is tight|feels tight|feels heavy)"
            r"|\bpain\w*\s+in\s+(?:his|her|my|their|the)\s+chest|\bcrushing\b|\bclutch\w*\s+(?:at\s+)?(?:his|her|my|their)\s+chest"
            r"|\b(?:my|his|her|their) chest (?:is |feels |'s )?(?:really |so |very )?(?:tight|heavy)\b|\bsitting on (?:my|his|her|their) chest"
            r"|\bgrabbed (?:his|her|my|their) chest|\b(?:pressure|tightness|tight)\s+(?:in|across|on)\s+(?:his|her|my|their)\s+chest"
            r"|\b(?:having|had|is having|'s having) a heart attack\b(?!\s+(?:over|about|at|when|because|with|from|laughing))"),
    RedFlag("breathing_difficulty", "Is the patient struggling to breathe?", 1,
            r"\b(?:can'?t|cannot|can not|could ?n'?t|unable to|struggling to|fighting to|hard to)\s+(?:get\s+(?:my|his|her|their|a|any)\s+)?"
            r"(?:breathe|breath|catch (?:my|his|her|their) breath)\b"
            r"(?!\s+(?:through|out of|via)\s+(?:his|her|my|the|their)\s+nose)"
            r"|\bfighting for (?:breath|air)|\bstruggling for (?:breath|air)|\bgasping\b"
            r"|\bcan (?:only|barely) (?:say|get out|speak) (?:a few|a couple|two|one|three)"
            r"|\b(?:can )?(?:hardly|barely) breathe\b"),
    RedFlag("stroke", "Is there face droop, arm weakness or speech trouble (FAST)?", 1,
            r"\bface\s+(?:has\s+|is\s+|'s\s+)?(?:dropped|drooping|droopy|fallen|lopsided|gone funny)"
            r"|\b(?:smile|mouth)\s+(?:has\s+|is\s+|'s\s+)?(?:gone\s+)?(?:lopsided|crooked|droopy|drooping)"
            r"|\bspeech\s+(?:is\s+|has\s+|'s\s+)?(?:gone\s+)?slurr\w*|\bslurr(?:ed|ing)\b"
            r"|\b(?:can'?t|cannot|unable to)\s+(?:lift|raise|move|feel)\s+(?:his|her|my|their|one|the)\s+(?:\w+\s+)?(?:arm|leg|hand|side)\b"
            r"|\bone side of (?:his|her|my|their) (?:face|body)\b|\btalking (?:gibberish|nonsense|rubbish)"
            r"|\bsudden(?:ly)?\b.{0,30}\bcan'?t see\b"
            r"|\b(?:having|is|it'?s|had|has had|think (?:it'?s|he'?s|she'?s|i'?m)(?: having)?) a stroke\b(?! (?:years|last|in 20|before|a few|once))",
            unless=r"\b(?:fell|fall|fallen|dislocat\w*|broke|broken|fractur\w*|injur\w*|popped|sprain\w*|landed|"
                   r"shoulder|wrist|elbow|plaster|cast)\b"),
    RedFlag("altered_consciousness", "Is the patient confused, or did they pass out?", 1,
            r"\b(?:passed|blacked)\s+out\b|\b(?:was|got|been|is|'s|were|are)\s+knocked\s+(?:out|unconscious)\b(?!\s+(?:his|her|my|a|the|their|one|two|some|an)\b)"
            r"|\bknocked (?:him|her|them|me|himself|herself) (?:out|unconscious)\b|\bfainted\b|\bcollapsed\b|\bnot making (?:any )?sense\b"
            r"|\bsuddenly (?:really |very )?confused\b|\b(?:drowsy|drowsier)\b"
            r"|\b(?:gone|went|going|is|'s|completely|all|really|very) (?:floppy|limp)\b"),
    RedFlag("overdose", "Has the patient taken an overdose or a poison?", 1,
            r"\boverdos\w*|\b(?:took|taken|swallowed|had)\s+(?:about\s+|around\s+|maybe\s+)?(?:\d{2,}|ten|twenty|thirty|forty|fifty"
            r"|a (?:handful|load|bunch|lot|packet|box|bottle|whole)|all|loads|lots|the (?:whole|rest))\s+(?:of\s+)?(?:\w+\s+){0,2}"
            r"(?:pills|tablets|paracetamol|capsules|painkillers|antidepressants|sleeping|ibuprofen|tylenol|aspirin|"
            r"codeine|co-codamol|insulin|meds|medication|medicine|them)\b"
            r"|\b(?:drank|drunk|swallowed|ate)\b.{0,30}\b(?:bleach|drain cleaner|dishwasher|weed ?killer|antifreeze|detergent|battery|batteries|magnets?)"),
    RedFlag("self_harm", "Is the patient thinking of ending their life?", 1,
            r"\b(?:kill|hang|hurt)\s+(?:myself|himself|herself|themselves)\b|\bend (?:my|his|her|their) (?:own )?life\b"
            r"|\bsuicid\w*|\btake (?:my|his|her) (?:own )?life\b|\bend it(?: all)?\b|\bbetter off dead\b"
            r"|\bdon'?t want to (?:be here|live|be alive|wake up)\b"),
    RedFlag("major_trauma", "Is there a serious injury (stabbing, shooting, fall from height, hit by a vehicle)?", 1,
            r"\bstabbed\b|\bstab wound|\b(?:been |was |got |he'?s |she'?s )shot\b|\bgunshot|\bshot (?:himself|herself|myself)"
            r"|\b(?:hit|knocked down|run over) by (?:a |the )?(?:car|bus|lorry|truck|van|train|motorbike)"
            r"|\bfell (?:from|off) (?:a |the )?(?:roof|ladder|scaffold\w*|balcony|window|bridge|cliff)"
            r"|\b(?:bone|bones)\b.{0,25}\b(?:through|out of) the skin|\bcrushed (?:under|beneath|by|between)\s+(?:a |the |his |her )?(?:car|tractor|vehicle|lorry|truck|machine\w*|wall|forklift|bus|tree|rubble|van)\b"
            r"|\b(?:trapped|pinned) (?:under|beneath)\b|\bopen fracture\b|\bcan see (?:the )?bone\b"),
    RedFlag("severe_headache", "Is this a sudden, worst-ever headache?", 1,
            r"\bworst headache\b|\bthunderclap\b|\bheadache\b.{0,40}\b(?:came on|all at once|suddenly|like being hit)"),
    RedFlag("meningitis_signs", "Is there a rash that does not fade, or a stiff neck with fever?", 1,
            r"\brash\b.{0,40}\b(?:doesn'?t|does not|won'?t|didn'?t)\s+(?:fade|go away|disappear)"
            r"|\bglass test\b|\bstiff neck\b.{0,60}\b(?:fever|temperature|light)"),
    RedFlag("young_infant_fever", "Is the baby under three months old and feverish?", 1,
            r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)[- ](?:day|week)s?[- ]old\b"
            r".{0,100}\b(?:temperature|fever|temp|hot|burning up)\b"
            r"|\b(?:temperature|fever|temp|hot|burning up)\b.{0,100}\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
            r"[- ](?:day|week)s?[- ]old\b|\b(?:newborn|new-born)\b.{0,60}\b(?:temperature|fever)\b"),
    RedFlag("head_injury_anticoagulant", "Has a patient on blood thinners hit their head?", 1,
            r"\bhead\b.{0,120}\b(?:blood thinners?|warfarin|anticoagula\w+|apixaban|rivaroxaban|edoxaban|dabigatran)"
            r"|\b(?:blood thinners?|warfarin|anticoagula\w+|apixaban|rivaroxaban|edoxaban|dabigatran)\b.{0,120}\bhead\b"),
    RedFlag("pregnancy_emergency", "Is the patient pregnant and bleeding or in early labour?", 1,
            r"(?<!not )(?<!n't )\bpregnan\w*\b.{0,80}\b(?:bleed\w*|contractions|waters|fainted|vision|severe pain)"
            r"|\b(?:bleed\w*|contractions|waters have|waters broke)\b.{0,80}(?<!not )(?<!n't )\bpregnan\w*"),
)


_CLAUSE_BREAK = re.compile(r"[.;!?,:]|\b(?:but|though|although|however|except|now|then|apart from)\b", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|denies|deny|nor|neither|none|nothing)\b|n't\b|\bno sign of\b|\bnegative for\b"
    r"|\b(?:don|didn|isn|wasn|doesn|hasn|haven|hadn|aren|weren|couldn|wouldn|shouldn)t\b",
    re.IGNORECASE)
_FIGURATIVE = re.compile(
    r"\b(?:nearly|almost|practically|joke|joking|game|pretend|film|movie|telly|tv|"
    r"thought i was|thought i'?d|gave me a|give me a|in case|if (?:he|she|i|they)|what if|"
    r"what to do if|how (?:do|would|can) i know)\b",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_NEGATION_WINDOW_WORDS = 5
"""How far back a negation reaches: "no chest pain", "didn't really pass out", not a sentence away."""


def _clause_before(text: str, start: int) -> str:
    """The words of the clause before ``start`` (back to the last clause break)."""
    head = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(head))
    clause = head[breaks[-1].end():] if breaks else head
    return " ".join(clause.split()[-_NEGATION_WINDOW_WORDS:])


_RESOLVED = re.compile(
    r"\b(?:awake|came round|come round|conscious|breathing|talking|responding|fine|okay|ok|alert)\s+now\b"
    r"|\bnow\s+(?:he'?s |she'?s |they'?re |i'?m |he is |she is )?(?:awake|conscious|breathing|talking|responding|fine|okay|ok|alert)\b"
    r"|\b(?:stopped|came round|woke up) after\b",
    re.IGNORECASE)
_RESOLVED_WINDOW_CHARS = 80
"""A life threat the caller says is over ("he was out cold for a bit, he's awake now") still
raises the call, but to level 1 (a head injury with a blackout), not 0."""


def _level(flag: RedFlag, match: re.Match[str], text: str) -> int:
    if flag.level == 0 and _RESOLVED.search(text[match.end():match.end() + _RESOLVED_WINDOW_CHARS]):
        return 1
    return flag.level


def _counts(flag: RedFlag, match: re.Match[str], text: str) -> bool:
    """A match counts unless its clause negates it or says it as a figure of speech.

    A flag whose own phrase holds a negation ("not breathing") is checked on the words before
    that phrase only, so the negation that makes it a flag does not cancel it.
    """
    before = _clause_before(text, match.start())
    if _NEGATION.search(before) or _FIGURATIVE.search(before):
        return False
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, match.start())]
    end = _SENTENCE_END.search(text, match.end())
    return not flag.excused(text[starts[-1] if starts else 0:end.start() if end else len(text)])


@dataclass(frozen=True)
class FlagHit:
    name: str
    level: int
    question: str
    phrase: str


def find_red_flags(text: str, flags: Sequence[RedFlag] = RED_FLAGS) -> list[FlagHit]:
    """The flags the transcript raises, each with the first phrase that raised it."""
    hits = []
    for flag in flags:
        for match in flag.matches(text):
            if _counts(flag, match, text):
                hits.append(FlagHit(flag.name, _level(flag, match, text), flag.question, match.group(0)))
                break
    return hits


def red_flag_level(text: str, flags: Sequence[RedFlag] = RED_FLAGS) -> int | None:
    """The least urgent level the flags allow (0 or 1), or None when no flag is raised."""
    return min((hit.level for hit in find_red_flags(text, flags)), default=None)


class RedFlagClassifier:
    """An UrgencyClassifier whose level is raised by red flags: ``min(model level, flag level)``.

    Everything else (probabilities, name, the wrapped model's attributes such as ``model`` and
    ``tokenizer``) comes from the wrapped classifier, so code that reaches the encoder through
    the loaded classifier keeps working.
    """

    def __init__(self, inner: UrgencyClassifier, flags: Sequence[RedFlag] = RED_FLAGS) -> None:
        self.inner = inner
        self.flags = tuple(flags)
        self.name = f"{inner.name}+red-flags"

    def __getattr__(self, attribute: str) -> object:
        return getattr(self.inner, attribute)

    def classify(self, texts: Sequence[str]) -> list[Triage]:
        results = []
        for text, triage in zip(texts, self.inner.classify(texts)):
            hits = find_red_flags(text, self.flags)
            floor = min((hit.level for hit in hits), default=triage.priority)
            results.append(Triage(priority=min(triage.priority, floor), probabilities=triage.probabilities,
                                  classifier=self.name, model_priority=triage.priority,
                                  red_flags=tuple(hit.name for hit in hits)))
        return results
