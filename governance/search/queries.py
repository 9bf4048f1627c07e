"""Searching proposals and comments: one interface, :func:`search`, over SQLite FTS5 and PostgreSQL.

The query a member types is parsed once (:func:`parse_query`) into terms: words, and "quoted phrases"; every
term must match (AND); the last word, when it is not in quotes, also matches as a prefix ("genoss" finds
"Genossenschaften"). Operators (OR, -word) are not offered: they would differ between the two databases.
Each backend turns the terms into its own syntax, from bound parameters only:

- **SQLite**: an FTS5 expression of quoted strings (``"word" AND "a phrase" AND "pre"*``) matched against
  ``search_fts``, ranked with ``bm25()`` (a title match weighs ten times a text match); marks from
  ``highlight()`` and ``snippet()``. Case and accents are folded; there is no stemming.
- **PostgreSQL**: for the stemming configuration of each of the cooperative's content languages, the terms
  stemmed in it (``phraseto_tsquery``) OR'd with the same terms through ``search_simple`` (exact words, and
  the prefix); an entry matches the query built for its own language. The union of those queries is one
  GIN-indexable condition that selects the candidates; the per-language conditions then filter them. Ranked
  with ``ts_rank`` (``ts_rank_cd`` cost ten times more on thousands of matches); marks from ``ts_headline``.

Entries whose title matches come first on both, then by rank. Permissions are part of the SQL: the
workgroups the account sees (:func:`governance.workgroups.queries.visibility_condition`), drafts only for their
authors, never a deleted or hidden comment (the index drops them; the query checks again). A page costs three
queries whatever its size: the count, the page with its proposals and workgroups, and the snippets.

Snippets are built safely: the database marks matches with control characters, which indexed text never
contains (:func:`governance.search.indexing.plain_text` removes them); everything is escaped, then the
markers become ``<mark>`` elements (:func:`marked`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import Integer, and_, case, column, false, func, literal, literal_column, or_, select, table, true
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import lazyload

from governance.extensions import db
from governance.members.queries import Page
from governance.proposals.models import Comment, Proposal, ProposalState, proposal_coauthors
from governance.search.models import EntryKind, SearchEntry
from governance.search.schema import FTS_TABLE, LANGUAGE_CONFIGS, config_name
from governance.workgroups.models import Workgroup
from governance.workgroups.permissions import visible_branch_ids
from governance.workgroups.queries import visibility_condition

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 200
#: words and phrases beyond this many are ignored
MAX_TERMS = 12
PER_PAGE = 20
MAX_PER_PAGE = 100

#: SQLite: a title match weighs this many times a text match in bm25()
TITLE_WEIGHT, TEXT_WEIGHT = 10.0, 1.0
#: snippets: words around the matches
SNIPPET_WORDS = 24

#: match markers: control characters, which the indexed text never contains
START, STOP = "\x02", "\x03"


# --- the query -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """A word, or a phrase of words that must follow each other; ``prefix``: the last word also matches
    longer words."""

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


_TOKEN = re.compile(r'"([^"]*)"|([^"\s]+)')
#: letters and digits (an apostrophe, a hyphen or an underscore separates words, as both databases do)
_WORD = re.compile(r"[^\W_]+")
#: the last word becomes a prefix from this length on
MIN_PREFIX = 2


def parse_query(text: str) -> list[Term]:
    """The terms of what the member typed: words and "quoted phrases" (at most :data:`MAX_TERMS`)."""
    items: list[tuple[list[str], bool]] = []
    for match in _TOKEN.finditer(unicodedata.normalize("NFC", text or "")):
        phrase, bare = match.groups()
        if phrase is not None:
            items.append((_WORD.findall(phrase), False))
        else:
            items += [([word], True) for word in _WORD.findall(bare)]
    items = [(words, bare) for words, bare in items if words]
    terms = [Term(tuple(words)) for words, _ in items]
    if items and items[-1][1] and len(items[-1][0][0]) >= MIN_PREFIX:
        terms[-1] = Term(terms[-1].words, prefix=True)
    unique: list[Term] = []
    seen: set[tuple] = set()
    for term in terms:
        key = (tuple(word.casefold() for word in term.words), term.prefix)
        if key not in seen:
            seen.add(key)
            unique.append(term)
    if len(unique) > MAX_TERMS:
        unique = [*unique[:MAX_TERMS - 1], unique[-1]]
    return unique


# --- results ---------------------------------------------------------------------------------------
def marked(raw: str | None) -> Markup:
    """Text from the database with match markers → escaped HTML with ``<mark>`` elements (always balanced)."""
    if not raw:
        return Markup("")
    out, inside = [], False
    for part in re.split(f"([{START}{STOP}])", raw):
        if part == START:
            if not inside:
                out.append("<mark>")
                inside = True
        elif part == STOP:
            if inside:
                out.append("</mark>")
                inside = False
        elif part:
            out.append(str(escape(part)))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))


@dataclass
class Hit:
    entry_id: int
    #: "proposal" or "comment"
    kind: str
    #: the proposal's or the comment's id
    object_id: int
    language: str
    proposal: Proposal
    workgroup: Workgroup
    rank: float
    title_matches: bool
    #: the entry's title with its matches marked (a proposal's title in ``language``; empty for a comment)
    title: Markup = Markup("")
    #: a passage of the text with its matches marked
    snippet: Markup = Markup("")

    @property
    def is_comment(self) -> bool:
        return self.kind == EntryKind.comment.value

    @property
    def comment_id(self) -> int | None:
        return self.object_id if self.is_comment else None

    @property
    def in_archived_workgroup(self) -> bool:
        return self.workgroup.is_archived


@dataclass
class SearchPage(Page):
    query: str = ""
    terms: list[Term] = field(default_factory=list)


def _empty(text: str, terms: list[Term], per_page: int) -> SearchPage:
    return SearchPage(items=[], page=1, per_page=per_page, total=0, query=text, terms=terms)


# --- the interface ---------------------------------------------------------------------------------
def _signed_in(account: Any) -> bool:
    return (account is not None and getattr(account, "is_authenticated", False) and hasattr(account, "roles")
            and getattr(account, "is_enabled", False))


def search(text: str, *, account: Any, language: str | None = None, kinds: list[str] | tuple[str, ...] | None = None,
           workgroup: Workgroup | int | None = None, page: int = 1, per_page: int = PER_PAGE,
           content_languages: list[str] | None = None) -> SearchPage:
    """Proposals and comments matching ``text`` that ``account`` may read, best first.

    ``language``: only entries in that language; ``kinds``: "proposal" and/or "comment"; ``workgroup``: only
    in that workgroup (an object or an id). Anonymous or disabled accounts find nothing (workgroups are for
    signed-in members). Three queries, whatever the page size (on PostgreSQL one more, for the cooperative's
    content languages, unless the caller passes ``content_languages`` — see :class:`_PostgresSearch`)."""
    text = (text or "").strip()[:MAX_QUERY_LENGTH]
    terms = parse_query(text)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    if not terms or not _signed_in(account):
        return _empty(text, terms, per_page)
    if db.session.get_bind().dialect.name == "sqlite":
        backend = _SQLiteSearch(terms)
    else:
        if content_languages is None:
            from governance.workgroups.queries import content_languages as languages_in_use

            content_languages = languages_in_use()
        backend = _PostgresSearch(terms, [language] if language else content_languages)

    member = getattr(account, "member", None)
    conditions = [
        backend.match(),
        visibility_condition(visible_branch_ids(account)),
        _readable_proposal(member.id if member is not None else None),
        or_(SearchEntry.kind == EntryKind.proposal.value,
            and_(Comment.is_deleted.is_(False), Comment.hidden_reason.is_(None))),
    ]
    if language:
        conditions.append(SearchEntry.language == language)
    if kinds is not None:
        wanted = [kind for kind in kinds if kind in {k.value for k in EntryKind}]
        conditions.append(SearchEntry.kind.in_(wanted) if wanted else false())
    if workgroup is not None:
        conditions.append(Proposal.workgroup_id == getattr(workgroup, "id", workgroup))

    def scoped(query, ranked: bool = False):
        return (backend.from_(query, ranked)
                .join(Proposal, Proposal.id == SearchEntry.proposal_id)
                .join(Workgroup, Workgroup.id == Proposal.workgroup_id)
                .outerjoin(Comment, and_(SearchEntry.kind == EntryKind.comment.value,
                                         Comment.id == SearchEntry.object_id))
                .where(*conditions))

    total = db.session.execute(scoped(select(func.count()))).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    if not total:
        return SearchPage(items=[], page=page, per_page=per_page, total=0, query=text, terms=terms)
    title_matches = backend.title_matches()
    rows = db.session.execute(
        scoped(select(SearchEntry.id, SearchEntry.kind, SearchEntry.object_id, SearchEntry.language, Proposal,
                      Workgroup, backend.rank().label("rank"), title_matches.label("title_matches")), ranked=True)
        .options(lazyload(Proposal.coauthors), lazyload(Workgroup.branches))
        .order_by(title_matches.desc(), backend.order(), SearchEntry.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    hits = [Hit(entry_id=row.id, kind=row.kind, object_id=row.object_id, language=row.language,
                proposal=row.Proposal, workgroup=row.Workgroup, rank=float(row.rank or 0),
                title_matches=bool(row.title_matches)) for row in rows]
    marks = backend.marks([hit.entry_id for hit in hits])
    for hit in hits:
        title, snippet = marks.get(hit.entry_id, ("", ""))
        hit.title, hit.snippet = marked(title), marked(snippet)
    return SearchPage(items=hits, page=page, per_page=per_page, total=total, query=text, terms=terms)


def _readable_proposal(member_id: int | None):
    """Proposals out of draft, and the drafts the member wrote or co-writes."""
    visible = Proposal.state != ProposalState.draft.value
    if member_id is None:
        return visible
    return or_(visible, Proposal.author_id == member_id,
               Proposal.id.in_(select(proposal_coauthors.c.proposal_id)
                               .where(proposal_coauthors.c.member_id == member_id)))


# --- SQLite ----------------------------------------------------------------------------------------
_fts = table(FTS_TABLE, column("rowid", Integer))
_fts_column = literal_column(FTS_TABLE)


def fts5_expression(terms: list[Term], column_name: str | None = None) -> str:
    """The FTS5 query: each term a quoted string (FTS5 tokenises it as it tokenised the text), AND'ed."""
    parts = []
    for term in terms:
        quoted = '"' + term.text.replace('"', '""') + '"'
        parts.append(quoted + "*" if term.prefix else quoted)
    expression = " AND ".join(parts)
    return f"{column_name} : ({expression})" if column_name else expression


class _SQLiteSearch:
    def __init__(self, terms: list[Term]):
        self.expression = fts5_expression(terms)
        self.title_expression = fts5_expression(terms, "title")
        # computed once, first (MATERIALIZED): else SQLite may scan search_entries by another condition (say,
        # the kind) and run the full-text query once per row
        self.hits = (select(_fts.c.rowid.label("entry_id")).select_from(_fts).where(self._match(self.expression))
                     .cte("hits").prefix_with("MATERIALIZED"))
        self.ranked = (select(_fts.c.rowid.label("entry_id"),
                              func.bm25(_fts_column, TITLE_WEIGHT, TEXT_WEIGHT).label("score"))
                       .select_from(_fts).where(self._match(self.expression))
                       .cte("ranked_hits").prefix_with("MATERIALIZED"))

    @staticmethod
    def _match(expression: str):
        return _fts_column.op("MATCH")(literal(expression))

    def from_(self, query, ranked: bool = False):
        hits = self.ranked if ranked else self.hits
        return query.select_from(hits).join(SearchEntry, SearchEntry.id == hits.c.entry_id)

    def match(self):
        return true()  # the join with the hits does it

    def rank(self):
        return -self.ranked.c.score

    def order(self):
        return self.ranked.c.score  # bm25: lower is better

    def title_matches(self):
        return SearchEntry.id.in_(select(_fts.c.rowid).select_from(_fts).where(self._match(self.title_expression)))

    def marks(self, ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids:
            return {}
        rows = db.session.execute(
            select(_fts.c.rowid, func.highlight(_fts_column, 0, START, STOP),
                   func.snippet(_fts_column, 1, START, STOP, "…", SNIPPET_WORDS))
            .select_from(_fts).where(self._match(self.expression), _fts.c.rowid.in_(ids)))
        return {entry_id: (title, snippet) for entry_id, title, snippet in rows}


# --- PostgreSQL ------------------------------------------------------------------------------------
_document = literal_column(f"{SearchEntry.__tablename__}.document", type_=TSVECTOR)
_HEADLINE = (f"StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_WORDS + 6}, MinWords={SNIPPET_WORDS // 2}, "
             'ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "')
_HEADLINE_ALL = f"HighlightAll=true, StartSel={START}, StopSel={STOP}"


def _regconfig(name: str):
    return literal_column(f"'{name}'::regconfig")


def _groups(languages: list[str]) -> dict[str, list[str]]:
    """Our stemming configurations for these languages → the languages that use each."""
    groups: dict[str, list[str]] = {}
    for code in sorted(set(languages)):
        if code in LANGUAGE_CONFIGS:
            groups.setdefault(config_name(code), []).append(code)
    return groups


class _PostgresSearch:
    """One condition per stemming configuration of the cooperative's content languages (so the SQL stays short
    and each condition can use the GIN index); entries in any other language are matched through
    ``search_simple`` only (exact words and prefixes, no stemming)."""

    def __init__(self, terms: list[Term], languages: list[str]):
        self.simple = config_name(None)
        self.groups = _groups(languages)
        self.simple_query = self._all(self._simple_term(term) for term in terms)
        self.queries = {name: self._all(self._stemmed_term(name, term) for term in terms)
                        .op("||", return_type=TSQUERY)(self.simple_query) for name in self.groups}

    @staticmethod
    def _all(parts):
        return reduce(lambda a, b: a.op("&&", return_type=TSQUERY)(b), parts)

    def _simple_term(self, term: Term):
        if term.prefix:
            return func.to_tsquery(_regconfig(self.simple), literal(f"'{term.words[0]}':*"), type_=TSQUERY)
        return func.phraseto_tsquery(_regconfig(self.simple), literal(term.text), type_=TSQUERY)

    def _stemmed_term(self, name: str, term: Term):
        stemmed = func.phraseto_tsquery(_regconfig(name), literal(term.text), type_=TSQUERY)
        if term.prefix:
            return stemmed.op("||", return_type=TSQUERY)(self._simple_term(term))
        return stemmed

    def _stemmed_languages(self) -> list[str]:
        return sorted(code for codes in self.groups.values() for code in codes)

    def from_(self, query, ranked: bool = False):
        return query.select_from(SearchEntry)

    def match(self):
        matches = _document.bool_op("@@")
        if not self.groups:
            return matches(self.simple_query)
        # every entry's own query is part of this union: one GIN-indexable condition selects the candidates,
        # the exact condition per language then filters them
        union = reduce(lambda a, b: a.op("||", return_type=TSQUERY)(b), self.queries.values())
        exact = or_(*(and_(SearchEntry.language.in_(codes), matches(self.queries[name]))
                      for name, codes in self.groups.items()),
                    and_(SearchEntry.language.not_in(self._stemmed_languages()), matches(self.simple_query)))
        return and_(matches(union), exact)

    def _entry_query(self):
        """The query an entry is matched with: the one of its language's configuration."""
        if not self.groups:
            return self.simple_query
        return case(*((SearchEntry.language.in_(codes), self.queries[name]) for name, codes in self.groups.items()),
                    else_=self.simple_query)

    def _entry_config(self):
        if not self.groups:
            return _regconfig(self.simple)
        return case(*((SearchEntry.language.in_(codes), _regconfig(name)) for name, codes in self.groups.items()),
                    else_=_regconfig(self.simple))

    def rank(self):
        return func.ts_rank(_document, self._entry_query())

    def order(self):
        return self.rank().desc()

    def title_matches(self):
        return func.ts_filter(_document, literal_column("'{a}'")).bool_op("@@")(self._entry_query())

    def marks(self, ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids:
            return {}
        config, query = self._entry_config(), self._entry_query()
        rows = db.session.execute(
            select(SearchEntry.id, func.ts_headline(config, SearchEntry.title, query, literal(_HEADLINE_ALL)),
                   func.ts_headline(config, SearchEntry.text, query, literal(_HEADLINE)))
            .where(SearchEntry.id.in_(ids)))
        return {entry_id: (title, snippet) for entry_id, title, snippet in rows}
