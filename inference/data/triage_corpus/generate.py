#!/usr/bin/env python3
"""Synthetic emergency-call triage corpus generator (standard library only).

Everything this script writes is SYNTHETIC: hand-written templates, slot
fillers and caller/style transforms, expanded with a fixed random seed.  No
real calls and no patient data were used.

Labels follow the five levels of ``inference/levels.py`` (ESI 1..5 numbered 0..4,
0 most urgent); ``LEVELS`` below restates them so this script runs on the standard
library alone.

Usage:  python inference/data/triage_corpus/generate.py [--out DIR] [--quiet]

Writes train.jsonl, validation.jsonl and test.jsonl next to this script (or
into --out).  Output is byte-for-byte reproducible (random.Random(2026), no
hash-order dependence).  Each line is a JSON object with keys
id, text, priority (0..4), caller, style, scenario, template.

Split: templates are the unit of the split.  One whole scenario per level is
held out for test only (HELDOUT_SCENARIOS), and roughly 15% of the remaining
phrasing templates per level go to test only and 15% to validation only, so
every validation/test text is built from a phrasing template that the training
split never uses.  Texts are also de-duplicated across the whole corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import random
from collections import Counter, defaultdict

SEED = 2026

LEVELS = {
    0: {"esi": 1, "name": "immediate",
        "definition": "Requires immediate life-saving intervention: cardiac "
                      "arrest, not breathing / agonal breathing, "
                      "unresponsive, complete airway obstruction, "
                      "anaphylaxis with airway compromise, uncontrolled "
                      "(arterial) bleeding, status epilepticus, major trauma "
                      "with reduced consciousness, shock."},
    1: {"esi": 2, "name": "emergent",
        "definition": "High risk, should not wait: chest pain suggestive of "
                      "heart attack, stroke signs, severe breathing "
                      "difficulty while still talking, overdose while "
                      "conscious, suicidal with a plan, heavy bleeding in "
                      "pregnancy, head injury on anticoagulants, possible "
                      "sepsis, fever in a young infant, dangerous ingestion "
                      "in a child, new confusion or severe pain."},
    2: {"esi": 3, "name": "urgent",
        "definition": "Stable but needs several resources (labs, imaging, IV "
                      "fluids/medication, specialist): abdominal pain, "
                      "elderly fall with possible hip fracture, high fever "
                      "with vomiting in an adult, moderate asthma, kidney "
                      "stone, deformed closed fracture, pneumonia."},
    3: {"esi": 4, "name": "less urgent",
        "definition": "Needs one resource (x-ray, stitches, a single test or "
                      "simple procedure): simple laceration, sprained ankle, "
                      "earache, urinary symptoms without fever, foreign body, "
                      "minor fall with a sore wrist."},
    4: {"esi": 5, "name": "non-urgent",
        "definition": "Needs no resources beyond advice, examination or a "
                      "prescription: repeat prescription, cold symptoms, "
                      "minor rash, questions, insect bite without reaction, "
                      "small splinter or graze."},
}

SPLITS = ("train", "validation", "test")
# calls per level per split -> 5 * (350 + 75 + 75) = 2,500 calls
TARGET_PER_LEVEL = {"train": 350, "validation": 75, "test": 75}
# fraction of (non-held-out-scenario) phrasing templates per level
TEMPLATE_HOLDOUT = {"test": 0.13, "validation": 0.15}
# whole scenarios that only ever appear in the test split
# Scenarios where a stranger (bystander) or a coworker plausibly calls.  For
# levels 2-4 bystander/coworker callers are only used for these; for levels
# 0-1 they are used everywhere except NO_BYSTANDER.
PUBLIC_OK = (
    "L2_appendicitis", "L2_hip_fracture", "L2_moderate_asthma",
    "L2_kidney_stone", "L2_wrist_fracture_deformed",
    "L2_head_injury_vomit_once", "L2_vertigo", "L2_tendon_laceration",
    "L2_dislocated_shoulder", "L2_rib_fracture", "L2_ankle_fracture",
    "L3_simple_laceration", "L3_sprained_ankle", "L3_embedded_fb",
    "L3_toe_finger_injury", "L3_wrist_sprain_fall", "L3_dog_bite",
    "L3_eye_fb", "L3_nosebleed", "L3_knee_injury", "L3_minor_rtc_neck",
    "L3_rusty_nail", "L3_fishbone", "L3_tooth_knocked_out", "L3_scalp_cut",
    "L3_hives_no_airway", "L3_elder_minor_fall",
    "L4_insect_bite", "L4_graze", "L4_bruise", "L4_minor_burn", "L4_splinter",
)
NO_BYSTANDER = ("L1_sepsis", "L1_dka", "L1_pulmonary_embolism",
                "L1_meningitis", "L1_aaa", "L0_massive_gi_bleed")
HELDOUT_SCENARIOS = (
    "L0_electrocution",
    "L1_ectopic",
    "L2_gallbladder",
    "L3_ring_stuck",
    "L4_hiccups",
)

# ---------------------------------------------------------------------------
# Scenario templates
# ---------------------------------------------------------------------------
# Placeholders understood by every template:
#   {Who}/{who}  the patient as the caller refers to them ("My husband",
#                "this man", "Mrs Okafor", "my little girl")
#   {He} {he} {him} {his} {His} {himself}   patient pronouns
#   {name} patient first name (templates using it are never given to
#          bystanders), {age}, {place} (depends on caller: home, public,
#          workplace, care home), plus any pool in POOLS / LOCALE_POOLS /
#          the scenario's own slots.
# Template kinds:
#   third  someone describing the patient      first  the patient calling
#   kid    a child (5-11) calling about a family member
#   terse  a clipped one-line report (style "terse")
# A template starting with "[home]" only fits callers who are with the
# patient at home (never bystanders or coworkers).

PATIENT_TYPES = ("infant", "child", "teen", "adult", "elder")


class Scenario:
    __slots__ = ("id", "level", "patients", "sex", "callers", "third",
                 "first", "kid", "terse", "slots", "tags")

    def __init__(self, sid, level, patients, third, first, kid, terse,
                 slots, sex, callers, tags):
        self.id = sid
        self.level = level
        self.patients = tuple(patients.split())
        for p in self.patients:
            assert p in PATIENT_TYPES, (sid, p)
        self.sex = sex
        self.callers = tuple(callers.split()) if callers else None
        self.third = tuple(third)
        self.first = tuple(first)
        self.kid = tuple(kid)
        self.terse = tuple(terse)
        self.slots = slots or {}
        self.tags = tuple(tags.split()) if tags else ()


SCENARIOS: list[Scenario] = []


def S(sid, level, patients, third=(), first=(), kid=(), terse=(), slots=None,
      sex=None, callers=None, tags=""):
    assert sid.startswith("L%d_" % level), sid
    SCENARIOS.append(Scenario(sid, level, patients, third, first, kid, terse,
                              slots, sex, callers, tags))


# ============================ LEVEL 0 (ESI 1) ===============================

S("L0_cardiac_arrest", 0, "adult elder", tags="unresp",
  third=[
      "{Who} just collapsed {place}. {He}'s not breathing and I can't find a pulse.",
      "{Who} went down {place} and {he} isn't breathing. {His} eyes are open but there's nothing there.",
      "I think {who} has had a heart attack. {He} dropped {place}, {he}'s not breathing and {his} lips are going blue.",
      "[home]{Who} was sitting watching telly and just slumped over. I've shaken {him}, shouted at {him}, nothing. I don't think {he}'s breathing.",
      "{Who} grabbed {his} chest and fell {place}. There's no pulse that I can feel. Someone has started CPR.",
      "{Who} has stopped breathing. {He} was complaining of indigestion and then just keeled over, and now {he}'s not moving at all.",
  ],
  kid=[
      "{Who} fell down and {he} won't wake up. I shaked {him} and {he} isn't breathing.",
      "{Who} is on the floor and not moving. {His} face is a funny colour and {he} won't talk to me.",
  ],
  terse=[
      "Cardiac arrest {place}, CPR in progress.",
      "{Who} collapsed, not breathing, no pulse.",
  ])

S("L0_grey_unresponsive", 0, "adult elder", tags="unresp",
  third=[
      "{Who} has gone a funny grey colour and isn't answering me. {He}'s making this snoring noise but I can't wake {him}.",
      "I came in and found {who} {place}. {He}'s grey and clammy and {he} won't respond to me at all.",
      "{Who} isn't responding. {His} breathing sounds strange, like a big gasp every few seconds, and {his} skin is ice cold.",
      "{Who} won't wake up. I've been shouting {his} name and squeezing {his} hand and there's nothing. {His} lips look blue.",
      "[home]I went to take {who} a cup of tea and {he}'s slumped in the chair. {He}'s breathing but only just, and {he} doesn't react when I shake {him}.",
  ],
  kid=[
      "{Who} won't wake up. {He} is all grey and {he} is making a weird noise.",
  ],
  terse=[
      "{Who} unresponsive, grey, gasping breaths.",
  ])

S("L0_infant_not_breathing", 0, "infant", callers="parent relative",
  tags="unresp",
  third=[
      "[home]{Who} isn't breathing! I went to check on {him} in the cot and {he}'s floppy and blue.",
      "{Who} has stopped breathing. {He}'s limp, {his} lips are blue and I can't wake {him}.",
      "[home]I just picked {who} up out of the cot and {he}'s not moving. {He} feels cold and I can't see {him} breathing.",
      "{Who} went really pale and floppy in the middle of a feed and now I can't see {his} chest moving.",
  ],
  terse=[
      "Baby not breathing, blue and floppy.",
  ])

S("L0_choking_complete", 0, "child adult elder",
  slots={"food": ["a piece of steak", "a grape", "a boiled sweet",
                  "a chunk of apple", "a bit of chicken", "a hot dog"]},
  third=[
      "{Who} is choking on {food}. {He} can't breathe, can't cough, can't talk, {he}'s going purple.",
      "{Who} is choking and nothing is coming out. I've tried hitting {his} back. {He}'s turning blue!",
      "Something's stuck in {his} throat. {Who} is clutching {his} neck and not making any sound at all.",
      "{Who} was eating {food} and now {he} can't breathe. {He}'s gone floppy, I think {he}'s passing out.",
  ],
  kid=[
      "{Who} is choking. {He} can't breathe and {his} face is going purple.",
  ],
  terse=[
      "Choking, complete obstruction, turning blue.",
      "{Who} choking on {food}, can't breathe.",
  ])

S("L0_anaphylaxis_airway", 0, "child teen adult",
  slots={"allergen": ["peanut", "nut", "shellfish", "sesame"],
         "bug": ["bee", "wasp"]},
  third=[
      "{Who} has a {allergen} allergy and must have eaten some. {His} lips and tongue are swelling up and {he} can barely breathe.",
      "{Who} got stung by a {bug} and now {his} face is swelling, {he}'s wheezing and says {his} throat is closing.",
      "{Who} used {his} EpiPen but it's not working. {He} can't get any air in and {he}'s going very pale and dizzy.",
      "{Who} ate something at the restaurant and {he}'s covered in hives. {His} throat is closing up and {he}'s struggling to breathe.",
  ],
  first=[
      "I think I'm having an allergic reaction. My throat is closing. I can't... breathe properly.",
      "I ate something with {allergen} in it. My tongue is swelling. I've used my pen and I still can't breathe.",
  ],
  terse=[
      "Anaphylaxis, {allergen}, airway swelling, EpiPen given.",
  ])

S("L0_arterial_bleeding", 0, "teen adult",
  callers="bystander relative coworker self non_native",
  slots={"limb": ["arm", "leg", "wrist", "thigh"],
         "sharp": ["a broken bottle", "a saw", "a sheet of metal",
                   "a pane of glass"]},
  third=[
      "{Who} has cut {his} {limb} on {sharp} and it's spurting blood. I'm pressing on it but it won't stop.",
      "There's blood everywhere. {Who} put {his} arm through a window, it's pumping out and {he}'s going pale.",
      "{Who} cut {his} leg with a chainsaw. The blood is soaking through everything and {he}'s going grey and sleepy.",
      "I've used three towels and they're all soaked. {Who} cut {his} wrist on broken glass and it just keeps pouring.",
  ],
  first=[
      "I've cut my {limb} really badly on {sharp}. It's spurting out. I feel faint.",
      "There's so much blood. The knife slipped and it's gone deep into my thigh. It won't stop.",
  ],
  terse=[
      "Arterial bleed, {limb}, not controlled with pressure.",
      "{Who}, deep cut, blood spurting, going pale.",
  ])

S("L0_drowning", 0, "child teen adult", callers="parent bystander relative",
  tags="unresp",
  slots={"water": ["pool", "lake", "canal", "river", "pond"]},
  third=[
      "I just pulled {who} out of the {water}. {He}'s not breathing! {His} lips are blue.",
      "{Who} was under the water, I don't know how long for. We got {him} out and {he}'s not breathing, I'm doing CPR.",
      "{Who} was found floating in the {water}. {He}'s unconscious, there's water coming out of {his} mouth and {he}'s not breathing properly.",
  ],
  terse=[
      "Drowning at the {water}, pulled out, not breathing.",
  ])

S("L0_overdose_unresponsive", 0, "teen adult", tags="unresp",
  slots={"opioid": ["heroin", "fentanyl", "methadone", "oxycodone"],
         "rate": ["four", "five", "six"]},
  third=[
      "{Who} has taken something, I think {opioid}. {He}'s unconscious and {his} breathing is really slow, like one breath every few seconds.",
      "[home]I found {who} on the bathroom floor with empty pill packets. {He} won't wake up and {he}'s making a gurgling sound.",
      "{Who} has overdosed. {He}'s blue around the lips, {his} pupils are tiny and I can't wake {him}.",
      "There are needles next to {him}. {Who} is slumped over and barely breathing. {His} lips are purple.",
  ],
  terse=[
      "Overdose, unresponsive, breathing about {rate} times a minute.",
      "Suspected {opioid} overdose, not responding, lips blue.",
  ])

S("L0_hanging", 0, "teen adult", callers="relative parent bystander",
  tags="unresp",
  slots={"room": ["garage", "loft", "stairwell", "shed", "bedroom"]},
  third=[
      "I've just found {who} hanging in the {room}. I've cut {him} down. {He}'s not breathing.",
      "{Who} tried to hang {himself}. We got {him} down a minute ago, {he}'s unconscious and I can't tell if {he}'s breathing.",
  ],
  terse=[
      "Found hanging, cut down, not breathing.",
  ])

S("L0_status_seizure", 0, "child teen adult elder", tags="unresp",
  slots={"mins": ["ten", "fifteen", "twelve", "twenty"]},
  third=[
      "{Who} has been fitting for over {mins} minutes and it's not stopping. {He}'s going blue around the mouth.",
      "{Who} had a seizure, then another one straight after, and {he} hasn't woken up in between.",
      "{Who} is having a fit and it won't stop. I gave {him} the rescue medicine {mins} minutes ago and {he}'s still shaking.",
      "{He}'s been jerking for ages. {Who} is epileptic but this is longer than {he}'s ever had, and {his} lips are blue.",
  ],
  kid=[
      "{Who} is shaking and shaking and {he} won't stop. {His} eyes are rolled back.",
  ],
  terse=[
      "{Who}, seizure over {mins} minutes, still fitting.",
  ])

S("L0_major_rtc", 0, "teen adult elder", callers="bystander relative",
  slots={"road": ["the A40", "the ring road", "the bypass", "the motorway near junction 9",
                  "Highway 12", "the county road"]},
  third=[
      "There's been a crash on {road}. {Who} is trapped in the car, unconscious, and there's blood coming from {his} head.",
      "A car has hit a tree on {road}. The driver isn't responding and {he}'s breathing really weirdly. There's smoke coming from the engine.",
      "We've been in a crash. {Who} isn't answering me, {his} head hit the windscreen and {he}'s making gurgling noises.",
      "Motorbike accident on {road}. {Who} came off at speed, {he}'s not moving and {his} helmet is cracked.",
  ],
  terse=[
      "Car crash on {road}, one trapped, unconscious.",
  ])

S("L0_pedestrian_hit", 0, "child teen adult elder",
  callers="bystander parent", tags="unresp",
  third=[
      "{Who} just got hit by a car outside {shop}. {He} went over the bonnet and {he}'s not moving or responding.",
      "A bus has hit {who}. {He}'s lying in the road, there's blood coming from {his} ear and {he} isn't responding.",
      "{Who} ran into the road and a van hit {him}. {He}'s unconscious and {his} leg is bent right under {him}.",
  ],
  terse=[
      "Pedestrian hit by car on {street}, unresponsive.",
  ])

S("L0_stab_wound", 0, "teen adult",
  callers="bystander relative self non_native coworker",
  slots={"torso": ["chest", "stomach", "side", "back"]},
  third=[
      "{Who} has been stabbed in the {torso}. There's a lot of blood and {he}'s going really pale and drowsy.",
      "Someone stabbed {who}. {He}'s on the ground outside {shop}, struggling to breathe and not really making sense.",
      "{Who} has been shot. {He}'s bleeding from {his} stomach and {he} keeps passing out.",
  ],
  first=[
      "I've been stabbed. It's in my {torso}. I'm bleeding a lot and I feel really cold.",
  ],
  terse=[
      "Stabbing, {torso} wound, heavy bleeding, drowsy.",
  ])

S("L0_electrocution", 0, "teen adult", callers="coworker relative bystander",
  tags="unresp",
  slots={"source": ["the fuse box", "a power tool", "an overhead cable",
                    "the cooker"]},
  third=[
      "{Who} got an electric shock from {source}. {He} got thrown back and now {he}'s not breathing.",
      "{Who} touched a live cable {place}. {He}'s unconscious and I can't feel a pulse. The power's off now.",
      "There was a bang and {who} just dropped. {He} was working on {source}. {He}'s not responding and {his} hand is burnt.",
  ],
  terse=[
      "Electrocution, {who} unconscious, no pulse.",
  ])

S("L0_fire_airway_burns", 0, "child adult elder",
  callers="relative parent bystander elderly non_native",
  third=[
      "We got {who} out of the fire. {His} face is burnt, there's black stuff around {his} mouth, {his} voice is going and {he}'s struggling to breathe.",
      "[home]{Who} was in the kitchen when the chip pan caught fire. {He}'s got burns on {his} face and neck and {he}'s wheezing, can hardly breathe.",
      "There's been a house fire. {Who} breathed in loads of smoke, {he}'s drowsy, coughing up black stuff, and {his} breathing is getting worse.",
  ],
  terse=[
      "Fire victim, facial burns, soot in mouth, noisy breathing.",
  ])

S("L0_hypo_unresponsive", 0, "teen adult elder", tags="unresp",
  third=[
      "{Who} is diabetic and I can't wake {him} up. {He}'s soaking with sweat and not responding at all.",
      "{Who} is type 1. {He} was acting drunk earlier and now {he}'s completely out, I can't get any sugar into {him}.",
      "{His} blood sugar meter just says LO. {Who} isn't responding to me and {he}'s twitching.",
  ],
  kid=[
      "{Who} has diabetes and {he} won't wake up. {He} is all sweaty and {he} won't talk.",
  ],
  terse=[
      "Diabetic, unresponsive, sugar reading LO.",
  ])

S("L0_newborn_not_breathing", 0, "infant", callers="parent relative",
  tags="noage",
  third=[
      "[home]My partner just gave birth at home, it all happened so fast. The baby isn't crying and {he}'s floppy and blue.",
      "[home]The baby's out but {he}'s not breathing. {He}'s all limp and purple and the cord was round {his} neck.",
      "[home]We've just delivered the baby on the bathroom floor. {He} hasn't cried or taken a breath and {he}'s going blue.",
  ],
  terse=[
      "Home birth, newborn not breathing, floppy.",
  ])

S("L0_fall_height_unresponsive", 0, "teen adult elder",
  callers="bystander coworker relative non_native", tags="unresp",
  slots={"height": ["ten feet", "three metres", "the first-floor roof",
                    "twenty feet", "the top of the scaffold"]},
  third=[
      "{Who} fell off a ladder, about {height} up. {He} landed on {his} head and {he}'s not responding, just making snoring sounds.",
      "{Who} fell from the scaffolding. {He}'s unconscious, there's blood coming out of {his} ear and {his} breathing is funny.",
      "{Who} fell down the stairs, right from the top. {He}'s not waking up and one of {his} pupils looks bigger than the other.",
  ],
  terse=[
      "Fall from {height}, unconscious, head injury.",
  ])

S("L0_massive_gi_bleed", 0, "adult elder",
  third=[
      "{Who} is vomiting blood, loads of it, bright red. {He}'s collapsed and {he}'s grey and cold.",
      "{Who} has brought up about a bowlful of blood and now {he}'s barely conscious. {He} has liver problems.",
      "[home]There's blood all over the bathroom. {Who} keeps throwing up blood and {he} fainted, {he}'s only half awake now.",
  ],
  terse=[
      "Vomiting large amounts of blood, collapsed, cold and clammy.",
  ])

S("L0_silent_asthma", 0, "child teen adult",
  third=[
      "{Who} is having an asthma attack and can't speak at all now. {His} lips are blue and {he}'s getting sleepy.",
      "{Who}'s inhaler isn't doing anything. {He}'s stopped wheezing but there's no air going in and {he}'s going floppy.",
      "{Who} has asthma and {he}'s fighting for breath, can't get a word out, sucking in at the neck. {His} colour is awful.",
  ],
  kid=[
      "{Who} can't breathe. {He} has asthma and the puffer isn't working and {his} lips are blue.",
  ],
  terse=[
      "Severe asthma, can't speak, blue lips, drowsy.",
  ])

S("L0_purpuric_rash_floppy", 0, "infant child teen", callers="parent relative",
  third=[
      "{Who} has a rash that doesn't fade when I press a glass on it, and now {he}'s floppy and I can't wake {him} properly.",
      "{Who} has had a high fever and now there are purple spots all over. {He}'s cold and blotchy and barely responding.",
  ],
  terse=[
      "Non-blanching rash, floppy, barely responsive.",
  ])

S("L0_hypothermia", 0, "adult elder", callers="bystander relative carehome",
  tags="unresp",
  third=[
      "I've found {who} outside in the snow. {He}'s freezing cold, not responding and I can barely see {him} breathing.",
      "{Who} must have been lying in the garden all night. {He}'s ice cold and stiff, {he} won't answer me and {his} breathing is very shallow.",
  ],
  terse=[
      "Found outside, very cold, unresponsive.",
  ])

S("L0_carbon_monoxide", 0, "child adult elder",
  callers="relative parent bystander non_native", tags="unresp",
  third=[
      "There's a smell of fumes, {who} is unconscious on the floor and I feel dizzy myself.",
      "[home]{Who} won't wake up and the carbon monoxide alarm is going off. {His} breathing is really shallow.",
  ],
  terse=[
      "Possible carbon monoxide, {who} unconscious.",
  ])

S("L0_heatstroke", 0, "teen adult", callers="bystander coworker relative",
  tags="unresp",
  slots={"event": ["10k run", "half marathon", "football match",
                   "music festival"]},
  third=[
      "{Who} collapsed at the end of the {event}. {He}'s burning hot, not sweating, and now {he}'s not responding to us.",
      "{Who} has been working in the heat all day. {He} started talking nonsense, then had a fit, and now {he}'s unconscious.",
  ],
  terse=[
      "Collapsed in the heat, unresponsive, skin very hot.",
  ])

S("L0_postpartum_haemorrhage", 0, "adult", sex="f",
  callers="relative self non_native",
  slots={"hours": ["two", "three", "a few"]},
  third=[
      "{Who} had the baby {hours} hours ago and now {he}'s bleeding really heavily. It's soaked through the bed and {he}'s going grey and can't keep {his} eyes open.",
      "{Who} gave birth at home and the bleeding won't stop. {He}'s passed out twice and {he}'s cold and clammy.",
  ],
  first=[
      "I had my baby this morning and I'm bleeding so much. I'm soaking through towels. I feel like I'm going to pass out.",
  ],
  terse=[
      "Post-partum bleeding, soaking towels, fainting.",
  ])

S("L0_collapse_tearing_pain", 0, "adult elder", sex="m",
  third=[
      "{Who} said {he} had a ripping pain in {his} back, then {he} collapsed. {He}'s white as a sheet and barely conscious.",
      "{Who} had a sudden awful pain in {his} tummy going through to {his} back and now {he}'s passed out on the floor, grey and sweating.",
  ],
  terse=[
      "Sudden tearing back pain, now collapsed, pale.",
  ])

S("L0_thunderclap_unresponsive", 0, "adult elder", tags="unresp",
  third=[
      "{Who} said {he} had the worst headache of {his} life, then {he} collapsed. Now {he} won't wake up and {he}'s snoring.",
      "{Who} grabbed {his} head screaming and then went down. {He}'s not responding and one side of {his} body is twitching.",
  ],
  terse=[
      "Sudden severe headache, collapsed, unresponsive.",
  ])

# ============================ LEVEL 1 (ESI 2) ===============================

S("L1_chest_pain_cardiac", 1, "adult elder",
  slots={"mins": ["twenty", "thirty", "forty", "fifteen"]},
  third=[
      "{Who} has got a crushing pain in {his} chest going down {his} left arm. {He}'s sweaty and feels sick.",
      "{Who} says it feels like an elephant sitting on {his} chest. It started about {mins} minutes ago. {He}'s pale but talking to me.",
      "{Who} has chest pain going up into {his} jaw. {He}'s had a heart attack before and says it feels the same.",
      "{Who} is clutching {his} chest and says it's tight, and {he}'s clammy. {He}'s awake and talking.",
  ],
  first=[
      "I've got a heavy pressure in the middle of my chest and it's going into my arm. I'm sweating and I feel sick.",
      "I've had chest pain for about {mins} minutes, it's like a tight band. I had a stent put in two years ago.",
      "My chest is really tight and my left arm's gone numb. I've taken my spray and it hasn't helped.",
  ],
  terse=[
      "Chest pain radiating to left arm, sweaty, conscious.",
      "{Who}, crushing chest pain for {mins} minutes, previous heart attack.",
  ])

S("L1_stroke", 1, "adult elder",
  slots={"mins": ["twenty", "thirty", "forty-five", "ten"]},
  third=[
      "{Who}'s face has dropped on one side and {his} speech is slurred. It started about {mins} minutes ago.",
      "{Who} can't lift {his} right arm and {he}'s talking gibberish. {He} was fine at breakfast.",
      "Something's wrong with {who}. {His} mouth is drooping, {he} can't find {his} words and {his} left side is weak.",
      "{Who} suddenly couldn't hold {his} cup, {he} dropped it, and now {his} words are coming out all wrong.",
  ],
  first=[
      "My face feels numb on one side and my arm's gone weak. The words... the words are hard.",
      "I've suddenly lost the sight in one eye and my left hand won't work properly. It started about {mins} minutes ago.",
  ],
  kid=[
      "{Who} is talking funny and {his} face is all droopy on one side. {He} can't move {his} arm.",
  ],
  terse=[
      "Possible stroke, facial droop, slurred speech, onset {mins} minutes ago.",
  ])

S("L1_breathless_talking", 1, "adult elder",
  slots={"sats": ["88", "87", "89", "86"]},
  third=[
      "{Who} is really struggling to breathe. {He} can only get a few words out at a time. {He} has COPD.",
      "{Who}'s breathing is really bad tonight. {He}'s sitting up gasping and can't lie down, and {his} ankles are swollen.",
      "{Who} can't catch {his} breath. {He}'s talking but has to stop every few words. {His} finger monitor says {sats}.",
  ],
  first=[
      "I can't... get my breath. It's been getting worse... all day. I can only say a few words.",
      "I've got COPD and my breathing's much worse than normal. My inhalers aren't touching it. I can still talk but only just.",
  ],
  terse=[
      "Severe shortness of breath, speaking in short phrases, sats {sats}.",
  ])

S("L1_overdose_conscious", 1, "teen adult",
  slots={"pills": ["{paracetamol}", "sleeping tablets", "antidepressants",
                   "ibuprofen", "painkillers"],
         "n": ["twenty", "thirty", "sixteen", "forty"],
         "hours": ["two", "three", "four"]},
  third=[
      "{Who} has taken a load of {pills}. {He}'s awake and talking but {he} says {he} took about {n} of them.",
      "{Who} just told me {he} swallowed a whole packet of {pills} an hour ago. {He} seems okay right now but I'm scared.",
      "{Who} took {his} {mum}'s tablets on purpose. {He}'s conscious, a bit drowsy, and being sick.",
  ],
  first=[
      "I took too many {pills}. About {n}. I'm awake, I just... I need help.",
      "I took a lot of tablets {hours} hours ago. I've changed my mind. I feel sick but I'm awake.",
  ],
  terse=[
      "Deliberate overdose, {pills}, conscious, {hours} hours ago.",
  ])

S("L1_suicidal_plan", 1, "teen adult", callers="relative parent self non_native",
  slots={"landmark": ["the railway", "the river", "the car park",
                      "the motorway"]},
  third=[
      "{Who} has told me {he} wants to kill {himself}. {He}'s got tablets saved up and {he}'s written a note.",
      "{Who} is on the bridge over {landmark} and says {he}'s going to jump. {He}'s not hurt yet.",
      "{Who} texted me goodbye and said {he} knows how {he}'s going to do it tonight. I'm with {him} now.",
  ],
  first=[
      "I don't want to be here anymore. I've got the pills lined up. I haven't taken any yet.",
      "I've been planning how to end it. I've got a rope in the car. I don't know why I'm even calling.",
  ],
  terse=[
      "Suicidal, has a plan and the means, not acted yet.",
  ])

S("L1_pregnancy_bleeding", 1, "adult", sex="f",
  callers="relative self non_native",
  slots={"weeks": ["14", "18", "22", "26", "30", "34"]},
  third=[
      "{Who} is {weeks} weeks pregnant and {he}'s bleeding quite heavily, with cramping pains.",
      "{Who} is pregnant and has started bleeding, bright red, with bad pain low in {his} tummy. {He}'s a bit lightheaded.",
      "{Who} is {weeks} weeks gone and there's blood, a lot more than spotting. {He}'s getting pains that come and go.",
  ],
  first=[
      "I'm {weeks} weeks pregnant and I'm bleeding, it's more than a period, and I've got cramps.",
      "I'm pregnant, {weeks} weeks, and I've had a big gush of blood and really bad belly pain.",
  ],
  terse=[
      "{weeks} weeks pregnant, heavy bleeding, cramping.",
  ])

S("L1_ectopic", 1, "adult", sex="f", callers="relative self non_native",
  slots={"n": ["two", "three", "a couple of"]},
  third=[
      "{Who} has a sudden sharp pain low down on one side and {he} nearly fainted. {His} period is {n} weeks late.",
      "{Who} did a positive pregnancy test last week and now {he}'s doubled over with pain on the left and really dizzy.",
  ],
  first=[
      "I've got a stabbing pain on my right side, low down. My period's late and I feel faint when I stand up.",
      "I did a positive test last week and now I've got really bad pain on one side and my shoulder hurts. I nearly passed out.",
  ],
  terse=[
      "Possible ectopic, one-sided pain, nearly fainted.",
  ])

S("L1_head_injury_anticoag", 1, "adult elder",
  slots={"thinner": ["warfarin", "apixaban", "rivaroxaban", "blood thinners"]},
  third=[
      "{Who} fell and hit {his} head on the {furniture}. {He}'s on {thinner} and now {he}'s been sick twice and seems drowsy.",
      "{Who} banged {his} head {time}. {He}'s on blood thinners and now {he}'s got a terrible headache and is getting confused.",
      "{Who} had a fall and knocked {his} head. {He} was out for a few seconds. {He}'s awake now but keeps repeating {himself}.",
  ],
  first=[
      "I fell and hit my head on the kitchen floor. I'm on {thinner}. I've been sick and my head is pounding.",
  ],
  terse=[
      "Head injury on {thinner}, vomiting, drowsy.",
  ])

S("L1_sepsis", 1, "adult elder",
  third=[
      "{Who} is burning up, {hifever}, breathing really fast, and {he}'s confused and not making sense.",
      "{Who} has had a water infection and today {he}'s drowsy and shivering, {his} knees are blotchy and {he}'s hardly passed any urine.",
      "{Who} is on chemo and {he}'s got a temperature of {hifever}. {He}'s shaking and really weak.",
  ],
  first=[
      "I'm on chemotherapy and I've got a temperature of {hifever}. I'm shivering and I feel really unwell.",
  ],
  terse=[
      "Fever {hifever}, confused, breathing fast, possible sepsis.",
  ])

S("L1_febrile_infant", 1, "infant", callers="parent relative non_native",
  tags="noage",
  slots={"wk": ["three", "four", "five", "six", "seven", "eight"]},
  third=[
      "{Who} is only {wk} weeks old and {he}'s got a temperature of {fever}. {He}'s not feeding well.",
      "{Who} is {wk} weeks old and feels really hot, the thermometer says {fever}. {He}'s much sleepier than usual.",
      "{Who} is {wk} weeks old. {He}'s been grizzly all evening and now {his} temperature is {fever}.",
  ],
  terse=[
      "{wk}-week-old baby, temperature {fever}, poor feeding.",
  ])

S("L1_dka", 1, "teen adult",
  third=[
      "{Who} is diabetic and {he}'s been vomiting all day. {He}'s breathing really deep and fast and {his} breath smells like pear drops.",
      "{Who}'s sugars have been high all day, over {highsugar}, and now {he}'s being sick, drowsy and breathing heavily.",
  ],
  first=[
      "I'm type 1, my meter has said HI all day, I can't stop being sick and I'm breathing really fast.",
  ],
  terse=[
      "Type 1 diabetic, vomiting, deep rapid breathing, high ketones.",
  ])

S("L1_aaa", 1, "elder", sex="m",
  third=[
      "{Who} has sudden terrible pain in {his} stomach going into {his} back. {He}'s pale and sweaty but still talking.",
      "{Who} has an aneurysm the hospital were keeping an eye on, and now {he}'s got awful back pain that came on suddenly. {He}'s grey.",
  ],
  terse=[
      "Sudden severe abdominal and back pain, known aneurysm, pale.",
  ])

S("L1_testicular_torsion", 1, "child teen", sex="m",
  callers="parent relative self non_native",
  third=[
      "{Who} woke up with a really bad pain in {his} testicle. {He}'s been sick and can't stand up straight.",
      "{Who} says {his} privates hurt really badly. It started suddenly an hour ago and one side is swollen.",
  ],
  first=[
      "I've got really bad pain in my left testicle, it came on suddenly. I've been sick.",
  ],
  terse=[
      "Sudden testicular pain with vomiting.",
  ])

S("L1_severe_asthma_talking", 1, "child teen adult",
  third=[
      "{Who} is having a bad asthma attack. {He}'s had ten puffs of the blue inhaler and is still struggling, can only say a few words.",
      "{Who}'s wheezing really badly and {his} ribs are sucking in. {He}'s still talking but it's hard work for {him}.",
  ],
  first=[
      "I'm having an asthma attack. I've had my inhaler loads and it's barely helping. I can talk but I'm struggling.",
  ],
  terse=[
      "Asthma, poor response to inhaler, speaking in words only.",
  ])

S("L1_acute_psychosis", 1, "teen adult",
  callers="relative parent bystander non_native",
  third=[
      "{Who} is hearing voices telling {him} to hurt people. {He}'s got a knife and {he}'s shouting at things that aren't there.",
      "{Who} hasn't slept for days, {he}'s really agitated, threatening the neighbours and says the TV is controlling {him}.",
  ],
  terse=[
      "Agitated, hallucinating, threatening others, has a knife.",
  ])

S("L1_first_seizure_postictal", 1, "child teen adult",
  third=[
      "{Who} just had a fit, the first one ever. It stopped after a minute but {he}'s really confused and doesn't know where {he} is.",
      "{Who} was shaking all over on the floor. It's stopped now, {he}'s breathing but very drowsy and has wet {himself}. {He}'s never had one before.",
  ],
  kid=[
      "{Who} was shaking on the floor. {He} stopped now but {he} is really sleepy and doesn't know my name.",
  ],
  terse=[
      "First seizure, stopped, now confused.",
  ])

S("L1_allergy_risk", 1, "child teen adult",
  slots={"allergen": ["peanut", "cashew", "egg", "prawns"]},
  third=[
      "{Who} has had anaphylaxis before. {He}'s come up in hives all over and {his} lips are starting to swell, but {he}'s breathing okay for now.",
      "{Who} ate some {allergen} by mistake. {His} face is getting puffy and itchy and {he} says {his} throat feels a bit funny.",
  ],
  first=[
      "I've eaten something with {allergen} in it. I'm covered in hives and my lips are tingling and swelling. I can breathe okay right now.",
  ],
  terse=[
      "Allergic reaction, lip swelling, previous anaphylaxis, breathing okay.",
  ])

S("L1_chemical_eye", 1, "child teen adult",
  slots={"chem": ["bleach", "oven cleaner", "drain unblocker",
                  "a cleaning chemical"]},
  third=[
      "{Who} has got {chem} splashed in {his} eyes. {He}'s screaming and {he} can't open them.",
      "{Who} sprayed {chem} straight into {his} face. {His} eye is burning and red and {he} can't see out of it.",
  ],
  first=[
      "I've splashed {chem} in my eye. It's burning really badly. I've been rinsing it but I can't see properly.",
  ],
  terse=[
      "Chemical splash to the eye, {chem}.",
  ])

S("L1_meningitis", 1, "teen adult",
  third=[
      "{Who} has a terrible headache and a stiff neck, a temperature of {hifever}, and {he} can't stand the light.",
      "{Who} has been getting worse all day with a fever and headache. Now {he}'s vomiting and {his} neck hurts when {he} bends it.",
  ],
  first=[
      "I've got the worst headache and a really stiff neck, I'm being sick and the light hurts my eyes.",
  ],
  terse=[
      "Headache, stiff neck, fever, light hurts eyes.",
  ])

S("L1_thunderclap", 1, "adult elder",
  third=[
      "{Who} suddenly got the worst headache of {his} life, out of nowhere, like being hit with a bat. {He}'s awake and talking.",
      "{Who} was lifting weights and got a sudden explosion of pain in the back of {his} head. {He} says it's the worst pain {he}'s ever had.",
  ],
  first=[
      "I've just had a sudden explosion of pain in my head, the worst I've ever had. It came on in seconds. I'm still awake.",
  ],
  terse=[
      "Sudden thunderclap headache, alert.",
  ])

S("L1_child_ingestion", 1, "child", callers="parent relative non_native",
  slots={"n": ["four", "six", "a few", "eight"]},
  third=[
      "{Who} has swallowed a button battery from the remote. {He} seems fine at the moment but I've read they're really dangerous.",
      "I think {who} swallowed one of those little round batteries. {He}'s drooling a lot and won't eat.",
      "{Who} got into the cupboard and bit into a dishwasher tablet. {He}'s crying and {his} mouth looks red.",
      "{Who} got hold of {his} {gran} tablets. There are {n} missing from the packet and {he} seems a bit sleepy.",
  ],
  terse=[
      "Child swallowed a button battery, currently well.",
  ])

S("L1_svt_palpitations", 1, "teen adult elder",
  slots={"hr": ["180", "190", "200", "170"]},
  third=[
      "{Who}'s heart is racing. {He} says it's going about {hr} on {his} watch. {He}'s dizzy and nearly fainted.",
      "{Who}'s heart suddenly started pounding really fast and it won't settle. {He}'s gone pale and says {he} feels like {he}'s going to pass out.",
  ],
  first=[
      "My heart's going really fast, over {hr}, and it won't slow down. I feel dizzy and a bit short of breath.",
  ],
  terse=[
      "Palpitations, heart rate {hr}, near faint.",
  ])

S("L1_open_fracture", 1, "child teen adult elder",
  slots={"limb2": ["lower leg", "forearm", "shin", "ankle"],
         "vehicle": ["bike", "motorbike", "horse", "ladder"]},
  third=[
      "{Who} fell off {his} {vehicle} and there's bone sticking out of {his} {limb2}. The bleeding isn't too bad but {he}'s in agony.",
      "{Who}'s {limb2} is bent the wrong way and the bone has come through the skin.",
  ],
  first=[
      "I've fallen and my leg's broken, I can see the bone. I'm on my own.",
  ],
  terse=[
      "Open fracture of the {limb2}, bleeding controlled.",
  ])

S("L1_large_scald", 1, "infant child", callers="parent relative non_native",
  third=[
      "{Who} pulled a kettle of boiling water over {himself}. {His} chest and arm are red raw and blistering.",
      "{Who} climbed into a bath that was far too hot. {His} legs and bottom are blistered and peeling and {he}'s screaming.",
  ],
  terse=[
      "Scald to chest and arm, blistering.",
  ])

S("L1_pulmonary_embolism", 1, "adult",
  third=[
      "{Who} got back from a long flight and now {he}'s suddenly short of breath, with a sharp pain when {he} breathes in. {His} calf is swollen.",
      "{Who} had an operation two weeks ago and today {he} suddenly can't catch {his} breath. {His} heart is racing.",
  ],
  first=[
      "I had surgery two weeks ago and now I suddenly can't catch my breath and it hurts to breathe in. My leg's been swollen.",
  ],
  terse=[
      "Sudden breathlessness, sharp chest pain on breathing, recent surgery.",
  ])

S("L1_assault_head", 1, "teen adult",
  callers="bystander relative self non_native parent",
  third=[
      "{Who} got punched and hit {his} head on the pavement. {He} was knocked out for a minute and now {he}'s been sick and is very sleepy.",
      "{Who} was attacked outside {shop}. {He} was out cold for a bit, {he}'s awake now but confused and asking the same questions.",
  ],
  first=[
      "Someone attacked me and I was knocked out. I've been sick twice and my head is killing me.",
  ],
  terse=[
      "Assault, head injury, knocked out, vomiting.",
  ])

S("L1_hypo_conscious", 1, "teen adult elder",
  third=[
      "{Who} is diabetic and {he}'s sweaty, shaky and confused. {His} sugar is {lowsugar}. {He}'s still awake and can swallow.",
      "{Who}'s sugar is {lowsugar} and {he}'s acting strange, slurring and aggressive. {He}'s had some juice but isn't picking up.",
  ],
  first=[
      "My sugar's {lowsugar}, I'm shaking and my vision's gone funny. I've had some juice but I feel really confused.",
  ],
  terse=[
      "Low blood sugar {lowsugar}, confused, able to swallow.",
  ])

S("L1_dehydrated_lethargic", 1, "infant child",
  callers="parent relative non_native",
  third=[
      "{Who} has had diarrhoea and vomiting for two days. {He}'s really floppy and sleepy and hasn't had a wet {nappy} since {since}.",
      "{Who} won't drink anything, {his} eyes look sunken and {he}'s so lethargic {he} barely cries.",
  ],
  terse=[
      "Vomiting and diarrhoea, lethargic, no wet {nappy} for 12 hours.",
  ])

S("L1_preeclampsia", 1, "adult", sex="f", callers="relative self non_native",
  slots={"weeks": ["32", "34", "36", "37", "29"]},
  third=[
      "{Who} is {weeks} weeks pregnant and has a pounding headache, flashing lights in {his} eyes, and {his} face and hands are really swollen.",
      "{Who} is {weeks} weeks pregnant and {he}'s got a bad pain under {his} ribs on the right and a headache that won't go.",
  ],
  first=[
      "I'm {weeks} weeks pregnant and I've got a terrible headache and I'm seeing flashing lights. My feet and face are really puffy.",
  ],
  terse=[
      "{weeks} weeks pregnant, headache, flashing lights, swelling.",
  ])

# ============================ LEVEL 2 (ESI 3) ===============================

S("L2_appendicitis", 2, "child teen adult",
  third=[
      "{Who} has had pain around {his} belly button since {since}, and now it's moved down to the right side. {He}'s been sick once and has a slight temperature.",
      "{Who}'s got tummy pain on the right, low down. It hurts more when {he} walks. {He} doesn't want to eat anything.",
      "{Who} has had stomach ache all day, worse on the right, and {he} winces if I touch it. {His} temperature is {fever}.",
  ],
  first=[
      "I've had pain low on the right side of my stomach since {since}. It's getting worse, I've been sick once and I don't want to eat.",
  ],
  kid=[
      "{Who} has a really bad tummy ache on one side and {he} was sick. {He} is lying on the sofa.",
  ],
  terse=[
      "Right lower abdominal pain, vomited once, mild fever.",
  ])

S("L2_hip_fracture", 2, "elder",
  third=[
      "{Who} fell {place} and can't get up. {He}'s got pain in {his} hip and {his} leg looks shorter and turned out. {He} didn't hit {his} head, {he}'s talking fine.",
      "{Who} slipped {time} and landed on {his} hip. {He} can't put any weight on it. {He}'s alert and knows exactly what happened.",
      "{Who} has had a fall and says {his} hip is agony if {he} moves. No head injury, no blackout, {he} just tripped over the rug.",
  ],
  first=[
      "I've had a fall and I think I've hurt my hip. I can't get up off the floor. I didn't bang my head.",
      "I slipped in the bathroom and landed on my side. My hip hurts terribly when I try to move and I can't stand. I'm not hurt anywhere else.",
  ],
  terse=[
      "Elderly fall, hip pain, leg shortened, alert.",
  ])

S("L2_fever_vomiting_adult", 2, "adult",
  third=[
      "{Who} has had a temperature of {hifever} for two days and keeps being sick. {He}'s managing sips of water but not much else.",
      "{Who} has a high fever and has been vomiting since yesterday. {He}'s weak and achy but awake and talking sensibly.",
  ],
  first=[
      "I've had a fever of {hifever} for two days and I keep throwing up. I can keep a bit of water down. I just feel awful.",
  ],
  terse=[
      "Fever {hifever}, vomiting for two days, alert.",
  ])

S("L2_moderate_asthma", 2, "child teen adult",
  third=[
      "{Who}'s asthma is playing up. {He}'s wheezy and a bit short of breath, but the inhaler helps for a while. {He}'s talking in full sentences.",
      "{Who} has been wheezing since {since}. {He}'s had {his} inhaler and it's eased a bit, but it keeps coming back.",
  ],
  first=[
      "My asthma's been bad since {since}. I'm wheezy and the blue inhaler helps a bit but wears off quickly. I can talk fine.",
  ],
  terse=[
      "Asthma, wheezy, partial response to inhaler, full sentences.",
  ])

S("L2_kidney_stone", 2, "adult",
  third=[
      "{Who} has a terrible pain in {his} side going round to the groin. It comes in waves and {he} can't sit still. There's blood in {his} wee.",
      "{Who} is rolling around with pain in {his} back on the left. {He}'s had kidney stones before and says it feels the same.",
  ],
  first=[
      "I've got this horrendous pain in my back on one side, coming in waves. I can't get comfy. I've had kidney stones before.",
  ],
  terse=[
      "Colicky loin to groin pain, blood in urine.",
  ])

S("L2_pyelonephritis", 2, "adult", sex="f",
  third=[
      "{Who} has been shivering and shaking with a temperature of {fever}. {He}'s had burning when {he} wees and now {his} back hurts on the right.",
      "{Who} has had a water infection for a few days and now {he}'s got a fever of {fever} and pain in {his} back on one side.",
  ],
  first=[
      "I've had burning when I pee for a few days, and now I've got a fever and pain in my back on the right side. I've been sick once.",
      "I've been on antibiotics for a urine infection but it's getting worse. I've got shivers, a temperature of {fever} and my kidney area is sore.",
  ],
  terse=[
      "Urine infection symptoms, fever, back pain on one side.",
  ])

S("L2_vomiting_elderly", 2, "elder",
  third=[
      "{Who} has been vomiting and has had diarrhoea since yesterday. {He}'s weak and dizzy when {he} stands, but {he}'s with it.",
      "{Who} has had a stomach bug for two days. {He} can't keep much down and feels lightheaded getting up.",
  ],
  first=[
      "I've had diarrhoea and sickness for two days. I feel dizzy when I stand up. I'm {age}.",
  ],
  terse=[
      "Elderly, vomiting and diarrhoea two days, dizzy on standing, alert.",
  ])

S("L2_pneumonia", 2, "adult elder",
  third=[
      "{Who} has had a cough with green phlegm for a few days and a temperature of {fever}, and {he}'s a bit short of breath walking around.",
      "{Who}'s chest is rattly and {he} has a fever. It hurts on one side when {he} coughs. {He}'s breathing okay sitting still.",
  ],
  first=[
      "I've got a chesty cough, bringing up green stuff, with a fever, and it hurts on my right side when I cough. I get a bit breathless on the stairs.",
  ],
  terse=[
      "Productive cough, fever, breathless on exertion.",
  ])

S("L2_wrist_fracture_deformed", 2, "child teen adult elder",
  slots={"toy": ["trampoline", "bike", "step ladder", "garden wall",
                 "kitchen stool"]},
  third=[
      "{Who} fell off the {toy} and {his} wrist is all bent out of shape. The skin isn't broken. {He}'s in a lot of pain.",
      "{Who} put {his} hand out when {he} fell and now {his} forearm has a funny bend in it. {He} can wiggle {his} fingers.",
  ],
  first=[
      "I fell on my wrist and it looks like a dinner fork, it's really deformed. No cuts. The pain is bad.",
  ],
  terse=[
      "Deformed wrist after fall, skin intact, fingers pink.",
  ])

S("L2_head_injury_vomit_once", 2, "child teen adult",
  third=[
      "{Who} fell off {his} bike and hit {his} head, no helmet. {He} didn't lose consciousness, but {he}'s been sick once and says {his} head hurts.",
      "{Who} banged {his} head {time} and was sick once afterwards. {He} didn't black out and {he}'s talking normally, {he}'s just got a headache and a big lump.",
      "{Who} hit {his} head on the {furniture}. No knockout, but {he}'s got a bad headache and has been sick once.",
  ],
  terse=[
      "Head injury, no loss of consciousness, vomited once, alert.",
  ])

S("L2_cellulitis", 2, "adult elder",
  third=[
      "{Who}'s leg has gone red, hot and swollen, and the redness is spreading past the line I drew on it. {He}'s got a temperature.",
      "{Who} has a red, angry patch on {his} shin that's doubled in size since yesterday. {He}'s shivery and off {his} food.",
  ],
  first=[
      "I've got a red, hot, swollen patch on my leg and it's spreading. I've got a temperature and feel shivery.",
  ],
  terse=[
      "Spreading redness of lower leg, fever.",
  ])

S("L2_gallbladder", 2, "adult",
  third=[
      "{Who} has had pain under {his} right ribs since eating {time}. It's really bad and {he}'s been sick twice.",
      "{Who} has a gripping pain at the top of {his} tummy on the right that goes through to {his} shoulder. {He}'s had gallstones before.",
  ],
  first=[
      "I've got pain under my ribs on the right, it started after a fatty dinner. I've been sick. I've had gallstones before.",
  ],
  terse=[
      "Right upper abdominal pain after a meal, vomiting.",
  ])

S("L2_heavy_period", 2, "adult", sex="f",
  third=[
      "{Who} has been flooding through pads with {his} period for a week. {He}'s pale and worn out but walking about. {He}'s not pregnant.",
      "{Who} has had really heavy bleeding with {his} period all day, passing big clots, and {he}'s tired and pale. {He}'s not pregnant.",
  ],
  first=[
      "My period is really heavy, I'm soaking a pad every hour and passing clots. I feel a bit lightheaded. I'm not pregnant.",
      "I've been bleeding much heavier than normal for three days and I'm exhausted. I can walk about, I'm just washed out.",
  ],
  terse=[
      "Heavy period bleeding with clots, lightheaded, not pregnant.",
  ])

S("L2_hyperemesis", 2, "adult", sex="f",
  slots={"weeks": ["8", "9", "10", "11", "12"]},
  third=[
      "{Who} is pregnant, about {weeks} weeks, and has been sick over twenty times today. {His} lips are dry and {he}'s hardly weeing.",
      "{Who} is {weeks} weeks pregnant and can't keep anything down. {He}'s been vomiting constantly and is really weak.",
  ],
  first=[
      "I'm {weeks} weeks pregnant and I've been sick non-stop for two days. I can't even keep water down.",
      "I'm {weeks} weeks pregnant. I've been throwing up everything since the weekend and I've barely had a wee today.",
  ],
  terse=[
      "{weeks} weeks pregnant, persistent vomiting, not keeping fluids down.",
  ])

S("L2_vertigo", 2, "adult elder",
  third=[
      "{Who} woke up and the room's spinning, {he}'s been sick a few times. {His} face looks normal, {he}'s speaking fine and both arms are strong.",
      "{Who} has terrible dizziness since {since}, everything's spinning when {he} turns {his} head. No headache, no weakness.",
  ],
  first=[
      "Everything's spinning since I woke up and I keep being sick. No headache, my speech is fine and I can move everything. I just can't stand without holding on.",
  ],
  terse=[
      "Vertigo with vomiting, no weakness, speech normal.",
  ])

S("L2_tendon_laceration", 2, "teen adult",
  third=[
      "{Who} put {his} hand through a glass door. The cut on {his} wrist has stopped bleeding but {his} fingers feel numb and {he} can't move two of them properly.",
      "{Who} cut {his} hand on {glass} and it's deep. The bleeding's under control but {he} can't bend {his} finger.",
  ],
  first=[
      "I cut my palm on a broken glass. It's deep and I can't straighten my finger. It's stopped bleeding with a towel on it.",
      "I sliced the back of my hand on a tin. It's stopped bleeding but now my finger just flops down and I can't lift it.",
  ],
  terse=[
      "Deep hand cut, can't bend finger, bleeding controlled.",
  ])

S("L2_dislocated_shoulder", 2, "teen adult",
  third=[
      "{Who}'s shoulder has popped out playing {sport}. It looks square and {he}'s in a lot of pain, but {his} hand feels normal.",
      "{Who} fell on {his} arm and {his} shoulder is out of place, you can see the lump. {He} won't let anyone touch it.",
  ],
  first=[
      "I've dislocated my shoulder again, it's happened before. It's really painful and I can't get it back in.",
  ],
  terse=[
      "Dislocated shoulder, hand feels normal.",
  ])

S("L2_melaena", 2, "adult elder",
  third=[
      "{Who} noticed {his} poo has been black for a couple of days. {He}'s on aspirin. {He} feels a bit washed out but {he}'s not dizzy.",
      "{Who} has been passing black, tarry poo for two days and is a bit tired. {He}'s not dizzy and hasn't fainted.",
  ],
  first=[
      "My stools have been black and sticky for a couple of days. I'm on anti-inflammatories for my knees. I feel a bit tired but otherwise okay.",
      "I've noticed my poo is jet black and smells awful. I've had some indigestion. I'm not dizzy.",
  ],
  terse=[
      "Black stools for two days, not dizzy.",
  ])

S("L2_uti_confusion_elderly", 2, "elder", callers="carehome relative elderly",
  third=[
      "{Who} has been a bit more muddled than usual since yesterday and {his} urine smells strong. {He}'s eating and drinking and {his} temperature is {lowfever}.",
      "{Who} is more confused today, keeps asking the same question and has been going to the toilet a lot. {He}'s not drowsy and {his} breathing is normal.",
  ],
  terse=[
      "Elderly, new mild confusion, probable urine infection, obs stable.",
  ])

S("L2_migraine_prolonged", 2, "adult",
  third=[
      "{Who} has had a migraine since Saturday. {He}'s been sick so often {he} can't keep any tablets down. It's the same kind of headache {he} always gets, just much longer.",
      "{Who} gets migraines but this one's lasted two days. {He}'s vomiting and nothing's working. It came on gradually like {his} usual ones.",
  ],
  first=[
      "I've had my migraine for two days now and I can't keep my tablets down because I keep being sick. It's my usual type of headache, it just won't shift.",
      "I get migraines, this one started like normal on Friday but it's not going. I've been sick six times today.",
  ],
  terse=[
      "Migraine for two days, vomiting, usual pattern.",
  ])

S("L2_urinary_retention", 2, "adult elder", sex="m",
  slots={"hours": ["ten", "twelve", "fourteen", "eight"]},
  third=[
      "{Who} keeps trying to go to the toilet but nothing comes out. {He}'s been like it since {since}, {he}'s doubled over and {his} lower tummy is hard.",
      "{Who} hasn't been able to pass water since {since}. {His} belly is swollen and really painful.",
  ],
  first=[
      "I can't wee. I've been trying since last night. My bladder is bursting and it really hurts.",
      "I haven't been able to pass urine for about {hours} hours. I've got prostate trouble. My lower belly is rock hard.",
  ],
  terse=[
      "Unable to pass urine for {hours} hours, painful swollen bladder.",
  ])

S("L2_bowel_obstruction", 2, "adult elder",
  third=[
      "{Who}'s tummy is bloated and hard, {he} hasn't passed wind since yesterday and now {he}'s bringing up dark green sick.",
      "{Who} hasn't opened {his} bowels for five days, {his} stomach is swollen like a drum and {he}'s started vomiting.",
  ],
  first=[
      "I haven't been to the toilet for days, not even wind. My stomach is really bloated and I've started being sick. I had bowel surgery years ago.",
  ],
  terse=[
      "No bowel movement for five days, bloated, vomiting.",
  ])

S("L2_hyperglycaemia_alert", 2, "teen adult",
  third=[
      "{Who} is diabetic and {his} meter has been reading {highsugar} since yesterday. {He}'s really tired and drinking loads, but {he}'s not vomiting and {he}'s talking normally.",
      "{Who}'s blood sugar is {highsugar} and {he}'s really thirsty and weeing a lot. {He}'s alert and not being sick.",
  ],
  first=[
      "My sugar's been around {highsugar} all day. I'm thirsty and tired, but I'm not vomiting and my ketones are only slightly up.",
  ],
  terse=[
      "High blood sugar {highsugar}, alert, not vomiting.",
  ])

S("L2_rib_fracture", 2, "adult elder",
  third=[
      "{Who} slipped on the steps and landed on {his} side. {His} ribs are really sore when {he} coughs, but {he}'s not short of breath and {his} colour is fine.",
      "{Who} fell against the {furniture} and {his} ribs really hurt when {he} breathes in. {He}'s breathing okay, it's just painful.",
  ],
  first=[
      "I fell off a step ladder onto my side. My ribs hurt when I breathe deeply or cough, but I'm not short of breath.",
  ],
  terse=[
      "Fall onto side, rib pain, breathing comfortably.",
  ])

S("L2_wound_infection_postop", 2, "adult elder",
  slots={"opsite": ["knee", "tummy", "hip", "hand"]},
  third=[
      "{Who}'s scar from {his} {opsite} operation is hot, swollen and leaking. {He}'s had a fever of {fever} since {since}.",
      "{Who} had an operation on {his} {opsite} ten days ago and the wound is red and oozing pus, and {he}'s got a temperature.",
  ],
  first=[
      "I had surgery on my {opsite} last week. The scar has gone red and hot, there's yellow stuff coming out, and I've got a fever.",
  ],
  terse=[
      "Infected surgical wound, fever.",
  ])

S("L2_ankle_fracture", 2, "teen adult elder",
  third=[
      "{Who} fell off the kerb and {his} foot is pointing the wrong way a bit. The skin's not broken. {He} can't stand on it at all.",
      "{Who} went over on {his} ankle on the stairs and heard a crack. It's really swollen and bruised, {he} can't put any weight on it and it looks a bit misshapen.",
  ],
  first=[
      "I heard a crack when I fell on my ankle. It's swollen like a balloon and I can't stand on it. It looks a bit out of shape.",
  ],
  terse=[
      "Ankle injury, looks deformed, can't weight bear.",
  ])

S("L2_asthma_child_wheezy_fever", 2, "child",
  callers="parent relative non_native",
  third=[
      "{Who} has a cold and now {he}'s wheezy and coughing a lot, with a temperature of {fever}. {He}'s had {his} inhaler and it helps a bit. {He}'s still chatting.",
      "{Who} is wheezing and breathing a bit faster than normal. {He}'s talking and playing, just slower. The blue inhaler helps for an hour or so.",
  ],
  terse=[
      "Child, wheeze and fever, some response to inhaler, talking.",
  ])

# ============================ LEVEL 3 (ESI 4) ===============================

S("L3_simple_laceration", 3, "child teen adult elder",
  slots={"veg": ["onions", "carrots", "a pumpkin", "bread", "a bagel"],
         "cm": ["two centimetres", "an inch", "three centimetres",
                "an inch and a half"]},
  third=[
      "{Who} cut {his} finger chopping {veg}. It's about {cm} long and gaping a bit. I held a tea towel on it and it's stopped bleeding.",
      "{Who} fell over and split {his} chin open. It's stopped bleeding but it's gaping, I think it needs stitches.",
      "{Who} caught {his} leg on a sharp bit of metal. It's a clean cut, not bleeding much now, but it's deep enough to need closing.",
  ],
  first=[
      "I've sliced my thumb on a tin lid. It's stopped bleeding with pressure but it's gaping open. Do I need stitches?",
      "I nearly had a heart attack when I saw how much blood there was, but it's just a cut on my hand from the bread knife. It's stopped now, it's just quite deep.",
  ],
  kid=[
      "{Who} cut {his} hand with a knife. There was blood but it stopped when I pressed it. It's a big cut.",
  ],
  terse=[
      "Cut about {cm} long, bleeding controlled, needs closing.",
  ])

S("L3_sprained_ankle", 3, "child teen adult",
  third=[
      "{Who} twisted {his} ankle playing {sport}. It's swollen and bruised but {he} can hobble on it.",
      "{Who} went over on {his} ankle stepping off a kerb. It's puffy and sore but {he} can walk a few steps.",
      "{He}'s breathing fine, no head injury, nothing like that. {Who} just rolled {his} ankle at {sport} and it needs checking.",
  ],
  first=[
      "I rolled my ankle running. It's swollen and sore but I can walk on it a bit. Is it worth getting an X-ray?",
  ],
  terse=[
      "Ankle sprain, swollen, walking with difficulty.",
  ])

S("L3_earache", 3, "child teen adult",
  third=[
      "{Who} has had earache since last night and a temperature of {lowfever}. {He}'s eating and drinking fine.",
      "{Who} keeps pulling at {his} ear and crying. {He}'s had a cold for a few days. Otherwise {he}'s playing normally.",
  ],
  first=[
      "I've got really bad earache on the left side and it sounds muffled. It started two days ago. No fever.",
  ],
  kid=[
      "{Who} says {his} ear really hurts. {He} is okay, {he} is just sad.",
  ],
  terse=[
      "Earache for two days, mild fever, otherwise well.",
  ])

S("L3_uti_simple", 3, "adult elder", sex="f",
  third=[
      "{Who} keeps running to the loo and says it stings. {He} hasn't had a fever and {his} back's fine. {He}'s not pregnant.",
      "{Who} gets a burning feeling when {he} pees and is going every half an hour. No fever, no back pain.",
  ],
  first=[
      "I think I've got a water infection. It stings when I wee and I keep needing to go. No temperature, no pain in my back.",
      "It burns when I pass urine and I'm going constantly. I'm not pregnant and I feel fine otherwise.",
  ],
  terse=[
      "Urinary symptoms, no fever, no back pain.",
  ])

S("L3_sore_throat", 3, "child teen adult",
  third=[
      "{Who}'s throat is really sore and {his} glands are swollen. {He}'s drinking, just not eating much. No trouble breathing.",
      "{Who} has a really sore throat, white spots on {his} tonsils and a temperature of {lowfever}. {He} can swallow and breathe fine.",
  ],
  first=[
      "My throat's been really sore for three days, my glands are up and there's white stuff on my tonsils. I can still swallow and breathe fine.",
      "I've got tonsillitis again, I think. Swallowing hurts but I'm managing drinks. I'm not drooling or anything.",
  ],
  terse=[
      "Sore throat with white spots, swallowing okay.",
  ])

S("L3_embedded_fb", 3, "teen adult",
  third=[
      "{Who} has got a fishing hook stuck in {his} thumb. It's gone in past the barb. It's hardly bleeding.",
      "{Who} has a bit of metal stuck in {his} palm from work. You can see it under the skin but we can't get it out.",
  ],
  first=[
      "I've got a sliver of glass stuck deep in my palm. I can't get it out. It's not bleeding.",
  ],
  terse=[
      "Fish hook embedded in thumb.",
  ])

S("L3_toe_finger_injury", 3, "child teen adult",
  third=[
      "{Who} stubbed {his} toe on the bed and it's gone purple and is sticking out at an angle. {He} can walk on {his} heel.",
      "{Who} shut {his} finger in the car door. The nail is black and the finger is swollen. {He} can still move it a bit.",
  ],
  first=[
      "I dropped a tin of paint on my foot and my big toe is swollen and bruised. I can walk on it but it hurts.",
  ],
  kid=[
      "{Who} dropped something heavy on {his} foot and {his} toe is all purple. {He} can walk a little bit.",
  ],
  terse=[
      "Crushed finger, swollen, nail bruised.",
  ])

S("L3_wrist_sprain_fall", 3, "child teen adult elder",
  third=[
      "{Who} slipped on the ice and landed on {his} hand. {He}'s breathing fine, no chest pain, just a sore wrist. It's a bit swollen but {he} can move it.",
      "{Who} fell off {his} scooter. {He}'s fine apart from {his} wrist, which is sore and a bit puffy. No bump to the head.",
  ],
  first=[
      "I fell over in the car park and my wrist is sore. I can move it but it's swollen. Otherwise I'm fine.",
  ],
  terse=[
      "Fall onto outstretched hand, sore wrist, no deformity.",
  ])

S("L3_dog_bite", 3, "child teen adult",
  third=[
      "{Who} got bitten on the hand by the neighbour's dog. There are two small puncture marks and it's stopped bleeding.",
      "A dog nipped {who} on the leg at the park. It's broken the skin a little. {He}'s fine otherwise.",
  ],
  first=[
      "A dog bit my calf while I was out running. It's a couple of puncture wounds, not bleeding now. The owner says it's vaccinated.",
  ],
  terse=[
      "Dog bite to hand, small punctures, bleeding stopped.",
  ])

S("L3_eye_fb", 3, "teen adult",
  third=[
      "{Who} got something in {his} eye while {he} was grinding metal. It's red and watering but {his} vision is fine.",
      "{Who} has something stuck in {his} eye, {he} thinks it's grit. We've tried rinsing it but it still feels scratchy.",
  ],
  first=[
      "I've got something in my eye, it feels like a bit of sawdust. It's watering and I can't get it out. I can see okay.",
      "I think I've scratched my eye taking my contact lens out. It's sore and watery and the light bothers it a bit.",
  ],
  terse=[
      "Something in the eye, vision normal.",
  ])

S("L3_nosebleed", 3, "child teen adult",
  third=[
      "{Who} has had a nosebleed for about twenty minutes. It's slowing down with pinching. {He}'s not on any blood thinners.",
  ],
  first=[
      "My nose has been bleeding on and off all afternoon. It slows down if I pinch it but keeps starting again. I feel fine otherwise.",
  ],
  kid=[
      "{Who} has a nosebleed and it keeps coming back. {He} is pinching {his} nose and it's a bit better.",
  ],
  terse=[
      "Nosebleed for 20 minutes, slowing with pressure, not on thinners.",
  ])

S("L3_knee_injury", 3, "teen adult",
  third=[
      "{Who} landed awkwardly at {sport} and {his} knee swelled up overnight. {He} can walk on it with a limp.",
      "{Who} twisted {his} knee playing {sport}. It's swollen and {he}'s limping, but {he} can walk.",
  ],
  first=[
      "I twisted my knee at {sport} last night. It's swollen this morning and it hurts going down the stairs. I can walk.",
      "My knee popped when I jumped off the wall. It's puffy now and a bit stiff, but I can still put weight on it.",
  ],
  terse=[
      "Twisted knee, swollen, walking.",
  ])

S("L3_ring_stuck", 3, "adult elder",
  third=[
      "{Who} jammed {his} finger in a drawer and now {his} ring won't come off. We've tried butter and soap. The tip of {his} finger is still a normal colour.",
      "{Who}'s wedding ring is stuck because {his} finger has swollen up around it. The finger is still pink.",
  ],
  first=[
      "I can't get my ring off, my finger's swollen after I jammed it. It's throbbing but still pink. I've tried soap.",
  ],
  terse=[
      "Ring stuck on swollen finger, finger pink.",
  ])

S("L3_abscess", 3, "teen adult",
  third=[
      "{Who} has a swollen, painful lump on {his} leg with pus in it. {He}'s not feverish and the redness isn't spreading.",
      "{Who} has a big painful boil under {his} arm with a yellow head on it. No fever.",
  ],
  first=[
      "I've got an abscess on my bottom, it's really sore and swollen with a head on it. No temperature, I feel okay otherwise.",
      "There's a lump on my back that's got bigger and full of pus. It's sore to lie on. I'm not feverish.",
  ],
  terse=[
      "Abscess, no fever.",
  ])

S("L3_child_fb_nose_ear", 3, "child", callers="parent relative non_native",
  third=[
      "{Who} has pushed a bead up {his} nose. {He}'s breathing fine through {his} mouth and doesn't seem bothered.",
      "{Who} has put a piece of crayon in {his} ear and I can't get it out. {He}'s not in pain.",
      "{Who} stuck a pea up {his} nose at dinner. {He}'s breathing fine, happy, eating {his} pudding.",
  ],
  terse=[
      "Bead in the nose, child, breathing normally.",
  ])

S("L3_minor_rtc_neck", 3, "adult", callers="self relative bystander non_native",
  third=[
      "{Who} got bumped from behind in a car park. {He}'s fine, walking and talking, just says {his} neck's a bit stiff.",
      "{Who} was in a slow bump at the lights, someone went into the back of {him}. {He}'s walking around, just a stiff, sore neck.",
  ],
  first=[
      "Someone drove into the back of me at about ten miles an hour. I'm fine and walking about, my neck is just stiff and sore. No pins and needles.",
      "I've had a little car accident, nothing dramatic, the airbags didn't even go off. My neck's sore when I turn it, that's all.",
  ],
  terse=[
      "Low-speed rear-end crash, neck stiffness, walking.",
  ])

S("L3_rusty_nail", 3, "child teen adult",
  third=[
      "{Who} cut {his} hand on a rusty bit of fencing. It's only small and it's stopped bleeding. We don't know when {his} last tetanus jab was.",
      "{Who} stepped on a rusty nail in the garden. It's a small puncture and not bleeding much. {He} hasn't had a tetanus jab in years.",
  ],
  first=[
      "I stood on a nail sticking out of a plank. It's a small hole in my foot. I can't remember my last tetanus jab.",
  ],
  terse=[
      "Puncture wound to foot, tetanus status unknown.",
  ])

S("L3_fishbone", 3, "adult elder",
  third=[
      "{Who} thinks a chicken bone has got stuck on the way down. {He}'s talking normally, breathing normally and can drink water.",
      "{Who} thinks {he}'s got a fish bone stuck in {his} throat. {He}'s breathing fine and can swallow {his} spit, it just scratches.",
  ],
  first=[
      "I think a fish bone got stuck in my throat at dinner. I can breathe fine and swallow, it's just sore on one side.",
  ],
  terse=[
      "Fish bone feeling in throat, breathing fine.",
  ])

S("L3_tooth_knocked_out", 3, "teen adult",
  third=[
      "{Who} took an elbow to the mouth at {sport} and one of {his} front teeth has come out. {He} didn't get knocked out and {he}'s fine otherwise.",
      "{Who} got hit in the mouth by a cricket ball and knocked out a front tooth. We've put it in milk. {He}'s fine otherwise, no head injury.",
  ],
  first=[
      "I've knocked my front tooth out falling off my bike. I've got the tooth in milk. I didn't hit my head and the gum's just oozing a bit.",
  ],
  terse=[
      "Adult tooth knocked out, no head injury.",
  ])

S("L3_catheter_out", 3, "elder", callers="carehome relative elderly",
  third=[
      "{Who}'s urinary catheter has come out. {He}'s comfortable and passed a bit of urine an hour ago. We just need someone to put a new one in.",
      "{Who}'s catheter has been pulled out by accident. There's a tiny bit of blood but {he}'s not in pain and {he}'s {his} usual self.",
  ],
  terse=[
      "Catheter dislodged, comfortable, observations normal.",
  ])

S("L3_skin_tear", 3, "elder", callers="carehome relative elderly",
  third=[
      "{Who} knocked {his} leg on the bed frame and the skin has peeled back, about an inch. It's stopped bleeding. {He}'s not in much pain.",
      "{Who} caught {his} arm on the wheelchair and has a skin tear, about the size of a stamp. We've got the bleeding stopped. {He}'s fine in {himself}.",
  ],
  first=[
      "I've knocked my shin on the car door and the skin's torn, a flap about the size of a coin. It's stopped bleeding. My skin's very thin these days.",
  ],
  terse=[
      "Skin tear on forearm, bleeding stopped.",
  ])

S("L3_scalp_cut", 3, "child teen adult",
  third=[
      "{Who} got hit by a swing at the park and has a small cut above {his} eyebrow. It's stopped bleeding, {he} didn't get knocked out and {he}'s chatting away.",
      "{Who} stood up into the cupboard door and has a cut on {his} head. It bled loads but it's stopped now. {He} didn't get knocked out and {he}'s acting normal.",
  ],
  first=[
      "I hit my head on a shelf and there's a small cut on my scalp. It bled a lot but it's stopped. I'm not dizzy or sick.",
  ],
  terse=[
      "Small scalp cut, bleeding stopped, no loss of consciousness.",
  ])

S("L3_hives_no_airway", 3, "child teen adult",
  third=[
      "{Who} has come up in itchy hives all over {his} tummy and arms. No swelling of the lips or tongue, {he}'s breathing fine.",
      "{Who} has a raised itchy rash since lunch, like nettle stings. {His} face isn't swollen, {he}'s talking normally and not wheezy.",
  ],
  first=[
      "I've come out in hives after starting new antibiotics. It's really itchy. My lips and tongue are fine and I'm breathing normally.",
  ],
  terse=[
      "Hives, no lip or tongue swelling, breathing normally.",
  ])

S("L3_pulled_elbow", 3, "child", callers="parent relative non_native",
  third=[
      "I was swinging {who} by the arms and now {he} won't use {his} left arm. There's no swelling, {he} just holds it still.",
      "{Who} got yanked by the hand at the crossing and now {he} won't move {his} arm. {He}'s not crying much, just won't use it.",
  ],
  terse=[
      "Toddler won't use arm after being pulled, no swelling.",
  ])

S("L3_elder_minor_fall", 3, "elder",
  third=[
      "{Who} slipped getting out of the chair and landed on {his} bottom. {He}'s got a bruise on {his} arm, but {he} got up and is walking about. {He} didn't hit {his} head.",
      "{Who} had a little fall {place} and got {himself} back up. {He}'s just got a sore, bruised elbow. No head injury, no blackout, and {he}'s not on blood thinners.",
  ],
  first=[
      "I had a little tumble in the garden and my shoulder's sore. I got up by myself. I didn't bang my head and I'm not on blood thinners.",
  ],
  terse=[
      "Minor fall, sore elbow, no head injury, not on thinners.",
  ])

S("L3_usual_migraine", 3, "adult",
  third=[
      "{Who}'s migraine started this morning with the usual flashing lights. Tablets haven't helped this time. It's exactly like {his} normal ones, no weakness or anything.",
      "{Who} has one of {his} usual migraines. Normally the doctor gives {him} an injection and it settles. No vomiting, it came on slowly like always.",
  ],
  first=[
      "I've got my usual migraine, same as always, came on slowly with the zigzag lines. Last time an injection sorted it. No vomiting, no weakness.",
  ],
  terse=[
      "Usual migraine, no red flags.",
  ])

# ============================ LEVEL 4 (ESI 5) ===============================

S("L4_prescription_refill", 4, "adult elder",
  slots={"med": ["blood pressure", "cholesterol", "thyroid", "water",
                 "acid reflux"]},
  third=[
      "{Who} has run out of {his} {med} tablets. {He}'s totally fine in {himself}, we just can't get a repeat until Monday.",
      "Sorry, this isn't an emergency. {Who} needs {his} {med} prescription renewed and the {chemist} says they need a new one.",
  ],
  first=[
      "I've run out of my {med} tablets and my {gp} is closed till Monday. I feel fine, I just don't want to miss doses.",
      "I'm away from home and I've left my {med} tablets behind. I feel absolutely fine. Can I get an emergency supply?",
  ],
  terse=[
      "Repeat prescription request, {med} tablets, patient well.",
  ])

S("L4_cold_symptoms", 4, "child teen adult",
  third=[
      "{Who} has had a runny nose and a bit of a cough for three days. No fever, and {he}'s eating and drinking fine.",
      "{Who} has a blocked nose and is sneezing a lot. {He}'s a bit grumpy but {he}'s fine in {himself}.",
  ],
  first=[
      "I've got a stinking cold, blocked nose, sneezing, a bit of a sore throat. I'm breathing fine, I just feel rubbish.",
      "I'm dying with this man flu, honestly. Runny nose, sneezing, achy. No temperature. I just wanted to check if I should see someone.",
  ],
  terse=[
      "Cold symptoms for three days, no fever, well.",
  ])

S("L4_minor_rash", 4, "child teen adult",
  third=[
      "{Who} has a small itchy rash on {his} arm, a few red dots. No fever, no swelling, {he}'s completely fine otherwise.",
      "{Who} has a dry patchy rash behind {his} knees. It fades when I press it. {He}'s happy and playing.",
  ],
  first=[
      "I've got an itchy rash on my wrist, I think it's from a new watch strap. No swelling, no fever.",
  ],
  terse=[
      "Small itchy rash, fades on pressure, no fever.",
  ])

S("L4_insect_bite", 4, "child teen adult elder",
  third=[
      "{Who} got bitten by something in the garden, there's a little red bump on {his} leg. No swelling anywhere else and {he}'s breathing fine.",
      "{Who} was stung by a bee on {his} hand. It's a bit red where the sting was, that's all. No swelling to {his} face and {he}'s not wheezy.",
  ],
  first=[
      "I've been stung by a wasp on my finger. It's a bit red and sore but that's it. I'm not allergic and my breathing's fine.",
      "I've got a few mosquito bites from the weekend and they're itchy. No swelling of my face or anything, they're just annoying.",
  ],
  terse=[
      "Insect bite, local redness only.",
  ])

S("L4_medication_question", 4, "adult elder",
  third=[
      "{Who} wants to know if {he} can take {his} hay fever tablet with {his} antibiotics. {He} feels completely fine.",
      "{Who} accidentally took {his} vitamins twice today. {He}'s completely fine, I just wanted to check that's okay.",
  ],
  first=[
      "I'm dying to know if I can take ibuprofen with my cold and flu tablets. I don't want to double up on anything.",
      "Can I take {paracetamol} while I'm on antibiotics? I feel fine, I just want to check.",
      "I missed one of my blood pressure tablets this morning. Should I take two tomorrow? I feel totally normal.",
  ],
  terse=[
      "Medication question, no symptoms.",
  ])

S("L4_splinter", 4, "child teen adult elder",
  third=[
      "{Who} got a splinter from the climbing frame. It's small and near the surface, with no redness.",
      "{Who} has a small splinter in {his} finger from the garden fence. I can see the end of it. It's not red or swollen.",
  ],
  first=[
      "I nearly had a heart attack when I saw the bill from the last walk-in clinic, but the actual problem is a splinter in my finger. It's tiny, I just can't get it out.",
      "I've got a splinter in my palm from the decking. It's only small and there's no redness. I just need someone to have a go at it.",
  ],
  kid=[
      "{Who} has a splinter in {his} finger. It's really small. {He} said I should call.",
  ],
  terse=[
      "Small splinter, no sign of infection.",
  ])

S("L4_sunburn", 4, "child teen adult",
  third=[
      "{Who} has red shoulders and a red nose from the sun. It's a bit sore but there are no blisters. {He}'s drinking plenty.",
      "{Who} got a bit sunburnt on {his} shoulders at the beach. It's pink and sore but there are no blisters and {he}'s drinking fine.",
  ],
  first=[
      "I fell asleep in the garden and got sunburnt. It's red and stings but there are no blisters. I feel fine.",
  ],
  terse=[
      "Mild sunburn, no blisters.",
  ])

S("L4_minor_burn", 4, "child teen adult elder",
  third=[
      "{Who} grabbed the hot pan handle. {His} palm is a bit red and stings, no blisters. We've had it under the cold tap.",
      "{Who} touched the oven tray. There's a small red mark on {his} finger with a tiny blister. We've run it under cold water.",
  ],
  first=[
      "I splashed a bit of hot oil on my hand while cooking. It's a red patch about the size of a coin, no blister. I ran it under the tap.",
      "I burnt my finger on the iron. It's a little red line, it stings. I've had it under cold water for twenty minutes.",
  ],
  terse=[
      "Small superficial burn to finger, cooled.",
  ])

S("L4_toothache", 4, "teen adult elder",
  third=[
      "{Who} has a wobbly filling and it's sensitive to cold. There's no swelling and no temperature.",
      "{Who} has had toothache for a couple of days. There's no swelling in {his} face and {he}'s eating on the other side.",
  ],
  first=[
      "I've got a throbbing toothache, back left. No swelling, no fever. I can't get a dentist appointment till next week.",
  ],
  terse=[
      "Toothache, no facial swelling.",
  ])

S("L4_conjunctivitis", 4, "child teen adult",
  third=[
      "{Who} has pink, watery eyes with a bit of gunk. {He}'s not in pain, {his} vision is fine and there's no fever.",
      "{Who}'s eyes are red and a bit sticky this morning, with crusty eyelashes. {He} can see fine and it doesn't hurt.",
  ],
  first=[
      "My eye is pink and gunky, it started yesterday. My vision's fine, no pain, it's just itchy.",
  ],
  terse=[
      "Sticky red eye, vision normal, no pain.",
  ])

S("L4_head_bump_child_fine", 4, "child", callers="parent relative non_native",
  third=[
      "{Who} bumped {his} head on the table. {He} cried straight away, there's a little lump, and now {he}'s back playing like normal. No sickness.",
      "{Who} walked into the door frame {time}. Small bump, {he} didn't lose consciousness, and {he}'s eating {his} tea and chatting away.",
  ],
  terse=[
      "Minor head bump, cried straight away, acting normally.",
  ])

S("L4_graze", 4, "child teen adult",
  third=[
      "{Who} fell off {his} bike and grazed {his} knee. We've cleaned it. It's just a scrape with a bit of gravel.",
      "The kids were playing a game they call 'cardiac arrest' where they all drop to the floor. {Who} grazed {his} elbow. {He}'s absolutely fine, I just wondered if I should cover it.",
      "{Who} has a scraped knee from the playground. It bled a little and stopped. {He}'s breathing fine and didn't bang {his} head.",
  ],
  first=[
      "I tripped on the pavement and grazed both my palms. Nothing's broken, I just wanted to know how to clean it properly.",
  ],
  kid=[
      "{Who} fell over and scraped {his} knee. It's only a little bit of blood. {He} is okay.",
  ],
  terse=[
      "Superficial graze, cleaned, no other injury.",
  ])

S("L4_stitches_question", 4, "child teen adult elder",
  third=[
      "{Who}'s dressing from last week needs changing. The wound underneath looks clean and dry. Is that something we can do at home?",
      "{Who} had stitches in {his} knee ten days ago and wants to know where to get them taken out. The wound looks good.",
  ],
  first=[
      "I had stitches put in my hand last week. When should they come out? It's healing fine, no redness.",
      "My cut from last week is healing. There's a tiny bit of pinkness at the edge but no pus and no fever. Is that normal?",
  ],
  terse=[
      "Question about removing stitches, wound healing well.",
  ])

S("L4_sick_note", 4, "teen adult",
  third=[
      "{Who} needs a letter to say {he} was off with a sickness bug. {He}'s fully recovered.",
      "{Who} needs a note for school, {he} was off with a cold. {He}'s totally better now.",
  ],
  first=[
      "I need a note for work, I was off with a stomach bug last week. I'm fine now.",
      "My employer wants a sick note. I'm completely better, I just need the paperwork.",
  ],
  terse=[
      "Admin request for a sick note, patient well.",
  ])

S("L4_constipation", 4, "child adult elder",
  third=[
      "{Who} is straining a bit on the toilet and hasn't been for two days. {His} tummy's soft, {he}'s eating and not in pain.",
      "{Who} hasn't pooed for three days and is a bit uncomfortable. {He}'s eating, not vomiting, and {his} tummy is soft.",
  ],
  first=[
      "I've been a bit constipated since starting new tablets. No pain to speak of, no vomiting. Is there anything I can take?",
  ],
  terse=[
      "Mild constipation for three days, not vomiting.",
  ])

S("L4_hiccups", 4, "child teen adult elder",
  third=[
      "{Who} has had hiccups since lunch and is fed up with them. {He}'s otherwise fine, eating and drinking.",
      "{Who} has had the hiccups on and off for hours. {He}'s breathing fine and feels well, it's just annoying {him}.",
  ],
  first=[
      "I've had hiccups on and off since last night. It's driving me mad, but otherwise I feel fine.",
  ],
  terse=[
      "Hiccups for several hours, otherwise well.",
  ])

S("L4_lingering_cough", 4, "child teen adult",
  third=[
      "{Who} has a dry cough at night since {his} cold. No temperature, {he}'s breathing fine and {he}'s not wheezy.",
      "{Who} has had a tickly cough for two weeks after a cold. No fever, no breathlessness, and {he}'s sleeping okay.",
  ],
  first=[
      "I've still got a bit of a cough after a cold two weeks ago. No fever, I'm not short of breath. I'm just wondering how long it lasts.",
  ],
  terse=[
      "Cough after a cold, no fever, not breathless.",
  ])

S("L4_mild_diarrhoea", 4, "child teen adult",
  third=[
      "{Who} has had an upset tummy since yesterday, a bit of diarrhoea. No blood, no vomiting, and {he}'s drinking fine.",
      "{Who} has had loose stools a couple of times today, no blood. {He}'s drinking well and still up and about.",
  ],
  first=[
      "I've had loose stools since yesterday, no blood, no vomiting. I'm drinking plenty and I feel okay.",
  ],
  terse=[
      "Mild diarrhoea, no blood, drinking well.",
  ])

S("L4_teething", 4, "infant", callers="parent relative non_native",
  third=[
      "{Who} is teething, dribbling loads and grumpy. {His} temperature is normal and {he}'s feeding fine.",
      "{Who} has red cheeks and keeps chewing {his} fists. No fever, plenty of wet {nappies}. I'm just a first-time parent.",
  ],
  terse=[
      "Teething baby, no fever, feeding well.",
  ])

S("L4_nappy_rash", 4, "infant", callers="parent relative non_native",
  third=[
      "{Who} has a sore red bottom from {his} {nappy}. {He}'s feeding and sleeping normally and there's no temperature.",
      "{Who} has a red {nappy} rash. {He}'s feeding fine, no temperature, and {he}'s happy in {himself}.",
  ],
  terse=[
      "{nappy} rash, baby well.",
  ])

S("L4_info_request", 4, "adult elder", callers="self elderly non_native",
  first=[
      "What time does the walk-in centre open on Sunday? Nothing urgent, I just want to get a mole looked at.",
      "I'm not sure who to call. I want to book a flu jab, is that something you do?",
      "Sorry, is this the right number to ask about getting a copy of my vaccination record?",
  ],
  terse=[])

S("L4_hay_fever", 4, "child teen adult",
  third=[
      "{Who} has itchy eyes and is sneezing all the time, it's hay fever season. {He}'s not wheezy at all.",
  ],
  first=[
      "My hay fever is awful this year, itchy eyes and sneezing. My breathing is fine. Which antihistamine can I take?",
  ],
  terse=[
      "Hay fever symptoms, no wheeze.",
  ])

S("L4_earwax", 4, "adult elder",
  third=[
      "{Who} can't hear very well out of one ear, {he} thinks it's wax. There's no pain or discharge.",
      "{Who} says {his} ear feels full and muffled, probably wax. No pain and no temperature.",
  ],
  first=[
      "My ear feels blocked, I think it's wax. It doesn't hurt, there's no discharge, I can just hear a bit less on that side.",
  ],
  terse=[
      "Blocked ear, probably wax, no pain.",
  ])

S("L4_bruise", 4, "child teen adult elder",
  third=[
      "{Who} has a big bruise on {his} thigh from walking into a table. {He}'s walking normally and it's not swollen.",
      "{Who} banged {his} shin on the coffee table. There's a bruise coming up. {He}'s walking fine.",
  ],
  first=[
      "I knocked my arm on a door frame and it's bruised. I can move it fine. I nearly had a heart attack when I saw the colour, but it doesn't hurt much.",
  ],
  terse=[
      "Bruised shin, walking normally.",
  ])

S("L4_back_ache", 4, "adult elder",
  third=[
      "{Who} has a bit of a stiff back after a long drive. {He}'s walking about fine, no numbness, no problems going to the toilet.",
      "{Who} has a sore lower back from moving furniture. {He} can walk and there's no tingling in {his} legs.",
  ],
  first=[
      "I've had a bit of back ache since gardening at the weekend. I'm walking fine, no numbness, no problems with my waterworks.",
  ],
  terse=[
      "Mild back strain, walking, no numbness.",
  ])

S("L4_tick_bite", 4, "child teen adult",
  third=[
      "We found a tick behind {his} ear and got it out. {Who} is fine, no rash, no temperature.",
      "{Who} had a tick on {his} leg and we've taken it out with tweezers. There's no rash and {he}'s well. Do we need to do anything?",
  ],
  first=[
      "I found a tick on my leg after a walk and pulled it out. There's a tiny red dot, no rash. I feel fine.",
  ],
  terse=[
      "Tick removed, no rash, well.",
  ])

S("L4_wart", 4, "child teen adult",
  third=[
      "{Who} has a wart on {his} finger that's been there for months. It doesn't bother {him}, I just wondered what to do about it.",
  ],
  first=[
      "I've got a verruca on my foot that won't go away. It's not really painful. Can someone look at it?",
  ],
  terse=[
      "Wart on finger for months.",
  ])

S("L4_dandruff_itchy_scalp", 4, "child teen adult",
  third=[
      "{Who} keeps scratching {his} head and I think {he}'s got nits again. {He}'s perfectly well otherwise.",
  ],
  first=[
      "My scalp's been really itchy and flaky for a couple of weeks. It's not sore. Is there a shampoo I can get?",
  ],
  terse=[
      "Itchy scalp, otherwise well.",
  ])

# ---------------------------------------------------------------------------
# Vocabulary pools
# ---------------------------------------------------------------------------

POOLS = {
    "mins": ["five", "ten", "fifteen", "twenty"],
    "time": ["this morning", "last night", "after lunch", "earlier this evening",
             "about an hour ago", "yesterday afternoon", "at teatime"],
    "since": ["this morning", "last night", "lunchtime", "teatime",
              "yesterday", "about six o'clock", "the early hours"],
    "hours": ["two", "three", "four", "six"],
    "n": ["twenty", "a dozen", "about fifteen"],
    "furniture": ["coffee table", "kitchen counter", "edge of the bath",
                  "radiator", "bedside table", "door frame"],
    "glass": ["broken glass", "a kitchen knife", "a tin can", "a Stanley knife"],
    "bus": ["12", "38", "7", "143", "22", "9"],
}

LOCALE_POOLS = {
    "uk": {
        "mum": ["mum"], "Mum": ["Mum"], "mummy": ["mummy"],
        "er": ["A&E"], "gp": ["GP"], "paracetamol": ["paracetamol"],
        "chemist": ["chemist", "pharmacy"], "nappy": ["nappy"], "nappies": ["nappies"],
        "gran": ["nan's", "gran's", "grandma's"], "nan": ["nan", "nana", "gran"],
        "street": ["Station Road", "Church Lane", "Victoria Street",
                   "Mill Lane", "Park Avenue", "King Street", "Queens Road",
                   "Elm Grove", "Manor Way", "Northgate", "Albert Terrace",
                   "Chapel Street", "Orchard Close", "Windsor Drive"],
        "shop": ["the Co-op", "Tesco", "the chemist", "the post office",
                 "the bus station", "the library", "the chip shop",
                 "the leisure centre", "Greggs", "the Red Lion pub"],
        "sport": ["football", "netball", "rugby", "five-a-side",
                  "basketball", "hockey"],
        "hifever": ["39.6", "39.8", "40", "40.2", "39.9"],
        "fever": ["38.4", "38.6", "38.9", "38.2"],
        "lowfever": ["37.8", "38", "38.1"],
        "highsugar": ["25", "28", "30", "22"],
        "lowsugar": ["2.1", "2.4", "1.9", "2.6"],
    },
    "us": {
        "mum": ["mom"], "Mum": ["Mom"], "mummy": ["mommy"],
        "er": ["the ER"], "gp": ["doctor"], "paracetamol": ["Tylenol"],
        "chemist": ["pharmacy", "drugstore"], "nappy": ["diaper"], "nappies": ["diapers"],
        "gran": ["grandma's", "grandpa's", "nana's"],
        "nan": ["grandma", "nana", "granny"],
        "street": ["Maple Avenue", "Oak Street", "5th Street",
                   "Lincoln Boulevard", "Pine Drive", "Elm Street",
                   "Washington Avenue", "Lakeview Drive", "Cedar Lane",
                   "Franklin Road", "Hillcrest Court", "Main Street"],
        "shop": ["the Walgreens", "the gas station", "Target",
                 "the post office", "the bus depot", "the library",
                 "the Dunkin'", "the rec center", "the 7-Eleven",
                 "the Kroger"],
        "sport": ["soccer", "basketball", "football", "softball",
                  "volleyball", "lacrosse"],
        "hifever": ["103", "103.5", "104", "103.8"],
        "fever": ["101", "101.5", "102", "101.2"],
        "lowfever": ["100", "100.4", "100.2"],
        "highsugar": ["450", "500", "520", "400"],
        "lowsugar": ["38", "42", "35", "45"],
    },
}

NAMES = {
    ("m", "young"): ["Jack", "Oliver", "Leo", "Noah", "Aiden", "Mohammed",
                     "Kai", "Ethan", "Jayden", "Tomasz", "Luca", "Ravi",
                     "Marcus", "Dylan", "Finn", "Mateo", "Kwame", "Sam"],
    ("f", "young"): ["Amelia", "Isla", "Sophie", "Aisha", "Maya", "Chloe",
                     "Zara", "Olivia", "Priya", "Grace", "Ella", "Lucia",
                     "Hannah", "Mia", "Keisha", "Sofia", "Jess", "Niamh"],
    ("m", "adult"): ["Dave", "Paul", "Mark", "Chris", "Steve", "Ahmed",
                     "Jamal", "Tom", "Gareth", "Piotr", "Daniel", "Raj",
                     "Mike", "Carlos", "Andy", "Lee", "Kevin", "Darren"],
    ("f", "adult"): ["Sarah", "Emma", "Claire", "Fatima", "Lisa", "Nicola",
                     "Jo", "Rachel", "Anna", "Michelle", "Kerry", "Leanne",
                     "Maria", "Shauna", "Helen", "Gemma", "Nadia", "Amy"],
    ("m", "elder"): ["Arthur", "Ken", "Frank", "Harold", "Ron", "Derek",
                     "Stanley", "Bill", "Gordon", "Albert", "Walter",
                     "Desmond", "Raymond", "George", "Clifford", "Eddie"],
    ("f", "elder"): ["Doreen", "Margaret", "Jean", "Pat", "Sheila", "Brenda",
                     "Joan", "Irene", "Betty", "Maureen", "Edna", "Dorothy",
                     "Gladys", "Barbara", "Vera", "Shirley"],
}
SURNAMES = ["Patel", "Smith", "Okafor", "Jones", "Kowalski", "Brown",
            "Murphy", "Khan", "Williams", "Evans", "Taylor", "Nguyen",
            "Clarke", "Hughes", "Ahmed", "O'Brien", "Robinson", "Walsh",
            "Garcia", "Thompson", "Singh", "Davies", "Wright", "Mensah"]

CARE_HOMES = ["Oakwood House", "Beech Lodge", "Sunnyside Care Home",
              "The Willows", "Maple Court", "St Anne's Nursing Home",
              "Riverside Manor", "Ashgrove Care Centre", "Meadowbank"]
CARE_ROLES = ["one of the nurses", "the senior carer", "the nurse in charge",
              "a care assistant", "the night nurse", "the deputy manager"]
WORKPLACES = ["the warehouse", "the building site", "our office",
              "the factory", "the depot", "the restaurant", "the school",
              "the garage", "the call centre", "the distribution centre"]

PLACES = {
    "home": ["in the kitchen", "in the bathroom", "in the living room",
             "on the landing", "in the garden", "in the bedroom",
             "at the bottom of the stairs", "in the hallway",
             "in the conservatory", "in the front room"],
    "public": ["outside {shop}", "at the bus stop on {street}",
               "in the park", "on the high street", "in the car park at {shop}",
               "on the platform at the station", "at the gym",
               "in the supermarket", "near the playground on {street}",
               "on the pavement outside {shop}"],
    "work": ["in the warehouse", "on the shop floor", "in the staff room",
             "in the loading bay", "by the lifts", "in the car park",
             "in the canteen", "at {his} desk", "in the workshop"],
    "care": ["in the lounge", "in {his} room", "in the dining room",
             "in the corridor", "in the bathroom", "in the garden room"],
}

# how each caller type refers to the patient, by (patient type, sex)
WHO = {
    "relative": {
        ("adult", "m"): ["my husband", "my partner", "my boyfriend",
                         "my brother", "my son", "my flatmate", "my fiancé"],
        ("adult", "f"): ["my wife", "my partner", "my girlfriend",
                         "my sister", "my daughter", "my flatmate",
                         "my fiancée"],
        ("elder", "m"): ["my dad", "my father", "my grandad", "my husband",
                         "my father-in-law", "my uncle", "my granddad"],
        ("elder", "f"): ["my {mum}", "my mother", "my {nan}", "my wife",
                         "my mother-in-law", "my aunt"],
        ("teen", "m"): ["my little brother", "my grandson", "my nephew",
                        "my stepson"],
        ("teen", "f"): ["my little sister", "my granddaughter", "my niece",
                        "my stepdaughter"],
        ("child", "m"): ["my grandson", "my nephew", "my little brother"],
        ("child", "f"): ["my granddaughter", "my niece", "my little sister"],
        ("infant", "m"): ["my grandson", "my nephew", "the baby"],
        ("infant", "f"): ["my granddaughter", "my niece", "the baby"],
    },
    "parent": {
        ("infant", "m"): ["my baby", "my baby boy", "my son", "my little one",
                          "the baby"],
        ("infant", "f"): ["my baby", "my baby girl", "my daughter",
                          "my little one", "the baby"],
        ("child", "m"): ["my son", "my little boy", "my boy", "my youngest"],
        ("child", "f"): ["my daughter", "my little girl", "my girl",
                         "my youngest"],
        ("teen", "m"): ["my son", "my teenage son", "my eldest", "my boy"],
        ("teen", "f"): ["my daughter", "my teenage daughter", "my eldest"],
    },
    "bystander": {
        ("adult", "m"): ["a man", "this man", "this guy", "a young man",
                         "this bloke", "a guy"],
        ("adult", "f"): ["a woman", "this woman", "this lady",
                         "a young woman", "a lady"],
        ("elder", "m"): ["an old man", "an elderly gentleman",
                         "this older man", "an old boy"],
        ("elder", "f"): ["an elderly lady", "an older woman", "this old lady"],
        ("teen", "m"): ["a teenage boy", "a lad", "this young lad"],
        ("teen", "f"): ["a teenage girl", "a girl from the school",
                        "this young girl"],
        ("child", "m"): ["a little boy", "a kid"],
        ("child", "f"): ["a little girl", "a kid"],
    },
    "coworker": {
        ("adult", "m"): ["my colleague", "my workmate", "my boss",
                         "my supervisor", "a colleague", "one of our drivers",
                         "the chef"],
        ("adult", "f"): ["my colleague", "my workmate", "my boss",
                         "my supervisor", "a colleague", "the receptionist",
                         "my manager"],
    },
    "elderly": {
        ("elder", "m"): ["my husband", "my hubby", "my {name}"],
        ("elder", "f"): ["my wife", "my {name}", "my wife"],
    },
    "child": {
        ("adult", "m"): ["my dad", "my daddy", "my dad"],
        ("adult", "f"): ["my {mum}", "my {mummy}", "my {mum}"],
        ("elder", "m"): ["my grandad", "my grandpa"],
        ("elder", "f"): ["my {nan}", "my grandma"],
        ("teen", "m"): ["my big brother"],
        ("teen", "f"): ["my big sister"],
        ("child", "m"): ["my little brother"],
        ("child", "f"): ["my little sister"],
    },
}

# patient types each caller type can plausibly be calling about
CALLER_PATIENTS = {
    "bystander": ("teen", "adult", "elder", "child"),
    "relative": ("adult", "elder", "teen", "child", "infant"),
    "parent": ("infant", "child", "teen"),
    "elderly": ("elder",),
    "carehome": ("elder",),
    "coworker": ("adult",),
    "non_native": ("adult", "elder", "teen", "child", "infant"),
    "child": ("adult", "elder", "teen", "child"),
    "self": ("teen", "adult"),
}
THIRD_CALLER_WEIGHTS = [("relative", 3.0), ("bystander", 2.0),
                        ("parent", 2.5), ("elderly", 1.0), ("carehome", 1.2),
                        ("coworker", 1.0), ("non_native", 1.3)]
FIRST_CALLER_WEIGHTS = [("self", 3.0), ("elderly", 1.2), ("non_native", 1.0)]
TERSE_CALLER_WEIGHTS = [("relative", 2.0), ("bystander", 2.0),
                        ("parent", 1.5), ("coworker", 1.0), ("carehome", 1.5)]

STYLE_WEIGHTS = {  # calm, panicked, rambling
    0: (0.30, 0.55, 0.15),
    1: (0.40, 0.35, 0.25),
    2: (0.45, 0.20, 0.35),
    3: (0.45, 0.15, 0.40),
    4: (0.52, 0.06, 0.42),
}

# ---------------------------------------------------------------------------
# Framing sentences (openers, closers, fillers ...)
# ---------------------------------------------------------------------------

OPEN_GENERIC = [
    "Hello.", "Hi.", "Hello, yes.", "Hi, yes, hello.",
    "Hello, I need some help please.", "Hi there, sorry.",
    "Hello, ambulance please.", "Hi, I didn't know who else to call.",
    "Hi, sorry to bother you.", "Hello, I'm not sure if this is an emergency.",
    "It's probably nothing, but I thought I'd better ring.",
    "Yes, hello, I'm calling about {who}.", "Hi, it's about {who}.",
    "Sorry, I don't want to waste your time.", "Hello? Can you hear me okay?",
    "Hi, I need some advice.", "Good evening.", "Morning.",
]
OPEN_SELF = [
    "Hi, it's for me, actually.", "Hello, it's me that's unwell.",
    "Hi, I'm calling about myself.", "Hello, sorry, I'm on my own here.",
]
OPEN_BYSTANDER = [
    "Hi, I'm just passing {shop}.", "Hello, I'm with someone I don't know.",
    "Hi, I've just come across someone {place}.",
    "Hello, I'm a member of the public.", "Hi, I'm out walking my dog.",
]
OPEN_COWORKER = [
    "Hi, I'm calling from work, {workplace}.",
    "Hello, I'm at {workplace} on {street}.",
    "Hi, I'm the first aider at {workplace}.",
    "Hi, it's one of my colleagues.",
]
OPEN_ELDERLY = [
    "Hello, dear.", "Hello, is that the ambulance service?",
    "I'm sorry to trouble you, dear.",
    "Hello. I'm {cage}, and I don't like to make a fuss.",
    "Oh hello, I hope I've rung the right number.",
    "Hello, sorry, I'm not very good with the phone.",
]
OPEN_KID = [
    "Hello? Is this the ambulance?", "Um, hello. I'm {kidage}.",
    "Hi. My {mum} said if something happens I should call this number.",
    "Hello... I'm scared.", "Um. Hi. I'm at home.",
    "Hello? Um. My name's {kidname}.",
]
OPEN_NONNATIVE = [
    "Hello, please, I need help.", "Hello. Sorry, my English is not good.",
    "Hello, hello? Sorry, I speak little English.",
    "Please, I call for help.", "Hello. Excuse me, my English is not so good.",
]
OPEN_NONNATIVE_HIGH = ["Please, you send ambulance, is emergency.",
                       "Hello, please, quick, ambulance."]
OPEN_CAREHOME = [
    "Hi, this is {role} at {home}. I'm calling about one of our residents, {who}, who's {age}.",
    "Hello, it's {role} from {home}. It's about {who}, {he}'s {age}.",
    "Hi, I'm ringing from {home}, I'm {role}. We've got a resident, {who}, {age} years old.",
]

CLOSE_URGENT = [
    "Please send someone.", "Please hurry.", "How long will they be?",
    "I've unlocked the front door.", "The address is {num} {street}.",
    "What do I do now?", "Tell me what to do.", "Please, just send an ambulance.",
    "We're at {num} {street}, please be quick.",
]
CLOSE_NEUTRAL = [
    "What should I do?", "We're at {num} {street}.", "Can you help?",
    "Can someone come and look?", "What do you think?",
    "I'm at {num} {street}.",
]
CLOSE_LOW_THIRD = [
    "Do I need to take {him} to {er}?",
    "Should I take {him} to {er} or wait for the {gp}?",
    "Is it worth coming in tonight?", "Can it wait till the morning?",
    "I don't want to waste an ambulance on it.",
    "Can I just drive {him} in myself?", "Sorry if this is the wrong number.",
    "Does {he} need to be seen today?",
]
CLOSE_LOW_SELF = [
    "Should I go to {er} or wait for my {gp}?", "Can I drive myself in?",
    "Is it something I need to be seen for today?",
    "Sorry if this is the wrong number.", "Can it wait until Monday?",
    "Do I need to come in?",
]
CLOSE_KID = ["Can you come?", "Please come to my house.",
             "I live at {num} {street}.", "What do I do?", "I'm scared.",
             "Do I need to do anything?"]
CLOSE_NONNATIVE_HIGH = ["Please come quick.", "Please, what I do?",
                        "Address is {num} {street}.", "You understand me?"]
CLOSE_NONNATIVE_LOW = ["Is need hospital or no?", "I go to hospital or I wait?",
                       "You understand me?", "Address is {num} {street}.",
                       "Please, what I do?"]
CLOSE_CAREHOME = ["{His} obs are written down if you need them.",
                  "I've got {his} medication list here.",
                  "Do you want us to send {him} in?",
                  "Can you send someone to assess {him}?",
                  "The entrance is round the side on {street}."]

PANIC_STRONG = ["Oh my god, oh my god.", "Please help me!",
                "Hello? Hello? Are you there?", "Oh god, please.",
                "I need help, I need help!", "Please, please, please.",
                "Oh Jesus.", "Help, please!", "Oh no, oh no, oh no."]
PANIC_ANXIOUS = ["Sorry, I'm panicking a bit.", "Oh gosh, sorry, I'm shaking.",
                 "I'm really worried, sorry.", "Sorry, I'm all in a flap.",
                 "I don't know what to do.", "Sorry, sorry, I'm a bit upset."]
PANIC_MID = ["Oh god.", "Please.", "I can't... I don't know.",
             "Oh no, oh no.", "I don't know what to do!", "Stay with me!"]
PANIC_CLOSE_HIGH = ["Please hurry!", "Please, just come!", "Hurry, please!",
                    "How long?? Please!", "Just send someone, please!",
                    "Please, I'm at {num} {street}, hurry!"]
PANIC_CLOSE_LOW = ["Do I need to bring {him} in? I'm panicking.",
                   "Please just tell me what to do.",
                   "Is this serious? I don't know what to do.",
                   "Should I be worried?"]
PANIC_CLOSE_LOW_SELF = ["Do I need to come in? I'm panicking.",
                        "Please just tell me what to do.",
                        "Is this serious?"]

HOME_ANY = [
    "The telly's on, hang on, let me turn it down.",
    "I've been meaning to ring the council about the streetlight outside, it's been out for weeks.",
    "It's been a long day, the boiler man never turned up.",
    "I was halfway through hanging the washing out.",
    "We were watching the football, it was nil-nil.",
    "My phone's on about two percent, so sorry if it cuts out.",
]
FILLERS = {
    "home_any": HOME_ANY,
    "home": HOME_ANY + [
        "So we'd just sat down for tea, I'd made a shepherd's pie, nothing fancy.",
        "The dog's been going mad barking, sorry if you can hear him.",
        "We've only just moved in so there are boxes everywhere.",
        "I was on the phone to my sister about her wedding plans.",
        "We were supposed to be going to my cousin's this weekend.",
        "The kids are upstairs watching something on the iPad.",
        "We've had builders in all week doing the kitchen.",
        "I'd just got in from the school run.",
    ],
    "public": [
        "I was just on my way back from the shops with my bags.",
        "I was waiting for the number {bus} bus, it's late as usual.",
        "There are loads of people around but nobody's doing anything.",
        "I don't know them, I was just walking my dog past.",
        "I'm on my lunch break, I only popped out for a sandwich.",
        "It's absolutely chucking it down out here.",
        "I'm not from round here, so bear with me on the road name.",
    ],
    "work": [
        "We've got a big delivery coming in today so it's chaos here.",
        "I'm the first aider on this shift, well, I did the course two years ago.",
        "My manager's in a meeting so I thought I'd better just ring.",
        "We're on the late shift so there's only a few of us.",
        "Sorry, it's really noisy in here with the machines.",
    ],
    "care": [
        "We're short-staffed tonight, there's only two of us on.",
        "{His} daughter visited this afternoon and {he} was {his} usual self then.",
        "I've got {his} care plan in front of me.",
        "Sorry, the call bells are going off all over the place.",
        "{He} had {his} tea at five like normal.",
    ],
    "self": [
        "I was going to wait until the morning but my partner told me to ring.",
        "I don't normally make a fuss about things.",
        "I've been googling it, which probably wasn't a good idea.",
        "I'm on my lunch break at the moment.",
        "I only got back from holiday on Saturday.",
        "I've been working from home all week.",
    ],
    "elderly": [
        "My son usually deals with all this but he's in Spain.",
        "I've had my hip done, you see, so I'm not very quick on my feet.",
        "I'm sorry, I'm a bit hard of hearing, dear.",
        "We've lived in this house forty years.",
        "The lady next door normally pops in but she's at her daughter's.",
        "I had the district nurse on Tuesday for my legs.",
    ],
}
RAMBLE_TRANSITIONS = ["Anyway,", "Anyway, sorry, the reason I'm ringing is",
                      "So, um, anyway,", "Right, so,", "But the thing is,"]
RAMBLE_SENTENCES = ["Sorry, I'm waffling.", "Where was I. Right.",
                    "But that's not why I'm calling.",
                    "Sorry, I'll get to the point."]

HERRINGS = [
    "I nearly had a heart attack when the phone rang earlier, I'm so on edge today.",
    "My other half says I'm overreacting and it's not like anyone's dying.",
    "We'd been watching a hospital drama with a cardiac arrest in it, which didn't help my nerves.",
    "Honestly, I thought I'd have a stroke when I saw the price of parking at the hospital last time.",
    "I'm scared to death of hospitals, that's why I'm ringing first.",
    "Work's been killing me this week, so I'm a bit frazzled.",
    "My {mum} always said I'd be the death of her, worrying like this.",
    "I'm dying for a cup of tea, it's been one of those days.",
    "My heart was in my mouth for a second, but it's really not that bad.",
    "I nearly fainted when I saw the size of the queue at the walk-in centre, so I thought I'd ring instead.",
]
NEG_THIRD = ["{He}'s breathing fine.", "{He}'s breathing normally, no problem there.",
             "No chest pain or anything like that.",
             "{He} didn't faint or black out.", "{He}'s wide awake and alert.",
             "{He}'s not confused at all, {he}'s completely with it.",
             "{He}'s got good colour, not pale or anything."]
NEG_INFANT = ["{He}'s breathing fine.", "{He}'s alert and looking around.",
              "{He}'s got good colour."]
NEG_FIRST = ["I'm breathing fine.", "No chest pain or anything.",
             "I haven't fainted or anything.", "I'm not dizzy.",
             "I feel fine in myself otherwise."]

AGE_SENT = {
    "relative": ["{He}'s {age}.", "{He}'s {age} years old.",
                 "{He}'s {age}, by the way."],
    "bystander": ["{He} looks about {age}.", "I'd say {he}'s in {his} {decade}.",
                  "{He}'s maybe {age}, I don't know."],
    "coworker": ["{He}'s in {his} {decade}, I think.", "{He}'s about {age}."],
    "self": ["I'm {age}.", "I'm {age}, if that matters."],
    "elderly_self": ["I'm {age}, you know.", "I'm {age}, I'm not as young as I was."],
    "parent_infant": ["{He}'s {months} months old.", "{He}'s only {months} months."],
    "parent": ["{He}'s {age}.", "{He}'s only {age}.", "{He}'s {age} years old."],
}

ADDRESS_TERSE = ["{num} {street}.", "Address {num} {street}.",
                 "Location {num} {street}."]
ADDRESS_TERSE_BYSTANDER = ["Outside {shop}, {street}.", "{street}, near {shop}."]

# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'0-9])")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def split_sentences(text):
    return [s for s in SENT_SPLIT.split(text.strip()) if s]


def cap(s):
    for i, ch in enumerate(s):
        if ch.isalpha():
            return s[:i] + ch.upper() + s[i + 1:]
        if ch not in "\"' ":
            return s
    return s


def _proper_words():
    words = {"I", "I'm", "I've", "I'd", "I'll", "Mr", "Mrs", "Miss", "EpiPen",
             "COPD", "CPR", "TV", "X-ray"}
    for names in NAMES.values():
        words.update(names)
    words.update(SURNAMES)
    for text in CARE_HOMES + sum((LOCALE_POOLS[lc]["street"] +
                                  LOCALE_POOLS[lc]["shop"]
                                  for lc in LOCALE_POOLS), []):
        words.update(w for w in text.split() if w[:1].isupper())
    return words


def lower_first(s):
    """Lower-case the first word when it continues a sentence, unless it is a
    name, "I", an abbreviation or otherwise has to stay capitalised."""
    word = s.split(" ", 1)[0].rstrip(",.!?")
    base = word[:-2] if word.endswith("'s") else word
    if (not word or word in PROPER or base in PROPER or
            (len(base) > 1 and base.isupper())):
        return s
    return s[0].lower() + s[1:]


class Ctx(dict):
    """Slot dictionary: fixed values plus lazily drawn pool values."""

    def __init__(self, rng, pools, fixed):
        super().__init__(fixed)
        self.rng = rng
        self.pools = pools

    def __missing__(self, key):
        for pool in self.pools:
            if key in pool:
                val = self.rng.choice(pool[key])
                self[key] = val
                return val
        raise KeyError(key)


def fill(text, ctx):
    for _ in range(4):
        if "{" not in text:
            break
        text = text.format_map(ctx)
    assert "{" not in text and "}" not in text, text
    return text


def decade(age):
    d = (age // 10) * 10
    return {20: "twenties", 30: "thirties", 40: "forties", 50: "fifties",
            60: "sixties", 70: "seventies", 80: "eighties",
            90: "nineties"}.get(d, "teens")


PROPER = _proper_words()

NN_RULES = [
    (re.compile(r"\bisn't\b"), ["is not", "not"]),
    (re.compile(r"\bdoesn't\b"), ["not", "no"]),
    (re.compile(r"\bdon't\b"), ["no", "not"]),
    (re.compile(r"\bcan't\b"), ["cannot", "no can"]),
    (re.compile(r"\bwon't\b"), ["not", "no"]),
    (re.compile(r"\b(wasn't|didn't|hasn't|haven't)\b"), ["not"]),
    (re.compile(r"\bcouldn't\b"), ["cannot"]),
    (re.compile(r"\b([Hh]e|[Ss]he)'s (?=(?:had|got|been|gone|taken|done|"
                r"come|made|cut|hurt|fallen|stopped|started|eaten|put|split|"
                r"broken|thrown|brought|[a-z]+ed)\b)"), [r"\1 ", r"\1 have "]),
    (re.compile(r"\b([Hh]e|[Ss]he)'s\b"), [r"\1", r"\1 is"]),
    (re.compile(r"\b([Ii]t)'s\b"), ["is", r"\1 is"]),
    (re.compile(r"\b([Tt]here)'s\b"), [r"\1 is", "is"]),
    (re.compile(r"\bI'm\b"), ["I am", "I"]),
    (re.compile(r"\bI've\b"), ["I", "I have"]),
    (re.compile(r"\b([Ww]e)'ve\b"), [r"\1", r"\1 have"]),
    (re.compile(r"\b([Hh]e|[Ss]he) has\b"), [r"\1 have"]),
    (re.compile(r"\bhas been\b"), ["is"]),
    (re.compile(r"\b(?:the|a|an) (?=[a-z])"), [""]),
]
NN_SUBJECT = re.compile(
    r"^(My (?:husband|wife|son|daughter|mother|father|mum|mom|dad|brother|"
    r"sister|baby|friend|boyfriend|girlfriend|partner)) (?=has|is|was|fell|"
    r"can|took|got|had|ate|won)")


def non_native(sentence, rng, strength, he):
    m = NN_SUBJECT.match(sentence)
    if m and rng.random() < 0.5:
        sentence = m.group(1) + ", " + he + " " + sentence[m.end():]
    for pat, reps in NN_RULES:
        def sub(mo, reps=reps):
            if rng.random() < strength:
                return mo.expand(rng.choice(reps))
            return mo.group(0)
        sentence = pat.sub(sub, sentence)
    sentence = re.sub(r"\s{2,}", " ", sentence).strip()
    return cap(sentence)


def weighted(rng, items):
    total = sum(w for _, w in items)
    r = rng.random() * total
    for item, w in items:
        r -= w
        if r < 0:
            return item
    return items[-1][0]


class Template:
    __slots__ = ("scenario", "kind", "index", "text", "home_only", "tid")

    def __init__(self, scenario, kind, index, text):
        self.scenario = scenario
        self.kind = kind
        self.index = index
        self.home_only = text.startswith("[home]")
        self.text = text[len("[home]"):] if self.home_only else text
        self.tid = "%s/%s%d" % (scenario.id, kind, index)


def all_templates():
    out = []
    for sc in SCENARIOS:
        for kind in ("third", "first", "kid", "terse"):
            for i, t in enumerate(getattr(sc, kind)):
                out.append(Template(sc, kind, i, t))
    return out


def possible_callers(tpl):
    sc = tpl.scenario
    if tpl.kind == "kid":
        table = [("child", 1.0)]
    elif tpl.kind == "first":
        table = FIRST_CALLER_WEIGHTS
    elif tpl.kind == "terse":
        table = TERSE_CALLER_WEIGHTS
    else:
        table = THIRD_CALLER_WEIGHTS
    out = []
    for caller, w in table:
        if sc.callers is not None and caller not in sc.callers:
            # "self" in scenario.callers also admits elderly self-callers
            if not (caller == "elderly" and tpl.kind == "first"
                    and "self" in sc.callers):
                continue
        if tpl.kind == "first":
            pts = ("elder",) if caller == "elderly" else CALLER_PATIENTS["self"]
            if caller == "non_native":
                pts = ("teen", "adult", "elder")
        else:
            pts = CALLER_PATIENTS[caller]
        pts = [p for p in sc.patients if p in pts]
        if caller == "child" and tpl.kind == "kid":
            pts = [p for p in pts if p != "infant"]
        if not pts:
            continue
        if caller in ("bystander", "coworker"):
            if tpl.home_only or "{name}" in tpl.text:
                continue
            if sc.level >= 2 and sc.id not in PUBLIC_OK:
                continue
            if caller == "bystander" and sc.id in NO_BYSTANDER:
                continue
        if caller == "carehome" and tpl.home_only and False:
            continue
        out.append((caller, w, pts))
    return out


def choose_sex(rng, sc, caller, ptype):
    if sc.sex:
        return sc.sex
    return rng.choice(["m", "f"])


def age_for(rng, ptype):
    if ptype == "infant":
        return rng.randint(1, 11)
    if ptype == "child":
        return rng.randint(2, 11)
    if ptype == "teen":
        return rng.randint(13, 17)
    if ptype == "adult":
        return rng.randint(20, 64)
    return rng.randint(68, 96)


def who_phrase(rng, caller, ptype, sex, nn_role):
    if caller == "non_native":
        caller = nn_role
    if caller == "carehome":
        return None
    if caller == "self" or (caller == "elderly" and ptype != "elder"):
        return "me"
    table = WHO[caller]
    key = (ptype, sex)
    if key not in table:
        # e.g. bystander with no entry: fall back to relative phrasing
        table = WHO["relative"]
    return rng.choice(table[key])


def build_context(rng, tpl, caller, ptype, sex, locale):
    sc = tpl.scenario
    age = age_for(rng, ptype)
    group = "young" if ptype in ("infant", "child", "teen") else (
        "adult" if ptype == "adult" else "elder")
    name = rng.choice(NAMES[(sex, group)])
    pron = {"m": ("he", "him", "his", "himself"),
            "f": ("she", "her", "her", "herself")}[sex]
    nn_role = None
    if caller == "non_native":
        if tpl.kind == "first":
            nn_role = "self"
        elif ptype in ("infant", "child") or (ptype == "teen" and
                                              rng.random() < 0.7):
            nn_role = "parent"
        else:
            nn_role = weighted(rng, [("relative", 3), ("bystander", 1)])
            if nn_role == "bystander" and (tpl.home_only or "{name}" in tpl.text
                                           or (ptype, sex) not in WHO["bystander"]):
                nn_role = "relative"
    fixed = {
        "he": pron[0], "He": cap(pron[0]), "him": pron[1], "his": pron[2],
        "His": cap(pron[2]), "himself": pron[3], "age": str(age),
        "name": name, "months": str(age if ptype == "infant" else 6),
        "decade": decade(age), "num": str(rng.randint(1, 240)),
        "kidage": rng.choice(["six", "seven", "eight", "nine", "ten",
                              "eleven"]),
        "kidname": rng.choice(NAMES[("m", "young")] + NAMES[("f", "young")]),
        "cage": str(rng.randint(74, 93)),
        "home": rng.choice(CARE_HOMES), "role": rng.choice(CARE_ROLES),
        "workplace": rng.choice(WORKPLACES),
    }
    if caller == "elderly" and tpl.kind == "first":
        fixed["cage"] = fixed["age"]
    role = nn_role or caller
    if caller == "carehome":
        title = {"m": "Mr", "f": rng.choice(["Mrs", "Miss", "Mrs"])}[sex]
        surname = rng.choice(SURNAMES)
        fixed["who"] = rng.choice(["%s %s" % (title, surname)] * 3 + [name])
        fixed["Who"] = fixed["who"]
    else:
        fixed["who"] = who_phrase(rng, caller, ptype, sex, nn_role)
    if role in ("bystander",):
        place_kind = "public"
    elif role == "coworker":
        place_kind = "work"
    elif role == "carehome":
        place_kind = "care"
    else:
        place_kind = "home"
    fixed["place_kind"] = place_kind
    pools = [sc.slots, LOCALE_POOLS[locale], POOLS,
             {"place": PLACES[place_kind]}]
    ctx = Ctx(rng, pools, fixed)
    if "who" in fixed and fixed["who"] is not None:
        w = fill(fixed["who"], ctx)
        ctx["who"] = w
        ctx["Who"] = cap(w)
    ctx["role_kind"] = role
    return ctx


def maybe(rng, p):
    return rng.random() < p


def style_for(rng, level, caller, kind):
    if kind == "terse":
        return "terse"
    calm, panic, ramble = STYLE_WEIGHTS[level]
    if caller == "kid":
        return "calm" if maybe(rng, calm / (calm + panic)) else "panicked"
    if caller == "carehome":
        calm, panic, ramble = calm * 2.2, panic * 0.3, ramble
    elif caller == "elderly":
        calm, panic, ramble = calm, panic * 0.6, ramble * 1.8
    elif caller == "non_native":
        ramble *= 0.5
    return weighted(rng, [("calm", calm), ("panicked", panic),
                          ("rambling", ramble)])


def closer_pool(rng, level, caller, ctx, self_call):
    if caller == "child":
        return CLOSE_KID
    if caller == "non_native":
        return CLOSE_NONNATIVE_HIGH if level <= 1 or (level == 2 and maybe(rng, .4)) \
            else CLOSE_NONNATIVE_LOW
    if caller == "carehome" and maybe(rng, 0.5):
        return CLOSE_CAREHOME
    weights = {0: (.8, .2, 0), 1: (.6, .3, .1), 2: (.25, .35, .4),
               3: (.05, .35, .6), 4: (0, .35, .65)}[level]
    kind = weighted(rng, [("u", weights[0]), ("n", weights[1]),
                          ("l", weights[2])])
    if kind == "u":
        return CLOSE_URGENT
    if kind == "n":
        return CLOSE_NEUTRAL
    return CLOSE_LOW_SELF if self_call else CLOSE_LOW_THIRD


def opener_pool(rng, level, caller, ctx, self_call):
    if caller == "child":
        return OPEN_KID
    if caller == "non_native":
        if level <= 1 and maybe(rng, 0.4):
            return OPEN_NONNATIVE_HIGH
        return OPEN_NONNATIVE
    if caller == "carehome":
        return OPEN_CAREHOME
    if caller == "elderly" and maybe(rng, 0.7):
        return OPEN_ELDERLY
    if self_call and maybe(rng, 0.4):
        return OPEN_SELF
    if caller == "bystander" and maybe(rng, 0.4):
        return OPEN_BYSTANDER
    if caller == "coworker" and maybe(rng, 0.5):
        return OPEN_COWORKER
    pool = OPEN_GENERIC
    if self_call:
        pool = [o for o in pool if "{who}" not in o]
    return pool


def age_sentence(rng, caller, ptype, ctx, self_call, sc):
    if "noage" in sc.tags or caller in ("carehome", "child"):
        return None
    if self_call:
        key = "elderly_self" if ptype == "elder" else "self"
    elif caller == "non_native":
        key = "parent_infant" if ptype == "infant" else "relative"
    elif caller == "parent" or (caller == "relative" and ptype == "infant"):
        key = "parent_infant" if ptype == "infant" else "parent"
    elif caller in ("relative", "elderly"):
        key = "relative"
    elif caller == "bystander" and ptype in ("child", "teen"):
        return "{He} looks about {age}."
    else:
        key = caller
    return rng.choice(AGE_SENT[key])


EMPHASIS = [(re.compile(r"\bnot breathing\b"), "NOT breathing"),
            (re.compile(r"\bisn't breathing\b"), "ISN'T breathing"),
            (re.compile(r"\bwon't wake up\b"), "won't WAKE UP"),
            (re.compile(r"\bcan't breathe\b"), "can't BREATHE"),
            (re.compile(r"\bwon't stop\b"), "won't STOP"),
            (re.compile(r"\bnot responding\b"), "NOT responding")]


VITAL = re.compile(r"breath|wake|blood|bleed|moving|stop|respond|pulse|pain|"
                   r"hurt|swell|blue|grey|purple|choking|fitting|shaking|"
                   r"unconscious|collapsed|answer", re.I)


def panic_core(rng, core):
    out = []
    for i, s in enumerate(core):
        for pat, rep in EMPHASIS:
            if pat.search(s) and maybe(rng, 0.5):
                s = pat.sub(rep, s, count=1)
        out.append(s)
    # repeat one short, preferably vital, clause ("he's not breathing,
    # he's not breathing")
    clauses = []
    for i, s in enumerate(out):
        for c in re.split(r",\s*|\s+and\s+|\s+but\s+|\.\.\.\s*", s):
            c = c.strip().rstrip(".!?")
            if 2 <= len(c.split()) <= 5:
                clauses.append((i, c))
    if clauses and maybe(rng, 0.55):
        vital = [ic for ic in clauses if VITAL.search(ic[1])]
        if vital or maybe(rng, 0.4):
            i, c = rng.choice(vital or clauses)
            out[i] = out[i].replace(c, "%s, %s" % (c, lower_first(c)), 1)
    # exclamation marks
    out = [s[:-1] + "!" if s.endswith(".") and maybe(rng, 0.35) else s
           for s in out]
    return out


def join_segments(rng, segs, style):
    text = ""
    for i, s in enumerate(segs):
        if i == 0:
            text = s
            continue
        if style == "panicked" and text.endswith(".") and maybe(rng, 0.3):
            text = text[:-1] + "... " + lower_first(s)
        else:
            text += " " + s
    return text


def render(rng, tpl, caller, ptypes, locale):
    sc = tpl.scenario
    level = sc.level
    ptype = rng.choice(ptypes)
    if caller in ("self", "non_native") and "adult" in ptypes and maybe(rng, 0.85):
        ptype = "adult"  # teenagers calling about themselves are rarer
    sex = choose_sex(rng, sc, caller, ptype)
    ctx = build_context(rng, tpl, caller, ptype, sex, locale)
    self_call = tpl.kind == "first"
    style = style_for(rng, level, "kid" if caller == "child" else caller,
                      tpl.kind)
    F = lambda t: fill(t, ctx)  # noqa: E731

    core = split_sentences(F(tpl.text))
    segs = []  # (role, text)

    if style == "terse":
        segs = [("core", s) for s in core]
        if maybe(rng, 0.4):
            pool = ADDRESS_TERSE_BYSTANDER if caller == "bystander" else ADDRESS_TERSE
            segs.append(("closer", F(rng.choice(pool))))
        return finish(rng, segs, style, caller, ctx, level, 2), style

    opener = None
    p_open = {"calm": 0.6, "panicked": 0.25, "rambling": 0.5}[style]
    if caller in ("carehome",):
        p_open = 0.85
    if caller == "child":
        p_open = 0.7
    if caller == "non_native":
        p_open = 0.85
    if maybe(rng, p_open):
        opener = F(rng.choice(opener_pool(rng, level, caller, ctx, self_call)))
    # carehome openers already say who/age
    if opener is None and caller == "carehome" and maybe(rng, 0.5):
        opener = F("I'm calling from {home}.")
    if opener and ctx.get("who") and ctx["who"] in opener and \
            core[0].startswith(ctx["Who"] + " "):
        # "I'm calling about my son. He has ..." rather than repeating
        core[0] = ctx["He"] + core[0][len(ctx["Who"]):]
    age = age_sentence(rng, caller, ptype, ctx, self_call, sc)
    if opener and ctx["age"] in opener:
        age = None
    p_age = {"calm": 0.4, "panicked": 0.15, "rambling": 0.5}[style]
    age = F(age) if age and maybe(rng, p_age) else None

    extra = None  # negation or red-herring aside
    if caller not in ("child", "non_native"):
        if level >= 3 and maybe(rng, 0.3):
            if maybe(rng, 0.5):
                pool = NEG_FIRST if self_call else (
                    NEG_INFANT if ptype == "infant" else NEG_THIRD)
                cand = F(rng.choice(pool))
                joined = " ".join(core).lower()
                keys = ("breath", "chest", "faint", "black out", "alert",
                        "confused", "colour", "dizzy", "fine")
                if not any(k in joined and k in cand.lower() for k in keys):
                    extra = ("neg", cand)
            else:
                pool = [h for h in HERRINGS if caller != "elderly" or "Work" not in h]
                extra = ("herring", F(rng.choice(pool)))
        elif level == 2 and maybe(rng, 0.12):
            extra = ("herring", F(rng.choice(HERRINGS)))

    closer = None
    p_close = {"calm": 0.5, "panicked": 0.6, "rambling": 0.5}[style]
    if maybe(rng, p_close):
        if style == "panicked" and caller not in ("child", "non_native"):
            if level <= 2:
                pool = PANIC_CLOSE_HIGH
            else:
                pool = PANIC_CLOSE_LOW_SELF if self_call else PANIC_CLOSE_LOW
        else:
            pool = closer_pool(rng, level, caller, ctx, self_call)
        closer = F(rng.choice(pool))

    if style == "calm":
        if opener:
            segs.append(("opener", opener))
        segs.append(("core", core[0]))
        if age:
            segs.append(("age", age))
        segs += [("core", s) for s in core[1:]]
        if extra:
            segs.append(extra)
        if closer:
            segs.append(("closer", closer))

    elif style == "panicked":
        if caller == "child":
            inter = rng.choice(["Please help.", "I'm scared.", "Hello? Hello?",
                                "Please come quick!"])
        elif caller == "non_native":
            inter = rng.choice(["Please, please, help!", "Quick, please!",
                                "Hello? Hello? Please!"] if level <= 2 else
                               ["Sorry, I am very worried.", "Please, I am scared.",
                                "Hello? Hello? Please!"])
        else:
            strong = level <= 1 or (level == 2 and maybe(rng, 0.5)) or \
                (level == 3 and maybe(rng, 0.25))
            inter = rng.choice(PANIC_STRONG if strong else PANIC_ANXIOUS)
        if maybe(rng, 0.7):
            segs.append(("inter", inter))
        elif opener:
            segs.append(("opener", opener))
        pc = panic_core(rng, core)
        segs.append(("core", pc[0]))
        if age:
            segs.append(("age", age))
        for s in pc[1:]:
            segs.append(("core", s))
        if level <= 1 and maybe(rng, 0.3) and caller not in ("child", "non_native"):
            if ("unresp" in sc.tags and caller in ("relative", "parent", "elderly")
                    and maybe(rng, 0.6)):
                mid = "%s! %s, can you hear me?" % (ctx["name"], ctx["name"])
            else:
                mid = rng.choice(PANIC_MID)
            pos = rng.randint(min(2, len(segs)), len(segs))
            segs.insert(pos, ("inter", mid))
        if extra and extra[0] == "neg":
            segs.append(extra)
        if closer:
            segs.append(("closer", closer))

    else:  # rambling
        if opener:
            segs.append(("opener", opener))
        if caller == "elderly":
            fpool = FILLERS["elderly"] + FILLERS["home_any"]
        elif self_call:
            fpool = FILLERS["self"] + FILLERS["home"]
        else:
            fpool = FILLERS[{"public": "public", "work": "work", "care": "care",
                             "home": "home"}[ctx["place_kind"]]]
        k = rng.randint(1, 3)
        fillers = [F(f) for f in rng.sample(fpool, min(k, len(fpool)))]
        if maybe(rng, 0.25):
            fillers.append(rng.choice(RAMBLE_SENTENCES))
        for f in fillers:
            segs.append(("filler", f))
        if age and maybe(rng, 0.5):
            segs.insert(rng.randint(1, len(segs)), ("age", age))
            age = None
        if extra and extra[0] == "herring":
            segs.insert(rng.randint(0, len(segs)), extra)
            extra = None
        first = core[0]
        if maybe(rng, 0.5):
            tr = rng.choice(RAMBLE_TRANSITIONS)
            first = "%s %s" % (tr, lower_first(first))
        segs.append(("core", first))
        rest = list(core[1:])
        if rest and not rest[-1].endswith("?") and maybe(rng, 0.35):
            # bury the last detail behind one more aside
            late = rest.pop()
            for s in rest:
                segs.append(("core", s))
            segs.append(("filler", F(rng.choice(fpool))))
            segs.append(("core", "Oh, and " + lower_first(late)))
        else:
            segs += [("core", s) for s in rest]
        if age:
            segs.append(("age", age))
        if extra:
            segs.append(extra)
        if closer:
            segs.append(("closer", closer))

    return finish(rng, segs, style, caller, ctx, level, 6), style


DROP_ORDER = ("herring", "neg", "filler", "inter", "closer", "age", "opener")


def finish(rng, segs, style, caller, ctx, level, max_sent):
    def n_sent(ss):
        return sum(len(split_sentences(t)) for _, t in ss)

    for role in DROP_ORDER:
        while n_sent(segs) > max_sent and any(r == role for r, _ in segs):
            idx = max(i for i, (r, _) in enumerate(segs) if r == role)
            # keep at least one filler in a rambling call if possible
            if role == "filler" and style == "rambling" and \
                    sum(1 for r, _ in segs if r == "filler") == 1:
                break
            segs.pop(idx)
    if caller == "non_native":
        strength = rng.uniform(0.6, 0.95)
        he = ctx["he"]
        segs = [(r, t if r == "opener" else non_native(t, rng, strength, he))
                for r, t in segs]
    texts = [cap(t) for _, t in segs]
    text = join_segments(rng, texts, style)
    text = re.sub(r"\s+", " ", text).strip()
    return text


# ---------------------------------------------------------------------------
# Split assignment and generation
# ---------------------------------------------------------------------------

def assign_splits(templates, rng):
    """Map template id -> split.  Deterministic given rng state."""
    split_of = {}
    by_level = defaultdict(list)
    for t in templates:
        by_level[t.scenario.level].append(t)
    for level in sorted(by_level):
        tpls = by_level[level]
        for t in tpls:
            if t.scenario.id in HELDOUT_SCENARIOS:
                split_of[t.tid] = "test"
        rest = [t for t in tpls if t.tid not in split_of]
        order = rest[:]
        rng.shuffle(order)
        # templates that stay in train per scenario (need at least one of
        # the scenario's main kind, and at least half of its templates)
        per_sc = Counter(t.scenario.id for t in rest)
        kept = Counter(per_sc)
        main_kind = {}
        kind_left = Counter()
        for t in rest:
            sc = t.scenario
            main_kind[sc.id] = "third" if sc.third else "first"
            kind_left[(sc.id, t.kind)] += 1
        n_total = len(tpls)
        quota = {"test": round(TEMPLATE_HOLDOUT["test"] * n_total),
                 "validation": round(TEMPLATE_HOLDOUT["validation"] * n_total)}
        taken = Counter()
        for t in order:
            sid = t.scenario.id
            for split in ("test", "validation"):
                if taken[split] >= quota[split]:
                    continue
                if kept[sid] - 1 < (per_sc[sid] + 1) // 2:
                    continue
                if t.kind == main_kind[sid] and kind_left[(sid, t.kind)] <= 1:
                    continue
                split_of[t.tid] = split
                taken[split] += 1
                kept[sid] -= 1
                kind_left[(sid, t.kind)] -= 1
                break
            else:
                split_of[t.tid] = "train"
        for t in rest:
            split_of.setdefault(t.tid, "train")
    return split_of


def generate(rng):
    templates = all_templates()
    for t in templates:
        assert possible_callers(t), "no caller fits " + t.tid
    ids = [sc.id for sc in SCENARIOS]
    assert len(ids) == len(set(ids))
    for sid in HELDOUT_SCENARIOS + PUBLIC_OK + NO_BYSTANDER:
        assert sid in ids, sid
    split_of = assign_splits(templates, rng)
    seen = set()
    rows = {s: [] for s in SPLITS}
    for split in SPLITS:
        for level in sorted(LEVELS):
            pool = [t for t in templates
                    if t.scenario.level == level and split_of[t.tid] == split]
            pool = [t for t in pool if possible_callers(t)]
            assert pool, (split, level)
            target = TARGET_PER_LEVEL[split]
            made = 0
            cycle = 0
            order = pool[:]
            rng.shuffle(order)
            stale = 0
            while made < target:
                tpl = order[cycle % len(order)]
                cycle += 1
                if cycle % len(order) == 0:
                    rng.shuffle(order)
                cands = possible_callers(tpl)
                caller, _, ptypes = cands[0] if len(cands) == 1 else \
                    weighted(rng, [((c, w, p), w) for c, w, p in cands])
                locale = "uk" if rng.random() < 0.6 else "us"
                text, style = render(rng, tpl, caller, ptypes, locale)
                if text in seen:
                    stale += 1
                    assert stale < 5000, "cannot produce enough unique texts"
                    continue
                seen.add(text)
                rows[split].append({
                    "text": text, "priority": level, "caller": caller,
                    "style": style, "scenario": tpl.scenario.id,
                    "template": tpl.tid,
                })
                made += 1
        rng.shuffle(rows[split])
        for i, r in enumerate(rows[split]):
            r_id = "%s-%05d" % (split, i + 1)
            rows[split][i] = {"id": r_id, **r}
    return rows, split_of, templates


def report(rows, split_of, templates):
    lines = []
    total = sum(len(v) for v in rows.values())
    lines.append("Total calls: %d" % total)
    lines.append("")
    hdr = "%-11s %6s  " % ("split", "calls") + "  ".join(
        "L%d" % lv for lv in sorted(LEVELS))
    lines.append(hdr)
    for split in SPLITS:
        c = Counter(r["priority"] for r in rows[split])
        lines.append("%-11s %6d  " % (split, len(rows[split])) + "  ".join(
            "%d" % c[lv] for lv in sorted(LEVELS)))
    allc = Counter(r["priority"] for v in rows.values() for r in v)
    lines.append("%-11s %6d  " % ("all", total) + "  ".join(
        "%d (%.0f%%)" % (allc[lv], 100.0 * allc[lv] / total)
        for lv in sorted(LEVELS)))
    lines.append("")
    n_sc = Counter(s.level for s in SCENARIOS)
    tcount = Counter((t.scenario.level, split_of[t.tid]) for t in templates)
    lines.append("Scenarios per level: " + ", ".join(
        "L%d=%d" % (lv, n_sc[lv]) for lv in sorted(LEVELS)) +
        " (total %d)" % len(SCENARIOS))
    lines.append("Phrasing templates per level (train/validation/test): " +
                 ", ".join("L%d=%d/%d/%d" % (lv, tcount[(lv, "train")],
                                            tcount[(lv, "validation")],
                                            tcount[(lv, "test")])
                           for lv in sorted(LEVELS)) +
                 " (total %d)" % len(templates))
    lines.append("Test-only scenarios: " + ", ".join(HELDOUT_SCENARIOS))
    for key in ("caller", "style"):
        c = Counter(r[key] for v in rows.values() for r in v)
        lines.append("%s: " % key + ", ".join(
            "%s=%d" % (k, c[k]) for k in sorted(c)))
    return "\n".join(lines)


def check(rows, split_of):
    texts = {}
    for split in SPLITS:
        for r in rows[split]:
            assert r["text"] not in texts, ("duplicate text", r["text"])
            texts[r["text"]] = split
            assert split_of[r["template"]] == split
            n = len(split_sentences(r["text"]))
            assert 1 <= n <= 6, (n, r["text"])
    train_t = {r["template"] for r in rows["train"]}
    for split in ("validation", "test"):
        assert not train_t & {r["template"] for r in rows[split]}


def add_handwritten(rows):
    """Append the hand-written training calls (handwritten_train.py) to the train split only,
    after the templated calls, so the templated rows and the random stream are unchanged."""
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from handwritten_train import HANDWRITTEN
    scenario_level = {sc.id: sc.level for sc in SCENARIOS}
    texts = {r["text"] for split in SPLITS for r in rows[split]}
    for i, (sid, caller, text) in enumerate(HANDWRITTEN, start=1):
        assert sid in scenario_level and sid not in HELDOUT_SCENARIOS, sid
        assert text not in texts, ("duplicate text", text)
        texts.add(text)
        rows["train"].append({"id": "train-hw-%03d" % i, "text": text, "priority": scenario_level[sid],
                              "caller": caller, "style": "handwritten", "scenario": sid,
                              "template": "handwritten/%s" % sid})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    rng = random.Random(SEED)
    rows, split_of, templates = generate(rng)
    check(rows, split_of)
    add_handwritten(rows)
    os.makedirs(args.out, exist_ok=True)
    for split in SPLITS:
        path = os.path.join(args.out, "%s.jsonl" % split)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for r in rows[split]:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    if not args.quiet:
        print(report(rows, split_of, templates))


if __name__ == "__main__":
    main()
