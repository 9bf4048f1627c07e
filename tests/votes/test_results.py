"""Results stored at close: counts, quorum and majority, the per-branch breakdown, the audit hashes, roll-call
ballots, and the exports."""
from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest

from governance.votes import exports, operations as ops, permissions, queries
from tests.votes.conftest import option_ids, texts


def _vote_all(cast, ballot, members, choices):
    for member, choice in zip(members, choices, strict=True):
        cast(ballot, member, choice)


# --- yes/no/abstain: quorum and majority -----------------------------------------------------------
@pytest.mark.parametrize("majority, votes, adopted", [
    ("simple", ["yes", "yes", "no", "abstain", "abstain"], True),
    ("simple", ["yes", "no", "abstain", "abstain", "abstain"], False),
    ("absolute", ["yes", "yes", "no", "abstain", "abstain"], False),
    ("qualified:2/3", ["yes", "yes", "no", "abstain", "abstain"], True),
    ("qualified:3/4", ["yes", "yes", "no", "abstain", "abstain"], False),
])
def test_the_majority_rule_decides(make_ballot, open_ballot, close, voter, be, cast, majority, votes, adopted):
    members = [voter(be) for _ in range(6)]
    ballot = open_ballot(make_ballot(majority=majority))
    _vote_all(cast, ballot, members[:5], votes)
    close(ballot)
    result = ballot.result
    assert result["adopted"] is adopted
    assert result["decision"]["rule"] == majority
    assert (result["decision"]["yes"], result["decision"]["no"], result["decision"]["abstain"]) == (
        votes.count("yes"), votes.count("no"), votes.count("abstain"))
    assert (result["roll_size"], result["participations"]) == (6, 5)


@pytest.mark.parametrize("quorum, voters, met", [
    ("share:1/2", 5, True), ("share:1/2", 4, False), ("count:3", 3, True), ("count:4", 3, False), ("none", 0, True),
])
def test_the_quorum_counts_participations_against_the_roll(make_ballot, open_ballot, close, voter, be, cast, quorum,
                                                            voters, met):
    members = [voter(be) for _ in range(10)]
    ballot = open_ballot(make_ballot(quorum=quorum))
    _vote_all(cast, ballot, members[:voters], ["abstain"] * voters)  # abstentions count for the quorum
    close(ballot)
    assert ballot.result["quorum"]["met"] is met
    assert ballot.result["quorum"]["base"] == 10
    if not met:
        assert ballot.result["adopted"] is False


# --- other methods ---------------------------------------------------------------------------------
def test_a_single_choice_result(make_ballot, open_ballot, close, voter, be, cast):
    members = [voter(be) for _ in range(5)]
    ballot = open_ballot(make_ballot(method="plurality", quorum="count:2"))
    a, b, c = option_ids(ballot)
    _vote_all(cast, ballot, members, [a, b, b, c, b])
    close(ballot)
    assert ballot.result["count"]["winner"] == str(b)
    assert ballot.result["count"]["totals"] == {str(a): 1, str(b): 3, str(c): 1}
    assert ballot.result["quorum"]["met"] is True and "decision" not in ballot.result


def test_an_approval_result(make_ballot, open_ballot, close, voter, be, cast):
    members = [voter(be) for _ in range(4)]
    ballot = open_ballot(make_ballot(method="approval", max_choices=2))
    a, b, c = option_ids(ballot)
    _vote_all(cast, ballot, members, [[a, b], [b], [b, c], [a, c]])
    close(ballot)
    assert ballot.result["count"]["totals"] == {str(a): 2, str(b): 3, str(c): 2}
    assert ballot.result["count"]["elected"] == [str(b)]


def test_ranked_results(make_ballot, open_ballot, close, voter, be, cast):
    members = [voter(be) for _ in range(7)]
    irv = open_ballot(make_ballot(method="irv"))
    a, b, c = option_ids(irv)
    _vote_all(cast, irv, members, [[a], [a, b], [a], [b, c], [b], [b], [c, b]])
    close(irv)
    assert irv.result["count"]["winner"] == str(b)  # c is excluded, its papers go to b
    stv = open_ballot(make_ballot(method="stv", seats=2))
    a, b, c = option_ids(stv)
    _vote_all(cast, stv, members, [[a, b], [a, b], [a, c], [a], [b], [c], [c]])
    close(stv)
    assert set(stv.result["count"]["elected"]) == {str(a), str(c)}
    schulze = open_ballot(make_ballot(method="schulze"))
    a, b, c = option_ids(schulze)
    _vote_all(cast, schulze, members, [[a, b, c]] * 3 + [[b, c, a]] * 2 + [[c, b, a]] * 2)
    close(schulze)
    assert schulze.result["count"]["winner"] == str(b)


# --- the breakdown by branch -----------------------------------------------------------------------
def test_the_breakdown_by_branch_hides_small_groups(make_ballot, open_ballot, close, voter, create_branch, cast):
    big = create_branch("NL", required_languages=["en"])
    medium = create_branch("DE", required_languages=["en"])
    small = create_branch("LU", required_languages=["en"])
    voters = {b.code: [voter(b) for _ in range(n)] for b, n in ((big, 14), (medium, 11), (small, 3))}
    ballot = open_ballot(make_ballot(branches=[big, medium, small]))
    _vote_all(cast, ballot, voters["NL"], ["yes"] * 9 + ["no"] * 5)
    _vote_all(cast, ballot, voters["DE"], ["yes"] * 4 + ["no"] * 6 + ["abstain"])
    _vote_all(cast, ballot, voters["LU"], ["no"] * 3)
    close(ballot)
    breakdown = ballot.result["breakdown"]
    assert breakdown["k"] == 10 and not breakdown["total_only"]
    groups = {tuple(g["branches"]): g for g in breakdown["groups"]}
    # LU (3 voters) is never shown alone: it is merged with the smallest published branch
    assert set(groups) == {("NL",), ("DE", "LU")}
    assert groups[("NL",)]["counts"] == {"yes": 9, "no": 5, "abstain": 0}
    assert groups[("DE", "LU")] == {"branches": ["DE", "LU"], "voters": 14, "is_other": True,
                                    "counts": {"yes": 4, "no": 9, "abstain": 1}}


def test_the_smallest_group_is_configurable(make_ballot, open_ballot, close, voter, create_branch, cast, app,
                                            monkeypatch):
    monkeypatch.setitem(app.config, "BALLOT_BREAKDOWN_MIN_GROUP", 2)
    one, two = create_branch("NL", required_languages=["en"]), create_branch("LU", required_languages=["en"])
    nl, lu = [voter(one) for _ in range(3)], [voter(two) for _ in range(3)]
    ballot = open_ballot(make_ballot(branches=[one, two]))
    _vote_all(cast, ballot, nl, ["yes", "no", "no"])
    _vote_all(cast, ballot, lu, ["yes", "yes", "no"])
    close(ballot)
    assert [g["branches"] for g in ballot.result["breakdown"]["groups"]] == [["LU"], ["NL"]]


# --- the audit entry at close ----------------------------------------------------------------------
def test_closing_audits_the_hashes_of_the_sorted_lists(make_ballot, open_ballot, close, voter, be, cast,
                                                       ballot_audit):
    members = [voter(be) for _ in range(4)]
    ballot = open_ballot(make_ballot(method="plurality"))
    a, b, c = option_ids(ballot)
    _vote_all(cast, ballot, members[:3], [c, a, c])
    close(ballot)
    [entry] = ballot_audit(ballot, "ballot.closed")

    def sha(values):
        return hashlib.sha256("\n".join(map(str, values)).encode()).hexdigest()

    assert entry.data["participation_hash"] == sha(sorted(m.id for m in members[:3]))
    assert entry.data["ballot_list_hash"] == sha(sorted(str(x) for x in (c, a, c)))
    assert entry.data["roll_hash"] == ballot.roll_hash == sha(sorted(m.id for m in members))
    assert entry.data["lot_seed"] == ballot.lot_seed == ballot.result["lot_seed"]
    assert ballot.result["audit"] == {"seq": entry.seq, "hash": entry.hash}
    assert ballot.result["hashes"]["participations"] == entry.data["participation_hash"]


# --- roll-call ballots -----------------------------------------------------------------------------
def test_a_roll_call_vote_can_be_changed_until_close_and_is_listed_after(make_ballot, open_ballot, close, voter, be,
                                                                          cast, db, member_account, admin):
    first, second = member_account(be), member_account(be)
    ballot = open_ballot(make_ballot(is_secret=False))
    assert cast(ballot, first.member, "yes", actor=first).receipt is None
    changed = cast(ballot, first.member, "no", actor=first)
    assert changed.replaced and queries.my_open_vote(ballot, first.member.id).choice == "no"
    cast(ballot, second.member, "abstain", actor=second)
    assert queries.roll_call(ballot)  # the list exists, but only published after close:
    assert not permissions.can_download_lists(first, ballot, on_roll=True)
    close(ballot)
    assert {member.id: vote.choice for member, vote in queries.roll_call(ballot)} == {
        first.member.id: "no", second.member.id: "abstain"}
    assert ballot.result["decision"]["no"] == 1 and ballot.result["decision"]["yes"] == 0
    assert permissions.can_download_lists(first, ballot, on_roll=True)
    rows = list(csv.DictReader(io.StringIO(exports.roll_call_csv(ballot))))
    assert {row["member_number"]: row["choice"] for row in rows} == {
        first.member.number: "no", second.member.number: "abstain"}
    with pytest.raises(ops.BallotNotOpen):
        cast(ballot, first.member, "yes", actor=first)
    assert queries.participation_count(ballot) == queries.box_count(ballot) == 2


# --- visibility ------------------------------------------------------------------------------------
def test_who_sees_the_result(make_ballot, open_ballot, close, member_account, be, fr, create_account):
    voter_account, outsider_be, french = member_account(be), member_account(be), member_account(fr)
    board_be = create_account(roles=[("board_member", be)])
    everyone = open_ballot(make_ballot())
    electorate = open_ballot(make_ballot(result_visibility="electorate"))
    managers = open_ballot(make_ballot(result_visibility="managers"))
    for ballot in (everyone, electorate, managers):
        close(ballot)
    assert permissions.can_see_results(outsider_be, everyone)
    assert not permissions.can_see_results(french, everyone)  # another branch's ballot
    assert permissions.can_see_results(voter_account, electorate, on_roll=True)
    assert not permissions.can_see_results(outsider_be, electorate)
    assert not permissions.can_see_results(voter_account, managers, on_roll=True)
    assert permissions.can_see_results(board_be, managers)
    assert not permissions.can_download_lists(outsider_be, everyone)  # lists: the electorate and managers
    assert permissions.can_download_lists(voter_account, everyone, on_roll=True)


def test_board_members_manage_only_ballots_of_their_branches(make_ballot, create_account, be, fr, make_workgroup,
                                                             member_account):
    board_be = create_account(roles=[("board_member", be)])
    secretary = create_account(roles=["secretary"])
    only_be = make_ballot()
    both = make_ballot(branches=[be, fr], questions={"en": "Both?", "nl": "Beide?", "fr": "Les deux ?"})
    assert permissions.can_manage_ballot(board_be, only_be) and not permissions.can_manage_ballot(board_be, both)
    assert permissions.can_manage_ballot(secretary, both)
    facilitator = member_account(be)
    workgroup = make_workgroup(branches=[be], facilitators=[facilitator])
    wg_ballot = make_ballot(electorate_kind="workgroup", workgroup=workgroup, actor=facilitator)
    from governance.votes.queries import viewer_context

    context = viewer_context(facilitator, wg_ballot)
    assert permissions.can_manage_ballot(facilitator, wg_ballot, context.membership)
    assert not permissions.can_manage_ballot(facilitator, only_be)
    from governance.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        make_ballot(actor=board_be, branches=[be, fr])


# --- exports ---------------------------------------------------------------------------------------
def test_results_export_as_csv_json_and_blt(make_ballot, open_ballot, close, voter, be, cast):
    from governance.votes.methods.files import read_blt

    members = [voter(be) for _ in range(5)]
    ballot = open_ballot(make_ballot(method="stv", seats=2, options=[texts("Ana"), texts("Ben"), texts("Cara")]))
    a, b, c = option_ids(ballot)
    _vote_all(cast, ballot, members, [[a, b], [a, b], [b], [c, a], [c]])
    close(ballot)
    blt = read_blt(exports.ballots_blt(ballot))
    rankings, candidates = blt.for_count()
    assert list(candidates) == ["Ana (en)", "Ben (en)", "Cara (en)"] and blt.seats == 2
    assert sorted((tuple(r), n) for r, n in rankings) == sorted([
        (("Ana (en)", "Ben (en)"), 2), (("Ben (en)",), 1), (("Cara (en)", "Ana (en)"), 1), (("Cara (en)",), 1)])
    data = json.loads(exports.results_json(ballot))
    assert data["result"]["count"]["elected"] == ballot.result["count"]["elected"]
    rows = dict(csv.reader(io.StringIO(exports.results_csv(ballot))))
    assert rows["participations"] == "5" and rows["option:Ana (en)"] == "2"  # first preferences
    papers = exports.published_choices(ballot)
    assert sorted(papers) == sorted([["Ana (en)", "Ben (en)"]] * 2 + [["Ben (en)"], ["Cara (en)", "Ana (en)"],
                                                                      ["Cara (en)"]])
    assert exports.choices_csv(ballot).splitlines()[0] == "choice"


def test_a_recount_from_the_published_choices_gives_the_same_result(make_ballot, open_ballot, close, voter, be,
                                                                    cast):
    from governance.votes.methods import count_ballot
    from governance.votes.methods.files import read_choices_csv

    members = [voter(be) for _ in range(6)]
    ballot = open_ballot(make_ballot(method="approval", max_choices=2))
    a, b, c = option_ids(ballot)
    _vote_all(cast, ballot, members, [[a, b], [b], [b, c], [a, c], [c], [a, c]])
    close(ballot)
    parsed = read_choices_csv(exports.choices_csv(ballot), max_choices=2)
    recount = count_ballot("approval", counts=parsed.option_counts(), ballots=parsed.ballots, max_choices=2,
                           seed=ballot.lot_seed)
    names = exports.option_names(ballot)
    assert {names[key]: n for key, n in ballot.result["count"]["totals"].items()} == recount.totals


def test_turnout_is_live(make_ballot, open_ballot, voter, be, cast):
    members = [voter(be) for _ in range(4)]
    ballot = open_ballot(make_ballot())
    assert queries.turnout(ballot).percent == 0
    cast(ballot, members[0], "yes")
    turnout = queries.turnout(ballot)
    assert (turnout.participations, turnout.roll_size, turnout.percent) == (1, 4, 25)
    assert queries.has_voted(ballot, members[0].id) and not queries.has_voted(ballot, members[1].id)
