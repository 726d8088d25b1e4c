from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kapwatch.seeds.articles import (
    SeedError,
    Seeds,
    find_citations,
    load_seeds,
    parse_reference,
    split_sentences,
)
from kapwatch.seeds.lexicon import LexiconError, load_lexicon

from .conftest import SEEDS_DIR


def test_seed_files_are_the_users_articles_verbatim() -> None:
    shared = SEEDS_DIR.parent.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds not present")
    for original in shared.glob("*.txt"):
        assert (SEEDS_DIR / original.name).read_bytes() == original.read_bytes()


def test_articles_titles_and_references(seeds: Seeds) -> None:
    trd, plasticity = seeds.articles
    assert trd.title.startswith("Ketamine-Assisted Psychotherapy: Leveraging Neuroplasticity")
    assert [r.key for r in trd.references] == [
        "mcewen2016",
        "mcgirr2020",
        "rodriguez2019",
        "xia2019",
    ]
    mcewen = trd.references[0]
    assert mcewen.authors == ["McEwen", "Morrison", "Öngür"]
    assert (mcewen.journal, mcewen.volume, mcewen.issue, mcewen.pages) == (
        "Biological Psychiatry",
        "79",
        "10",
        "736-742",
    )
    assert len(plasticity.references) == 8
    sakopoulos = next(r for r in plasticity.references if r.key == "sakopoulos2025")
    assert sakopoulos.doi == "10.3390/ijms26146673"
    assert sakopoulos.journal == "International Journal of Molecular Sciences"
    fava = next(r for r in plasticity.references if r.key == "fava2022")
    assert fava.journal == "" and fava.title.startswith("Rapid neuroplasticity changes")


def test_every_citation_resolves_to_a_reference(seeds: Seeds) -> None:
    for article in seeds.articles:
        assert article.unresolved == []
        cited = {key for claim in article.claims for key in claim.references}
        assert cited == {r.key for r in article.references}


def test_cited_sentences_are_claims_linked_to_their_references(seeds: Seeds) -> None:
    claims = {c.text: c for c in seeds.claims}
    rodriguez = next(t for t in claims if t.startswith("A study by Rodriguez et al. (2019)"))
    assert claims[rodriguez].references == ["rodriguez2019"]
    both = next(t for t in claims if "(Kang et al., 2022; Abdallah et al., 2023)" in t)
    assert claims[both].references == ["kang2022", "abdallah2023"]
    bullet = next(t for t in claims if t.startswith("Pairing ketamine with Written Exposure"))
    assert claims[bullet].references == ["wilkinson2024"]
    assert {"exposure_therapy", "ptsd", "durability"} <= set(claims[bullet].concepts)


def test_uncited_claims_are_kept_and_marketing_is_not(seeds: Seeds) -> None:
    texts = [c.text for c in seeds.claims]
    assert any(
        t.startswith("Without this therapeutic work, the benefits of ketamine") for t in texts
    )
    assert not any(t.startswith("At Uptown Downtown") for t in texts)
    assert not any("Rollins Counseling Center" in t for t in texts)


def test_claim_ids_are_stable_and_unique(seeds: Seeds) -> None:
    again = load_seeds(SEEDS_DIR)
    assert [c.id for c in again.claims] == [c.id for c in seeds.claims]
    assert len({c.id for c in seeds.claims}) == len(seeds.claims)
    assert seeds.claims[0].id == "kap-trd-01"


def test_query_requires_ketamine_and_a_psychiatric_topic(seeds: Seeds) -> None:
    query = seeds.query()
    drug, _, topics = query.partition(" AND ")
    assert "ketamine[tiab]" in drug and "esketamine[tiab]" in drug and '"Ketamine"[mh]' in drug
    for term in ('"written exposure therapy"[tiab]', "PTSD[tiab]", '"Psychotherapy"[mh]'):
        assert term in topics
    assert "KAP[tiab]" not in query  # three-letter acronyms flood PubMed
    assert query.count("(") == query.count(")")


def test_a_drug_form_is_found_in_its_chemical_name(seeds: Seeds) -> None:
    def forms(text: str) -> set[str]:
        found = seeds.lexicon.find(text)
        return {n for n in found if seeds.lexicon.group_of(n) == "form"}

    assert forms("(R)-ketamine for depression") == {"arketamine"}
    assert forms("R-ketamine for depression") == {"arketamine"}
    assert forms("(S)-ketamine infusion") == {"esketamine"}
    assert forms("racemic (R,S)-ketamine infusions") == set()
    assert forms("esketamine and (R,S)-ketamine compared") == {"esketamine"}


def test_reference_parser_handles_apa_variants() -> None:
    ref = parse_reference(
        "Kang, H., Hawken, E. R., & Vazquez, G. H. (2022). The mechanisms behind rapid "
        "antidepressant effects of ketamine: A systematic review. Journal of Affective Disorders."
    )
    assert ref is not None
    assert ref.authors == ["Kang", "Hawken", "Vazquez"] and ref.year == 2022
    assert ref.journal == "Journal of Affective Disorders"
    assert parse_reference("This is a sentence (2022) that is not a reference.") is None


def test_citation_patterns() -> None:
    found = find_citations("as shown (Sakopoulos & Todman, 2025) and Feder et al. (2021) found")
    assert [(k, y) for _, k, y in found] == [("sakopoulos", 2025), ("feder", 2021)]


def test_sentences_do_not_split_after_et_al() -> None:
    text = "A study by Rodriguez et al. (2019) found this. Another one. Dr. Who said."
    assert split_sentences(text) == [
        "A study by Rodriguez et al. (2019) found this.",
        "Another one.",
        "Dr. Who said.",
    ]


def _copy_seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target)
    return target


def test_missing_article_names_the_file(tmp_path: Path) -> None:
    seeds_dir = _copy_seeds(tmp_path)
    (seeds_dir / "000_13fe1e48c886b225.txt").unlink()
    with pytest.raises(SeedError, match=r"000_13fe1e48c886b225\.txt: file not found"):
        load_seeds(seeds_dir)


def test_article_without_references_is_refused(tmp_path: Path) -> None:
    seeds_dir = _copy_seeds(tmp_path)
    (seeds_dir / "001_98d995b72172ad46.txt").write_text("A title\nJust prose, no list.\n")
    with pytest.raises(SeedError, match=r"001_98d995b72172ad46\.txt: no reference list"):
        load_seeds(seeds_dir)


def test_binary_article_is_refused(tmp_path: Path) -> None:
    seeds_dir = _copy_seeds(tmp_path)
    (seeds_dir / "001_98d995b72172ad46.txt").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(SeedError, match="not UTF-8"):
        load_seeds(seeds_dir)


def test_bad_manifest_and_lexicon_name_the_file(tmp_path: Path) -> None:
    seeds_dir = _copy_seeds(tmp_path)
    (seeds_dir / "manifest.toml").write_text("[[articles]]\nfile = 'x.txt'\n")
    with pytest.raises(SeedError, match=r"manifest\.toml: articles\[0\]: missing 'id'"):
        load_seeds(seeds_dir)
    (seeds_dir / "concepts.toml").write_text("[concepts.x]\nrole = 'drug'\nterms = []\n")
    with pytest.raises(LexiconError, match=r"concepts\.toml: concepts\.x: terms"):
        load_lexicon(seeds_dir / "concepts.toml")
    # A word list written as one string would be read letter by letter.
    (seeds_dir / "concepts.toml").write_text(
        "[concepts.x]\nrole = 'drug'\nterms = ['ketamine']\nneeds = 'predicted'\n"
    )
    with pytest.raises(LexiconError, match=r"concepts\.x: needs must be a list of strings"):
        load_lexicon(seeds_dir / "concepts.toml")


def test_claims_have_a_structured_form(seeds: Seeds) -> None:
    wet = next(c for c in seeds.claims if c.references == ["wilkinson2024"])
    assert wet.form["population"] == ["PTSD"]
    assert set(wet.form["intervention"]) == {"ketamine", "Written Exposure Therapy"}
    assert "sustained" in wet.form["outcome"]
    synapses = next(c for c in seeds.claims if c.references == ["kang2022", "abdallah2023"])
    assert "synaptogenesis" in synapses.concepts and synapses.form["population"] == []
