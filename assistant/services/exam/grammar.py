"""Truncated and ungrammatical text, found with closed lists of English function words (no tagger).

A template that cuts a cue "at a phrase boundary" or drops a clause into the wrong slot leaves
marks that need no part-of-speech model to see:
- a sentence that ends on an article, a determiner, a preposition, a conjunction, an auxiliary or a
  verb that needs its preposition ("checking that the model relies.");
- a subordinate clause with no verb at the end ("alerts are wanted when inputs.");
- a list cut mid-way: "between a, b." or a sentence-final run of three or more short comma items
  with no "and"/"or" ("computing accuracy, precision, recall, F1, AUC.");
- a slot of the wrong form: a bare verb where a gerund belongs ("involves bring your own script"),
  a second finite verb right after "is" ("the team is nothing has been collected"), "to" + article;
- a stem sentence that cannot be an imperative and has no verb at all ("CI/CD for the code.").
Each rule returns the offending words, so a rejected draft can be shown why. The first three give the
reason code "truncated_text", the slot and verbless rules "ungrammatical_slot". English grammar lives
here, in code; nothing of any guide does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.services.text import clean, sentences

ARTICLES = frozenset({"a", "an", "the"})
# Determiners that need a noun after them ("this", "that", "each", "any", "both" can stand alone).
DETERMINERS = frozenset(
    {"every", "its", "their", "our", "your", "my", "his", "whose", "several", "various", "another", "such", "no"}
)
# Prepositions (all of them, for the clause rules) and those that are never stranded at the end of a
# statement ("data the model learned from", "the registry a step writes to" are English).
PREPOSITIONS = frozenset(
    {"of", "to", "for", "with", "by", "from", "into", "onto", "between", "among", "against", "during",
     "than", "via", "toward", "towards", "without", "within", "across", "per", "upon", "like", "versus", "vs"}
)  # fmt: skip
UNSTRANDED = frozenset({"of", "between", "among", "than", "via", "per", "versus", "vs", "during", "onto", "toward"})
CONJUNCTIONS = frozenset({"and", "or", "but", "nor", "because", "if", "whether", "although", "unless", "while"})
AUXILIARIES = frozenset(
    {"is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "do", "does", "did",
     "can", "could", "will", "would", "shall", "should", "must", "may", "might"}
)  # fmt: skip
# Auxiliaries that end no statement unless an ellipsis ("as it should"); "the data is" ends a wh-clause.
END_AUXILIARIES = frozenset({"be", "been", "being", "can", "could", "will", "would", "shall", "should", "must"})
FINITE = frozenset(
    {"is", "are", "was", "were", "has", "have", "had", "can", "could", "will", "would", "must", "should"}
)
# Verbs that cannot end a clause without their preposition ("relies on", "consists of").
PREPOSITIONAL_VERBS = frozenset(
    {"rely", "relies", "relied", "depend", "depends", "consist", "consists", "refer", "refers", "belong",
     "belongs", "adhere", "adheres", "conform", "conforms", "pertain", "pertains"}
)  # fmt: skip
SUBORDINATORS = frozenset({"when", "whenever", "if", "whether", "because", "although", "unless"})
PRONOUNS = frozenset({"it", "they", "we", "he", "she", "you", "i", "this", "that", "these", "those", "there"})
# One word may finish an elliptical clause: "when needed", "if possible", "where applicable".
_ELLIPTICAL = re.compile(r"(?:ed|en|ing|ly|ble|ary|ate|ant|ent|ful|ous|ive)$|^(?:so|ready|not|any|ever)$")
# Verbs after which a second verb takes "-ing" ("involves training", not "involves train").
GERUND_VERBS = frozenset(
    {"involves", "involve", "involved", "involving", "avoid", "avoids", "consider", "considers",
     "recommend", "recommends", "include", "includes", "enjoy", "finish", "finishes", "keep", "keeps"}
)  # fmt: skip
NOUN_STARTERS = ARTICLES | DETERMINERS | {"this", "these", "those", "each", "any", "some", "all", "both"}
LIST_OPENERS = ("between", "both", "either", "such as", "including")
LIST_JOINERS = frozenset({"and", "or", "nor", "etc", "versus", "vs", "plus", "&"})
# Words that make a sentence a clause, or (capitalised first) an imperative we cannot judge.
_VERB_SHAPE = re.compile(r"(?:ed|ing|[^su]s|es)$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'/-]*|\d[\w.%-]*")
_NUMBERED = re.compile(r"\(\d{1,2}\)\s*")  # "(1) ... (2) ...": markers only, the sentences split as usual


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _final(sentence: str) -> str:
    """The sentence without brackets at its end and its closing marks ("(Select TWO.)" is not text)."""
    sentence = re.sub(r"\s*\((?:select|choose)\s+\w+\.?\)\s*$", "", sentence.strip(), flags=re.IGNORECASE)
    return sentence.rstrip(" .!?;:\"')")


def dangling_end(sentence: str) -> str | None:
    """The sentence ends on a word that needs more after it: "... when the.", "... model relies.".
    A question may end on its preposition ("Which phase does this belong to?"), and an auxiliary
    may end an ellipsis after a pronoun or a modal ("as it is", "rules would do")."""
    ws = words(_final(sentence))
    if len(ws) < 2 or sentence.rstrip().endswith(":"):  # "The key phases are:" introduces a list
        return None
    last, before = ws[-1], ws[-2]
    ended = ARTICLES | DETERMINERS | CONJUNCTIONS | PREPOSITIONAL_VERBS
    if not sentence.rstrip().endswith("?"):
        ended |= UNSTRANDED
        if before not in PRONOUNS | AUXILIARIES | {"not"}:
            ended |= END_AUXILIARIES
    if last in ended:
        return " ".join(ws[-2:])
    if last == "other" and ws[-2] in {"every", "another", "no"}:
        return " ".join(ws[-2:])
    return None


def verbless_clause(sentence: str) -> str | None:
    """A subordinate clause at the end with no verb: "alerts are wanted when inputs"."""
    ws = words(_final(sentence))
    for i in range(len(ws) - 1, max(-1, len(ws) - 5), -1):
        if ws[i] not in SUBORDINATORS:
            continue
        rest = ws[i + 1 :]
        if not rest or rest[0] in PRONOUNS | PREPOSITIONS | {"in", "on", "at", "under"} or AUXILIARIES & set(rest):
            return None
        if len(rest) == 1 and not _ELLIPTICAL.search(rest[0]):
            return " ".join(ws[i:])
        if len(rest) > 1 and not any(_VERB_SHAPE.search(w) for w in rest):
            return " ".join(ws[i:])
        return None
    return None


def _bare_list(text: str) -> bool:
    """Comma items of a few words, with no conjunction and no verb: "a classifier, a regressor"."""
    items = [words(p) for p in text.split(",")]
    flat = [w for item in items for w in item]
    if LIST_JOINERS & set(flat) or any(len(item) > 4 for item in items):
        return False
    return not any(w in AUXILIARIES or _VERB_SHAPE.search(w) for item in items[1:] for w in item[1:])


def cut_list(sentence: str, *, lead: int = 0) -> str | None:
    """A list that stops before its last item: "between a classifier, a regressor." (no "and"), or a
    sentence ending in three or more short comma items with no conjunction ("precision, recall, F1").
    `lead`: how many words must come before such a run (a bare list is a fine option: "Ingestion,
    processing, training")."""
    text = _final(re.sub(r"\s*\([^()]*\)[\s.!?]*$", "", sentence))  # a closing "(a, b, c)" is an aside
    low = text.casefold()
    for opener in LIST_OPENERS:
        m = re.search(rf"\b{opener}\b(.*)$", low)
        if m and "," in m.group(1) and _bare_list(m.group(1)):
            return f"{opener}{m.group(1)}"
    if ":" in text:
        return None  # "a mental map: S3 for storage, Glue for ETL, ..." enumerates after its colon
    parts = [p.strip() for p in text.split(",")]
    tail = parts[-3:] if len(parts) >= 3 else []
    short = tail and all(0 < len(words(p)) <= 3 for p in tail) and len(words(parts[0])) > lead
    if short and not LIST_JOINERS & set(words(", ".join(tail))):
        return ", ".join(tail)
    return None


_WH = frozenset({"what", "how", "why", "whether", "that", "which", "who"})


def _finite_soon(ws: list[str]) -> bool:
    """After "is": a finite verb one or two words on ("is nothing has"), past no participle
    ("is approved can" opens a main clause after a relative one)."""
    if len(ws) < 2 or re.search(r"(?:ed|en)$", ws[0]):
        return False
    return ws[1] in FINITE or (len(ws) > 2 and ws[1] not in CONJUNCTIONS and ws[2] in FINITE)


def _gerund(word: str) -> bool:
    """ "training", "using"; not "bring", "string" (no vowel before the "-ing")."""
    return word.endswith("ing") and bool(re.search(r"[aeiouy]", word[:-3]))


def wrong_slot(sentence: str) -> str | None:
    """A phrase of the wrong form in a template slot: "involves bring your own", "is nothing has",
    "needs to the model"."""
    ws = words(sentence)
    for i, w in enumerate(ws[:-2]):
        nxt, after = ws[i + 1], ws[i + 2]
        if w in GERUND_VERBS and not _gerund(nxt) and nxt not in NOUN_STARTERS and after in NOUN_STARTERS:
            return f"{w} {nxt} {after}"
        verb = ws[i - 1] if i > 0 and (i < 2 or ws[i - 2] not in NOUN_STARTERS) else ""  # "each need to" is a noun
        if w == "to" and verb in {"needs", "need", "wants", "want", "has", "have"} and nxt in ARTICLES:
            return f"{verb} to {nxt}"
        relative = i > 0 and ws[i - 1] in _WH  # "a model that is approved can deploy"
        if w in {"is", "are"} and not relative and nxt not in _WH and _finite_soon(ws[i + 1 : i + 4]):
            return " ".join(ws[i : i + 4])
    return None


# Quantity adjectives that never fill "as ... as" ("as many positives as", not "as numerous positives as").
UNGRADED = frozenset({"numerous", "multiple", "several", "various", "countless", "each", "every", "entire"})
CONNECTIVES = ("in addition", "also", "additionally", "moreover", "furthermore", "besides")
NOT_IMPERATIVE = ARTICLES | DETERMINERS | PRONOUNS | PREPOSITIONS | {"each", "any", "some", "all", "both", "most"}


def degree_phrase(sentence: str) -> str | None:
    """ "as <word> [noun] as" whose word takes no degree: "as numerous positives as possible"."""
    m = re.search(r"\bas ((?:[\w-]+ ){1,2})as\b", " ".join(words(sentence)))
    if m and m.group(1).split()[0] in UNGRADED:
        return m.group(0)
    return None


def connective_imperative(sentence: str) -> str | None:
    """A bare instruction after a connective, where a statement belongs: "In addition, release the app
    whenever ..." (an imperative has no subject; "In addition, the team must ..." is a statement)."""
    ws = words(sentence)
    for c in CONNECTIVES:
        n = len(c.split())
        if ws[:n] == c.split() and len(ws) > n + 1:
            verb, nxt = ws[n], ws[n + 1]
            bare = verb not in NOT_IMPERATIVE | AUXILIARIES and not _VERB_SHAPE.search(verb)
            if bare and nxt in ARTICLES | DETERMINERS | {"its", "each", "any", "all"}:
                return f"{c}, {verb} {nxt}"
    return None


def verbless_sentence(sentence: str) -> str | None:
    """A stem sentence that is no imperative (it opens with an article, a connective or an acronym)
    and has no verb: "CI/CD for the code.", "In addition, a hand-made approval gate.". After a colon
    ("A note reads: ...") the part that follows is judged alone."""
    ws = _WORD.findall(_final(sentence.rsplit(": ", 1)[-1]))
    if len(ws) < 3 or sentence.rstrip().endswith(("?", ":")):
        return None
    first = ws[0]
    opener = first.casefold() in ARTICLES | {"in", "also", "plus", "additionally", "another"} or (
        len(first) > 1 and first.replace("/", "").isupper()
    )
    low = [w.casefold() for w in ws]
    if not opener or any(w in AUXILIARIES or _VERB_SHAPE.search(w) for w in low):
        return None
    return " ".join(ws)


def text_sentences(text: str) -> list[str]:
    """Sentences of `text` (numbered-requirement markers dropped)."""
    return [s for s in sentences(_NUMBERED.sub("", clean(text))) if s.strip()]


TRUNCATION = (dangling_end, verbless_clause, cut_list)
SLOT = (wrong_slot, verbless_sentence, degree_phrase, connective_imperative)


def phrase_problem(text: str, *, lead: int = 3) -> tuple[str, str] | None:
    """(reason code, offending words) for an option or premise (a phrase, perhaps no sentence)."""
    for sentence in text_sentences(text):
        for rule in (dangling_end, verbless_clause, cut_list, wrong_slot, degree_phrase, connective_imperative):
            found = rule(sentence, lead=lead) if rule is cut_list else rule(sentence)
            if found:
                return ("truncated_text" if rule in TRUNCATION else "ungrammatical_slot"), found
    return None


def stem_problem(text: str) -> tuple[str, str] | None:
    """(reason code, offending words) for a stem or scenario: cut, mis-slotted, or a sentence with no verb."""
    items = {s for part in _NUMBERED.split(clean(text))[1:] for s in sentences(part)[:1]}
    for sentence in text_sentences(text):
        found = phrase_problem(sentence, lead=0)
        if found:
            return found
        words_ = None if sentence in items else verbless_sentence(sentence)  # "(2) A central catalog." is a list item
        if words_:
            return "ungrammatical_slot", words_
    return None


def grammar_problems(stem: str, phrases: Iterable[str]) -> list[tuple[str, str]]:
    """Every (reason code, offending words) of an item: its stem (and scenario), options and premises."""
    found = [stem_problem(stem)] + [phrase_problem(p) for p in phrases]
    return [f for f in found if f]


def grammar_reason(stem: str, phrases: Iterable[str]) -> str | None:
    """The first reason code: "truncated_text" (cut sentence, clause or list) or "ungrammatical_slot"."""
    found = grammar_problems(stem, phrases)
    return found[0][0] if found else None


# -- explanations ---------------------------------------------------------------------------------------
_QUOTE = re.compile(r"“[^”]*”|\"[^\"]*\"")
# Words in -s after "is" that are no verb: adverbs and prepositions ("is always the", "is across a").
_S_NOT_VERB = frozenset(
    {"always", "perhaps", "sometimes", "across", "towards", "afterwards", "thus", "plus", "less", "ones"}
)
_COPULA_VERB = re.compile(
    r"\b(?:is|are) ([a-z]+s) (?:and [a-z]+s\b|a\b|an\b|the\b|many\b|its\b|their\b|each\b|all\b|every\b)"
)
_MID_ARTICLE = re.compile(r"(?<=[a-z,] )(?:A|An|The) (?=[a-z])")


def copula_verb(sentence: str) -> str | None:
    """A verb phrase pasted after "is": "Experiments is tracks and compares", "Tuning is runs many"."""
    for m in _COPULA_VERB.finditer(sentence):
        w = m.group(1)
        if w not in _S_NOT_VERB and not w.endswith(("ss", "us", "is", "ys", "cs")):
            return m.group(0)
    return None


def explanation_problem(text: str) -> tuple[str, str] | None:
    """(reason code, offending words) for an explanation. Quoted corpus text is the documents' own words
    and is left out; the words around it, and any definition framed into a sentence, are checked with the
    option rules, plus a verb phrase after "is" and a capitalised article mid-sentence ("is A catalog")."""
    bare = _QUOTE.sub("the quote", text)
    for sentence in text_sentences(bare):
        found = copula_verb(sentence) or (m.group(0).strip() if (m := _MID_ARTICLE.search(sentence)) else None)
        if found:
            return "ungrammatical_explanation", found
        if phrase_problem(sentence):
            return "ungrammatical_explanation", phrase_problem(sentence)[1]  # type: ignore[index]
    return None


def explanation_reason(explanations: Iterable[str]) -> str | None:
    """ "ungrammatical_explanation" when any explanation is flagged, else None."""
    return next((p[0] for e in explanations if (p := explanation_problem(e))), None)
