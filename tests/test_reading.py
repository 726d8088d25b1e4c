"""The evidence engine reads results as a careful reader does: null, negative, fading and
lasting findings, noninferiority, statistics sentences, other forms and populations. Abstracts
are written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapwatch.evidence import Engine, StudyText
from kapwatch.evidence.text import read
from kapwatch.evidence.times import early_time
from kapwatch.evidence.tone import read_tone
from kapwatch.seeds.articles import Seeds
from kapwatch.sources.pubmed_xml import parse_pubmed
from tests.studies import trial

DEMO_PUBMED = Path(__file__).parent.parent / "kapwatch" / "demo" / "pubmed.xml"


@pytest.mark.parametrize(
    ("sentence", "null"),
    [
        ("Depression scores did not differ between ketamine and midazolam at day 7.", True),
        ("Ketamine was comparable to placebo on the MADRS.", True),
        ("Esketamine was not superior to placebo on the primary outcome.", True),
        ("Noninferiority to ECT was not met.", True),
        ("Ketamine was non-inferior to ECT for remission.", False),
        ("Adverse events did not differ between groups.", False),  # a safety outcome
        ("Groups did not differ at baseline in severity.", False),  # a baseline comparison
        ("Heterogeneity was substantial and no publication bias was found.", False),
        ("No between-group differences were observed in remission rates.", True),
        ("Response rates were similar in the two arms (45% vs 41%).", True),
        ("Symptoms were statistically indistinguishable between the groups.", True),
        ("Neither dose separated from placebo.", True),
        ("Ketamine was less effective than ECT for remission.", True),
        ("Ketamine and placebo groups improved similarly.", True),
        ("Ketamine produced no greater reduction in symptoms than placebo.", True),
        ("The hazard ratio for relapse was 0.91 (95% CI, 0.62-1.33).", True),
        ("The mean difference was -2.1 (95% CI -6.3 to 2.0).", True),
        ("The hazard ratio for relapse was 0.49 (95% CI, 0.29-0.84).", False),
        ("The hazard ratio for adverse events was 1.1 (95% CI 0.7-1.6).", False),
        ("The reported normalization of connectivity was not replicated.", True),
        ("Convincing evidence that it works for suicidal ideation is still lacking.", True),
        ("Acceptability did not differ between agents.", False),  # not a claim's outcome
        ("Sleep quality did not differ between groups.", False),
        ("Ketamine did not change depression scores relative to placebo.", True),
        ("Ketamine did not augment the effect of ECT on depression.", True),
        ("MADRS scores did not change further during weekly maintenance.", False),  # it held
        ("The trial was stopped early for futility.", True),
        ("Ketamine showed no antidepressant efficacy compared with placebo.", True),
        ("No efficacy results are reported here.", False),
        ("The reduction in symptoms did not persist beyond the first day.", False),  # it faded
        ("Ideation fell in 73% of patients, though 8.4% worsened in depression.", False),
        ("Depressive symptoms worsened with ketamine compared with placebo.", True),
        ("Age, sex and preoperative PHQ-9 scores did not differ between groups.", False),
        ("Sleep quality, pain scores and analgesic use did not differ between groups.", False),
        ("In the six non-responders scores did not change despite five infusions.", False),
        ("The primary 24-hour outcome was null.", True),
        ("Response rates were 24% with ketamine and 21% with placebo (p = 0.62).", True),
        ("Response rates were 44% with ketamine and 21% with placebo (p = 0.03).", False),
        ("Remission was more common with ketamine (P < .001) but not at day 7 (P = .40).", True),
        ("Scores were lower with ketamine at 24 hours (p = 0.05).", False),
        ("Adverse events were as frequent with ketamine (p = 0.71).", False),
        ("ECT was superior to ketamine for remission.", True),  # the comparator won
        ("Remission rates were higher with ECT than with ketamine.", True),
        ("Midazolam was as effective as ketamine.", True),
        ("Ketamine was as effective as ECT for remission.", False),  # an active comparator
        ("Placebo was better tolerated than ketamine.", False),  # tolerability
        ("Ketamine increased suicidal ideation.", True),
        ("Ketamine was superior to midazolam at 24 hours.", False),
        ("Normalization of BDNF does not appear to be required for improvement.", True),
    ],
)
def test_null_results_are_read_and_their_look_alikes_are_not(sentence: str, null: bool) -> None:
    assert read_tone([sentence]).null is null


@pytest.mark.parametrize(
    "sentence",
    [
        "The authors judge the long-term results mixed.",
        "Lasting benefit after esketamine was stopped may be limited.",
        "The level of proof for long-term use was rated as low.",
        "It is promising, but evidence that it works for acute suicidal ideation is still lacking.",
        # The clause on risk of bias says nothing; the one after it does.
        "Three studies carried a high risk of bias, and effects after stopping were inconsistent.",
    ],
)
def test_evidence_of_low_certainty_is_read_as_such(sentence: str) -> None:
    tone = read_tone([sentence])
    assert tone.null and tone.weak


@pytest.mark.parametrize(
    ("sentence", "falls"),
    [
        ("Connectivity between the regions decreased after ketamine.", True),
        ("Serum BDNF was lower after ketamine than after saline.", True),
        # A fall in symptoms is the benefit, however the words end or the scale is named.
        ("Ketamine reduced perioperative anxiety and depression.", False),
        ("Ketamine lowered pain scores compared with saline.", False),
        ("The esketamine group had lower GDS-15 scores on day 2.", False),
    ],
)
def test_a_measure_that_fell_is_told_from_symptoms_that_fell(sentence: str, falls: bool) -> None:
    assert read_tone([sentence]).falls is falls


def test_fading_and_lasting_are_told_apart() -> None:
    assert read_tone(["The benefit was transient and most responders relapsed within weeks."]).fades
    assert not read_tone(["Ketamine reduced the risk of relapse by half."]).fades
    assert not read_tone(["Ketamine reduced the recurrence of depression."]).fades
    assert not read_tone(["All had recurrent major depression."]).fades  # a diagnosis
    for faded in (
        "The difference remained significant through day 3.",
        "Scores were lower at 24 hours but not at day 7.",
        "The benefit had disappeared by week 2.",
        "Effects returned to baseline levels within 10 days.",
        "Symptoms re-emerged within a week of the last infusion.",
        "Eight reported a rapid reduction in obsessions that lasted up to 230 minutes.",
        "Depression scores returned to pre-treatment levels within two weeks.",
        "Symptoms recurred in most responders within a month.",
        "Improvement was limited to the first 24 hours.",
        "Most responders lost their response within 3 weeks.",
    ):
        assert read_tone([faded]).fades, faded
    assert not read_tone(
        ["Symptoms improved within 72 hours after ketamine but not after placebo."]
    ).fades
    assert read_tone(["Three of seven remitters stayed in remission for at least 4 weeks."]).lasts
    few = read_tone(["Only two of the five remitters kept their improvement for four weeks."])
    assert few.fades and not few.lasts  # most lost it
    lasting = read_tone(["Improvement was sustained at six months after the last infusion."])
    assert lasting.lasts and lasting.lasts_months and not lasting.fades
    # Four weeks is what lasting takes, however it is written.
    assert read_tone(["Response was sustained at day 28 in 82% of patients."]).lasts_months
    assert not read_tone(["Response was sustained at day 14 in most patients."]).lasts_months
    assert read_tone(
        ["Improvements were maintained for weeks to months after treatment."]
    ).lasts_months


@pytest.mark.parametrize(
    ("sentence", "early"),
    [
        ("MADRS severity was rated at days 1, 2 and 3 after the infusion.", True),
        ("Ideation fell more than with placebo at 90 and 230 minutes.", True),
        ("Ratings were taken 4 hours after each infusion.", True),
        ("Ketamine 0.5 mg/kg was infused over 40 minutes.", False),  # the infusion's length
        ("Scores were lower at day 14.", False),
        ("Response was assessed at 100 hours.", False),
    ],
)
def test_an_early_time_point_is_read_however_it_is_written(sentence: str, early: bool) -> None:
    assert (early_time(sentence) is not None) is early


def test_a_psychiatric_outcome_under_anaesthesia_is_relevant(seeds: Seeds) -> None:
    text = trial(
        "Ketamine during surgical anesthesia for major depressive disorder",
        "Depression scores did not differ between ketamine and placebo given under anesthesia.",
        "Ketamine masked by surgical anesthesia was no better than placebo for depression.",
    )
    result = Engine(seeds.claims, seeds.lexicon).assess(text)
    assert result.relevant
    assert {x.claim_id: x.stance for x in result.links}["kap-plasticity-01"] == "challenges"


def test_a_psychiatric_outcome_named_only_in_the_methods_is_measured(seeds: Seeds) -> None:
    def surgical(measures: str) -> StudyText:
        return StudyText(
            "Effects of a sub-anesthetic dose of ketamine after colorectal surgery",
            "",
            [
                ("METHODS", f"Patients received ketamine or saline before surgery; {measures}"),
                (
                    "RESULTS",
                    "Scores in the 0.3 mg/kg group were significantly lower than controls.",
                ),
            ],
            [],
            [],
            [],
        )

    engine = Engine(seeds.claims, seeds.lexicon)
    assert engine.assess(surgical("anxiety and depression were rated with the HADS.")).relevant
    assert not engine.assess(surgical("pain was rated every hour.")).relevant
    # Trauma patients in an emergency department were injured: no psychiatric population.
    assert not engine.assess(surgical("trauma patients rated their pain every hour.")).relevant


def test_a_relevant_studys_reason_says_when_its_result_goes_against_a_benefit(
    seeds: Seeds,
) -> None:
    engine = Engine(seeds.claims, seeds.lexicon)
    null = trial(
        "Ketamine for depression: a randomized trial",
        "Depression scores did not differ between ketamine and placebo.",
        "Ketamine was no better than placebo.",
    )
    assert engine.assess(null).reason.endswith("; result: no better than control, or worse")
    positive = trial(
        "Ketamine for depression: a randomized trial",
        "Depression scores fell more with ketamine than placebo at 24 hours.",
        "Ketamine rapidly reduced depressive symptoms.",
    )
    assert "result:" not in engine.assess(positive).reason


def test_a_link_against_a_claim_quotes_the_sentence_that_goes_against_it(seeds: Seeds) -> None:
    text = trial(
        "Ketamine for treatment-resistant depression: a randomized placebo-controlled trial",
        "Depression scores did not differ between ketamine and placebo at 24 hours.",
        "Repeated ketamine infusions were well tolerated in treatment-resistant depression.",
    )
    links = Engine(seeds.claims, seeds.lexicon).assess(text).links
    against = [x for x in links if x.stance in ("challenges", "mixed")]
    assert against
    for link in against:
        assert link.evidence.startswith("Depression scores did not differ"), link


def test_every_link_has_a_confidence_and_a_strength(seeds: Seeds) -> None:
    links = (
        Engine(seeds.claims, seeds.lexicon)
        .assess(
            trial(
                "Ketamine for treatment-resistant depression: a randomized trial",
                "Response was higher with ketamine than midazolam at 24 hours.",
                "Ketamine rapidly reduced depressive symptoms compared with midazolam.",
            )
        )
        .links
    )
    assert links
    for link in links:
        assert 0 <= link.confidence <= 1 and link.strength in ("strong", "possible")


def test_the_demo_weeks_null_trials_challenge_the_claims_they_test(seeds: Seeds) -> None:
    engine = Engine(seeds.claims, seeds.lexicon)
    found = {}
    for record in parse_pubmed(DEMO_PUBMED.read_bytes()):
        text = StudyText(
            record.title, record.abstract, record.sections, record.pub_types, record.mesh, []
        )
        found[record.pmid] = {x.claim_id: x.stance for x in engine.assess(text).links}
    assert found["38188539"]["kap-plasticity-01"] == "challenges"  # masked by anaesthesia
    assert found["35046508"]["kap-plasticity-01"] == "challenges"  # PTSD primary outcome missed


def test_a_claims_stance_does_not_depend_on_the_other_claims(seeds: Seeds) -> None:
    # The engine reads a study once for all claims and reuses what it read; a claim must get
    # the stance it would get alone (a shared cache once gave one claim another's reading).
    from tests.eval.data import load_studies

    everything = Engine(seeds.claims, seeds.lexicon)
    alone = {c.id: Engine([c], seeds.lexicon) for c in seeds.claims}
    compared = 0
    for study in load_studies():
        if study.split != "dev" or not study.relevant:
            continue
        for link in everything.assess(study.text).links:
            own = {x.claim_id: x.stance for x in alone[link.claim_id].assess(study.text).links}
            assert own.get(link.claim_id) == link.stance, (study.pmid, link.claim_id)
            compared += 1
    assert compared > 200


def test_a_study_of_misuse_is_relevant_and_tests_no_treatment_claim(seeds: Seeds) -> None:
    engine = Engine(seeds.claims, seeds.lexicon)
    users = engine.assess(
        trial(
            "Depressive symptoms in chronic ketamine users: a one-year cohort",
            "Frequent ketamine users had more depressive symptoms than non-users at one year.",
            "Chronic ketamine use goes with worsening depression.",
        )
    )
    assert users.relevant and users.links == []
    treated = engine.assess(
        trial(
            "Ketamine for alcohol dependence: a randomized trial",
            "Ketamine increased abstinence compared with midazolam over six months.",
            "Ketamine helped people with alcohol dependence stay abstinent.",
        )
    )
    assert treated.relevant and treated.links


def test_an_abbreviation_the_abstract_defines_names_its_concept(seeds: Seeds) -> None:
    text = StudyText(
        "Global brain connectivity (GBC) after ketamine in depression",
        "",
        [("RESULTS", "Ketamine had no effect on GBC compared with placebo.")],
        [],
        [],
        [],
    )
    reading = read(text, seeds.lexicon)
    (_sentence, found), *_ = reading.rest
    assert found["connectivity"] == "GBC"
