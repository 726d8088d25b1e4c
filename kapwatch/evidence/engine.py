"""The evidence engine: is a study on the question, which claims does it bear on, how, and how
sure is the digest of each link.

Lexical and explainable on purpose: every link carries the abstract sentence behind it and the
concepts it shares with the claim. The concepts come from seeds/concepts.toml and the claims as
restated in seeds/ (kapwatch.seeds.claims), so nothing here names a drug, a claim or a study.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

from kapwatch.evidence.confidence import Calibration, LinkFeatures, load_calibration
from kapwatch.evidence.design import classify_design, sample_size
from kapwatch.evidence.profiles import (
    INTEGRATION,
    RAPID_EFFECT,
    SAME,
    Profile,
    StudyFacts,
    bears_on,
    linkable,
    profile,
)
from kapwatch.evidence.text import Reading, StudyText, read
from kapwatch.evidence.times import EARLY
from kapwatch.evidence.tone import (
    Tone,
    goes_against,
    only_an_association,
    read_associations,
    read_tone,
)
from kapwatch.seeds.articles import Claim
from kapwatch.seeds.lexicon import CONTEXT, MISUSE, Lexicon
from kapwatch.vocabulary import CONTRARY, RESULT_MARK, Stance, Strength

RELEVANCE_THRESHOLD = 0.5
MAX_LINKS = 6  # the labelling convention: a study usually bears on one to five claims


@dataclass
class Link:
    claim_id: str
    stance: str  # a Stance
    evidence: str  # the abstract sentence that shows it
    shared: list[str] = field(default_factory=list)
    confidence: float = 1.0  # calibrated on the labelled dev studies: the chance it is right
    strength: str = Strength.STRONG  # STRONG at or above the calibration's threshold


@dataclass
class Assessment:
    relevant: bool
    score: float
    reason: str
    design: str
    n: int | None
    links: list[Link]


def relevance(reading: Reading, lexicon: Lexicon) -> tuple[float, str]:
    """Score in [0, 1] and a one-line reason. A study is on the question when it gives the drug
    and measures a psychiatric outcome; off-topic uses (anaesthesia, analgesia, sedation,
    misuse) count against it only when no psychiatric outcome is measured."""
    roles: dict[str, list[str]] = {}
    for name, phrase in reading.full.items():
        roles.setdefault(_role(name, lexicon), []).append(phrase)
    if "drug" not in roles:
        drugs = ", ".join(c.terms[0] for c in lexicon.by_role("drug") if not c.family)
        return 0.0, f"no mention of {drugs}"
    title = reading.title
    score = 0.35 if any(lexicon.role_of(n) == "drug" for n in title) else 0.2
    score += 0.25 * bool(roles.get("condition"))
    score += 0.25 * bool(roles.get("therapy"))
    score += 0.15 * bool(roles.get("outcome"))
    psych_title = any(_role(n, lexicon) in ("condition", "therapy") for n in title)
    score += 0.15 * psych_title
    measured = any(_role(n, lexicon) == "condition" for n in (*reading.findings, *reading.measured))
    excluded = roles.get("exclude", [])
    title_excluded = [n for n in title if lexicon.role_of(n) == "exclude"]
    setting = [n for n in title_excluded if lexicon.group_of(n) in (CONTEXT, MISUSE)]
    therapy_named = any(lexicon.role_of(n) == "therapy" and n != INTEGRATION for n in reading.full)
    if (setting or (title_excluded and not psych_title)) and not (measured or therapy_named):
        score -= 0.6
    elif excluded and not (roles.get("condition") or therapy_named):
        score -= 0.4
    elif excluded and not measured:
        score -= 0.1 * min(len(excluded), 2)
    score = round(max(0.0, min(1.0, score)), 2)
    drug = next(n for n in reading.full if lexicon.role_of(n) == "drug")
    parts = [f"{lexicon.term_of(lexicon.family_of(drug))} ({roles['drug'][0]})"]
    for role in ("condition", "therapy", "outcome"):
        if roles.get(role):
            parts.append(f"{role}: {', '.join(sorted(set(roles[role]))[:3])}")
    if excluded:
        parts.append(f"off-topic signals: {', '.join(sorted(set(excluded))[:3])}")
    return score, "; ".join(parts)


def _role(name: str, lexicon: Lexicon) -> str:
    """A concept's role for relevance: who was studied (group "population") is no outcome."""
    role = lexicon.role_of(name)
    return "population" if lexicon.group_of(name) == "population" else role


def stance(claim: Profile, how: str, facts: StudyFacts, tone: Tone) -> Stance | None:
    """How the study's findings bear on the claim; None when they say nothing either way."""
    if claim.asserts_fading:
        # "Without therapy the benefit fades": ketamine alone fading supports it, ketamine
        # alone lasting goes against it; a therapy that kept the benefit supports it too.
        if not facts.profile.therapies - {INTEGRATION}:
            if tone.fades:
                return Stance.MIXED if tone.lasts_months else Stance.SUPPORTS
            # Gains that held for months go against it, even in evidence of low certainty.
            held = tone.lasts_months and (tone.weak or not tone.null)
            return Stance.CHALLENGES if held else None
        return Stance.SUPPORTS if tone.lasts and not tone.fades else None
    if claim.asserts_rise and "mechanism" in claim.kinds and tone.falls and not tone.null:
        return Stance.MIXED  # the measure the claim says rises fell, at least in part
    if tone.null and tone.weak:
        return Stance.MIXED  # evidence for it, of low certainty
    if tone.null:
        # A missed primary outcome whose only benefits are secondary, or faded, is a null trial;
        # an outcome better than control at first and no better later is a benefit that faded.
        faded = tone.fades and not tone.gone_later
        # ... except of a claim of rapid relief, when the relief that faded came rapidly: it
        # is half of that claim.
        faded = faded and not (_rapid(claim) and _rapid(facts.findings))
        mixed = tone.positive and not (tone.null_primary and (tone.secondary_only or faded))
        return Stance.MIXED if mixed and not claim.lasting else Stance.CHALLENGES
    # Relief that comes fast and then fades still confirms a claim of rapid relief.
    if tone.fades and not (claim.rapid and not claim.lasting):
        # A benefit that did not last denies a claim about lasting; of any other claim it is
        # half the story.
        return Stance.CHALLENGES if claim.lasting and not tone.lasts else Stance.MIXED
    if how == SAME and claim.lasting and facts.results.null_primary:
        return Stance.MIXED  # a lasting benefit beside a primary outcome that missed
    return Stance.SUPPORTS if how == SAME else Stance.EXTENDS


def _about_what_goes_with_it(claim: Profile) -> bool:
    """A claim about what goes with the benefit (a brain measure, or the window the experience
    under the drug opens), not about the benefit itself: what did or did not go with it is its
    finding."""
    return "mechanism" in claim.kinds or claim.kinds == {"window"}


def _rapid(about: Profile) -> bool:
    """A claim of rapid relief, or findings of one: within hours or a day, or said rapid."""
    return about.rapid or RAPID_EFFECT in about.names("effect")


@dataclass
class Engine:
    """The evidence engine for one set of claims: claim profiles are computed once."""

    claims: list[Claim]
    lexicon: Lexicon
    calibration: Calibration = field(default_factory=load_calibration)
    profiles: dict[str, Profile] = field(init=False)
    concepts: dict[str, dict[str, str]] = field(init=False)  # claim id -> concepts it names
    wanted: dict[str, frozenset[str]] = field(init=False)  # ... and their families
    # claim id -> the concepts of what it asserts (mechanism, course, window): the sentences
    # naming them are the ones it is judged by
    focus: dict[str, frozenset[str]] = field(init=False)
    associations: dict[str, bool] = field(init=False)  # claim id -> about what goes with it

    def __post_init__(self) -> None:
        self.profiles, self.concepts, self.wanted, self.focus = {}, {}, {}, {}
        self.associations = {}
        for claim in self.claims:
            if not claim.linkable:
                continue
            # The claim as the user restated it in seeds/claims.toml, else as printed.
            text = claim.restated if claim.restated_in_seeds else claim.text
            found = self.lexicon.find(text, claim=True)
            found = {n: p for n, p in found.items() if self.lexicon.role_of(n) != "exclude"}
            claim_profile = profile(text, found, self.lexicon, claim=True)
            if linkable(claim_profile):
                self.profiles[claim.id] = claim_profile
                self.concepts[claim.id] = found
                self.wanted[claim.id] = frozenset(found) | {
                    self.lexicon.family_of(n) for n in found
                }
                groups = claim_profile.kinds - {"contrast"}
                self.focus[claim.id] = frozenset(
                    name for group in groups for name in claim_profile.names(group)
                )
                self.associations[claim.id] = _about_what_goes_with_it(claim_profile)

    def facts(
        self, text: StudyText, reading: Reading, design: str, every: Tone, concluded: Tone
    ) -> StudyFacts:
        lexicon = self.lexicon
        title = reading.title
        return StudyFacts(
            profile=profile(text.full, reading.given, lexicon),
            # A mechanism is often named only where the methods say what was measured.
            findings=profile(
                "", {**_mechanisms(reading.measured, lexicon), **reading.findings}, lexicon
            ),
            title_conditions=frozenset(
                lexicon.family_of(n) for n in title if lexicon.role_of(n) == "condition"
            ),
            title_forms=frozenset(
                n for n in title if lexicon.role_of(n) == "drug" and lexicon.group_of(n) == "form"
            ),
            preclinical=design == "preclinical",
            about_mechanism=any(lexicon.group_of(n) == "mechanism" for n in title),
            misuse=any(lexicon.group_of(n) == MISUSE for n in title),
            results=every,
            null=concluded.null,
            measured_early=EARLY in reading.measured,
        )

    def links(self, text: StudyText, reading: Reading, design: str = "") -> list[Link]:
        return [link for link, _features in self.scored_links(text, reading, design)]

    def scored_links(
        self, text: StudyText, reading: Reading, design: str = ""
    ) -> list[tuple[Link, LinkFeatures]]:
        """The study's links, most confident first, each with what its confidence is made of
        (tests/eval/calibrate.py fits the confidence on these)."""
        study = _Study.of(text, reading, design, self)
        found = [made for claim in self.claims if (made := self._link(claim.id, study)) is not None]
        scored = []
        for link, features in found:
            # A study that bears on many claims bears on each less surely.
            features = replace(features, crowd=1 / len(found))
            link.confidence = self.calibration.confidence(features)
            link.strength = self.calibration.strength(link.confidence)
            scored.append((link, features))
        # Past MAX_LINKS, the claims the study names most of are the ones it is about.
        scored.sort(key=lambda item: (-item[1].coverage, -item[0].confidence, item[0].claim_id))
        kept = scored[:MAX_LINKS]
        kept.sort(key=lambda item: (-item[0].confidence, item[0].claim_id))
        return kept

    def _link(self, claim_id: str, study: _Study) -> tuple[Link, LinkFeatures] | None:
        """The link to one claim, if the study bears on it and says something either way."""
        claim = self.profiles.get(claim_id)
        how = None if claim is None else bears_on(claim, study.facts, self.lexicon)
        if claim is None or how is None:
            return None
        wanted = self.wanted[claim_id]
        in_conclusions = _best_sentence(study.concluded, wanted)
        evidence = in_conclusions or _best_sentence(study.rest, wanted)
        if evidence is None and (how != SAME or study.facts.null) and study.conclusions:
            # The study is in another population or form than the claim names, so it may share
            # no word with it: its main conclusion is the evidence.
            evidence = study.conclusions[0]
        if evidence is None and claim.asserts_fading:
            # A claim that the benefit fades is shown by the sentence telling that it did, or
            # that it lasted.
            evidence = next((s for s, _n in study.findings if read_tone([s]).over_time), None)
        if evidence is None:
            return None
        focus = [s for s, names in study.findings if self.focus[claim_id] & names]
        tone = study.tone(focus, evidence, self.associations[claim_id])
        how_it_bears = stance(claim, how, study.facts, tone)
        if how_it_bears is None:
            return None
        own = self.concepts[claim_id]
        covered = sum(
            1 for n in own if n in study.names or self.lexicon.family_of(n) in study.names
        )
        features = LinkFeatures(
            coverage=covered / len(own) if own else 0.0,
            in_conclusions=in_conclusions is not None,
            same=how == SAME,
            trial=study.design in ("randomized controlled trial", "meta-analysis"),
            contrary=how_it_bears in (Stance.CHALLENGES, Stance.MIXED),
            focused=bool(focus),
        )
        if how_it_bears in CONTRARY or (claim.asserts_fading and how_it_bears == Stance.SUPPORTS):
            evidence = _against(evidence, focus, study.findings, self.wanted[claim_id])
        return Link(claim_id, how_it_bears, evidence, sorted(set(own) & study.full)), features

    def assess(self, text: StudyText) -> Assessment:
        reading = read(text, self.lexicon)
        score, reason = relevance(reading, self.lexicon)
        relevant = score >= RELEVANCE_THRESHOLD
        design = classify_design(text)
        links = self.links(text, reading, design) if relevant else []
        if relevant and (result := _result(reading)):
            # Said on every relevant card, and the one word a reader gets about a study that
            # goes against the question but that the engine tied to no claim.
            reason = f"{reason}{RESULT_MARK}{result}"
        return Assessment(
            relevant=relevant,
            score=score,
            reason=reason,
            design=design,
            n=sample_size(text.body),
            links=links,
        )


def _result(reading: Reading) -> str | None:
    """How the study's conclusions (else its findings) read, in a few words, when they go
    against a benefit: no better than control, of low certainty, or a benefit that faded."""
    tone = read_tone([s for s, _f in reading.conclusions] or reading.finding_sentences())
    if tone.null:
        return "evidence of low certainty" if tone.weak else "no better than control, or worse"
    return "a benefit that faded" if tone.fades else None


def _about_mechanism_alone(names: frozenset[str], lexicon: Lexicon) -> bool:
    groups = {lexicon.group_of(n) for n in names}
    roles = {lexicon.role_of(n) for n in names}
    return "mechanism" in groups and "condition" not in roles


def _mechanisms(found: dict[str, str], lexicon: Lexicon) -> dict[str, str]:
    return {n: p for n, p in found.items() if lexicon.group_of(n) == "mechanism"}


def _tone(conclusions: list[str], evidence: str, every: Tone) -> Tone:
    """What the conclusions and the evidence sentence say, with the results' null and fading
    findings kept: a primary outcome that missed is often in the results while the conclusions
    speak of promise, and a careful reader weighs both (a missed challenge costs a clinic more
    than an extra one)."""
    main = read_tone([*conclusions, evidence])
    if not (main.null or main.fades or main.positive):
        return every  # the conclusions are silent: read the results
    # Built whole rather than by dataclasses.replace, which costs three times as much here.
    return Tone(
        null=main.null or every.null,
        positive=main.positive,
        fades=main.fades or every.fades,
        lasts=main.lasts,
        lasts_months=main.lasts_months,
        null_primary=main.null_primary or every.null_primary,
        secondary_only=main.secondary_only,
        falls=main.falls,
        gone_later=main.gone_later or every.gone_later,
        weak=(main.weak or every.weak)
        and not ((main.null and not main.weak) or (every.null and not every.weak)),
    )


Sentences = list[tuple[str, frozenset[str]]]  # a sentence and the concepts it names, families too


@dataclass
class _Study:
    """One study as the linking reads it, computed once for all the claims."""

    facts: StudyFacts
    design: str
    conclusions: list[str]  # the conclusions (or the last sentences of an unstructured abstract)
    concluded: Sentences  # the conclusions, with the concepts besides the drug
    rest: Sentences  # the other sentences, the same way
    findings: Sentences  # what the study found, with every concept it names
    names: frozenset[str]  # every concept the study names, and their families
    full: frozenset[str]  # every concept the study names
    every: Tone  # how all its findings read: the same for every claim
    lexicon: Lexicon
    # (read as for a claim about a mechanism, evidence sentence) -> how it reads: claims mostly
    # share their evidence
    tones: dict[tuple[bool, str], Tone] = field(default_factory=dict)

    @classmethod
    def of(cls, text: StudyText, reading: Reading, design: str, engine: Engine) -> _Study:
        lexicon = engine.lexicon

        def expand(found: dict[str, str], drug: bool = True) -> frozenset[str]:
            kept = [n for n in found if drug or lexicon.role_of(n) != "drug"]
            return frozenset(kept) | {lexicon.family_of(n) for n in kept}

        finding_sentences = reading.finding_sentences()
        found_in = dict([*reading.conclusions, *reading.rest])
        every = read_tone(finding_sentences)
        findings = [(s, expand(found_in.get(s, {}))) for s in finding_sentences]
        return cls(
            facts=engine.facts(
                text, reading, design, every, read_tone([s for s, _f in reading.conclusions])
            ),
            design=design,
            conclusions=[s for s, _f in reading.conclusions] or finding_sentences[:2],
            concluded=[(s, expand(f, drug=False)) for s, f in reading.conclusions],
            rest=[(s, expand(f, drug=False)) for s, f in reading.rest],
            findings=findings,
            names=expand(reading.full),
            full=frozenset(reading.full),
            every=every,
            lexicon=lexicon,
        )

    @cached_property
    def clinical(self) -> Tone:
        """How its findings read without the sentences about a brain measure alone, when they
        hold a null or faded result: a null BDNF finding says nothing of whether symptoms
        improved."""
        if not (self.every.null or self.every.fades):
            return self.every
        lexicon = self.lexicon
        return read_tone(
            [
                s
                for s, names in self.findings
                if not (_about_mechanism_alone(names, lexicon) or only_an_association(s))
            ]
        )

    @cached_property
    def clinical_conclusions(self) -> list[str]:
        """The conclusions but those whose only null is an association (the same list when
        there is none)."""
        kept = [s for s in self.conclusions if not only_an_association(s)]
        return self.conclusions if len(kept) == len(self.conclusions) else kept

    def tone(self, focus: list[str], evidence: str, associations: bool) -> Tone:
        """How the focus sentences read, else the conclusions, evidence and results (of a
        brain measure, or of what went with the outcome, too when the claim is about what goes
        with the benefit: `associations`)."""
        if not associations:
            focus = [s for s in focus if not only_an_association(s)]
        if focus:
            # each sentence is read once, whatever the claim
            own = read_associations(focus) if associations else read_tone(focus)
            if own.null or own.fades or own.positive:
                return own
        # Sentences that name the claim's subject but say nothing of how it went leave the
        # study's own findings to speak.
        if associations:
            results, conclusions, told = self.every, self.conclusions, evidence
        else:
            results, conclusions = self.clinical, self.clinical_conclusions
            told = "" if only_an_association(evidence) else evidence
        # Most studies read alike for both kinds of claim: then they share the reading.
        key = (results is self.every and conclusions is self.conclusions, told)
        if key not in self.tones:
            self.tones[key] = _tone(conclusions, told, results)
        return self.tones[key]


def _against(evidence: str, focus: list[str], findings: Sentences, wanted: frozenset[str]) -> str:
    """The sentence that shows a result going against a benefit (null, negative or faded), for
    a link that says so: the evidence if it does, else the first focus sentence that does, else
    the finding naming most of the claim's concepts that does. A reader shown "increased
    abstinence" beside *challenges* would rightly distrust the digest."""
    if goes_against(evidence):
        return evidence
    shown = next((sentence for sentence in focus if goes_against(sentence)), None)
    if shown is None:
        against = [(s, names) for s, names in findings if goes_against(s)]
        shown = _best_sentence(against, wanted) or next((s for s, _n in against), None)
    return shown or evidence


def _best_sentence(sentences: Sentences, wanted: frozenset[str]) -> str | None:
    """The sentence naming most of the claim's concepts (at least one besides the drug)."""
    best, best_hits = None, 0
    for sentence, names in sentences:
        hits = len(names & wanted)
        if hits > best_hits:
            best, best_hits = sentence, hits
    return best


def assess(text: StudyText, claims: list[Claim], lexicon: Lexicon) -> Assessment:
    """One study against the claims (build an Engine once to assess many)."""
    return Engine(claims, lexicon).assess(text)
