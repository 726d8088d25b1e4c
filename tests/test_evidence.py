"""The evidence engine on abstracts written for the test (facts paraphrased, wording our own)."""

from __future__ import annotations

from kapwatch.evidence import StudyText, assess, classify_design, sample_size
from kapwatch.seeds.articles import Seeds


def study(
    title: str,
    abstract: str = "",
    *,
    sections: list[tuple[str, str]] | None = None,
    pub_types: list[str] | None = None,
    mesh: list[str] | None = None,
) -> StudyText:
    return StudyText(title, abstract, sections or [], pub_types or [], mesh or [], [])


KAP_WET = study(
    "Ketamine plus written exposure therapy for chronic PTSD: an open-label trial",
    sections=[
        ("BACKGROUND", "Ketamine has rapid effects on PTSD symptoms that tend to fade."),
        (
            "METHODS",
            "Twenty-four veterans received six ketamine infusions plus written exposure "
            "therapy; n = 24.",
        ),
        (
            "CONCLUSIONS",
            "Combining ketamine with written exposure therapy led to sustained "
            "reductions in PTSD symptoms over follow-up.",
        ),
    ],
    pub_types=["Journal Article", "Clinical Trial"],
)
SEDATION = study(
    "Intranasal ketamine versus midazolam for procedural sedation in children",
    "Children undergoing laceration repair in the emergency department received ketamine or "
    "midazolam; sedation depth and adverse events were compared in 120 patients.",
    pub_types=["Randomized Controlled Trial"],
)
NULL_CBT = study(
    "Cognitive behavioural therapy after ketamine for treatment-resistant depression: a "
    "randomised trial",
    sections=[
        ("RESULTS", "Among 80 participants, relapse rates did not differ between arms."),
        (
            "CONCLUSIONS",
            "Adding cognitive behavioural therapy after ketamine did not sustain the "
            "antidepressant response compared with treatment as usual.",
        ),
    ],
    pub_types=["Randomized Controlled Trial"],
)


def test_kap_study_is_relevant_with_a_reason(seeds: Seeds) -> None:
    result = assess(KAP_WET, seeds.claims, seeds.lexicon)
    assert result.relevant and result.score >= 0.8
    assert "ketamine" in result.reason and "written exposure therapy" in result.reason.lower()


def test_sedation_near_miss_is_screened_out(seeds: Seeds) -> None:
    result = assess(SEDATION, seeds.claims, seeds.lexicon)
    assert not result.relevant
    assert "sedation" in result.reason and result.links == []


def test_no_ketamine_scores_zero(seeds: Seeds) -> None:
    result = assess(
        study("Psilocybin for depression", "A psilocybin trial."), seeds.claims, seeds.lexicon
    )
    assert result.score == 0 and not result.relevant


def test_wet_study_supports_the_wet_claim_with_its_conclusion(seeds: Seeds) -> None:
    result = assess(KAP_WET, seeds.claims, seeds.lexicon)
    by_claim = {link.claim_id: link for link in result.links}
    wet_claim = next(c for c in seeds.claims if c.references == ["wilkinson2024"])
    link = by_claim[wet_claim.id]
    assert link.stance == "supports"
    assert link.evidence.startswith("Combining ketamine with written exposure therapy")


def test_null_trial_challenges_the_cbt_claim(seeds: Seeds) -> None:
    result = assess(NULL_CBT, seeds.claims, seeds.lexicon)
    cbt_claim = next(c for c in seeds.claims if c.references == ["williams2021"])
    link = next(x for x in result.links if x.claim_id == cbt_claim.id)
    assert link.stance == "challenges"
    assert "did not sustain" in link.evidence


def test_design_from_publication_types_then_text() -> None:
    assert classify_design(KAP_WET) == "open-label/pilot"
    assert classify_design(SEDATION) == "randomized controlled trial"
    assert classify_design(study("x", "A systematic review and meta-analysis of 12 trials.")) == (
        "meta-analysis"
    )
    assert classify_design(study("x", "", mesh=["Animals", "Rats"])) == "preclinical"
    assert classify_design(study("Ketamine", "", pub_types=["Case Reports"])) == "case report"


def test_sample_size() -> None:
    assert sample_size("We enrolled 1,204 patients; n = 30 completed the substudy.") == 1204
    assert sample_size("Ketamine at 0.5 mg/kg.") is None


def test_depression_in_another_sense_is_not_the_condition(seeds: Seeds) -> None:
    animal = study(
        "Hypoxic ventilatory response in cats anesthetized with ketamine",
        "Ketamine caused less respiratory depression than halothane in cats.",
    )
    result = assess(animal, seeds.claims, seeds.lexicon)
    assert not result.relevant and "condition" not in result.reason


def test_the_lexicon_prefilter_never_hides_a_concept(seeds: Seeds) -> None:
    """find() skips a concept's regular expression (and its 'unless' blanking) when the literal
    pieces they need are not in the text; that must give what the expressions give, on every
    text of the evaluation set and on spellings chosen to trip a literal test."""
    from .eval.evaluate import load_studies

    texts = [t for s in load_studies() for t in (s.text.title, s.text.body, *s.text.keywords)]
    assert len(texts) > 150
    # Spellings the expressions allow and a naive literal test would miss: hyphens for spaces
    # and optional hyphens, acronyms, word endings, glued prefixes.
    texts += [
        "Ketamine-only arms and treatmentresistant depression in self administration studies.",
        "TRD and PTSD: (S)-ketamine vs ketamine, cognitive-behavioural therapy, 24-h relapses.",
        "Psychological interventions after esketamine; counselling; ketamine users relapsed.",
        # 'unless' phrases blank out a term used in another sense, whole or hyphenated.
        "Respiratory depression, bipolar-depression and ST-segment depression, not depression.",
        "An NMDA receptor antagonist; glutamate; N-methyl-D-aspartate antagonists.",
    ]
    for text in texts:
        for concept in seeds.lexicon.concepts:
            # The fast lower-case search finds what the expression finds.
            unless = concept._unless
            match = concept.pattern.search(unless.sub(" ", text) if unless else text)
            if match is not None and len(match[0]) > 3 and match[0].isupper():
                continue  # an all-capital name: found_in looks past it
            phrase = concept.found_in(text, claim=True)
            assert phrase == (match.group(0) if match else None), (concept.name, text[:80])
        # Each concept on the whole text, with no literal test before it.
        found = {c.name: c.found_in(text) for c in seeds.lexicon.concepts}
        expected = {name: phrase for name, phrase in found.items() if phrase is not None}
        assert seeds.lexicon.find(text) == expected, text[:80]


def test_sample_size_counts_are_found_as_the_expression_finds_them() -> None:
    """evidence._counts tries the n expression only where a count can start; it must find
    exactly what running the expression over the whole text finds."""
    from kapwatch.evidence.design import _N, _counts

    from .eval.evaluate import load_studies

    texts = [s.text.body for s in load_studies()] + [
        "N=40 patients; n = 12; an N of 5 and 3 N-methyl groups.",
        "Sixty-eight adults and 1,200 participants were randomized; twenty-one veterans.",
        "Of 250 screened, 24h later 3 patients and ELEVEN women were enrolled (n=9).",
    ]
    for text in texts:
        assert [m.span() for m in _counts(text)] == [m.span() for m in _N.finditer(text)], text


def test_a_concept_that_needs_a_relation_counts_only_beside_one(seeds: Seeds) -> None:
    """The experience under the drug is a finding where it is related to the outcome, not
    where it is a side effect; a claim names it by its terms alone."""
    find = seeds.lexicon.find
    assert "acute_experience" in find("Dissociation during the infusion predicted response.")
    assert "acute_experience" in find("Dissociation and improvement were unrelated.")
    assert "acute_experience" not in find("Dissociation was transient and mild.")
    assert "acute_experience" not in find("Dissociative effects were dose-related.")
    assert "acute_experience" in find("Under its acute psychoactive effects.", claim=True)
    # The article's own words, for a claim derived without the hand-written restatement.
    assert "acute_experience" in find("Under the effects of ketamine, patterns loosen.", claim=True)


def test_an_all_capital_name_is_not_the_word_it_spells(seeds: Seeds) -> None:
    find = seeds.lexicon.find
    assert "durability" not in find("Esketamine was studied in SUSTAIN-1 and SUSTAIN-2.")
    assert "synaptogenesis" not in find("The SYNAPSE registration study.")
    assert "durability" in find("In SUSTAIN-1 the benefit was sustained.")
    assert "synaptogenesis" in find("Serum BDNF rose.")  # an acronym the concept lists
