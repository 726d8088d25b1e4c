"""The concept lexicon (seeds/concepts.toml): what claims and studies talk about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from kapwatch.tomlfile import read_toml, unknown_keys

ROLES = ("drug", "therapy", "condition", "outcome", "exclude")
GROUPS = ("mechanism", "course", "window", "contrast", "effect")
CONTEXT = "context"  # the group of exclusions naming an off-topic setting (surgery, sedation)
MISUSE = "misuse"  # ... and of those naming people who take the drug outside treatment
_WORD = re.compile(r"[a-z0-9]+")
# A hyphen in a term matches a space, a hyphen or nothing, after a closing bracket or not: the
# chemical name "(R)-ketamine" is the term "r-ketamine".
_HYPHEN = r"\)?[\s-]?"


class LexiconError(ValueError):
    """The lexicon file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Concept:
    name: str
    role: str
    terms: tuple[str, ...]
    mesh: tuple[str, ...] = ()
    # Words only the PubMed query searches ([tiab]), never matched in claims or studies: a MeSH
    # heading's entry terms, interventions the query must find that the engine need not name.
    text_words: tuple[str, ...] = ()
    query: bool = False
    family: str = ""  # a broader concept this one counts as ("trd" -> "depression")
    unless: tuple[str, ...] = ()  # phrases that use a term in another sense
    # words a study's text must also have for a term to count (a claim's terms count alone):
    # the acute experience is a finding only where it is related to the outcome
    needs: tuple[str, ...] = ()
    # outcomes: mechanism | course | window | contrast | effect; exclude: context | misuse;
    # drugs: form; conditions: population
    group: str = ""

    @cached_property
    def _unless(self) -> re.Pattern[str] | None:
        if not self.unless:
            return None
        phrases = [
            re.escape(p).replace(r"\ ", r"[\s-]+").replace(r"\-", _HYPHEN) for p in self.unless
        ]
        return re.compile(r"(?i:\b(?:" + "|".join(phrases) + r")\b)")

    @cached_property
    def _needs(self) -> re.Pattern[str] | None:
        if not self.needs:
            return None
        words = [re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "") for w in self.needs]
        # "dose-related" relates nothing to the outcome
        return re.compile(r"(?i:(?<!-)\b(?:" + "|".join(words) + r")\b)")

    def _expressions(self, lower: bool = False) -> tuple[list[str], list[str]]:
        """Each term's expression: (the words', the acronyms'); `lower`: the words' in lower
        case."""
        # Whole-word match; a trailing * stands for any word ending ("relapse*").
        # Acronyms (all caps) match case-sensitively: "WET" is not "wet", "KAP" is not "kap".
        words: list[str] = []
        acronyms: list[str] = []
        for term in self.terms:
            acronym = term.isupper() and len(term) <= 5
            written = term if acronym or not lower else term.lower()
            regex = re.escape(written.rstrip("*"))
            regex = regex.replace(r"\ ", r"[\s-]+").replace(r"\-", _HYPHEN)
            regex += r"\w*" if term.endswith("*") else ""
            (acronyms if acronym else words).append(regex)
        return words, acronyms

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        words, acronyms = self._expressions()
        alternatives = []
        if words:
            alternatives.append(r"(?i:\b(?:" + "|".join(words) + r")\b)")
        if acronyms:
            alternatives.append(r"\b(?:" + "|".join(acronyms) + r")\b")
        return re.compile("|".join(alternatives))

    @cached_property
    def anchors(self) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:
        """Per term, what any match of it must contain (lower case): the words it guarantees
        whole, and its other literal pieces as substrings. Cheap tests that rule most concepts
        out before their regular expression runs: "ketamine users" needs both words, so the
        "ketamine" in every sentence alone does not run the expression."""
        anchors = []
        for term in self.terms:
            lowered = term.lower()
            pieces = re.split(r"(\s+|-)", lowered.rstrip("*"))
            # A piece is a whole word when spaces (not an optional hyphen) surround it and a
            # trailing * does not let it run on.
            whole = frozenset(
                piece
                for i, piece in enumerate(pieces)
                if i % 2 == 0
                and piece.isalnum()
                and (i == 0 or pieces[i - 1].strip() == "")
                and (i == len(pieces) - 1 or pieces[i + 1].strip() == "")
                and not (i == len(pieces) - 1 and lowered.endswith("*"))
            )
            parts = tuple(p for i, p in enumerate(pieces) if i % 2 == 0 and p and p not in whole)
            anchors.append((whole, parts))
        return tuple(dict.fromkeys(anchors))

    @cached_property
    def _unless_pieces(self) -> tuple[tuple[str, ...], ...]:
        """The literal pieces of each `unless` phrase (lower case): when no phrase has all of
        its pieces in the text, no phrase is there to blank out."""
        return tuple(tuple(re.split(r"[\s-]+", p.lower())) for p in self.unless)

    @cached_property
    def _ascii(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None] | None:
        """`pattern` for ASCII text in two parts, found faster than by ignoring case: the
        words' expression in lower case over the lower-cased text, the acronyms' over the text
        (the earlier match is pattern's; the words' when both start at one place). None when
        a term is not ASCII."""
        if not all(term.isascii() for term in self.terms):
            return None
        words, acronyms = self._expressions(lower=True)
        return (
            re.compile(r"\b(?:" + "|".join(words) + r")\b") if words else None,
            re.compile(r"\b(?:" + "|".join(acronyms) + r")\b") if acronyms else None,
        )

    def found_in(self, text: str, lowered: str | None = None, claim: bool = False) -> str | None:
        """The first matching phrase in text, or None (`lowered`: text.lower(), if at hand;
        `claim`: the text is a claim, whose terms need nothing beside them)."""
        if self._needs is not None and not claim and not self._needs.search(text):
            return None
        lowered = text.lower() if lowered is None else lowered
        phrase = None
        if self._unless is not None and any(
            all(map(lowered.__contains__, pieces)) for pieces in self._unless_pieces
        ):
            # "respiratory depression" is not depression
            match = self.pattern.search(self._unless.sub(" ", text))
            phrase = match.group(0) if match else None
        elif (fast := self._ascii if text.isascii() else None) is not None:
            words, acronyms = fast
            found = words.search(lowered) if words is not None else None
            other = acronyms.search(text) if acronyms is not None else None
            if other is not None and (found is None or other.start() < found.start()):
                found = other
            phrase = text[found.start() : found.end()] if found else None
        elif match := self.pattern.search(text):
            phrase = match.group(0)
        # An all-capital word is a name ("the SUSTAIN-1 trial", "SYNAPSE"), not the word it
        # spells, unless the concept lists it as an acronym.
        if phrase is not None and phrase.isupper() and len(phrase) > 3 and phrase not in self.terms:
            blanked = text.replace(phrase, " " * len(phrase))
            return self.found_in(blanked, blanked.lower(), claim)
        return phrase


@dataclass(frozen=True)
class Lexicon:
    concepts: tuple[Concept, ...]

    def by_role(self, *roles: str) -> list[Concept]:
        return [c for c in self.concepts if c.role in roles]

    def find(self, text: str, mesh: list[str] | None = None, claim: bool = False) -> dict[str, str]:
        """Concept name -> the phrase (or MeSH heading) that shows it, for every concept present
        (`claim`: the text is a claim, see Concept.needs)."""
        lowered = text.lower()
        words = set(_WORD.findall(lowered))
        # Only the concepts one of whose terms has all its literal pieces in the text run their
        # expression (looked up by one word of the term, then checked whole).
        candidates = {
            i
            for word in words & self._by_word.keys()
            for i, whole, parts in self._by_word[word]
            if whole <= words and all(map(lowered.__contains__, parts))
        }
        for piece in filter(lowered.__contains__, self._by_substring):
            for i, parts in self._by_substring[piece]:
                if all(map(lowered.__contains__, parts)):
                    candidates.add(i)
        headings = {m.lower() for m in mesh} if mesh else set()
        found: dict[str, str] = {}
        # In the lexicon's order; every concept when MeSH headings can show it, else only the
        # candidates.
        for i in range(len(self.concepts)) if headings else sorted(candidates):
            concept = self.concepts[i]
            phrase = concept.found_in(text, lowered, claim) if i in candidates else None
            if phrase is None and headings:
                phrase = _heading(self._mesh[i], headings)
            if phrase is not None:
                found[concept.name] = phrase
        return found

    @cached_property
    def _by_word(self) -> dict[str, tuple[tuple[int, frozenset[str], tuple[str, ...]], ...]]:
        """A word of each term that has whole words -> (concept, the term's anchors). The word
        is the term's longest that is not a term on its own: "ketamine users" is looked up by
        "users", since nearly every abstract says "ketamine"."""
        alone = {t.lower() for c in self.concepts for t in c.terms if _WORD.fullmatch(t.lower())}
        index: dict[str, list[tuple[int, frozenset[str], tuple[str, ...]]]] = {}
        for i, concept in enumerate(self.concepts):
            for whole, parts in concept.anchors:
                if whole:
                    key = max(sorted(whole - alone or whole), key=len)
                    index.setdefault(key, []).append((i, whole, parts))
        return {word: tuple(entries) for word, entries in index.items()}

    @cached_property
    def _mesh(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """Per concept, its MeSH headings as (lower case, as written)."""
        return tuple(tuple((m.lower(), m) for m in c.mesh) for c in self.concepts)

    @cached_property
    def _by_substring(self) -> dict[str, tuple[tuple[int, tuple[str, ...]], ...]]:
        """The terms with no whole word, by their longest piece: (concept, all their pieces)."""
        index: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for i, concept in enumerate(self.concepts):
            for whole, parts in concept.anchors:
                if not whole:
                    index.setdefault(max(parts, key=len), []).append((i, parts))
        return {piece: tuple(entries) for piece, entries in index.items()}

    def group_of(self, name: str) -> str:
        return self._by_name[name].group

    def role_of(self, name: str) -> str:
        return self._by_name[name].role

    def family_of(self, name: str) -> str:
        return self._by_name[name].family or name

    @cached_property
    def relational(self) -> frozenset[str]:
        """The concepts that count only beside a relation (their `needs`)."""
        return frozenset(c.name for c in self.concepts if c.needs)

    def term_of(self, name: str) -> str:
        """The concept's first term, as a reader would name it."""
        return self._by_name[name].terms[0].rstrip("*")

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @cached_property
    def _by_name(self) -> dict[str, Concept]:
        return {c.name: c for c in self.concepts}


def _heading(headings: tuple[tuple[str, str], ...], present: set[str]) -> str | None:
    """The first of a concept's (lower-case, written) MeSH headings that is present."""
    for lowered, written in headings:
        if lowered in present:
            return written
    return None


# A [concepts.<name>] table's keys.
CONCEPT_KEYS = (
    "role", "terms", "mesh", "query", "family", "unless", "needs", "group", "text_words"
)  # fmt: skip


def load_lexicon(path: Path) -> Lexicon:
    data = read_toml(path, LexiconError)
    unknown_keys(data, ("concepts",), path, "the file", LexiconError)
    table = data.get("concepts")
    if not isinstance(table, dict) or not table:
        raise LexiconError(f"{path}: no [concepts.<name>] tables")
    concepts = []
    for name, entry in table.items():
        where = f"{path}: concepts.{name}"
        if not isinstance(entry, dict):
            raise LexiconError(f"{where}: expected a table")
        unknown_keys(entry, CONCEPT_KEYS, path, f"concepts.{name}", LexiconError)
        role = entry.get("role")
        if role not in ROLES:
            raise LexiconError(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")
        terms = entry.get("terms")
        if (
            not isinstance(terms, list)
            or not terms
            or not all(isinstance(t, str) and t.strip() for t in terms)
        ):
            raise LexiconError(f"{where}: terms must be a non-empty list of strings")
        mesh = entry.get("mesh", [])
        if not isinstance(mesh, list) or not all(isinstance(m, str) for m in mesh):
            raise LexiconError(f"{where}: mesh must be a list of strings")
        for key in ("text_words", "unless", "needs"):
            words = entry.get(key, [])
            if not isinstance(words, list) or not all(
                isinstance(w, str) and w.strip() for w in words
            ):
                raise LexiconError(f"{where}: {key} must be a list of strings")
        concepts.append(
            Concept(
                name=name,
                role=role,
                terms=tuple(t.strip() for t in terms),
                mesh=tuple(mesh),
                text_words=tuple(w.strip() for w in entry.get("text_words", [])),
                query=bool(entry.get("query", False)),
                family=str(entry.get("family", "")),
                unless=tuple(str(u) for u in entry.get("unless", [])),
                needs=tuple(str(w) for w in entry.get("needs", [])),
                group=_group(entry, role, where),
            )
        )
    names = {c.name for c in concepts}
    for concept in concepts:
        if concept.family and concept.family not in names:
            raise LexiconError(
                f"{path}: concepts.{concept.name}: family {concept.family!r} is not a concept"
            )
    if not any(c.role == "drug" for c in concepts):
        raise LexiconError(f'{path}: needs at least one concept with role = "drug"')
    return Lexicon(tuple(concepts))


def _group(entry: dict[str, object], role: str, where: str) -> str:
    group = str(entry.get("group", ""))
    allowed = {
        "outcome": GROUPS,
        "exclude": (CONTEXT, MISUSE),
        "drug": ("form",),
        "condition": ("population",),
    }.get(role, ())
    if group and group not in allowed:
        raise LexiconError(
            f"{where}: group for a {role} concept must be one of "
            f"{', '.join(allowed) or '(none)'}, got {group!r}"
        )
    return group
