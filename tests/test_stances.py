"""How the engine's links read a study against each claim: null, negative, fading and lasting
results, what therapy was given, a claim's own polarity (a fading benefit supports the fading
claim and challenges the durability claims), other forms and populations. Abstracts are written
for the test."""

from __future__ import annotations

from kapwatch.evidence import Engine, StudyText
from kapwatch.evidence.tone import only_an_association, read_tone
from kapwatch.seeds.articles import Seeds
from tests.studies import stances, trial


def test_a_null_trial_measured_within_hours_challenges_the_rapid_claim(seeds: Seeds) -> None:
    text = StudyText(
        "Repeated ketamine for treatment-resistant depression: a randomized trial",
        "",
        [
            ("METHODS", "Depression was rated 240 minutes after each infusion."),
            ("RESULTS", "Ketamine and placebo did not differ on depression severity (p = 0.47)."),
            ("CONCLUSIONS", "Repeated ketamine did not outperform placebo."),
        ],
        ["Randomized Controlled Trial"],
        [],
        [],
    )
    assert stances(seeds, text)["kap-trd-10"] == "challenges"


def test_a_population_the_claims_do_not_name_extends_them(seeds: Seeds) -> None:
    text = trial(
        "Esketamine at cesarean delivery for postpartum depression: a randomized trial",
        "Depressive symptom scores were lower with esketamine than placebo at day 7.",
        "Low-dose ketamine reduced postpartum depressive symptoms.",
    )
    assert stances(seeds, text)["kap-plasticity-01"] == "extends"
    # Who was studied is no psychiatric outcome: sedation in children stays off the question.
    sedation = trial(
        "Intramuscular ketamine for pediatric sedation in the emergency department",
        "Sedation was adequate in 95% of children; emesis occurred in 8%.",
        "Ketamine is a safe sedative for children.",
    )
    assert not Engine(seeds.claims, seeds.lexicon).assess(sedation).relevant


def test_a_null_trial_challenges_the_efficacy_claim(seeds: Seeds) -> None:
    found = stances(
        seeds,
        trial(
            "Oral ketamine for treatment-resistant depression: a randomized placebo-controlled trial",
            "MADRS scores did not differ between oral ketamine and placebo at week 4.",
            "Oral ketamine was not superior to placebo for treatment-resistant depression.",
        ),
    )
    assert found["kap-plasticity-01"] == "challenges"


def test_naming_the_antidepressant_effect_is_not_reporting_one(seeds: Seeds) -> None:
    # A conclusion that speculates about "the antidepressant effect" found no benefit.
    assert not read_tone(
        ["The antidepressant effect may depend on the conscious experience."]
    ).positive
    assert read_tone(["Ketamine reduced depressive symptoms within a day."]).positive
    found = stances(
        seeds,
        trial(
            "Ketamine masked by general anesthesia in depression",
            "Depression scores did not differ between ketamine and saline on days 1, 2 and 3.",
            "The antidepressant effect of ketamine may depend on the conscious experience, "
            "absent under anesthesia.",
        ),
    )
    assert found["kap-plasticity-01"] == "challenges"


def test_fading_supports_the_fading_claim_and_is_half_the_story_of_efficacy(
    seeds: Seeds,
) -> None:
    found = stances(
        seeds,
        trial(
            "Repeated ketamine infusions for treatment-resistant depression: durability of response",
            "Response rates were higher with ketamine at 24 hours, but most responders relapsed "
            "within three weeks after the last infusion.",
            "Ketamine gave rapid relief that faded within weeks without further treatment.",
        ),
    )
    assert found["kap-plasticity-10"] == "supports"
    assert found["kap-plasticity-01"] == "mixed"


def test_a_benefit_that_faded_for_some_and_lasted_months_for_others_is_mixed_on_fading(
    seeds: Seeds,
) -> None:
    found = stances(
        seeds,
        trial(
            "Ketamine infusions for treatment-resistant depression: a one-year follow-up",
            "Half of the responders relapsed within weeks; the others remained well at six months.",
            "Without further treatment the benefit of ketamine faded for some and was "
            "sustained for six months in others.",
        ),
    )
    assert found["kap-plasticity-10"] == "mixed"


def test_a_null_conclusion_is_the_evidence_when_it_names_nothing_of_the_claim(
    seeds: Seeds,
) -> None:
    text = StudyText(
        "Low-dose ketamine for treatment-resistant depression: a randomised trial",
        "",
        [
            ("METHODS", "Adults received ketamine or saline with their usual care."),
            ("RESULTS", "The primary outcome did not differ between the arms."),
            ("INTERPRETATION", "No evidence of benefit for ketamine was found."),
        ],
        ["Randomized Controlled Trial"],
        [],
        [],
    )
    links = {x.claim_id: x for x in Engine(seeds.claims, seeds.lexicon).assess(text).links}
    assert links["kap-plasticity-01"].stance == "challenges"


def test_gains_held_for_months_without_therapy_challenge_the_fading_claim_even_if_uncertain(
    seeds: Seeds,
) -> None:
    found = stances(
        seeds,
        trial(
            "Ketamine for depression in adolescents: a systematic review",
            "The studies described improvements in depression that were maintained for weeks "
            "to months after treatment.",
            "Evidence of low certainty suggests ketamine may be effective for depression.",
        ),
    )
    assert found["kap-plasticity-10"] == "challenges"


def test_what_did_not_go_with_the_benefit_is_no_null_result_for_an_efficacy_claim(
    seeds: Seeds,
) -> None:
    found = stances(
        seeds,
        trial(
            "Cytokines and the rapid antidepressant effect of ketamine in treatment-resistant "
            "depression",
            "Depression scores fell significantly within 24 hours of ketamine. Cytokine changes "
            "did not correlate with mood change and did not predict response.",
            "Response did not differ between patients with and without high baseline IL-6.",
        ),
    )
    assert found["kap-plasticity-01"] == "supports"
    # "Treatment allocation was not associated with outcome" is a null trial, though.
    assert not only_an_association("Treatment allocation was not associated with outcome.")
    assert only_an_association("Dissociation and improvement were not significantly correlated.")


def test_lasting_benefit_beside_a_missed_primary_outcome_is_mixed(seeds: Seeds) -> None:
    found = stances(
        seeds,
        trial(
            "Cognitive behavioural therapy to sustain the effect of ketamine in "
            "treatment-resistant depression: a randomized trial",
            "On the primary outcome the group-by-time interaction was not significant. On the "
            "self-rated scale, CBT sustained improvement over 14 weeks.",
            "CBT after ketamine sustained improvement on a secondary measure.",
        ),
    )
    assert found["kap-trd-05"] == "mixed"


def test_therapy_with_ketamine_against_ketamine_with_education_tests_the_comparison(
    seeds: Seeds,
) -> None:
    found = stances(
        seeds,
        trial(
            "Ketamine with psychotherapy for depression: a factorial trial",
            "Ketamine with psychotherapy was tested against ketamine with education; depression "
            "scores did not differ between the two ketamine arms.",
            "Psychotherapy added nothing to ketamine.",
        ),
    )
    assert found["kap-plasticity-13"] == "challenges"


def test_a_transient_effect_in_a_short_study_is_no_follow_up_and_a_month_on_is(
    seeds: Seeds,
) -> None:
    short = stances(
        seeds,
        trial(
            "Esketamine with a mindfulness intervention for alcohol problems: a pilot trial",
            "Over two weeks esketamine increased engagement with mindfulness practice and gave a "
            "transient fall in craving.",
            "Esketamine may strengthen mindfulness-based therapy.",
        ),
    )
    assert not {"kap-trd-05", "kap-trd-07", "kap-trd-12", "kap-plasticity-15"} & set(short)
    lasting = stances(
        seeds,
        trial(
            "Ketamine infusions for treatment-resistant depression: an open-label study",
            "Depression improved at 1 hour and was still present 1 month after the course ended.",
            "Ketamine had a rapid effect.",
        ),
    )
    assert lasting["kap-plasticity-10"] == "challenges"  # ketamine alone, lasting a month


def test_a_therapy_only_advised_or_in_the_background_was_not_given(seeds: Seeds) -> None:
    text = StudyText(
        "Ketamine infusions for treatment-resistant depression: a clinic cohort",
        "",
        [
            ("BACKGROUND", "Cognitive behavioural therapy helps many but not all patients."),
            ("RESULTS", "Most responders relapsed within weeks after the last infusion."),
            (
                "CONCLUSIONS",
                "Ketamine gave relief that faded; the authors recommend adjunctive "
                "psychotherapy to sustain it.",
            ),
        ],
        [],
        [],
        [],
    )
    found = stances(seeds, text)
    assert found["kap-plasticity-10"] == "supports"  # ketamine alone, fading
    assert not {"kap-trd-04", "kap-trd-12", "kap-plasticity-15"} & set(found)  # no KAP claim
    # The same sentences in a study that gave the therapy test the KAP claims.
    given = StudyText(
        "Ketamine with psychotherapy for treatment-resistant depression",
        "",
        text.sections[1:],
        [],
        [],
        [],
    )
    assert {"kap-trd-04", "kap-plasticity-15"} & set(stances(seeds, given))


def test_a_primary_outcome_better_at_first_and_not_later_is_mixed(seeds: Seeds) -> None:
    found = stances(
        seeds,
        trial(
            "Ketamine for treatment-resistant depression: a randomized placebo-controlled trial",
            "Depression scores were significantly lower with ketamine in the first week, but the "
            "primary outcome at 4 weeks was not better than placebo.",
            "Ketamine gave a rapid benefit on depression that was short-lived.",
        ),
    )
    assert found["kap-plasticity-01"] == "mixed"


def test_rapid_relief_that_faded_before_a_missed_primary_outcome_is_mixed_on_rapid_relief(
    seeds: Seeds,
) -> None:
    found = stances(
        seeds,
        trial(
            "Ketamine doses for treatment-resistant depression: a randomized trial",
            "The primary outcome at day 3 was not significantly different from midazolam.",
            "The findings support a rapid but short-lived effect of ketamine.",
        ),
    )
    assert found["kap-plasticity-01"] == "mixed"


def test_evidence_of_low_certainty_is_mixed_not_a_refutation(seeds: Seeds) -> None:
    weak = read_tone(["Evidence for ketamine in PTSD was graded very low."])
    assert weak.null and weak.weak
    assert not read_tone(["Ketamine did not differ from placebo."]).weak
    found = stances(
        seeds,
        trial(
            "Ketamine for depression: a systematic review",
            "Six trials were included.",
            "Evidence for ketamine in treatment-resistant depression was graded low.",
        ),
    )
    assert found["kap-plasticity-01"] == "mixed"


def test_a_null_add_on_trial_challenges_the_combination_claims(seeds: Seeds) -> None:
    found = stances(
        seeds,
        trial(
            "Psychotherapy added to ketamine for depression compared with ketamine alone",
            "Depression scores improved similarly in both groups (ketamine alone versus "
            "ketamine with psychotherapy); there was no significant difference at 8 weeks.",
            "Adding psychotherapy to ketamine did not improve outcomes compared with ketamine "
            "alone.",
        ),
    )
    assert found["kap-trd-04"] == "challenges"
    assert found["kap-plasticity-13"] == "challenges"


def test_another_form_extends_and_relief_within_hours_confirms_the_rapid_claim(
    seeds: Seeds,
) -> None:
    found = stances(
        seeds,
        trial(
            "Esketamine nasal spray for treatment-resistant depression",
            "MADRS scores fell more with esketamine than placebo within 24 hours.",
            "Esketamine gave rapid antidepressant effects compared with placebo.",
        ),
    )
    assert found["kap-plasticity-01"] == "extends"
    assert found["kap-trd-10"] == "supports"


def test_whether_the_acute_experience_goes_with_the_benefit_tests_the_window_claim(
    seeds: Seeds,
) -> None:
    # "Under the effects of ketamine ... old patterns loosen": the experience under the drug.
    unrelated = stances(
        seeds,
        trial(
            "Dissociation and the antidepressant effect of ketamine in depression",
            "Depression improved after ketamine; peak dissociation scores and improvement were "
            "not significantly correlated, and dissociation did not mediate response.",
            "Ketamine's dissociative and antidepressant effects were unrelated.",
        ),
    )
    assert unrelated["kap-plasticity-05"] == "challenges"
    related = stances(
        seeds,
        trial(
            "Mystical-type experiences during ketamine infusion and response in depression",
            "Stronger mystical-type experiences predicted greater improvement at one week.",
            "Mystical-type experiences predicted ketamine's antidepressant response.",
        ),
    )
    assert related["kap-plasticity-05"] == "supports"
    # One correlation among the results of a study about something else is not its finding.
    aside = stances(
        seeds,
        trial(
            "Ketamine for anxiety: a meta-analysis",
            "Peak dissociation was not related to anxiety improvement.",
            "Ketamine relieved anxiety within hours across clinical settings.",
        ),
    )
    assert "kap-plasticity-05" not in aside
    # Listed among the side effects, the experience tests nothing of the window.
    side_effect = stances(
        seeds,
        trial(
            "Ketamine for treatment-resistant depression: a randomized trial",
            "Depression scores fell more with ketamine than placebo; dissociation was transient.",
            "Ketamine reduced depressive symptoms.",
        ),
    )
    assert "kap-plasticity-05" not in side_effect


def test_blood_flow_imaging_within_hours_of_one_dose_tests_the_brain_change_claim(
    seeds: Seeds,
) -> None:
    found = stances(
        seeds,
        trial(
            "Cerebral blood flow after a single ketamine infusion in depression",
            "Thalamic CBF rose and occipital CBF fell within 24 hours of one ketamine infusion.",
            "A single ketamine dose changed cerebral blood flow within a day.",
        ),
    )
    assert found["kap-plasticity-06"] == "supports"


def test_cortical_excitation_is_a_finding_about_glutamate(seeds: Seeds) -> None:
    found = stances(
        seeds,
        trial(
            "Ketamine and resting EEG in treatment-resistant depression",
            "Ketamine raised frontal gamma power and the excitation/inhibition ratio.",
            "Ketamine acutely increased cortical excitation in depression.",
        ),
    )
    assert found["kap-plasticity-02"] == "supports"
