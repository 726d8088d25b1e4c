"""Claims restated and grouped in families: derived for any article, overridden by seeds/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kapwatch.evidence import Engine, StudyText
from kapwatch.seeds.articles import SeedError, Seeds, load_seeds

from .conftest import SEEDS_DIR

THIRD = Path(__file__).parent / "fixtures" / "third_article" / "002_ketamine_alcohol.txt"


@pytest.fixture
def three_articles(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    shutil.copy(THIRD, seeds / THIRD.name)
    with (seeds / "manifest.toml").open("a", encoding="utf-8") as manifest:
        manifest.write(f'\n[[articles]]\nfile = "{THIRD.name}"\nid = "kap-alcohol"\n')
    return seeds


def test_hand_written_restatements_and_families_are_used(seeds: Seeds) -> None:
    claims = {c.id: c for c in seeds.claims}
    assert claims["kap-plasticity-10"].restated.startswith("Without psychotherapy")
    assert claims["kap-plasticity-10"].family == "durability"
    assert not claims["kap-trd-01"].linkable
    families = {f.id: f for f in seeds.families}
    assert "kap-plasticity-10" in families["durability"].members
    assert "kap-trd-01" not in {m for f in seeds.families for m in f.members}


def test_a_third_article_gets_derived_restatements_and_families(three_articles: Path) -> None:
    seeds = load_seeds(three_articles)
    third = [c for c in seeds.claims if c.id.startswith("kap-alcohol")]
    assert len(third) >= 2
    for claim in third:
        assert claim.linkable and claim.restated and claim.family
        assert claim.restated != claim.text  # a neutral statement, not the printed sentence
    combined = next(c for c in third if "relapse prevention" in c.text)
    assert combined.family == "ketamine-therapy-course"
    assert "alcohol use disorder" in combined.restated


def test_a_study_bears_on_the_third_articles_claims(three_articles: Path) -> None:
    seeds = load_seeds(three_articles)
    study = StudyText(
        title="Ketamine with mindfulness-based relapse prevention for alcohol use disorder",
        abstract="",
        sections=[
            ("RESULTS", "Heavy drinking days did not differ between ketamine and placebo."),
            (
                "CONCLUSIONS",
                "Ketamine added to relapse prevention therapy was not superior to "
                "placebo for sustained abstinence in alcohol use disorder.",
            ),
        ],
        pub_types=["Randomized Controlled Trial"],
        mesh=[],
        keywords=[],
    )
    links = Engine(seeds.claims, seeds.lexicon).assess(study).links
    third = {x.claim_id: x.stance for x in links if x.claim_id.startswith("kap-alcohol")}
    assert third and set(third.values()) == {"challenges"}


def test_an_unknown_key_in_claims_toml_is_one_line(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    with (seeds / "claims.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[claims.kap-trd-02b]\nrestated = "x"\n')
    with pytest.raises(SeedError, match=r"claims\.toml: claims\.kap-trd-02b: no such claim"):
        load_seeds(seeds)
    text = (SEEDS_DIR / "claims.toml").read_text(encoding="utf-8")
    (seeds / "claims.toml").write_text(text.replace("\nfamily =", "\nfamly =", 1), encoding="utf-8")
    with pytest.raises(SeedError, match=r"unknown key 'famly' \(did you mean 'family'\?\)"):
        load_seeds(seeds)
