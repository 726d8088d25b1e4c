"""Realistic synthetic PubMed EFetch XML, deterministic by seed, written as a stream.

Every record is built from its own random generator seeded by (seed, data set, index), so any
record can be rebuilt alone: the 1M-study store's builder writes a record's titles, authors and
DOIs into the database and the same record's XML for the stand-in. The data sets and what a
record says are in bench/synthetic.py; this module writes the XML. The tests build theirs here.

What a record carries, as PubMed's EFetch (pubmed_250101 DTD) does: MedlineCitation status and
dates, journal with ISSN/volume/issue/PubDate, a title mixing KAP studies with off-topic ketamine
work (anaesthesia, analgesia, sedation, recreational use, animal studies) with <i>/<sup>/<sub>
markup, a structured abstract with labels and NlmCategory (or a plain one, or none), 5-30
authors with affiliations and ORCIDs, grants, publication types, chemicals, MeSH headings with
qualifiers (MEDLINE-indexed records only: a week's new records mostly have none yet), keywords,
comments/corrections (errata, retractions), history dates, article ids (DOI, PII, PMC) and a
reference list. First authors follow a skewed surname distribution (Wang, Li, Zhang, ... and a
long tail) so the store's author blocks are as uneven as a real store's.

    .venv/bin/python -m bench.generate proc-10k            # -> bench/.cache/data/...xml
    .venv/bin/python -m bench.generate --list
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from bench.synthetic import (
    DATASETS,
    DESIGN,
    FORENAMES,
    INSTITUTIONS,
    JOURNALS,
    KEYWORDS,
    MESH_COMMON,
    MESH_TOPIC,
    MONTHS,
    NOTICES,
    QUALIFIERS,
    TAG,
    TOPIC_TABLE,
    Core,
    Dataset,
    abstract_of,
    core,
    surname_of,
    title_of,
)

EFETCH_HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    "<PubmedArticleSet>\n"
)
EFETCH_TAIL = "</PubmedArticleSet>\n"


# --- the full record -------------------------------------------------------------------------


def _date_block(tag: str, d: date, ind: str, attrs: str = "") -> str:
    return (
        f"{ind}<{tag}{attrs}>\n{ind}    <Year>{d.year}</Year>\n{ind}    <Month>{d.month:02d}</Month>\n"
        f"{ind}    <Day>{d.day:02d}</Day>\n{ind}</{tag}>\n"
    )


Write = Callable[[str], None]
Journal = tuple[str, str, str, str, str, str]
Notice = tuple[str, str, str, str]


def article_xml(ds: Dataset, index: int) -> str:
    """One <PubmedArticle>, indented as EFetch sends it (the parts in order: each part draws
    from the record's own generator, so the order of the calls is the record)."""
    rng = random.Random(ds.base + index)
    c = core(ds, index, rng)
    j = JOURNALS[c.journal]
    out: list[str] = []
    w = out.append
    status, indexed, model = _head(rng, ds, c, j, w)
    non_english, notice = _title_and_abstract(rng, ds, c, j, w)
    _authors(rng, c, w)
    retracted = _types(rng, c, w, non_english, indexed, notice, model)
    _journal_and_corrections(rng, c, j, w, indexed, retracted, notice)
    _indexing(rng, c, w, indexed)
    _history_and_ids(rng, c, j, w, status)
    _references(rng, c, w)
    return "".join(out)


def _head(rng: random.Random, ds: Dataset, c: Core, j: Journal, w: Write) -> tuple[str, bool, str]:
    """MedlineCitation's status and dates, the journal and its issue."""
    if ds.new:
        status = rng.choice(["Publisher", "Publisher", "In-Data-Review", "In-Process", "MEDLINE"])
    else:
        status = rng.choice(["MEDLINE"] * 15 + ["PubMed-not-MEDLINE"] * 4 + ["Publisher"])
    indexed = status == "MEDLINE"
    method = ' IndexingMethod="Automated"' if indexed and rng.random() < 0.3 else ""
    w(f'<PubmedArticle>\n    <MedlineCitation Status="{status}" Owner="NLM"{method}>\n')
    w(f'        <PMID Version="1">{c.pmid}</PMID>\n')
    if indexed:
        w(_date_block("DateCompleted", c.entrez + timedelta(days=rng.randint(20, 200)), "        "))
    revised = rng.randint(0, 2) if ds.new else rng.randint(1, 400)  # a new record: just made
    w(_date_block("DateRevised", c.entrez + timedelta(days=revised), "        "))
    model = rng.choice(
        ["Print-Electronic", "Print-Electronic", "Electronic", "Print", "Electronic-eCollection"]
    )
    w(
        f'        <Article PubModel="{model}">\n            <Journal>\n'
        f'                <ISSN IssnType="Electronic">{j[2]}</ISSN>\n'
        f'                <JournalIssue CitedMedium="Internet">\n'
        f"                    <Volume>{c.volume}</Volume>\n"
    )
    if rng.random() < 0.8:
        w(f"                    <Issue>{c.issue}</Issue>\n")
    w(
        f"                    <PubDate>\n                        <Year>{c.year}</Year>\n"
        f"                        <Month>{MONTHS[c.month - 1]}</Month>\n"
    )
    if rng.random() < 0.4:
        w(f"                        <Day>{rng.randint(1, 28):02d}</Day>\n")
    w(
        "                    </PubDate>\n                </JournalIssue>\n"
        f"                <Title>{escape(j[0])}</Title>\n"
        f"                <ISOAbbreviation>{escape(j[1])}</ISOAbbreviation>\n            </Journal>\n"
    )
    return status, indexed, model


def _title_and_abstract(
    rng: random.Random, ds: Dataset, c: Core, j: Journal, w: Write
) -> tuple[bool, Notice | None]:
    """The title (a notice's, a translated one's), pages, DOI and the abstract."""
    non_english = rng.random() < 0.03
    # A week's new records include editorial notices about older articles (a retraction
    # notice, an erratum) that the retraction watch looks for.
    notice = NOTICES[rng.randrange(len(NOTICES))] if ds.new and rng.random() < 0.02 else None
    if notice is not None:
        w(f"            <ArticleTitle>{notice[3]}{c.title}</ArticleTitle>\n")
    elif non_english:
        w(f"            <ArticleTitle>[{c.title[:-1]}].</ArticleTitle>\n")
    else:
        w(f"            <ArticleTitle>{c.title}</ArticleTitle>\n")
    if j[1] in ("PLoS One", "Front Psychiatry", "Transl Psychiatry"):
        w(
            f"            <Pagination>\n                <StartPage>e{c.first_page:04d}{rng.randint(10, 99)}</StartPage>\n"
            f"                <MedlinePgn>e{c.first_page:04d}</MedlinePgn>\n            </Pagination>\n"
        )
    else:
        last = c.first_page + rng.randint(4, 14)
        w(
            f"            <Pagination>\n                <StartPage>{c.first_page}</StartPage>\n"
            f"                <EndPage>{last}</EndPage>\n"
            f"                <MedlinePgn>{c.first_page}-{str(last)[-2:] if last // 100 == c.first_page // 100 else last}</MedlinePgn>\n"
            "            </Pagination>\n"
        )
    if c.doi:
        w(f'            <ELocationID EIdType="doi" ValidYN="Y">{c.doi}</ELocationID>\n')
    shape = rng.random()
    if shape < 0.04 or notice is not None:
        pass  # no abstract: letters, editorials, some new records
    else:
        sections = abstract_of(rng, c)
        w("            <Abstract>\n")
        if shape < 0.3:  # unstructured
            text = " ".join(s for _l, _c, sentences in sections for s in sentences)
            w(f"                <AbstractText>{text}</AbstractText>\n")
        else:
            for label, category, sentences in sections:
                w(
                    f'                <AbstractText Label="{label}" NlmCategory="{category}">{" ".join(sentences)}</AbstractText>\n'
                )
        if rng.random() < 0.5:
            w(
                f"                <CopyrightInformation>© {c.year} The Author(s). Published by Elsevier B.V. All rights reserved.</CopyrightInformation>\n"
            )
        w("            </Abstract>\n")
    return non_english, notice


def _authors(rng: random.Random, c: Core, w: Write) -> None:
    """The author list with affiliations and ORCIDs."""
    w('            <AuthorList CompleteYN="Y">\n')
    institutions = [rng.choice(INSTITUTIONS) for _ in range(rng.randint(1, 4))]
    for position, (surname, fore, initials) in enumerate(c.authors):
        equal = ' EqualContrib="Y"' if position < 2 and rng.random() < 0.1 else ""
        w(
            f'                <Author ValidYN="Y"{equal}>\n'
            f"                    <LastName>{surname}</LastName>\n"
            f"                    <ForeName>{fore}</ForeName>\n"
            f"                    <Initials>{initials}</Initials>\n"
        )
        if rng.random() < 0.3:
            w(
                f'                    <Identifier Source="ORCID">0000-000{rng.randint(1, 3)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}</Identifier>\n'
            )
        for dept, inst, city, country in rng.sample(
            institutions, min(len(institutions), 1 + (rng.random() < 0.2))
        ):
            w(
                f"                    <AffiliationInfo>\n                        <Affiliation>{escape(dept)}, {escape(inst)}, {city}, {country}.</Affiliation>\n"
                "                    </AffiliationInfo>\n"
            )
        w("                </Author>\n")
    if rng.random() < 0.05:
        w(
            '                <Author ValidYN="Y">\n                    <CollectiveName>Ketamine Research Consortium</CollectiveName>\n                </Author>\n'
        )
    w("            </AuthorList>\n")


def _types(
    rng: random.Random,
    c: Core,
    w: Write,
    non_english: bool,
    indexed: bool,
    notice: Notice | None,
    model: str,
) -> bool:
    """Language, grants, publication types, the electronic date; True when retracted."""
    w(
        f"            <Language>{rng.choice(['chi', 'ger', 'fre', 'spa', 'jpn']) if non_english else 'eng'}</Language>\n"
    )
    if rng.random() < 0.25:
        w('            <GrantList CompleteYN="Y">\n')
        for _ in range(rng.randint(1, 3)):
            w(
                f"                <Grant>\n                    <GrantID>R01 MH{rng.randint(100000, 999999)}</GrantID>\n"
                "                    <Acronym>MH</Acronym>\n                    <Agency>NIMH NIH HHS</Agency>\n"
                "                    <Country>United States</Country>\n                </Grant>\n"
            )
        w("            </GrantList>\n")
    w(
        '            <PublicationTypeList>\n                <PublicationType UI="D016428">Journal Article</PublicationType>\n'
    )
    label, pt_ui = DESIGN[c.design][1], DESIGN[c.design][2]
    if label and (indexed or rng.random() < 0.5):
        w(f'                <PublicationType UI="{pt_ui}">{label}</PublicationType>\n')
    if rng.random() < 0.3:
        w(
            '                <PublicationType UI="D013485">Research Support, Non-U.S. Gov\'t</PublicationType>\n'
        )
    if notice is not None:
        w(f'                <PublicationType UI="{notice[1]}">{notice[0]}</PublicationType>\n')
    retracted = rng.random() < 0.003
    if retracted:
        w('                <PublicationType UI="D016441">Retracted Publication</PublicationType>\n')
    w("            </PublicationTypeList>\n")
    if non_english:
        w(f"            <VernacularTitle>{c.plain_title}</VernacularTitle>\n")
    if model != "Print":
        w(
            _date_block(
                "ArticleDate",
                c.entrez - timedelta(days=rng.randint(0, 3)),
                "            ",
                ' DateType="Electronic"',
            )
        )
    w("        </Article>\n")
    return retracted


def _journal_and_corrections(
    rng: random.Random,
    c: Core,
    j: Journal,
    w: Write,
    indexed: bool,
    retracted: bool,
    notice: Notice | None,
) -> None:
    """The journal's MEDLINE record, the chemical, comments and corrections."""
    w(
        f"        <MedlineJournalInfo>\n            <Country>{j[4]}</Country>\n"
        f"            <MedlineTA>{escape(j[1])}</MedlineTA>\n            <NlmUniqueID>{j[3]}</NlmUniqueID>\n"
        f"            <ISSNLinking>{j[2]}</ISSNLinking>\n        </MedlineJournalInfo>\n"
    )
    if indexed:
        w(
            "        <ChemicalList>\n            <Chemical>\n                <RegistryNumber>690G0D6V8H</RegistryNumber>\n"
            '                <NameOfSubstance UI="D007649">Ketamine</NameOfSubstance>\n            </Chemical>\n'
            "        </ChemicalList>\n        <CitationSubset>IM</CitationSubset>\n"
        )
    corrections = []
    roll = rng.random()
    if retracted or roll < 0.002:
        corrections.append("RetractionIn")
    if roll > 0.985:
        corrections.append("ErratumIn")
    if 0.5 < roll < 0.53:
        corrections.append("CommentIn")
    if notice is not None:  # about an article of the 1M-study store's PMID range
        corrections = [notice[2]]
    if corrections:
        w("        <CommentsCorrectionsList>\n")
        for kind in corrections:
            target = int(c.pmid) + rng.randint(1000, 90000)
            if notice is not None:
                store = DATASETS["store-1m"]
                target = store.first_pmid + rng.randrange(store.count)
            w(
                f'            <CommentsCorrections RefType="{kind}">\n'
                f"                <RefSource>{escape(j[1])}. {c.year + 1};{c.volume + 1}:{rng.randint(1, 900)}. doi: {c.doi or '10.1000/x'}.c</RefSource>\n"
                f'                <PMID Version="1">{target}</PMID>\n'
                "            </CommentsCorrections>\n"
            )
        w("        </CommentsCorrectionsList>\n")


def _indexing(rng: random.Random, c: Core, w: Write, indexed: bool) -> None:
    """MeSH headings (MEDLINE-indexed records only), keywords, a conflict-of-interest note."""
    if indexed:
        w("        <MeshHeadingList>\n")
        headings = rng.sample(MESH_TOPIC[c.topic], min(len(MESH_TOPIC[c.topic]), rng.randint(2, 5)))
        headings += rng.sample(MESH_COMMON, rng.randint(3, 8))
        headings.insert(0, ("D007649", "Ketamine"))
        for k, (ui, name) in enumerate(headings):
            major = "Y" if k == 0 and rng.random() < 0.6 else "N"
            w(
                f'            <MeshHeading>\n                <DescriptorName UI="{ui}" MajorTopicYN="{major}">{name}</DescriptorName>\n'
            )
            for q_ui, q_name in rng.sample(QUALIFIERS, rng.choice([0, 0, 1, 2])):
                w(
                    f'                <QualifierName UI="{q_ui}" MajorTopicYN="N">{q_name}</QualifierName>\n'
                )
            w("            </MeshHeading>\n")
        w("        </MeshHeadingList>\n")
    if rng.random() < 0.65:
        w('        <KeywordList Owner="NOTNLM">\n')
        for keyword in rng.sample(KEYWORDS, rng.randint(3, 7)):
            w(f'            <Keyword MajorTopicYN="N">{keyword}</Keyword>\n')
        w("        </KeywordList>\n")
    if rng.random() < 0.4:
        w(
            "        <CoiStatement>Declaration of competing interest: the authors report no conflicts of interest.</CoiStatement>\n"
        )


def _history_and_ids(rng: random.Random, c: Core, j: Journal, w: Write, status: str) -> None:
    """PubmedData: the history dates (the entrez stamp with a time) and the article ids."""
    w("    </MedlineCitation>\n    <PubmedData>\n        <History>\n")
    received = c.entrez - timedelta(days=rng.randint(60, 240))
    w(_date_block("PubMedPubDate", received, "            ", ' PubStatus="received"'))
    w(
        _date_block(
            "PubMedPubDate",
            c.entrez - timedelta(days=rng.randint(5, 50)),
            "            ",
            ' PubStatus="accepted"',
        )
    )
    for stamp in ("pubmed", "medline"):
        w(_date_block("PubMedPubDate", c.entrez, "            ", f' PubStatus="{stamp}"'))
    # The entrez stamp carries a time, as real records do.
    w(
        f'            <PubMedPubDate PubStatus="entrez">\n                <Year>{c.entrez.year}</Year>\n'
        f"                <Month>{c.entrez.month}</Month>\n                <Day>{c.entrez.day}</Day>\n"
        f"                <Hour>{rng.randint(0, 23)}</Hour>\n                <Minute>{rng.randint(0, 59)}</Minute>\n"
        "            </PubMedPubDate>\n"
    )
    w(
        f"        </History>\n        <PublicationStatus>{'aheadofprint' if status == 'Publisher' else 'ppublish'}</PublicationStatus>\n"
        f'        <ArticleIdList>\n            <ArticleId IdType="pubmed">{c.pmid}</ArticleId>\n'
    )
    if c.doi:
        w(f'            <ArticleId IdType="doi">{c.doi}</ArticleId>\n')
    if j[5].startswith("10.1016"):
        w(
            f'            <ArticleId IdType="pii">S{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}({c.year % 100:02d})0{rng.randint(1000, 9999)}-{rng.randint(0, 9)}</ArticleId>\n'
        )
    if rng.random() < 0.35:
        w(
            f'            <ArticleId IdType="pmc">PMC{rng.randint(5_000_000, 12_000_000)}</ArticleId>\n'
        )
    w("        </ArticleIdList>\n")


def _references(rng: random.Random, c: Core, w: Write) -> None:
    """A reference list (half the records), then the closing tags."""
    if rng.random() < 0.5:
        w("        <ReferenceList>\n")
        for _ in range(rng.randint(8, 40)):
            ref_j = JOURNALS[rng.randrange(len(JOURNALS))]
            ref_year = c.year - rng.randint(1, 25)
            w(
                f"            <Reference>\n                <Citation>{surname_of(rng)} {rng.choice(FORENAMES)[1]}, {surname_of(rng)} {rng.choice(FORENAMES)[1]}, et al. "
                f"{TAG.sub('', title_of(rng, rng.choice(TOPIC_TABLE), rng.randrange(len(DESIGN))))} "
                f"{escape(ref_j[1])}. {ref_year};{rng.randint(1, 400)}:{rng.randint(1, 2000)}-{rng.randint(1, 99)}.</Citation>\n"
                f'                <ArticleIdList>\n                    <ArticleId IdType="pubmed">{rng.randint(1_000_000, 39_000_000)}</ArticleId>\n'
                "                </ArticleIdList>\n            </Reference>\n"
            )
        w("        </ReferenceList>\n")
    w("    </PubmedData>\n</PubmedArticle>\n")


# --- files -----------------------------------------------------------------------------------


def records(ds: Dataset, start: int = 0, stop: int | None = None) -> Iterator[str]:
    for index in range(start, ds.count if stop is None else min(stop, ds.count)):
        yield article_xml(ds, index)


def efetch(ds: Dataset) -> bytes:
    """The whole data set as one EFetch body, in memory: for small sets (the tests' stand-in)."""
    return (EFETCH_HEAD + "".join(records(ds)) + EFETCH_TAIL).encode()


def write(
    ds: Dataset, path: Path | None = None, progress: Callable[[int], None] | None = None
) -> Path:
    """Stream the data set to disk (one record in memory at a time); cached by name/seed/version."""
    path = path or ds.path()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(EFETCH_HEAD)
        for index, xml in enumerate(records(ds)):
            handle.write(xml)
            if progress is not None and index % 10_000 == 9_999:
                progress(index + 1)
        handle.write(EFETCH_TAIL)
    partial.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="data sets to write (default: all but store-1m)")
    parser.add_argument("--list", action="store_true", help="list the data sets")
    args = parser.parse_args(argv)
    if args.list:
        for ds in DATASETS.values():
            print(
                f"{ds.name:10} {ds.count:>9,} records  entrez {ds.start}..{ds.end}  PMIDs {ds.first_pmid}+"
            )
        return 0
    for name in args.names or [n for n in DATASETS if n != "store-1m"]:
        path = write(DATASETS[name])
        print(f"{name}: {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
