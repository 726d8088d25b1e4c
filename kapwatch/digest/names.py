"""Author names as reference managers read them: surname and given names (or initials) apart.

The store keeps each author as one string in the form its source gave: PubMed's
"Grabski M" / "da Silva URL" (surname, then initials), a collective name, or a feed's
"Stephanie Sakopoulos", "Sakopoulos, Stephanie" or a whole list in one string
("A. Smith, B. Jones and C. Lee").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Lower-case words that belong to the surname that follows them ("da Silva", "van der Berg").
PARTICLES = frozenset(
    [
        "da",
        "das",
        "de",
        "del",
        "della",
        "der",
        "di",
        "do",
        "dos",
        "du",
        "la",
        "le",
        "van",
        "von",
        "den",
        "ter",
        "ten",
        "zu",
        "y",
        "bin",
        "ibn",
        "al",
        "el",
        "st",
    ]
)
# Words that make a name an organisation's ("Canadian Respiratory Research Network").
COLLECTIVE = re.compile(
    r"\b(group|consortium|committee|network|collaborat\w*|investigators|society|association|"
    r"team|trial|study|working|panel|council|foundation|institute|organi[sz]ation|centre|center|"
    r"task force|for the|workshop|conference|meeting|program(?:me)?|registry|writing|board|"
    r"department|unit|hospital|university|college|academy|federation|alliance|initiative|\d+)\b",
    re.IGNORECASE,
)
_UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"  # capitals, Latin-1 and Latin Extended-A ("Ø", "Š")
INITIALS = re.compile(rf"^(?:[{_UPPER}]\.?-?){{1,4}}$")  # "M", "URL", "J.K.", "J.-P.", "Ø"
# PubMed's Initials also hold transliterated digraphs: "IuIu", "ChA" (Vilin IuIu).
PUBMED_INITIALS = re.compile(rf"^(?:[{_UPPER}][a-z]?-?){{1,4}}$")
_LETTER = re.compile(rf"[{_UPPER}][a-z]?-?")  # one of PubMed's initials
_SEPARATOR = re.compile(r",|\band\b|&")  # between the people of a feed's one-string list
_NOT_KEY = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Person:
    last: str
    first: str = ""  # the given names or initials, as the source gave them
    collective: bool = False

    @property
    def initials(self) -> str:
        """'F. M.' from 'Fred Max', 'FM' or 'F.M.'; 'J.-P.' from 'Jean-Pierre' or 'J-P';
        PubMed's digraphs stay whole ('Iu. Iu.' from 'IuIu')."""
        if PUBMED_INITIALS.match(self.first.replace(" ", "").replace(".", "")):
            letters = _LETTER.findall(self.first)
        else:
            letters = []
            for word in self.first.split():
                parts = [p for p in word.split("-") if p]
                letters += [f"{p[:1]}-" for p in parts[:-1]] + [parts[-1][:1]] if parts else []
        out = "".join(f"{x.rstrip('-')}.{'-' if x.endswith('-') else ' '}" for x in letters)
        return out.strip()


def people(authors: list[str], pubmed: bool = False) -> list[Person]:
    """Every person in a study's author list, a feed's one-string list split apart.
    `pubmed`: the names are PubMed's "Surname Initials"."""
    return [parse_name(name, pubmed) for entry in authors for name in split_people(entry)]


def split_people(entry: str) -> list[str]:
    """'A Smith, B Jones and C Lee' -> three names; 'Sakopoulos, Stephanie' stays one."""
    entry = " ".join(entry.split())
    if not entry or COLLECTIVE.search(entry):
        return [entry] if entry else []
    if ";" in entry:
        return [p.strip() for p in entry.split(";") if p.strip()]
    parts = [p.strip() for p in _SEPARATOR.split(entry) if p.strip()]
    if len(parts) <= 1:
        return parts
    words = [p.split() for p in parts]
    if all(len(w) == 1 for w in words) and len(parts) % 2 == 0:
        # "Smith, J., Jones, K." or "Sakopoulos, Stephanie": surname, given name, in pairs.
        return [f"{parts[i]}, {parts[i + 1]}" for i in range(0, len(parts), 2)]
    if len(parts) == 2 and "," in entry and len(words[1]) <= 2 and " and " not in entry:
        return [entry]  # "da Silva, Ana Maria": one person, surname first
    return parts


def parse_name(name: str, pubmed: bool = False) -> Person:
    """One person's name, in any of the forms the sources use."""
    name = " ".join(name.split())
    if COLLECTIVE.search(name):
        return Person(name, collective=True)
    if "," in name:
        last, _, first = name.partition(",")
        return Person(last.strip(), first.strip())
    words = name.split()
    if len(words) == 1:
        return Person(name)
    initials = PUBMED_INITIALS if pubmed else INITIALS
    if initials.match(words[-1]) and (pubmed or not INITIALS.match(words[0])):
        return Person(" ".join(words[:-1]), words[-1])  # PubMed: "da Silva URL"
    if pubmed:  # a PubMed person always has initials: the rest are collective names
        return Person(name, collective=True)
    # Given names first: the surname is the last word and any particles before it.
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    return Person(" ".join(words[start:]), " ".join(words[:start]))


def ascii_word(text: str) -> str:
    """'Müller-Lüdenscheidt' -> 'mullerludenscheidt' (for cite keys)."""
    folded = text
    if not text.isascii():  # NFKD leaves ASCII as it is
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_KEY.sub("", folded.lower())
