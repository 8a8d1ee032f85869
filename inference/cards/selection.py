"""Choosing the card(s) for a call at intake: red-flag rules, and a learned complaint head.

Both are fast (no LM): rules are regexes over the transcript, transparent and sure for the words a
caller in trouble actually says; the head (``complaint_model.py``, a multi-label linear layer on the
urgency encoder's sentence embedding) catches phrasings no rule lists. The union is ordered by the
library's order (the most time-critical card first: cardiac arrest before anything else) and cut
to ``MAX_CARDS``; nothing recognised gives the general card.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from inference.cards.library import GENERAL_CARD_ID

MAX_CARDS = 2

RED_FLAGS: dict[str, str] = {
    "cardiac_arrest": r"\b(not|isn.t|stopped|no longer|hasn.t been|n.t)\s+breath(ing)?\b|\bno pulse\b|"
                      r"can.t (feel|find) a pulse|no heartbeat|\bgasping\b|"
                      r"can.t see (him|her|them) breathing|electrocut|electric shock",
    "choking": r"\bchok(e|es|ed|ing)\b|(stuck|lodged) in (his|her|their|my|the) (throat|windpipe)",
    "anaphylaxis": r"\banaphyla|\bepi-?pen\b|auto-?injector|\badrenaline\b|"
                   r"allerg\w*.{0,60}(swell|breath|throat|lips|tongue)|(throat|tongue|lips) (is |are )?(swelling|swollen)",
    "childbirth": r"baby (is )?coming|\bin labou?r\b|waters (have )?(broken|broke|gone)|\bcontractions\b|"
                  r"giving birth|gave birth|\bcrowning\b|see the (baby.s )?head|had (my|her|the|a) baby|"
                  r"post-?partum|after the birth",
    "severe_bleeding": r"\bbleed(ing)? (heavily|badly|a lot|everywhere|loads)|won.t stop bleeding|"
                       r"blood (everywhere|spurting|pouring|won.t stop)|\bspurting\b|\bstabbed\b|stab wound|"
                       r"\b(deep|big|bad|nasty) (cut|gash)\b|\bgash\b|\b(been )?shot\b|gunshot",
    "seizure": r"\bseizure|\b(having|had|has) a fit\b|\bfitting\b|\bconvuls|shaking (all over|and shaking|on the floor)|"
               r"\bjerking\b|eyes (are |have )?rolled",
    "overdose_poisoning": r"\boverdos|\b(took|taken|swallowed) (all|a lot|loads|lots|a whole|a bunch|the rest)\b|"
                          r"\bpoison|carbon monoxide|\bfumes\b|empty (pill|tablet) (packets|bottles?)|"
                          r"(swallowed|drank|drunk|ate|eaten|taken|took)\b.{0,25}\b(tablets|pills|bleach|cleaner|"
                          r"battery|chemicals?|medicine)",
    "burns": r"\bburn(t|ed|s)?\b|\bscald(ed|s)?\b|on fire|boiling (water|oil)|"
             r"(bleach|chemical|unblocker|cleaner|acid)\w*.{0,30}\beyes?\b",
    "breathing_difficulty": r"\basthma\b|\binhaler\b|short of breath|breathless|\bwheez|"
                            r"(can.t|cannot|struggling to|hard to)\W+(\w+\W+)?breath|(get|catch) (my|his|her|their) breath",
    "stroke": r"\bstroke\b|face (is )?(drooping|droopy|dropped|fallen)|\bslurr(ed|ing)\b|"
              r"can.t (lift|raise|move) (his|her|my|their|one) arm|one side of (his|her|my|their) (face|body)|"
              r"numb on one side|(arm|hand|leg).{0,12}(gone|is|went) (weak|floppy|numb)",
    "chest_pain": r"\bchest (pain|pains|hurts|tightness|is tight|feels tight)|pain in (his|her|my|their) chest|"
                  r"\bcrushing\b|clutching (his|her|my|their) chest|tight(ness)? (in|across) (his|her|my|their) chest",
    "diabetic": r"\bdiabet|blood sugar|\bhypo\b|\binsulin\b|\bglucose\b|\b(my|his|her|their) sugar",
    "falls_head_injury": r"\b(fell|fallen|falls|tripped|slipped)\b|\bhit (his|her|my|their) head\b|head injury|"
                         r"banged (his|her|my|their) head|knocked (out|unconscious)|off (a|the) ladder|"
                         r"\bbroken (leg|arm|hip|wrist|ankle)\b|bone (is )?(sticking|through)|\bcrash|"
                         r"(car|bus|van|lorry|truck) (has )?(hit|knocked)|hit by (a )?(car|bus|van|lorry|truck)",
}
NEGATED = re.compile(r"\b(no|not|never|without|didn.t|doesn.t|isn.t|wasn.t|hasn.t|haven.t|nothing|nor)\b"
                     r"[\w\s']{0,14}$", re.IGNORECASE)
"""A red flag right after a negation ("no chest pain", "didn't bang his head") does not count."""


def rule_cards(text: str) -> list[str]:
    """Card ids whose red-flag words the transcript says."""
    return [card_id for card_id, pattern in RED_FLAGS.items() if _says(pattern, text)]


def _says(pattern: str, text: str) -> bool:
    return any(not NEGATED.search(text[max(0, match.start() - 20):match.start()])
               for match in re.finditer(pattern, text, re.IGNORECASE))


def choose_cards(text: str, order: Sequence[str], head_probabilities: Mapping[str, float] | None = None,
                 *, threshold: float = 0.5, max_cards: int = MAX_CARDS) -> list[str]:
    """The cards for one call, most time-critical first (``order``: the library's card ids).

    ``head_probabilities`` (card id -> probability, from the complaint head) adds the cards at or
    above ``threshold``; the general card only stands alone.
    """
    chosen = set(rule_cards(text))
    if head_probabilities:
        chosen |= {card_id for card_id, p in head_probabilities.items() if p >= threshold}
    chosen = {card_id for card_id in chosen if card_id in order}
    if len(chosen) > 1:
        chosen.discard(GENERAL_CARD_ID)
    if not chosen:
        return [GENERAL_CARD_ID]
    return sorted(chosen, key=order.index)[:max_cards]
