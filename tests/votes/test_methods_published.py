"""The counting methods against published elections: real ballots, compared with the official results.

Sources, official results and every difference between the official rules and ours: ``data/README.md``.

* Instant runoff and single choice: the 2009 Burlington (Vermont) mayoral election, 8,980 ballots.
* Schulze: the 2020 Debian Project Leader election (the official tally sheet, 339 votes) and the 2002 one (PrefLib's
  copy, 475 votes), against Debian's published figures and winners.
* Scottish STV (Glasgow 2007) is in ``test_methods_stv.py``.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from governance.votes.methods import count_irv, count_plurality, count_schulze

DATA = Path(__file__).parent / "data"

Groups = tuple[tuple[str, ...], ...]  # a ranking in which several candidates may share a rank


def read_ranked_text(name: str) -> tuple[list[str], list[tuple[Groups, int]]]:
    """``candidates: A; B`` then ``<ballots>: A > B = C`` lines (``=`` joins candidates marked at the same rank)."""
    candidates: list[str] = []
    rows: list[tuple[Groups, int]] = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, rest = line.partition(":")
        if head == "candidates":
            candidates = [c.strip() for c in rest.split(";")]
            continue
        groups = tuple(tuple(c.strip() for c in group.split("=")) for group in rest.split(">"))
        assert all(c in candidates for group in groups for c in group), line
        rows.append((groups, int(head)))
    return candidates, rows


# --- Burlington 2009 ------------------------------------------------------------------------------------------------

KISS, MONTROLL, SIMPSON, SMITH, WRIGHT, WRITE_IN = (
    "Bob Kiss", "Andy Montroll", "James Simpson", "Dan Smith", "Kurt Wright", "Write-in")


def read_at_first_equal_rank(groups: Groups) -> tuple[str, ...]:
    """The usual reading of a ranking with an over-vote: the preferences before the first equal ranking."""
    ranking: list[str] = []
    for group in groups:
        if len(group) > 1:
            break
        ranking.append(group[0])
    return tuple(ranking)


def read_as_burlington(groups: Groups, excluded_in: Mapping[str, int]) -> tuple[str, ...]:
    """Burlington's rule for equal rankings, given the round in which each candidate is excluded.

    "A ballot that gives two or more candidates the same ranking is exhausted when that ranking is reached, unless
    only one of the candidates so ranked has advanced to the current round of counting" (and a ranking whose
    candidates are all excluded is skipped). A ballot reaches its next ranking in the round after the candidate it
    counts for is excluded.
    """
    ranking: list[str] = []
    reached = 1  # the round in which the ballot reaches the next ranking
    for group in groups:
        continuing = [c for c in group if excluded_in.get(c, math.inf) >= reached]
        if len(continuing) > 1:
            break
        if continuing:
            ranking.append(continuing[0])
            reached = excluded_in.get(continuing[0], math.inf) + 1
    return tuple(ranking)


def exclusion_rounds(result) -> dict[str, int]:
    return {r.excluded: r.number for r in result.rounds if r.excluded}


def burlington_count(reading):
    candidates, rows = read_ranked_text("burlington-2009-mayor.txt")
    return count_irv([(reading(groups), count) for groups, count in rows], candidates)


def test_burlington_2009_data_is_the_published_ballot_set():
    candidates, rows = read_ranked_text("burlington-2009-mayor.txt")
    assert candidates == [KISS, MONTROLL, SIMPSON, SMITH, WRIGHT, WRITE_IN]
    assert sum(count for _, count in rows) == 8980 and len(rows) == 384
    assert sum(count for groups, count in rows if any(len(g) > 1 for g in groups)) == 6  # equal rankings


def test_burlington_2009_irv_elects_kiss_with_the_official_round_totals():
    """Official count: round 1, then Smith, Simpson and the write-ins excluded together; round 2, Montroll excluded;
    round 3, Kiss 4,313, Wright 4,061. Ours excludes one candidate a round (Simpson, the write-ins, Smith, then
    Montroll), so its rounds 1, 4 and 5 have the continuing candidates of the official rounds 1, 2 and 3: a
    round's tallies depend only on who is still continuing, so they are the comparable ones."""
    result = burlington_count(read_at_first_equal_rank)
    assert result.winner == KISS
    # the 4 ballots with two candidates marked first are over-votes, counted for nobody from round 1 on
    assert (result.valid, result.blank) == (8976, 4)
    rounds = result.rounds
    assert [(r.number, r.excluded or r.elected) for r in rounds] == [
        (1, SIMPSON), (2, WRITE_IN), (3, SMITH), (4, MONTROLL), (5, KISS)]

    # official round 1
    assert rounds[0].tallies == {KISS: 2585, MONTROLL: 2063, SIMPSON: 35, SMITH: 1306, WRIGHT: 2951, WRITE_IN: 36}
    # official round 2: Montroll 2,554, excluded; Wright still ahead of Kiss (their official figures for this round
    # were not available to us: ours are 3,294 and 2,981)
    assert rounds[3].tallies == {KISS: 2981, MONTROLL: 2554, WRIGHT: 3294}
    # official round 3: Kiss 4,313 and Wright 4,061 of 8,980 ballots (606 exhausted, the 4 over-votes included).
    # Ours: Wright 4,060, 607 counted for nobody. The one ballot "Montroll > Smith > Wright = Simpson > Kiss":
    # read up to its equal ranking it is exhausted; Burlington's rule gives it to Wright, the only one of the two
    # still continuing when it is reached (see the next test).
    final = rounds[4]
    assert final.tallies == {KISS: 4313, WRIGHT: 4060}
    assert final.exhausted + result.blank == 607
    assert final.reason == "majority" and final.majority == 4187


def test_burlington_2009_with_burlingtons_equal_ranking_rule_every_official_figure_is_reproduced():
    first = burlington_count(read_at_first_equal_rank)
    order = exclusion_rounds(first)
    result = burlington_count(lambda groups: read_as_burlington(groups, order))
    assert exclusion_rounds(result) == order  # the exclusion order is unchanged, so the reading is consistent
    assert result.winner == KISS
    assert result.rounds[0].tallies == first.rounds[0].tallies
    assert result.rounds[3].tallies == {KISS: 2981, MONTROLL: 2554, WRIGHT: 3294}
    final = result.rounds[-1]
    assert final.tallies == {KISS: 4313, WRIGHT: 4061}
    assert final.counted == 8374 and final.exhausted + result.blank == 606
    assert sum(final.tallies.values()) + final.exhausted + result.blank == 8980


def test_burlington_2009_single_choice_on_first_preferences_elects_the_plurality_winner():
    """The official first round is a single-choice count: Wright, "the plurality winner", with 2,951."""
    candidates, rows = read_ranked_text("burlington-2009-mayor.txt")
    first: Counter[str] = Counter()
    for groups, count in rows:
        if len(groups[0]) == 1:  # the 4 over-votes choose nobody
            first[groups[0][0]] += count
    result = count_plurality(first, options=candidates)
    assert result.winner == WRIGHT
    assert result.ranking == ((WRIGHT, 2951), (KISS, 2585), (MONTROLL, 2063), (SMITH, 1306), (WRITE_IN, 36),
                              (SIMPSON, 35))
    assert result.valid == 8976


# --- Debian Project Leader 2020 -------------------------------------------------------------------------------------

CARTER, CHANDRAN, GUPTA, NOTA = "Jonathan Carter", "Sruthi Chandran", "Brian Gupta", "None Of The Above"


def read_debian_tally(name: str) -> tuple[list[str], list[tuple[str, int]]]:
    options: list[str] = []
    votes: list[tuple[str, int]] = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, rest = line.partition(":")
        if head == "options":
            options = [o.strip() for o in rest.split(";")]
        else:
            assert len(rest.strip()) == len(options), line
            votes.append((rest.strip(), int(head)))
    return options, votes


def debian_groups(vote: str, options: Sequence[str]) -> list[list[str]]:
    """The options by rank, best first; the options left unranked ("-") form the last group."""
    unranked = len(options) + 1  # ranks run from 1 to the number of options
    by_rank: dict[int, list[str]] = {}
    for option, mark in zip(options, vote):
        by_rank.setdefault(unranked if mark == "-" else int(mark), []).append(option)
    return [by_rank[rank] for rank in sorted(by_rank)]


def debian_beat_matrix(options: Sequence[str], votes: Sequence[tuple[str, int]]) -> dict[tuple[str, str], int]:
    """Debian's V(A, B): the voters who rank A above B (an unranked option is below every ranked one)."""
    beat: Counter[tuple[str, str]] = Counter()
    for vote, count in votes:
        groups = debian_groups(vote, options)
        for i, better in enumerate(groups):
            for worse in groups[i + 1:]:
                for a in better:
                    for b in worse:
                        beat[a, b] += count
    return beat


def as_portal_ballots(options: Sequence[str], votes: Sequence[tuple[str, int]]) -> list[tuple[tuple[str, ...], int]]:
    """Debian votes as the portal's strict rankings, every vote counted twice.

    The last group (the options tied at the bottom) is left out: the portal ranks unranked candidates equal, below
    the ranked ones, as Debian does. A vote that ranks options equally higher up cannot be cast on the portal; it is
    counted once with the tied options in ballot order and once in reverse order, so that each pair it ties gets one
    preference each way. The pairwise counts are then exactly 2·V(A, B) + T(A, B), T(A, B) being the votes that rank
    A and B equally (above the bottom), and every pairwise margin is exactly twice Debian's.
    """
    ballots = []
    for vote, count in votes:
        ranked = debian_groups(vote, options)[:-1]
        ballots.append((tuple(o for group in ranked for o in group), count))
        ballots.append((tuple(o for group in ranked for o in reversed(group)), count))
    return ballots


def test_debian_2020_tally_sheet_gives_the_published_figures():
    options, votes = read_debian_tally("debian-2020-leader.txt")
    assert options == [CARTER, CHANDRAN, GUPTA, NOTA]
    assert sum(count for _, count in votes) == 339
    beat = debian_beat_matrix(options, votes)
    # the official page: quorum and majority figures, each candidate against the default option
    assert [(beat[c, NOTA], beat[NOTA, c]) for c in (CARTER, CHANDRAN, GUPTA)] == [(301, 34), (244, 76), (194, 125)]
    # the rest of the matrix, from the tally sheet
    assert (beat[CARTER, CHANDRAN], beat[CHANDRAN, CARTER]) == (258, 57)
    assert (beat[CARTER, GUPTA], beat[GUPTA, CARTER]) == (281, 40)
    assert (beat[CHANDRAN, GUPTA], beat[GUPTA, CHANDRAN]) == (163, 114)


def test_debian_2020_schulze_elects_jonathan_carter():
    options, votes = read_debian_tally("debian-2020-leader.txt")
    result = count_schulze(as_portal_ballots(options, votes), options)
    assert result.winner == CARTER and not result.tie_breaks
    # all candidates beat the default option, so Debian's quorum and majority rules drop nobody
    assert result.ranking == ((CARTER,), (CHANDRAN,), (GUPTA,), (NOTA,))

    beat = debian_beat_matrix(options, votes)
    tied: Counter[tuple[str, str]] = Counter()
    for vote, count in votes:
        for group in debian_groups(vote, options)[:-1]:
            for a in group:
                for b in group:
                    if a != b:
                        tied[a, b] += count
    # 36 of the 339 votes rank options equally above their last group: the ones the portal could not take as cast
    assert sum(count for vote, count in votes if any(len(g) > 1 for g in debian_groups(vote, options)[:-1])) == 36
    for a in options:
        for b in options:
            if a != b:
                assert result.pairwise[a][b] == 2 * beat[a, b] + tied[a, b], (a, b)
    # 2 × 339 ballots; the 2 votes ranking all four options equally are blank ballots here
    assert (result.valid, result.blank) == (674, 4)


# --- Debian Project Leader 2002 -------------------------------------------------------------------------------------

ROBINSON, HERTZOG, GARBEE, NOTA_2002 = "Branden Robinson", "Raphael Hertzog", "Bdale Garbee", "None Of The Above"

#: the beat matrix published with the result (https://www.debian.org/vote/2002/vote_0001): V(row, column)
DEBIAN_2002_OFFICIAL = {
    ROBINSON: {HERTZOG: 255, GARBEE: 178, NOTA_2002: 385},
    HERTZOG: {ROBINSON: 199, GARBEE: 134, NOTA_2002: 406},
    GARBEE: {ROBINSON: 291, HERTZOG: 327, NOTA_2002: 443},
    NOTA_2002: {ROBINSON: 68, HERTZOG: 50, GARBEE: 18},
}


def read_preflib_soi(name: str) -> tuple[list[str], list[tuple[tuple[str, ...], int]]]:
    names: dict[int, str] = {}
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("# ALTERNATIVE NAME "):
            number, _, label = line.removeprefix("# ALTERNATIVE NAME ").partition(":")
            names[int(number)] = label.strip()
        elif line.strip() and not line.startswith("#"):
            count, _, order = line.partition(":")
            rows.append((tuple(names[int(n)] for n in order.split(",")), int(count)))
    return [names[n] for n in sorted(names)], rows


def test_debian_2002_schulze_elects_bdale_garbee():
    candidates, rows = read_preflib_soi("debian-2002-leader.soi")
    assert candidates == [ROBINSON, HERTZOG, GARBEE, NOTA_2002]
    result = count_schulze(rows, candidates)
    assert result.valid == 475  # "Total unique votes cast: 475"
    assert result.winner == GARBEE
    # the official won-lost records: Robinson 2-1, Hertzog 1-2; Garbee beats everyone and the default option loses
    # to everyone in the official matrix
    assert result.ranking == ((GARBEE,), (ROBINSON,), (HERTZOG,), (NOTA_2002,))

    # PrefLib's file has no equal rankings: a vote that ranked two options equally reads as the first-numbered one
    # above the other. So V(later, earlier) is the official figure exactly, and V(earlier, later) exceeds it by the
    # votes that ranked the two equally.
    order = candidates
    excess = {}
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            assert result.pairwise[b][a] == DEBIAN_2002_OFFICIAL[b][a], (b, a)
            excess[a, b] = result.pairwise[a][b] - DEBIAN_2002_OFFICIAL[a][b]
    assert excess == {(ROBINSON, HERTZOG): 5, (ROBINSON, GARBEE): 2, (ROBINSON, NOTA_2002): 2,
                      (HERTZOG, GARBEE): 6, (HERTZOG, NOTA_2002): 1, (GARBEE, NOTA_2002): 1}
    # those few votes change no pairwise winner: every majority is the official one
    for a in order:
        for b in order:
            if a != b:
                official = DEBIAN_2002_OFFICIAL[a][b] > DEBIAN_2002_OFFICIAL[b][a]
                assert (result.pairwise[a][b] > result.pairwise[b][a]) == official, (a, b)
