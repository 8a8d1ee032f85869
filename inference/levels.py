"""The five urgency levels, written once: classifier, admin, dashboard legend and prompts read them.

Numbered 0..4 (0 most urgent) after the 5-level Emergency Severity Index (ESI 1..5).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UrgencyLevel:
    value: int
    esi: int
    name: str
    label: str
    """Short label for lists and legends, e.g. "P0 immediate"."""
    definition: str
    colour: str
    """Dashboard colour (hex), red for the most urgent through blue for the least."""


LEVELS: tuple[UrgencyLevel, ...] = (
    UrgencyLevel(0, 1, "immediate", "P0 immediate",
                 "Requires immediate life-saving intervention: cardiac arrest, not breathing or "
                 "agonal breathing, unresponsive, complete airway obstruction, anaphylaxis with "
                 "airway compromise, uncontrolled bleeding, continuous seizure, major trauma with "
                 "reduced consciousness, shock.", "#c62828"),
    UrgencyLevel(1, 2, "emergent", "P1 emergent",
                 "High risk, should not wait: chest pain suggesting a heart attack, stroke signs, "
                 "severe breathing difficulty while still talking, overdose while conscious, "
                 "suicidal with a plan, heavy bleeding in pregnancy, head injury on "
                 "anticoagulants, possible sepsis, fever in a young infant, dangerous ingestion "
                 "by a child, new confusion or severe pain.", "#ef6c00"),
    UrgencyLevel(2, 3, "urgent", "P2 urgent",
                 "Stable but needs several resources (tests, imaging, IV fluids or medication, a "
                 "specialist): abdominal pain, an elderly fall with a possible hip fracture, high "
                 "fever with vomiting in an adult, moderate asthma, kidney stone, deformed closed "
                 "fracture, pneumonia.", "#f9a825"),
    UrgencyLevel(3, 4, "less urgent", "P3 less urgent",
                 "Needs one resource (an x-ray, stitches, a single test or simple procedure): "
                 "simple cut, sprained ankle, earache, urinary symptoms without fever, foreign "
                 "body, minor fall with a sore wrist.", "#2e7d32"),
    UrgencyLevel(4, 5, "non-urgent", "P4 non-urgent",
                 "Needs nothing beyond advice, an examination or a prescription: repeat "
                 "prescription, cold symptoms, minor rash, questions, insect bite without "
                 "reaction, small splinter or graze.", "#1565c0"),
)

NUM_LEVELS = len(LEVELS)
LEVEL_CHOICES = [(level.value, level.label) for level in LEVELS]
"""For Django ``choices=`` (the one place the admin and forms get their labels)."""


def level(value: int) -> UrgencyLevel:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < NUM_LEVELS:
        raise ValueError(f"urgency level must be an integer in 0..{NUM_LEVELS - 1}, got {value!r}")
    return LEVELS[value]
