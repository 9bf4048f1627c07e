"""A per-branch breakdown of a ballot's result that never discloses how a small group, or a whole branch, voted.

Pure functions: nothing of the application is imported here.

What is published
-----------------

The input is, per branch, the number of **voters** (participations) and the **counts per option**. The output
is a list of **groups** partitioning the branches that had voters: a branch that is safe on its own is
published alone; the others are merged into one "other branches" group; each group shows its voters and its
counts per option. Branches without any voter are listed apart (:attr:`Breakdown.without_voters`): they
disclose no choice, only a turnout of zero. When the safe partition has a single group, that group is the
total itself and :attr:`Breakdown.groups` is empty (:attr:`Breakdown.total_only`): the page shows the result
without a breakdown.

A group is **safe** when it has at least ``k`` voters (k = 10 by default) and is **not unanimous**:

* single choice (yes/no/abstain, single choice, and ranked ballots by **first preferences**): every voter
  counts for at most one option, and the voters counted for none (blank ballots; ``voters − Σ counts``) form
  one more choice. The group is unanimous when one choice, blank included, holds all its voters.
* approval (``approval=True``): a voter approves several options, so the counts are approvals per option and
  ``voters`` must be given. The group is unanimous when every voter approved the same option
  (count = voters), or when no voter approved anything (all counts 0).

The algorithm
-------------

1. Branches are taken in the order of their keys (so the output does not depend on the order of the input).
2. Each safe branch is a group of its own; every unsafe branch (fewer than k voters, or unanimous) goes into
   the "other branches" group.
3. If "other branches" is not empty and not safe, it is merged with the smallest published group (fewest
   voters; on a tie, the first key). One merge is always enough: the published group is safe, and the union
   of a safe group with any disjoint group is safe (see below). With no published group left to merge with,
   everything is one group: the breakdown is the total.

The guarantee
-------------

*Every published group has at least k voters and is not unanimous; the groups are disjoint and together make
the total.* A reader who adds or subtracts published figures (the total included, which is the sum of the
groups) can compute the figures of exactly the **unions of groups**, and nothing finer: no group is ever
split. Every such union is safe too:

* its voters are at least those of any one of its groups, so at least k;
* single choice: if the union were unanimous on a choice x, every voter of each of its groups chose x, so
  each group would be unanimous — which none is;
* approval: if every voter of the union approved option o (or none approved anything), the same holds for
  each of its groups — which none is.

Even a reader who knows the turnout of each branch (it may be public while the ballot is open) cannot show
that a branch, or a set of branches inside a group, chose unanimously: the most such a reader can deduce is
``count_x(part) ≥ count_x(group) − (voters(group) − voters(part))``, which equals ``voters(part)`` only when
``count_x(group) = voters(group)``, i.e. when the group is unanimous.

What is *not* guarded: that nobody in a group chose an option ("0 votes for C" is published, as in every
election result); near-unanimity ("99 yes, 1 no"); voters who pool what they know of their own votes; and
breakdowns of the same ballot along another dimension, or other ballots, combined with this one.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_K = 10


def _check_count(what: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must not be negative ({value})")
    return value


def is_unanimous(voters: int, counts: Sequence[int], *, approval: bool = False) -> bool:
    """Whether every voter of a group made the same choice (see the module docstring). A group without
    voters is not unanimous (it is never safe anyway: it has fewer than k voters)."""
    if voters <= 0:
        return False
    if approval:
        return any(c == voters for c in counts) or all(c == 0 for c in counts)
    return any(c == voters for c in counts) or voters - sum(counts) == voters


def is_safe(voters: int, counts: Sequence[int], *, k: int = DEFAULT_K, approval: bool = False) -> bool:
    """Whether a group's figures may be published: at least ``k`` voters and not unanimous."""
    return voters >= k and not is_unanimous(voters, counts, approval=approval)


@dataclass(frozen=True)
class Group:
    """A published group: one branch, or several ("other branches") with summed figures.

    ``figures`` holds ``(option, count)`` in the breakdown's option order; :attr:`counts` gives a dict."""

    branches: tuple[Hashable, ...]
    voters: int
    figures: tuple[tuple[str, int], ...]
    is_other: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.figures)

    def count(self, option: str) -> int:
        return self.counts.get(option, 0)

    @property
    def blank(self) -> int:
        """Voters counted for no option (single-choice breakdowns; meaningless for approval)."""
        return self.voters - sum(c for _, c in self.figures)

    def to_dict(self) -> dict:
        return {"branches": list(self.branches), "voters": self.voters, "counts": self.counts,
                "other": self.is_other}


@dataclass(frozen=True)
class Breakdown:
    """The groups to publish (in order: single branches by key, then "other branches"), the total, the
    branches without voters, and the parameters used."""

    groups: tuple[Group, ...]
    total: Group
    without_voters: tuple[Hashable, ...]
    options: tuple[str, ...]
    k: int
    approval: bool

    @property
    def total_only(self) -> bool:
        """Nothing finer than the total can be published."""
        return not self.groups

    def to_dict(self) -> dict:
        """Plain figures for the stored result and the JSON export (branch keys as given)."""
        return {"k": self.k, "approval": self.approval, "options": list(self.options),
                "groups": [group.to_dict() for group in self.groups], "total": self.total.to_dict(),
                "without_voters": list(self.without_voters)}


def _merge(parts: Sequence[tuple[tuple, int, tuple[int, ...]]], options: tuple[str, ...], *, is_other: bool,
           order: Mapping) -> Group:
    branches = tuple(sorted((b for branches, _, _ in parts for b in branches), key=order.__getitem__))
    voters = sum(v for _, v, _ in parts)
    sums = [sum(vector[i] for _, _, vector in parts) for i in range(len(options))]
    return Group(branches=branches, voters=voters, figures=tuple(zip(options, sums)), is_other=is_other)


def _vector(group: Group) -> tuple[int, ...]:
    return tuple(c for _, c in group.figures)


def breakdown(counts: Mapping[Hashable, Mapping[str, int]], *, voters: Mapping[Hashable, int] | None = None,
              k: int = DEFAULT_K, approval: bool = False, options: Sequence[str] | None = None) -> Breakdown:
    """The disclosure-safe breakdown of a ballot by branch.

    ``counts`` maps each branch key (a branch code or id; keys must be orderable among themselves) to its
    counts per option; a missing option counts 0. ``voters`` gives each branch's participations; for single
    choice it defaults to the sum of the counts (pass it when blank ballots took part), for ``approval=True``
    it is required. ``options`` fixes the options and their order (otherwise: the order in which they first
    appear, branches taken by key). ``k`` (≥ 1) is the smallest group that may be published.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, not {k!r}")
    if approval and voters is None:
        raise ValueError("an approval breakdown needs the number of voters of each branch")
    keys = sorted(counts)
    order = {key: position for position, key in enumerate(keys)}
    if voters is not None and set(voters) - set(counts):
        raise ValueError(f"voters given for unknown branches: {sorted(set(voters) - set(counts))!r}")

    if options is None:
        seen: dict[str, None] = {}
        for key in keys:
            for option in counts[key]:
                seen.setdefault(option, None)
        option_list = tuple(seen)
    else:
        option_list = tuple(options)
        if len(set(option_list)) != len(option_list):
            raise ValueError("options are listed twice")
        for key in keys:
            unknown = set(counts[key]) - set(option_list)
            if unknown:
                raise ValueError(f"branch {key!r} has counts for unknown options {sorted(unknown)!r}")

    parts = []
    for key in keys:
        vector = tuple(_check_count(f"count of {option!r} in {key!r}", counts[key].get(option, 0))
                       for option in option_list)
        if voters is not None and key in voters:
            n = _check_count(f"voters in {key!r}", voters[key])
        elif approval:
            raise ValueError(f"the number of voters of branch {key!r} is missing")
        else:
            n = sum(vector)
        if approval and any(c > n for c in vector):
            raise ValueError(f"branch {key!r} has more approvals of one option than voters")
        if not approval and sum(vector) > n:
            raise ValueError(f"branch {key!r} has more votes than voters")
        parts.append(((key,), n, vector))

    total = _merge(parts, option_list, is_other=False, order=order)
    without_voters = tuple(branches[0] for branches, n, _ in parts if n == 0)
    active = [part for part in parts if part[1] > 0]

    published: list[Group] = []
    pool = []
    for part in active:
        _, n, vector = part
        if is_safe(n, vector, k=k, approval=approval):
            published.append(_merge([part], option_list, is_other=False, order=order))
        else:
            pool.append(part)
    if pool:
        other = _merge(pool, option_list, is_other=True, order=order)
        if not is_safe(other.voters, _vector(other), k=k, approval=approval) and published:
            smallest = min(published, key=lambda g: (g.voters, order[g.branches[0]]))
            published.remove(smallest)
            other = _merge([(other.branches, other.voters, _vector(other)),
                            (smallest.branches, smallest.voters, _vector(smallest))],
                           option_list, is_other=True, order=order)
        published.append(other)
    groups = tuple(published) if len(published) > 1 else ()
    return Breakdown(groups=groups, total=total, without_voters=without_voters, options=option_list, k=k,
                     approval=approval)
