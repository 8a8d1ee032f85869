"""Which cards fit each scenario of the synthetic triage corpus: the complaint classifier's labels.

The corpus (``inference/data/triage_corpus``) labels every call with its clinical scenario; the
cards a dispatcher would read for that scenario are written here once, first the one the prompt
carries. Scenarios without a specific card get the general card.
"""

from __future__ import annotations

from inference.cards.library import GENERAL_CARD_ID

CARDS_BY_SCENARIO: dict[str, tuple[str, ...]] = {
    # level 0
    "L0_anaphylaxis_airway": ("anaphylaxis",),
    "L0_arterial_bleeding": ("severe_bleeding",),
    "L0_carbon_monoxide": ("overdose_poisoning",),
    "L0_cardiac_arrest": ("cardiac_arrest",),
    "L0_choking_complete": ("choking",),
    "L0_drowning": ("cardiac_arrest",),
    "L0_electrocution": ("cardiac_arrest",),
    "L0_fall_height_unresponsive": ("falls_head_injury",),
    "L0_fire_airway_burns": ("burns", "breathing_difficulty"),
    "L0_grey_unresponsive": ("cardiac_arrest",),
    "L0_hanging": ("cardiac_arrest",),
    "L0_hypo_unresponsive": ("diabetic",),
    "L0_infant_not_breathing": ("cardiac_arrest",),
    "L0_major_rtc": ("falls_head_injury",),
    "L0_newborn_not_breathing": ("cardiac_arrest", "childbirth"),
    "L0_overdose_unresponsive": ("overdose_poisoning",),
    "L0_pedestrian_hit": ("falls_head_injury",),
    "L0_postpartum_haemorrhage": ("childbirth",),
    "L0_silent_asthma": ("breathing_difficulty",),
    "L0_stab_wound": ("severe_bleeding",),
    "L0_status_seizure": ("seizure",),
    # level 1
    "L1_allergy_risk": ("anaphylaxis",),
    "L1_assault_head": ("falls_head_injury",),
    "L1_breathless_talking": ("breathing_difficulty",),
    "L1_chemical_eye": ("burns",),
    "L1_chest_pain_cardiac": ("chest_pain",),
    "L1_child_ingestion": ("overdose_poisoning",),
    "L1_dka": ("diabetic",),
    "L1_first_seizure_postictal": ("seizure",),
    "L1_head_injury_anticoag": ("falls_head_injury",),
    "L1_hypo_conscious": ("diabetic",),
    "L1_large_scald": ("burns",),
    "L1_open_fracture": ("falls_head_injury", "severe_bleeding"),
    "L1_overdose_conscious": ("overdose_poisoning",),
    "L1_pulmonary_embolism": ("breathing_difficulty",),
    "L1_severe_asthma_talking": ("breathing_difficulty",),
    "L1_stroke": ("stroke",),
    # level 2
    "L2_ankle_fracture": ("falls_head_injury",),
    "L2_asthma_child_wheezy_fever": ("breathing_difficulty",),
    "L2_dislocated_shoulder": ("falls_head_injury",),
    "L2_head_injury_vomit_once": ("falls_head_injury",),
    "L2_hip_fracture": ("falls_head_injury",),
    "L2_hyperglycaemia_alert": ("diabetic",),
    "L2_moderate_asthma": ("breathing_difficulty",),
    "L2_rib_fracture": ("falls_head_injury",),
    "L2_tendon_laceration": ("severe_bleeding",),
    "L2_wrist_fracture_deformed": ("falls_head_injury",),
    # level 3
    "L3_dog_bite": ("severe_bleeding",),
    "L3_elder_minor_fall": ("falls_head_injury",),
    "L3_knee_injury": ("falls_head_injury",),
    "L3_scalp_cut": ("severe_bleeding",),
    "L3_simple_laceration": ("severe_bleeding",),
    "L3_skin_tear": ("severe_bleeding",),
    "L3_sprained_ankle": ("falls_head_injury",),
    "L3_toe_finger_injury": ("falls_head_injury",),
    "L3_wrist_sprain_fall": ("falls_head_injury",),
    # level 4
    "L4_head_bump_child_fine": ("falls_head_injury",),
    "L4_minor_burn": ("burns",),
    "L4_sunburn": ("burns",),
}


def cards_for_scenario(scenario: str) -> tuple[str, ...]:
    """The cards for a corpus scenario id (the general card when none is specific)."""
    return CARDS_BY_SCENARIO.get(scenario, (GENERAL_CARD_ID,))
