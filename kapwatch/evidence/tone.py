"""How a study's findings read: a null or negative result, a benefit, one that fades or lasts.

The words are English reporting conventions of trial abstracts, not the seeds' vocabulary, so
they live here rather than in seeds/concepts.toml. Null, negative and fading results are the
ones a clinic most needs to see, so each is read with care: a null safety outcome or a baseline
comparison is not a null result, "non-inferior" is not "inferior", and sentences about the
statistics of a meta-analysis (heterogeneity, publication bias) say nothing about the claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

# A null or negative result.
_NULL = re.compile(
    r"\b(?:no (?:statistically |clinically )?significant(?:ly)? (?:\w+ ){0,2}?"
    r"(?:difference|effect|improvement|change|benefit|reduction|advantage|separation|increase)s?"
    r"|not (?:statistically )?significant(?:ly)?(?: (?:different|better|improved|reduced|superior))?"
    r"|(?:did|does|do|was|were|is|are|could) not (?:significantly |statistically )?"
    r"(?:differ|separate|improve|reduce|outperform|reach|meet|achieve|show|produce|prevent|extend|"
    r"prolong|enhance|sustain|maintain|block|predict|increase|demonstrate|find|"
    r"replicate|"
    r"support|confer|add|result|lead|superior|better|effective|efficacious|associated|"
    r"beneficial|change(?! further)|alter|affect|modify|influence|lower|decrease|accelerate|"
    r"hasten|augment|potentiate|boost|relieve|alleviate|attenuate|normali[sz]e|restore|yield|"
    r"translate|impact)"
    r"|failed to (?:\w+ ){0,2}?(?:show|demonstrate|reach|meet|separate|improve|achieve|reduce|find|"
    r"confirm|replicate|sustain|establish)"
    r"|not (?:appear to be )?(?:required|necessary|needed) for"
    r"|(?:stopped|terminated|halted|ended) (?:\w+ ){0,2}?for futility|futility (?:boundary|criteria|criterion)"
    r"|(?:outcomes?|results?|trials?|findings?|end ?points?) (?:was|were) null|null (?:results?|findings?|trials?)"
    r"|(?:ECT|electroconvulsive therapy|placebo|midazolam|saline|sham|control|comparator)s? "
    r"(?:group |arm |condition )?(?:was |were )?(?:\w+ )?(?:superior|better(?! tolerat)|more effective|"
    r"outperformed)|(?:higher|greater|more) (?:\w+ ){0,3}?(?:with|in|after|for) (?:the )?(?:ECT|"
    r"electroconvulsive therapy|placebo|midazolam|saline|sham|control)(?: \w+)? than"
    r"|(?:as|equally) effective as (?:the )?(?:placebo|midazolam|saline|sham|control)"
    r"|(?:placebo|midazolam|saline|sham|control)s? (?:group |arm )?(?:was|were) (?:as|equally) "
    r"effective|improved less than|no greater (?:improvement|reduction|benefit)"
    r"|(?:increas|worsen|aggravat)\w* (?:\w+ ){0,2}?(?:suicidal|depressive symptoms|depression "
    r"scores|anxiety|craving|symptom severity)"
    r"|favou?red (?:the )?(?:placebo|control|midazolam|sham|comparator|saline)"
    r"|no (?:significant |antidepressant |clinical |meaningful )?(?:efficacy|impact)(?! (?:results|data|outcomes?|end ?points?))"
    r"|no (?:evidence|effect|benefit|improvement|advantage|added benefit|additional benefit|"
    r"separation|superiority|difference|differences|antidepressant effect|group differences?)"
    r"|not (?:superior|better|more effective|effective|efficacious|supported)"
    r"|(?:comparable|similar|equivalent) (?:\w+ ){0,3}?(?:to|with|between|across|in) (?:the )?(?:two |both |all )?"
    r"(?:placebo|midazolam|saline|control|active placebo|sham|groups?|arms?|conditions?)"
    r"|similarly in (?:both|all|the two) (?:groups|arms)|(?:did not|does not) differ"
    r"|no better than|worse than|inferior to|not noninferior|indistinguishable|ineffective"
    r"|less (?:effective|efficacious|beneficial) than"
    r"|no (?:\w+[- ]){0,2}differences?|no (?:greater|larger|more|additional) (?:\w+ ){0,4}?(?:than|benefit)"
    r"|neither (?:\w+ ){0,3}?(?:separated|differed|improved|was superior)|favou?red neither"
    r"|(?:improved|responded|changed) (?:\w+ )?(?:similarly|equally)"
    r"|comparable (?:between|across|in (?:the )?(?:two|both|all))"
    r"|noninferiority (?:\w+ ){0,4}?(?:was |were )?not (?:met|shown|demonstrated|established)"
    r"|(?:primary|main) (?:end ?point|outcome) was not|missed (?:its|the) primary"
    r"|did not reach (?:statistical )?significance|non-?significant"
    r"|(?:lack|absence) of (?:efficacy|effect|benefit|evidence|superiority)"
    r"|(?:has|have|had) not been (?:shown|demonstrated|established)|did not establish"
    r"|(?:trials?|studies|results?) (?:were|was) negative|aggravat\w*|exacerbat\w*|worsen\w*"
    r"|below the (?:sensitivity|threshold)|not (?:detectable|detected)|no (?:detectable|measurable)"
    r"|(?:not|never) (?:been )?replicated|not clinically (?:meaningful|significant|relevant))\b",
    re.IGNORECASE,
)
# Evidence a careful reader would trust less: inconclusive, inconsistent, low certainty. It
# goes against a claim, but as a mixed verdict, not a refutation.
_WEAK = re.compile(
    r"\b(?:(?:very )?low[- ](?:certainty|quality) (?:of )?(?:the )?evidence|(?:limited|insufficient|"
    r"inconclusive|conflicting|weak) evidence|inconsistent|inconclusive|conflicting (?:results|findings)|"
    r"mixed (?:results|findings|evidence)|remains? (?:unclear|uncertain|unproven)|not robust|"
    r"(?:results|findings|evidence) (?:[\w-]+ ){0,3}?(?:were |was |are |is |as )?mixed|"
    r"(?:benefits?|effects?|evidence|efficacy) (?:[\w-]+ ){0,8}?(?:is|are|was|were|may be|remains?) "
    r"limited|"
    r"evidence (?:[\w-]+ ){0,10}?(?:is|are|remains?) (?:still )?(?:lacking|scarce|sparse)|"
    r"(?:evidence|level of proof|certainty) (?:[\w-]+ ){0,10}?(?:was|were|is|are|as) (?:graded |"
    r"rated |judged )?(?:as )?(?:very )?"
    r"(?:low|weak)\b(?![- ](?:risk|dose)))\b",
    re.IGNORECASE,
)
# What a null finding is sometimes about that is not the claim's outcome.
_NOT_OUTCOME = re.compile(
    r"\b(?:adverse|side[- ]effects?|safety|toleran|tolerab|dropout|drop-out|discontinu|"
    r"withdraw|blood pressure|heart rate|dissociat|at baseline|baseline (?:characteristic|demographic|score|severity|level)|demographic|serious|vital signs|"
    r"hemodynamic|haemodynamic|nausea|vomiting|dizziness|headache|psychotomimetic|"
    r"cognitive (?:function|impairment|performance)|acceptability|delirium|sleep|"
    r"opioid (?:use|consumption)|length of stay|age, sex|pain scores?|preoperatively|"
    r"pre-?operative (?:[\w-]+ )?(?:scores?|PHQ-9|HADS?|EPDS|characteristics|values)|"
    r"analgesic (?:use|consumption|bolus)|non-?responders)\w*",
    re.IGNORECASE,
)
# An effect that does not last.
_FADES = re.compile(
    r"\b(?:fade[sd]?|fading|wane[sd]?|waning|relapse[sd]?|relapsing|returned? to baseline|"
    r"returned? to (?:the )?(?:pre-?(?:treatment|infusion|dose|ketamine)|initial|original) "
    r"(?:levels?|values?|scores?|severity)|recurred|recurrence|"
    r"(?:did|does) not (?:extend|last|persist|continue|endure) beyond|did not outlast|"
    r"(?:limited|confined|restricted) to the first|"
    r"lost (?:their|its|the) (?:antidepressant )?(?:response|remission|benefit|effect)|"
    r"not sustained|not maintained|not durable|short-lived|transient(?:ly)?|diminish(?:ed|es)?|"
    r"dissipat\w*|no longer (?:significant|superior|different|present|evident|detectable)|"
    r"loss of (?:effect|response|benefit|remission)|lost (?:by|within|after|at)|"
    r"(?:were|was) lost(?! to follow)|did not persist|did not last|did not endure|"
    r"(?:gone|absent) (?:by|at|after)|temporar(?:y|ily)|disappear\w*|vanish\w*|re-?emerg\w*|"
    r"rose again|converged|"
    r"(?:significant|superior|better|greater|different|lower|higher)\w* (?:\w+ ){0,6}?but not "
    r"(?:at|after|by|on|beyond|from) (?:the )?(?:day|week|month|follow|\d|one|two|three|four|six)|"
    r"(?:time to relapse|effects?|benefits?|improvements?) (?:\w+ ){0,2}(?:is|was|were|are) short|"
    r"last(?:s|ed|ing)? (?:only )?(?:up to |about |for |around ){1,2}(?:\w+ )?(?:a|one|two|three|\d+) "
    r"(?:minutes?|hours?|days?|weeks?))\b",
    re.IGNORECASE,
)
# A benefit said to last only days ("remained significant through day 3", "lasted up to a week"),
# or no better than control at a later visit than the benefit: relief that did not last.
_SHORT = (
    r"(?:day [1-9]|day 1[0-4]|(?:[1-9]|1[0-4]|one|two|three|four|five|six|seven|ten|fourteen) days?"
    r"|(?:a|one|1|two|2) weeks?)\b"
)
_SHORT_LIVED = re.compile(
    r"\b(?:remain\w*|persist\w*|last\w*|sustain\w*|maintain\w*|significant|evident)"
    r"(?:[ ,]+[^ ,]+){0,6}?[ ,]+(?:through|until|to|up to|for|by|about|around) (?:about |around )?"
    + _SHORT,
    re.IGNORECASE,
)
# "Only two of the five remitters kept their improvement": most lost it.
_FEW_KEPT = re.compile(
    r"\bonly (?:a few|a minority|\w+|\d+(?:\.\d+)?%) (?:of|out of) (?:[\w-]+ ){0,4}?(?:kept|maintained|"
    r"sustained|retained|remained|stayed|still)\b",
    re.IGNORECASE,
)
_LATER = re.compile(
    r"\b(?:after|by|at|beyond|from) (?:week |day |month )?\d+|\b(?:after|by|at) (?:\w+ )?"
    r"(?:weeks?|months?)\b|\blater\b",
    re.IGNORECASE,
)
# "reduced the risk of relapse", "delayed relapse": relapse prevented is not a benefit fading.
_PREVENTED = re.compile(
    r"\b(?:reduc\w*|delay\w*|prevent\w*|lower\w*|decreas\w*|longer|fewer|protect\w*)"
    r"(?: \w+){0,4} (?:relapse|recurrence|loss of response)|relapse[- ]prevention|"
    r"(?:longer|delayed|prolonged) time to relapse|"
    r"(?:risk|rates?|odds|hazard) of relapse|relapse (?:risk|rates?|hazard)",
    re.IGNORECASE,
)
# A benefit that lasts: weeks or months after treatment.
_LASTS = re.compile(
    r"\b(?:sustained|persist(?:ed|ing|s)|maintained|lasted|lasting|durable|retained|kept|"
    r"(?:remained|stayed) (?:significant|lower|improved|better|reduced|in remission|well|"
    r"remitted)|still (?:significant|present|in remission)|"
    r"long-term (?:benefit|improvement|reduction|efficacy|remission))\b",
    re.IGNORECASE,
)
# A follow-up of a month or more: what a benefit must reach to count as lasting without
# treatment.
_MONTHS = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|nine|twelve)[- ]months?\b|"
    r"\b(?:2[89]|[3-9]\d|[1-9]\d\d) days\b|\bdays? (?:2[89]|[3-9]\d|[1-9]\d\d)\b|"
    r"\b(?:several|many|for|to|over) months\b|"
    r"\b(?:[4-9]|1\d|four|five|six|eight|ten|twelve)[- ]weeks?\b|"
    r"\b(?:one|1)[- ]year\b|\blong-term\b",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"\b(?:improv\w*|reduc\w*|decreas\w*|effective|efficac\w*|benefi\w*|superior|faster|"
    r"alleviat\w*|relie[fv]\w*|enhanc\w*|promot\w*|restor\w*|remission|responders?|response rates?|"
    r"noninferior|significant(?:ly)? (?:greater|lower|higher|larger|more|less|fewer|better)|"
    r"outperform\w*|increas\w*|abstinen\w*|support\w*|"
    r"favou?r(?:ed|s|ing)|"
    r"(?:lower|fewer|less) (?:\w+ ){0,3}(?:scores?|symptoms?|severity|ideation)|higher (?:\w+ ){0,3}rates?)\b",
    re.IGNORECASE,
)
# Phrases whose positive word is negated ("did not improve"): removed before reading positives.
_NEGATED = re.compile(
    r"\b(?:did not|does not|do not|was not|were not|is not|are not|not|no|failed to|unable to|"
    r"without)\s+(?:\w+\s+)?\w+",
    re.IGNORECASE,
)
# Sentences about a meta-analysis's statistics, not its findings.
_STATISTICS = re.compile(
    r"\b(?:heterogeneity|publication bias|risk of bias|egger|funnel plot|I2|I²)\b", re.IGNORECASE
)
_STATISTICS_CLAUSE = re.compile(
    r"[;:]|,? (?:but|while|whereas|although|though|however|yet) |, and ", re.IGNORECASE
)
# What names the outcome a trial is judged on: the primary outcome, or a symptom scale.
_PRIMARY = re.compile(
    r"\bprimary\b|\bmain outcome\b|\bend ?point\b|\bMADRS\b|\bHAM-?D\b|\bHDRS\b|\bQIDS\b|"
    r"\bBDI\b|\bPHQ-?9\b|\bCAPS(?:-5)?\b|\bPCL(?:-5)?\b|\bY-?BOCS\b|\bHAM-?A\b|\bEPDS\b|"
    r"\b(?:depression|depressive|symptom|anxiety|PTSD) (?:\w+ )?scores?\b|\bremission\b|"
    r"\bresponse rates?\b",
    re.IGNORECASE,
)
# "Both groups improved": an improvement the control shared is no benefit of the drug.
_BOTH_ARMS = re.compile(r"\b(?:both|all|either) (?:groups?|arms?|conditions)\b", re.IGNORECASE)
_SECONDARY = re.compile(r"\b(?:secondary|exploratory|post[- ]hoc|subgroup)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[;:]|,? (?:but|while|whereas|although|though|however|yet) ", re.IGNORECASE)
# A measure that went down, or up: a claim that ketamine increases connectivity or plasticity is
# not borne out by connectivity that fell. A fall in symptoms is the benefit, not such a fall.
_FALL = re.compile(
    r"\b(?:reduc|decreas|lower|weaker|diminish|attenuat|suppress)\w*\b(?! (?:[\w-]+ ){0,3}?"
    r"(?:depress|symptom|suicid|anxiety|score|severity|ideation|craving|PTSD|anhedonia))",
    re.IGNORECASE,
)
_RISE = re.compile(
    r"\b(?:increas|enhanc|higher|greater|stronger|restor|promot|elevat|strengthen)\w*",
    re.IGNORECASE,
)
_NONINFERIOR = re.compile(r"\bnon[- ]?inferior(ity)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Tone:
    """What a passage says of the outcome it reports."""

    null: bool  # a null or negative result on an outcome
    positive: bool  # a benefit
    fades: bool  # a benefit that did not last
    lasts: bool  # a benefit that lasted
    lasts_months: bool = False  # ... for months
    null_primary: bool = False  # a null result said of the primary outcome
    secondary_only: bool = False  # every benefit it reports is a secondary or exploratory one
    falls: bool = False  # a measure went down (and nothing went up)
    gone_later: bool = False  # better than control at first, no better later, said at once
    weak: bool = False  # its only null finding is evidence of low certainty (then: mixed)

    @property
    def over_time(self) -> bool:
        """It tells how a benefit went over time: it faded, or it lasted months."""
        return self.fades or self.lasts_months


def _normalise(text: str) -> str:
    # "non-inferior" and "noninferiority" read alike; "not non-inferior" stays negative.
    return _NONINFERIOR.sub(lambda m: "noninferior" + (m[1] or ""), text)


def _fades_in(sentence: str) -> bool:
    """An effect that did not last, unless what faded was a side effect ("dissociation was
    transient") or a relapse was prevented."""
    if _PREVENTED.search(sentence):
        return False
    for match in _FADES.finditer(sentence):
        nearby = sentence[max(0, match.start() - 50) : match.end() + 40]
        # "returned to baseline levels" is the outcome coming back, not a baseline comparison.
        if not _NOT_OUTCOME.search(nearby.replace("to baseline", "")):
            return True
    return False


# An interval that holds no effect: a ratio's 95% CI spanning 1, a difference's spanning 0.
_RATIO_CI = re.compile(
    r"\b(?:[HOR]R|IRR|(?:hazard|odds|risk|rate) ratio|relative risk)\b(?:[^.;]|\.\d){0,50}?CI[,:]?\s*"
    r"(\d+(?:\.\d+)?)\s*(?:-|–|to|,)\s*(\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_DIFFERENCE_CI = re.compile(
    r"\b(?:difference|MD|SMD|effect size|[dg])\b(?:[^.;]|\.\d){0,50}?CI[,:]?\s*"
    r"([-−–]?\s?\d+(?:\.\d+)?)\s*(?:to|,)\s*([-−–]?\s?\d+(?:\.\d+)?)",
    re.IGNORECASE,
)


# A p-value as abstracts print it: "p = 0.62", "P=.41", "p > 0.05".
_P_VALUE = re.compile(r"\bp\s*([=<>≤≥]|&lt;|&gt;)\s*(0?\.\d+|1(?:\.0+)?)\b", re.IGNORECASE)


def _p_values_null(clause: str) -> bool:
    """Every p-value the clause gives is above 0.05: what it compares did not differ."""
    values = _P_VALUE.findall(clause)
    if not values or _NOT_OUTCOME.search(clause):
        return False
    return all(sign not in ("<", "≤", "&lt;") and float(v) > 0.05 for sign, v in values)


def _number(text: str) -> float:
    return float(text.replace(" ", "").replace("−", "-").replace("–", "-"))


def _interval_holds_no_effect(sentence: str) -> bool:
    if _NOT_OUTCOME.search(sentence):
        return False  # an interval for adverse events or a baseline figure says nothing here
    spans = [(m, 1) for m in _RATIO_CI.finditer(sentence)]
    spans += [(m, 0) for m in _DIFFERENCE_CI.finditer(sentence)]
    return any(_number(m[1]) <= none <= _number(m[2]) for m, none in spans)


# "8.4% worsened", "a few patients got worse": some worsened while most improved.
_SOME_WORSENED = re.compile(
    r"(?:\d%|\bfew|\bminority|\bsmall (?:number|proportion)|\bsome)[^,;]{0,25}$", re.IGNORECASE
)


def _null_in(sentence: str, pattern: re.Pattern[str] = _NULL) -> bool:
    for match in pattern.finditer(sentence):
        nearby = sentence[max(0, match.start() - 40) : match.end() + 50]
        if _NOT_OUTCOME.search(nearby):
            continue
        if match.group(0).lower().startswith(("worse", "worsen")) and _SOME_WORSENED.search(
            sentence, 0, match.start()
        ):
            continue
        return True
    return False


# Cheap tests that rule most sentences out before an expression runs: the literal pieces
# every match of it contains (lower case).
_NULL_HINTS = (
    "no", "not", "fail", "similar", "comparable", "equivalent", "worse", "inferior", "lack",
    "indistinguishable", "ineffective", "neither", "equally", "less",
    "absence", "negative", "aggravat", "exacerbat", "worsen", "below", "missed", "differ",
    "certainty", "quality", "evidence", "inconsist", "inconclus", "conflict", "mixed", "remain",
    "futil", "null", "favo", "superior", "better", "outperform", "more effective", "as effective",
    "higher", "greater", "improved less", "increas", "required", "necessary", "needed",
)  # fmt: skip
_P_HINTS = ("p =", "p=", "p >", "p>", "p ≥", "p≥", "p &gt;")
_WEAK_HINTS = (
    "evidence", "inconsist", "inconclus", "conflict", "mixed", "remain", "robust", "limited",
    "proof", "certainty",
)  # fmt: skip
_FADE_HINTS = (
    "fad", "wan", "relaps", "baseline", "sustain", "maintain", "durable", "short", "transient",
    "disappear", "vanish", "emerg", "rose again", "converged", "but not",
    "diminish", "dissipat", "longer", "loss of", "lost", "persist", "last", "gone", "absent",
    "temporar", "return", "recurr", "beyond", "outlast", "to the first",
)  # fmt: skip
_LAST_HINTS = (
    "sustain", "persist", "maintain", "last", "durable", "remain", "still", "long-term", "retain",
    "kept", "stayed",
)  # fmt: skip
_STATISTICS_HINTS = (
    "heterogen",
    "bias",
    "egger",
    "funnel",
    "i2",
    "i²",
    "certainty",
    "quality",
    "grade",
)


def _has(lowered: str, hints: tuple[str, ...]) -> bool:
    return any(map(lowered.__contains__, hints))


@lru_cache(maxsize=8192)
def _sentence_tone(sentence: str) -> Tone:
    """One sentence read once (a study's claims mostly weigh the same sentences)."""
    lowered = sentence.lower()
    if _has(lowered, _STATISTICS_HINTS) and _STATISTICS.search(sentence):
        # Only the clauses about the statistics say nothing of the claim.
        kept = [c for c in _STATISTICS_CLAUSE.split(sentence) if not _STATISTICS.search(c)]
        if not kept:
            return Tone(False, False, False, False)
        sentence = ", ".join(kept)
        lowered = sentence.lower()
    text = _normalise(sentence) if "inferior" in lowered else sentence
    # A clause that reports a null result is not also read for a benefit: "not more effective
    # than midazolam for reducing symptoms" names a reduction it did not find.
    maybe_null = _has(lowered, _NULL_HINTS)
    # Only a p-value printed with "=" or ">" can show no difference.
    has_p = _has(lowered, _P_HINTS) and bool(_P_VALUE.search(text))
    clauses = [
        (c, (maybe_null and _null_in(c)) or (has_p and _p_values_null(c)))
        for c in _CLAUSE.split(text)
    ]
    weak = (
        _has(lowered, _WEAK_HINTS)
        and not any(found for _c, found in clauses)
        and any(_null_in(c, _WEAK) for c, _found in clauses)
    )
    if weak:
        clauses = [(c, _null_in(c, _WEAK)) for c, _found in clauses]
    null = any(found for _c, found in clauses) or (
        "ci" in lowered and _interval_holds_no_effect(text)
    )
    benefits = [
        c
        for c, found in clauses
        if not found and not _BOTH_ARMS.search(c) and _POSITIVE.search(_NEGATED.sub(" ", c))
    ]
    benefit = bool(benefits)
    short_lived = bool(_SHORT_LIVED.search(text)) or (
        "only" in lowered and bool(_FEW_KEPT.search(text))
    )
    # Better at first, no better than control later: "scores were lower in the first week, but
    # not after 4 weeks".
    gone_later = benefit and any(found and _LATER.search(c) for c, found in clauses)
    lasts = _has(lowered, _LAST_HINTS) and bool(_LASTS.search(text)) and not (null or short_lived)
    fades = short_lived or gone_later or (_has(lowered, _FADE_HINTS) and _fades_in(text))
    return Tone(
        null=null,
        weak=weak,
        positive=benefit,
        fades=fades,
        lasts=lasts,
        lasts_months=lasts and bool(_MONTHS.search(text)),
        # The outcome a trial is judged on missed, or the sentence says it helped and then did
        # not (better in the first week, no better after four).
        null_primary=null and (bool(_PRIMARY.search(text)) or benefit),
        secondary_only=benefit and all(_SECONDARY.search(c) for c in benefits),
        falls=bool(_FALL.search(text)) and not _RISE.search(text),
        gone_later=gone_later,
    )


# A null association ("cytokine changes did not predict response", "dissociation and
# improvement were not correlated") says what goes with a benefit, not whether there was one.
_NO_ASSOCIATION = re.compile(
    r"\b(?:(?:was|were|is|are) not (?:significantly |statistically |directly )?(?:correlated|associated|"
    r"related|linked)|did not (?:significantly )?(?:correlate|predict|mediate)|unrelated to|"
    r"correlations? (?:\w+ ){0,5}?(?:was|were) (?:non-?significant|not significant)|"
    r"no (?:significant )?(?:correlation|association|relationship)|"
    r"differ\w* (?:\w+ ){0,2}between (?:\w+ ){0,2}with and without)\b",
    re.IGNORECASE,
)


_ARMS = re.compile(r"\b(?:allocation|assignment|arms?|groups?|randomi[sz]\w*)\b", re.IGNORECASE)


def _finds_no_association(sentence: str) -> bool:
    """Does the sentence find that something did not go with the outcome? "Treatment allocation
    was not associated with outcome" is a null trial, not that."""
    return bool(_NO_ASSOCIATION.search(sentence)) and not _ARMS.search(sentence)


@lru_cache(maxsize=8192)
def only_an_association(sentence: str) -> bool:
    """Is the sentence's null finding only that something did not go with the outcome?"""
    if not _finds_no_association(sentence):
        return False
    return not _sentence_tone(_NO_ASSOCIATION.sub("", sentence)).null


def read_associations(sentences: list[str]) -> Tone:
    """Read sentences about what goes with the benefit (a brain measure, the experience under
    the drug): one that finds no association is a null finding, whatever benefit it names."""
    unrelated = [s for s in sentences if _finds_no_association(s)]
    if not unrelated:
        return read_tone(sentences)
    return replace(read_tone([s for s in sentences if s not in unrelated]), null=True)


def goes_against(sentence: str) -> bool:
    """Does the sentence report a null, negative or faded result?"""
    tone = _sentence_tone(sentence)
    return tone.null or tone.fades


def read_tone(sentences: list[str]) -> Tone:
    """Read a study's finding sentences (conclusions first)."""
    null = positive = fades = lasts = months = primary = falls = later = weak = strong = False
    secondary_only = True
    for sentence in sentences:
        t = _sentence_tone(sentence)
        null |= t.null
        fades |= t.fades
        lasts |= t.lasts
        months |= t.lasts_months
        primary |= t.null_primary
        falls |= t.falls
        later |= t.gone_later
        weak |= t.weak
        strong |= t.null and not t.weak  # a null finding that is not a matter of certainty
        if t.positive:
            positive = True
            secondary_only &= t.secondary_only
    return Tone(
        null=null,
        positive=positive,
        fades=fades,
        lasts=lasts,
        lasts_months=months,
        null_primary=primary,
        secondary_only=positive and secondary_only,
        falls=falls,
        gone_later=later,
        weak=weak and not strong,
    )
