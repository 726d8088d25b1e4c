"""What a claim and a study are about, and whether the study tests the claim.

Both are read into a Profile by the concept lexicon (seeds/concepts.toml): the drug and its form,
the psychological therapies, the populations, and the outcomes by group (mechanism, course,
window, contrast). A study bears on a claim when its result would change a careful reader's
confidence in it: it has the claim's intervention, shows the kind of outcome the claim asserts,
and studies the claim's population or another one (then it extends the claim).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from kapwatch.evidence.tone import Tone
from kapwatch.seeds.lexicon import Lexicon

# A claim that says what happens *without* a therapy is about ketamine alone.
_WITHOUT = re.compile(r"\bwithout\b(?:\s+\w+){0,2}\s*$", re.IGNORECASE)
# A claim that asserts the effect fades.
_ASSERTS_FADING = re.compile(
    r"\b(?:fade[sd]?|fading|wane[sd]?|relapse[sd]?)\b(?![- ]prevention)", re.IGNORECASE
)
# A claim that the drug raises a measure (connectivity, plasticity, synapses).
_ASSERTS_RISE = re.compile(r"\b(?:increas|promot|restor|enhanc|boost|strengthen)\w*", re.IGNORECASE)
INTEGRATION = "integration"  # integrating the ketamine experience: a therapy's part, not one
FORM = "form"  # the group of drug concepts that name another form or route than the claim's
RAPID = "within_a_day"  # the concept of an effect within hours or a day
RAPID_EFFECT = "rapid_effect"  # the concept of a rapid effect, said without hours
LASTING = "durability"  # the concept of an effect that lasts (or, in a claim, that is sustained)

SAME, NEW_POPULATION, NEW_FORM = "same", "new population", "new form"


@dataclass(frozen=True)
class Profile:
    """What a claim or a study is about, by concept family and role."""

    drug: bool
    forms: frozenset[str]  # other forms or routes of the drug (esketamine, intranasal, ...)
    therapies: frozenset[str]  # concept names (cbt, exposure_therapy, psychotherapy, ...)
    conditions: frozenset[str]  # families (trd counts as depression)
    outcomes: dict[str, frozenset[str]]  # group -> concept names (and, for studies, families)
    without_therapy: bool = False  # a claim about what happens without the therapy
    asserts_fading: bool = False  # a claim that the effect fades
    asserts_rise: bool = False  # a claim that the drug raises what it names

    @cached_property
    def kinds(self) -> frozenset[str]:
        """The kinds of outcome it is about, beyond an effect on symptoms."""
        return frozenset(g for g, names in self.outcomes.items() if names and g != "effect")

    def names(self, group: str) -> frozenset[str]:
        return self.outcomes.get(group, frozenset())

    @property
    def rapid(self) -> bool:
        return RAPID in self.names("course")

    @property
    def lasting(self) -> bool:
        return LASTING in self.names("course")


@dataclass(frozen=True)
class StudyFacts:
    """What the engine knows of a study beyond its profiles."""

    profile: Profile  # all of it
    findings: Profile  # what it found: no background sentences
    title_conditions: frozenset[str]  # the population its title names
    title_forms: frozenset[str]  # the drug form its title names
    preclinical: bool  # an animal or cell study
    about_mechanism: bool  # its title names a mechanism (connectivity, synapses, ...)
    results: Tone  # how all its findings read (a benefit that faded or lasted, a missed primary)
    misuse: bool = False  # its title names people who take the drug outside treatment
    null: bool = False  # its conclusions tell of an outcome no better than control
    measured_early: bool = False  # its methods measure an outcome within hours or a day


def profile(text: str, found: dict[str, str], lexicon: Lexicon, claim: bool = False) -> Profile:
    therapies: set[str] = set()
    conditions: set[str] = set()
    forms: set[str] = set()
    outcomes: dict[str, set[str]] = {}
    without = False
    for name, phrase in found.items():
        role = lexicon.role_of(name)
        if role == "therapy":
            if claim and _mentions_without(text, phrase):
                without = True
                continue
            therapies.add(name)
        elif role == "condition":
            conditions.add(lexicon.family_of(name))
        elif role == "drug" and lexicon.group_of(name) == FORM:
            forms.add(name)
        elif role == "outcome":
            # A claim asks for what it names; a study shows that and its broader family too
            # (synaptogenesis is neuroplasticity, not the other way round).
            group = lexicon.group_of(name) or "effect"
            outcomes.setdefault(group, set()).add(name)
            if not claim:
                outcomes[group].add(lexicon.family_of(name))
    return Profile(
        drug=any(lexicon.role_of(n) == "drug" for n in found),
        forms=frozenset(forms),
        therapies=frozenset(therapies),
        conditions=frozenset(conditions),
        outcomes={g: frozenset(v) for g, v in outcomes.items()},
        without_therapy=without,
        asserts_fading=claim and bool(_ASSERTS_FADING.search(text)),
        asserts_rise=claim and bool(_ASSERTS_RISE.search(text)),
    )


def _mentions_without(text: str, phrase: str) -> bool:
    at = text.lower().find(phrase.lower())
    return at >= 0 and bool(_WITHOUT.search(text[:at]))


def _specific(therapies: frozenset[str], lexicon: Lexicon) -> set[str]:
    """Named therapies (CBT, exposure therapy), not psychotherapy in general."""
    return {t for t in therapies if lexicon.family_of(t) != t}


def linkable(claim: Profile) -> bool:
    """A claim a ketamine study can bear on: about ketamine (or a population) and some effect
    or population. Definitions and claims about psychotherapy alone are not."""
    if not (claim.drug or claim.conditions):
        return False
    if claim.therapies and not claim.drug:
        return False
    return bool(claim.kinds or claim.conditions or claim.outcomes.get("effect"))


def _intervention(claim: Profile, study: Profile, lexicon: Lexicon) -> str | None:
    """SAME or None: does the study give what the claim is about? A claim about the drug is
    tested by any study that gives it, with a therapy or without."""
    therapies = study.therapies - {INTEGRATION}
    named = _specific(claim.therapies, lexicon)
    if INTEGRATION in claim.therapies and not (INTEGRATION in study.therapies or therapies):
        return None
    if claim.without_therapy:
        return SAME  # what happens without therapy: studies with or without it speak to it
    if named:
        return SAME if named & study.therapies else None
    if claim.therapies - {INTEGRATION}:
        return SAME if therapies else None
    return SAME


def bears_on(claim: Profile, facts: StudyFacts, lexicon: Lexicon) -> str | None:
    """How the study tests the claim (SAME, or the NEW_* way it extends it), or None."""
    study, findings = facts.profile, facts.findings
    if (claim.drug and not study.drug) or facts.misuse:
        return None  # a study of misuse tests no claim about the drug as a treatment
    # A claim of rapid relief is tested by any clinical study of the drug that reports its
    # effect within hours or a day, or measured it then and found none, whatever else the
    # claim adds (the window it opens).
    rapid_test = (
        claim.rapid
        and "mechanism" not in claim.kinds
        and not claim.lasting
        and (findings.rapid or (facts.null and facts.measured_early))
        and bool(study.conditions)
        and not facts.preclinical
    )
    how = _intervention(claim, study, lexicon)
    if how is None and not rapid_test:
        return None
    # What ketamine does for people is not tested in animals, nor by a study whose title says
    # it is about a mechanism.
    if "mechanism" not in claim.kinds and (facts.preclinical or facts.about_mechanism):
        return None
    if claim.asserts_fading:
        # Whether the benefit fades is tested by a study that follows it over time.
        follows = findings.lasting or _follows_up(findings) or facts.results.over_time
        return _population(claim, facts) if follows else None
    if rapid_test and how is None:
        return SAME  # relief within hours confirms a claim of rapid relief, in whoever shows it
    if not rapid_test:
        for group in claim.kinds:
            if group == "course" and how == SAME and _specific(claim.therapies, lexicon):
                continue  # the named therapy itself carries such a claim
            # A comparison is the study's design, said in its methods; an outcome is a finding.
            shown = study if group == "contrast" else findings
            if not claim.names(group) & shown.names(group) and not _rapid_change(claim, findings):
                return None
    population = _population(claim, facts)
    if population == SAME and claim.drug and (facts.title_forms - claim.forms):
        return NEW_FORM
    return population


def _rapid_change(claim: Profile, findings: Profile) -> bool:
    """A brain change said to come rapidly is one within hours, for a claim of such a change."""
    return (
        claim.rapid
        and "mechanism" in claim.kinds
        and RAPID_EFFECT in findings.names("effect")
        and bool(claim.names("mechanism") & findings.names("mechanism"))
    )


def _follows_up(findings: Profile) -> bool:
    return bool(findings.names("course") - {RAPID})


def _population(claim: Profile, facts: StudyFacts) -> str | None:
    """SAME or NEW_POPULATION; none at all only for mechanisms."""
    if not claim.conditions:
        return SAME
    # The population a study is about is the one its title names, when it names one: a title
    # naming a population the claim does not (bipolar depression, suicidal ideation, pain)
    # extends the claim even when it names depression too.
    population = facts.title_conditions or facts.profile.conditions
    if population and population <= claim.conditions:
        return SAME
    if population:
        return NEW_POPULATION
    return SAME if "mechanism" in claim.kinds else None
