"""Readable labels for the reason codes of `checks.run_checks`, for the CLI's --json and the UI:
a learner is told how many drafts were rejected and why, in words."""

from __future__ import annotations

from collections.abc import Mapping

# Every reason code `checks.run_checks` can give, as people read it ("3 drafts rejected: <label>").
FLAW_CHECKS: dict[str, str] = {
    "schema": "the draft is not a well-formed item",
    "option_letters": "the option letters do not run A, B, C, ...",
    "empty_option": "an option is empty",
    "answer_not_in_options": "the answer is not one of the options",
    "key_count": "the number of options or keys does not fit the item type",
    "explanation_letters": "an explanation belongs to no option",
    "premises": "the premises do not fit the item type",
    "options_not_distinct": "two options say the same thing",
    "all_none_of_the_above": 'an option is "all/none of the above"',
    "no_citation": "no citation of the guide",
    "citation_not_retrieved": "the citation is not among the retrieved passages",
    "quote_too_short": "the quote is too short to support anything",
    "quote_not_in_passage": "the quote is not verbatim in its passage",
    "key_unsupported": "the quoted text does not support the key",
    "unknown_service": "an option names a service the guide does not know",
    "distractor_not_in_guide": "a distractor is not a term of the guide",
    "distractor_kind_mismatch": "a distractor is of another kind than the key (implausible)",
    "length_giveaway": "the key is the longest option",
    "stem_copy": "the key repeats a phrase of the stem",
    "near_duplicate_bank": "a near-duplicate of a question already in the bank",
    "leaks_eval": "a near-duplicate of an evaluation question",
    "blind_solve_mismatch": "the blind solver did not reach the key",
    "verbatim_corpus": "the stem copies 7 or more words of a corpus line",
    "key_word_in_stem": "the stem repeats a distinctive word of the key",
    "premise_cues_option": "a matching premise repeats a word of its own option",
    "absolute_terms": 'only distractors use absolute words ("always", "never", ...)',
    "negative_not_emphasised": "a negative question without NOT or EXCEPT in capitals",
    "options_mixed_kind": "the options mix kinds (a service among concepts)",
    "options_mixed_grammar": "the options mix grammatical forms",
    "article_error": 'an "a/an" error',
    "possessive_error": "a possessive error",
    "doubled_word": "a doubled word",
    "unbalanced_marks": "unbalanced brackets or quotes",
    "truncated_text": "a sentence, clause or list is cut off mid-way",
    "ungrammatical_slot": "a phrase of the wrong grammatical form, or a sentence with no verb",
    "ungrammatical_explanation": "an explanation is ungrammatical or cut off",
    "second_key": "the knowledge layer finds a distractor nearly as well supported as the key",
    "distractor_same_need": "the guide links a distractor to the same need as the key",
    "options_same_entity": "two options name the same thing",
    "option_parent_of_option": "an option is the parent of another option (both would be true)",
    "options_off_ask": "an option is not of the kind the question asks for",
    "options_not_actions": "the question asks what to do, the options are names, not actions",
    "vague_stem": "the stem's only need is a short, generic requirement that points at no one option",
    "activity_in_two_phases": "the activity belongs to more than one phase in the guide (two defensible keys)",
}


def describe_reasons(counter: Mapping[str, int]) -> list[str]:
    """Rejected drafts counted by reason, most frequent first: "3 drafts rejected: the key is the
    longest option". Unknown codes are shown with spaces for underscores."""
    ranked = sorted(((n, code) for code, n in counter.items() if n > 0), key=lambda x: (-x[0], x[1]))
    return [
        f"{n} draft{'s' if n != 1 else ''} rejected: {FLAW_CHECKS.get(code, code.replace('_', ' '))}"
        for n, code in ranked
    ]
