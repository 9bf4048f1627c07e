"""ASVS V1.2.4 (row 20): parameterised queries. SQL-like and full-text-syntax input in every search box and filter
behaves literally (the register's search: tests/members/test_views.py::test_search_by_name_number_or_email and
::test_search_treats_like_wildcards_literally), and no SQL is built from strings except the reviewed constants."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.security.conftest import page_text, sign_in_as

ROOT = Path(__file__).resolve().parents[2]
SQL_LIKE = ["' OR 1=1--", "' OR '1'='1", "%", "_", "%%", "\\", "'; DROP TABLE accounts; --", "\" OR \"\"=\"",
            "1) OR (1=1", "vans' --"]
#: full-text query syntax of SQLite FTS5 and PostgreSQL tsquery: must be read as words, never as operators
FTS_SYNTAX = ["vans OR secret", "NEAR(vans secret)", "title:vans", "vans*", "^vans", "vans AND NOT x", "\"vans",
              "vans & !x", "vans | x", "vans:*", "{title}: vans", "- vans", "+vans", "(vans"]

#: files allowed to build SQL text with f-strings, and why
STRING_SQL_ALLOWED = {
    "governance/search/schema.py": "DDL of the full-text index from module constants (table, column and "
                                   "configuration names), no user input",
}

def test_no_sql_is_built_from_strings():
    pattern = re.compile(r"(?<![\w.])(?:text|exec_driver_sql|execute)\(\s*f[\"']|\.format\([^)]*\)\s*\)\s*$|"
                         r"(?:text|execute)\(\s*[\"'][^\"']*[\"']\s*%")
    found = {}
    for path in sorted((ROOT / "governance").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" in rel:
            continue
        hits = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if pattern.search(line)]
        if hits:
            found[rel] = hits
    assert set(found) <= set(STRING_SQL_ALLOWED), found


@pytest.mark.parametrize("query", SQL_LIKE + FTS_SYNTAX)
def test_the_search_reads_sql_and_fts_syntax_as_words(client, world, query):
    sign_in_as(client, world.commenter)
    response = client.get("/search", query_string={"q": query})
    assert response.status_code in (200, 400), response.status_code
    page = page_text(response)
    # nothing in the world holds these words apart from "vans": at most the Belgian proposal, never more
    assert "<svg" not in page
    assert page.count('class="search-result') <= 2


def test_an_operator_word_finds_only_texts_holding_that_word(client, db, world, mship):
    """``OR`` is a word, not an operator: "vans OR nothing" finds texts with all three words, so none here."""
    sign_in_as(client, world.commenter)
    assert f"/proposals/{world.proposal.id}?lang=" in page_text(client.get("/search?q=vans"))
    assert f"/proposals/{world.proposal.id}?lang=" not in page_text(client.get("/search", query_string={
        "q": "vans OR nothingatall"}))
    assert f"/proposals/{world.proposal.id}?lang=" not in page_text(client.get("/search", query_string={
        "q": "nothingatall OR vans"}))


@pytest.mark.parametrize("query", SQL_LIKE)
def test_the_roles_search_is_literal(client, world, query):
    sign_in_as(client, world.admin)
    response = client.get("/account/roles", query_string={"q": query})
    assert response.status_code in (200, 400)
    page = page_text(response)
    # a literal match: no account name or address holds these characters
    for account in (world.author, world.other, world.fr_member):
        assert account.email not in page


@pytest.mark.parametrize("params", [
    {"branch": "BE' OR 1=1--"}, {"language": "% OR 1"}, {"theme": "_"}, {"mine": "1 OR 1=1"},
    {"archived": "' OR ''='"}, {"page": "1 OR 1=1"}, {"page": "-1"}, {"page": "99999999999999999999"},
])
def test_the_directory_filters_take_only_their_listed_values(client, world, params):
    sign_in_as(client, world.fr_member)
    response = client.get("/workgroups/", query_string=params)
    assert response.status_code in (200, 400)
    assert world.workgroup.slug not in page_text(response)  # the Belgian workgroup never appears to France


@pytest.mark.parametrize("params", [{"q": "' OR 1=1--", "branch": "BE"}, {"status": "active' OR 1=1--"},
                                    {"branch": "FR' OR 'x'='x"}, {"page": "2; DROP TABLE members"}])
def test_the_register_filters_of_a_board_stay_in_its_branch(client, world, create_account, params):
    board = create_account(roles=[("board_member", world.fr)])
    sign_in_as(client, board)
    response = client.get("/register/", query_string=params)
    assert response.status_code in (200, 400, 403, 404)
    assert world.be_entry.number not in page_text(response)


def test_spreadsheets_of_the_register_are_parsed_without_xml_entity_expansion():
    """openpyxl reads XLSX files (the register import) through defusedxml when it is installed: no XML bomb or
    external entity. (defusedxml comes in through another package today: pyproject.toml should name it.)"""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
