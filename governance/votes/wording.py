"""The decision rules and a ballot's outcome in words, in the reader's language.

Sentences for the result page ("Quorum: 334 participations needed out of 1,000 on the electoral roll
(a third) — reached with 412."), names and descriptions of the majority rules, and the choices of the
ballot form's select fields. Figures come from :mod:`governance.votes.methods.decision`; numbers are
formatted for the reader's locale. Call the sentence functions at request time; the ``*_choices``
functions return lazy labels, so a form may build its choices at import time.
"""
from __future__ import annotations

from flask_babel import LazyString, format_decimal, gettext as _, lazy_gettext as _l, ngettext

from governance.votes.methods.decision import (
    ABSOLUTE,
    COMMON_QUORUM_SHARES,
    MAJORITY_RULES,
    QUORUM_COUNT,
    QUORUM_NONE,
    QUORUM_SHARE,
    SIMPLE,
    Decision,
    MajorityRule,
    Quorum,
    QuorumOutcome,
    parse_quorum,
    parse_rule,
)

_SHARE_NAMES = {
    # i18n: shares of the electoral roll or of the votes, used inside sentences as %(share)s
    # ("Quorum: a third of the electoral roll", "(a third)"), and capitalised alone in a select.
    (1, 2): _l("half"),
    (1, 3): _l("a third"),
    (2, 3): _l("two thirds"),
    (1, 4): _l("a quarter"),
    (3, 4): _l("three quarters"),
    (1, 5): _l("a fifth"),
    (4, 5): _l("four fifths"),
    (1, 10): _l("a tenth"),
}

_RULE_NAMES = {
    "simple": _l("Simple majority"),
    "absolute": _l("Absolute majority"),
    "qualified:2/3": _l("Two-thirds majority"),
    "qualified:3/4": _l("Three-quarters majority"),
    "qualified:4/5": _l("Four-fifths majority"),
}

_RULE_DESCRIPTIONS = {
    "simple": _l("Simple majority: more yes than no votes; abstentions are not counted."),
    "absolute": _l("Absolute majority: more yes votes than no votes and abstentions together."),
    "qualified:2/3": _l("Two-thirds majority of yes and no votes; abstentions are not counted."),
    "qualified:3/4": _l("Three-quarters majority of yes and no votes; abstentions are not counted."),
    "qualified:4/5": _l("Four-fifths majority of yes and no votes; abstentions are not counted."),
}


def _number(value: int) -> str:
    return format_decimal(value)


def _capitalised(text) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


def share_name(numerator: int, denominator: int) -> str:
    """A share in words for the usual ones ("a third", "two thirds"), else as a fraction ("3/5")."""
    name = _SHARE_NAMES.get((numerator, denominator))
    if name is not None:
        return str(name)
    return f"{_number(numerator)}/{_number(denominator)}"


# --- majority rules ----------------------------------------------------------------------------------
def majority_rule_name(rule: str | MajorityRule) -> str:
    """"Simple majority", "Two-thirds majority", or "Qualified majority of 3/5"."""
    rule = parse_rule(rule)
    name = _RULE_NAMES.get(rule.code)
    if name is not None:
        return str(name)
    # i18n: %(share)s is a fraction such as "3/5".
    return _("Qualified majority of %(share)s", share=share_name(rule.numerator, rule.denominator))


def majority_rule_description(rule: str | MajorityRule) -> str:
    """The rule in one sentence, saying what is compared and whether abstentions count."""
    rule = parse_rule(rule)
    description = _RULE_DESCRIPTIONS.get(rule.code)
    if description is not None:
        return str(description)
    return _("Qualified majority: at least %(share)s of the yes and no votes must be yes; abstentions are not "
             "counted.", share=share_name(rule.numerator, rule.denominator))


def majority_sentence(decision: Decision) -> str:
    """Whether the majority was reached, with the figures the rule compares."""
    d = decision
    if d.rule.kind == SIMPLE:
        if d.majority_met:
            return _("Majority reached: %(yes)s yes against %(no)s no.", yes=_number(d.yes), no=_number(d.no))
        return _("Majority not reached: %(yes)s yes against %(no)s no.", yes=_number(d.yes), no=_number(d.no))
    figures = dict(counted=_number(d.counted), yes=_number(d.yes), needed=_number(d.yes_needed),
                   rule=majority_rule_name(d.rule))
    if d.rule.kind == ABSOLUTE:
        if d.majority_met:
            # i18n: %(rule)s is a majority's name ("Absolute majority"); %(counted)s all the votes cast.
            return ngettext("%(rule)s reached: %(yes)s yes out of %(counted)s vote, abstentions included; "
                            "%(needed)s needed.",
                            "%(rule)s reached: %(yes)s yes out of %(counted)s votes, abstentions included; "
                            "%(needed)s needed.", d.counted, **figures)
        return ngettext("%(rule)s not reached: %(yes)s yes out of %(counted)s vote, abstentions included; "
                        "%(needed)s needed.",
                        "%(rule)s not reached: %(yes)s yes out of %(counted)s votes, abstentions included; "
                        "%(needed)s needed.", d.counted, **figures)
    if d.majority_met:
        # i18n: %(rule)s is a majority's name ("Two-thirds majority", "Qualified majority of 3/5").
        return ngettext("%(rule)s reached: %(yes)s yes out of %(counted)s yes or no vote; %(needed)s needed.",
                        "%(rule)s reached: %(yes)s yes out of %(counted)s yes and no votes; %(needed)s needed.",
                        d.counted, **figures)
    return ngettext("%(rule)s not reached: %(yes)s yes out of %(counted)s yes or no vote; %(needed)s needed.",
                    "%(rule)s not reached: %(yes)s yes out of %(counted)s yes and no votes; %(needed)s needed.",
                    d.counted, **figures)


# --- quorum ------------------------------------------------------------------------------------------
def quorum_name(quorum: str | Quorum | None, *, at_assembly: bool = False) -> str:
    """The quorum before the vote: "No quorum", "Quorum: a third of the electoral roll",
    "Quorum: 250 participations". At an assembly the share is of the members present or represented."""
    quorum = parse_quorum(quorum)
    if quorum.kind == QUORUM_SHARE:
        share = share_name(quorum.numerator, quorum.denominator)
        if at_assembly:
            return _("Quorum: %(share)s of the members present or represented", share=share)
        return _("Quorum: %(share)s of the electoral roll", share=share)
    if quorum.kind == QUORUM_COUNT:
        return ngettext("Quorum: %(number)s participation", "Quorum: %(number)s participations", quorum.number,
                        number=_number(quorum.number))
    return _("No quorum")


def quorum_sentence(outcome: QuorumOutcome, *, at_assembly: bool = False) -> str:
    """Whether the quorum was reached, with the threshold, the base and the participations.

    Works for every method: pass ``decision.quorum`` or the result of
    :func:`~governance.votes.methods.decision.quorum_outcome`."""
    o = outcome
    if o.kind == QUORUM_NONE:
        return _("No quorum was required.")
    figures = dict(threshold=_number(o.threshold), base=_number(o.base), participations=_number(o.participations))
    if o.kind == QUORUM_COUNT:
        if o.met:
            return ngettext("Quorum: %(threshold)s participation needed — reached with %(participations)s.",
                            "Quorum: %(threshold)s participations needed — reached with %(participations)s.",
                            o.threshold, **figures)
        return ngettext("Quorum: %(threshold)s participation needed — not reached, with %(participations)s.",
                        "Quorum: %(threshold)s participations needed — not reached, with %(participations)s.",
                        o.threshold, **figures)
    figures["share"] = share_name(o.quorum.numerator, o.quorum.denominator)
    if at_assembly:
        if o.met:
            # i18n: %(share)s is a share in words ("a third") or a fraction ("3/10").
            return ngettext("Quorum: %(threshold)s participation needed out of %(base)s members present or "
                            "represented (%(share)s) — reached with %(participations)s.",
                            "Quorum: %(threshold)s participations needed out of %(base)s members present or "
                            "represented (%(share)s) — reached with %(participations)s.", o.threshold, **figures)
        return ngettext("Quorum: %(threshold)s participation needed out of %(base)s members present or "
                        "represented (%(share)s) — not reached, with %(participations)s.",
                        "Quorum: %(threshold)s participations needed out of %(base)s members present or "
                        "represented (%(share)s) — not reached, with %(participations)s.", o.threshold, **figures)
    if o.met:
        return ngettext("Quorum: %(threshold)s participation needed out of %(base)s on the electoral roll "
                        "(%(share)s) — reached with %(participations)s.",
                        "Quorum: %(threshold)s participations needed out of %(base)s on the electoral roll "
                        "(%(share)s) — reached with %(participations)s.", o.threshold, **figures)
    return ngettext("Quorum: %(threshold)s participation needed out of %(base)s on the electoral roll "
                    "(%(share)s) — not reached, with %(participations)s.",
                    "Quorum: %(threshold)s participations needed out of %(base)s on the electoral roll "
                    "(%(share)s) — not reached, with %(participations)s.", o.threshold, **figures)


# --- the outcome -------------------------------------------------------------------------------------
def outcome_label(decision: Decision) -> str:
    """"Adopted" or "Not adopted"."""
    return _("Adopted") if decision.adopted else _("Not adopted")


def outcome_sentence(decision: Decision) -> str:
    """Whether the proposal is adopted, and why not."""
    d = decision
    if d.adopted:
        if d.quorum.is_required:
            return _("Adopted: the quorum and the majority were both reached.")
        return _("Adopted: the majority was reached.")
    if not d.quorum_met and not d.majority_met:
        return _("Not adopted: neither the quorum nor the majority was reached.")
    if not d.quorum_met:
        return _("Not adopted: the quorum was not reached.")
    return _("Not adopted: the majority was not reached.")


def decision_sentences(decision: Decision, *, at_assembly: bool = False) -> list[str]:
    """Everything the result page says about the decision, in reading order: the rule, the quorum, the
    majority, the outcome."""
    return [majority_rule_description(decision.rule), quorum_sentence(decision.quorum, at_assembly=at_assembly),
            majority_sentence(decision), outcome_sentence(decision)]


# --- choices of the ballot form ----------------------------------------------------------------------
def majority_rule_choices() -> list[tuple[str, LazyString]]:
    """(code, label) for the majority rule select: simple, absolute, two-thirds, three-quarters, four-fifths."""
    return [(code, _RULE_NAMES[code]) for code in MAJORITY_RULES]


def quorum_kind_choices(*, at_assembly: bool = False) -> list[tuple[str, LazyString]]:
    """(kind, label) for the kind-of-quorum select: none, a share of the roll (or of the members present or
    represented), a number of participations."""
    share = (_l("A share of the members present or represented") if at_assembly
             else _l("A share of the electoral roll"))
    return [(QUORUM_NONE, _l("No quorum")), (QUORUM_SHARE, share),
            (QUORUM_COUNT, _l("A number of participations"))]


def quorum_share_choices() -> list[tuple[str, LazyString]]:
    """(quorum code, label) for the usual shares: ("share:1/3", "A third") …"""
    return [(Quorum(QUORUM_SHARE, numerator=p, denominator=q).code, LazyString(_capitalised, _SHARE_NAMES[p, q]))
            for p, q in COMMON_QUORUM_SHARES]
