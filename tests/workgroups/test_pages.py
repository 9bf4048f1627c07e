"""The pages: directory filters and pagination, the multilingual fallback, CSRF on every form, the home
page's "My workgroups", and a constant number of queries whatever the number of workgroups and members."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from governance.workgroups.models import WorkgroupMembership
from tests.workgroups.conftest import page_text


def _titles(page: str) -> list[str]:
    return re.findall(r'<h2 id="workgroup-\d+"><a href="[^"]+"[^>]*>([^<]+)</a>', page)


@pytest.fixture
def catalogue(be, fr, member_account, make_workgroup, create_branch):
    """Workgroups of different themes, scopes and languages; ``an`` (BE) is in two of them."""
    nl_branch = create_branch("NL")
    an = member_account(be)
    make_workgroup(title="Alpha governance", theme="governance", working_languages=["en", "fr"], members=[an])
    make_workgroup(title="Bravo tools Belgium", theme="tools", branches=[be], working_languages=["nl", "fr"])
    make_workgroup(title="Charlie economy", theme="economic_model", working_languages=["de"],
                   joining="moderated", pending=[an])
    make_workgroup(title="Delta Lyon", theme="other", branches=[fr], working_languages=["fr"])
    make_workgroup(title="Echo Benelux", theme="membership", branches=[be, nl_branch], working_languages=["nl"])
    return an


@pytest.mark.parametrize("query,expected", [
    ("", ["Alpha governance", "Bravo tools Belgium", "Charlie economy", "Echo Benelux"]),
    ("?language=fr", ["Alpha governance", "Bravo tools Belgium"]),
    ("?language=nl", ["Bravo tools Belgium", "Echo Benelux"]),
    ("?theme=economic_model", ["Charlie economy"]),
    ("?branch=cooperative", ["Alpha governance", "Charlie economy"]),
    ("?branch=BE", ["Bravo tools Belgium", "Echo Benelux"]),
    ("?mine=y", ["Alpha governance", "Charlie economy"]),
    ("?mine=y&language=de", ["Charlie economy"]),
])
def test_directory_filters(client, sign_in, catalogue, query, expected):
    sign_in(catalogue)
    response = client.get(f"/workgroups/{query}")
    assert response.status_code == 200
    assert _titles(page_text(response)) == expected


def test_directory_shows_counts_and_the_readers_place(client, sign_in, catalogue):
    sign_in(catalogue)
    page = page_text(client.get("/workgroups/"))
    assert "4 workgroups found" in page
    assert "You are a member" in page and "Your request to join is waiting for an answer" in page


def test_directory_refuses_unknown_filter_values(client, sign_in, catalogue):
    sign_in(catalogue)
    assert client.get("/workgroups/?theme=football").status_code == 400
    assert client.get("/workgroups/?language=xx").status_code == 400


def test_directory_pagination(client, sign_in, be, member_account, make_workgroup):
    for n in range(23):
        make_workgroup(title=f"Workgroup {n:02d}")
    sign_in(member_account(be))
    first = page_text(client.get("/workgroups/"))
    assert _titles(first) == [f"Workgroup {n:02d}" for n in range(20)]
    assert "Page 1 of 2" in first and 'href="/workgroups/?page=2"' in first
    second = page_text(client.get("/workgroups/?page=2"))
    assert _titles(second) == ["Workgroup 20", "Workgroup 21", "Workgroup 22"]
    assert _titles(page_text(client.get("/workgroups/?page=99"))) == _titles(second)


def test_a_text_missing_in_the_readers_language_shows_the_original_with_a_notice(client, sign_in, be,
                                                                                member_account, make_workgroup):
    workgroup = make_workgroup(title="Les outils que nous partageons", original_language="fr",
                               titles={"fr": "Les outils que nous partageons", "de": "Werkzeuge, die wir teilen"},
                               descriptions={"fr": "Nous **partageons**.", "de": "Wir teilen."},
                               working_languages=["fr"])
    sign_in(member_account(be, language="en"))
    page = page_text(client.get(f"/workgroups/{workgroup.slug}"))
    assert '<h1 lang="fr">Les outils que nous partageons</h1>' in page
    assert "it is shown in its original language, French." in page
    assert '<div class="description" lang="fr"><p>Nous <strong>partageons</strong>.</p></div>' in page
    assert f'href="/workgroups/{workgroup.slug}?lang=de" lang="de" hreflang="de">Deutsch</a>' in page
    # another version, chosen by the reader
    page = page_text(client.get(f"/workgroups/{workgroup.slug}?lang=de"))
    assert '<h1 lang="de">Werkzeuge, die wir teilen</h1>' in page and "original language" not in page
    # the directory marks it too
    page = page_text(client.get("/workgroups/"))
    assert 'lang="fr">Les outils que nous partageons</a>' in page and "Original in French" in page


def test_a_reader_with_a_translation_sees_no_notice(client, sign_in, be, member_account, make_workgroup):
    workgroup = make_workgroup(title="Les outils", original_language="fr",
                               titles={"fr": "Les outils", "en": "Tools"},
                               descriptions={"fr": "Nous partageons.", "en": "We share."})
    sign_in(member_account(be, language="en"))
    page = page_text(client.get(f"/workgroups/{workgroup.slug}"))
    assert "<h1>Tools</h1>" in page and "We share." in page and "original language" not in page


def test_a_member_whose_language_has_no_catalog_reads_texts_in_it(client, sign_in, create_branch, member_account,
                                                                   make_workgroup):
    italy = create_branch("IT", official_languages=["it"], required_languages=["it"])
    workgroup = make_workgroup(title="Economic model", titles={"en": "Economic model", "it": "Modello economico"},
                               descriptions={"en": "Money.", "it": "Soldi."})
    reader = member_account(italy, language="it")
    sign_in(reader)
    page = page_text(client.get(f"/workgroups/{workgroup.slug}"))
    assert '<html lang="en">' in page  # the interface has no Italian catalog …
    assert '<h1 lang="it">Modello economico</h1>' in page and "original language" not in page  # … the text has


def test_my_workgroups_on_the_home_page(client, sign_in, catalogue, count_queries):
    sign_in(catalogue)
    page = page_text(client.get("/"))
    section = page.split('id="my-workgroups"')[1].split("</section>")[0]
    assert "Alpha governance" in section and "(member)" in section
    assert "Charlie economy" in section and "request waiting for an answer" in section
    assert "Bravo tools Belgium" not in section


def test_the_home_page_reads_my_workgroups_in_one_query(client, sign_in, be, member_account, make_workgroup,
                                                        count_queries):
    an = member_account(be)
    sign_in(an)
    make_workgroup(title="First", members=[an])
    with count_queries() as few:
        client.get("/")
    for n in range(8):
        make_workgroup(title=f"More {n}", branches=[be], facilitators=[an])
    with count_queries() as many:
        page = page_text(client.get("/"))
    assert page.count("(facilitator)") == 8
    assert many.count == few.count


def test_get_never_changes_state(client, sign_in, be, member_account, make_workgroup, db):
    an = member_account(be)
    workgroup = make_workgroup()
    sign_in(an)
    for action in ("join", "leave", "archive", "unarchive"):
        assert client.get(f"/workgroups/{workgroup.slug}/{action}").status_code == 405
    assert db.session.execute(select(func.count()).select_from(WorkgroupMembership)).scalar_one() == 0


def test_every_post_route_needs_the_csrf_token(app, client, sign_in, admin, be, member_account, make_workgroup,
                                               db, audit_events):
    waiting = member_account(be)
    workgroup = make_workgroup(joining="moderated", facilitators=[member_account(be)], pending=[waiting])
    sign_in(admin)
    before = len(audit_events(""))
    values = {"workgroup_slug": workgroup.slug, "member_id": waiting.member.id}
    routes = [rule for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("workgroups.") and "POST" in rule.methods]
    urls = []
    for rule in routes:
        if "action" in rule.arguments:
            urls += [rule.build({**values, "action": a})[1]
                     for a in ("approve", "refuse", "appoint", "remove-facilitator")]
        else:
            urls.append(rule.build({k: v for k, v in values.items() if k in rule.arguments})[1])
    assert len(urls) == 12  # 10, and follow and unfollow
    for url in urls:
        response = client.post(url, data={"title_en": "x"}, csrf=False)
        assert response.status_code == 400, url
        assert "Your form had expired" in page_text(response)
    assert len(audit_events("")) == before
    db.session.expire_all()
    assert db.session.execute(select(WorkgroupMembership.status)
                              .where(WorkgroupMembership.member_id == waiting.member.id)).scalar_one() == "pending"


# --- queries ---------------------------------------------------------------------------------------
def _populate(be, fr, member_account, make_workgroup, n: int):
    """``n`` workgroups of various scopes, each with members, facilitators and requests."""
    people = [member_account(be if i % 2 else fr) for i in range(6)]
    for i in range(n):
        make_workgroup(title=f"Group {i:02d}", branches=None if i % 3 else [be, fr],
                       working_languages=["en", "fr"], joining="moderated",
                       facilitators=people[:2], members=people[2:4 + i % 2], pending=people[5:])


def test_directory_queries_do_not_grow_with_workgroups_or_members(client, sign_in, be, fr, member_account,
                                                                  make_workgroup, count_queries):
    reader = member_account(be)
    sign_in(reader)
    _populate(be, fr, member_account, make_workgroup, 1)
    with count_queries() as few:
        assert client.get("/workgroups/?language=fr").status_code == 200
    _populate(be, fr, member_account, make_workgroup, 15)
    with count_queries() as many:
        page = page_text(client.get("/workgroups/?language=fr"))
    assert "16 workgroups found" in page
    assert many.count == few.count, many.statements


def test_workgroup_and_members_pages_do_not_grow_with_members(client, sign_in, be, fr, member_account,
                                                              make_workgroup, count_queries):
    facilitator = member_account(be)
    small = make_workgroup(title="Small", joining="moderated", branches=[be, fr], facilitators=[facilitator],
                           members=[member_account(be)], pending=[member_account(fr)])
    big = make_workgroup(title="Big", joining="moderated", branches=[be, fr],
                         facilitators=[facilitator, *(member_account(fr) for _ in range(4))],
                         members=[member_account(be if i % 2 else fr) for i in range(30)],
                         pending=[member_account(be if i % 2 else fr) for i in range(8)])
    sign_in(facilitator)
    for page in ("", "/members"):
        with count_queries() as few:
            assert client.get(f"/workgroups/{small.slug}{page}").status_code == 200
        with count_queries() as many:
            assert client.get(f"/workgroups/{big.slug}{page}").status_code == 200
        assert many.count == few.count, (page, many.statements)


def test_the_members_page_is_paginated(client, sign_in, be, member_account, make_workgroup):
    facilitator = member_account(be, last_name="Aaa")
    workgroup = make_workgroup(facilitators=[facilitator], members=[member_account(be) for _ in range(55)])
    sign_in(facilitator)
    first = page_text(client.get(f"/workgroups/{workgroup.slug}/members"))
    assert "56 members" in first and "Page 1 of 2" in first
    assert first.index("Aaa") < first.index("Remove as facilitator") < first.index("Appoint as facilitator")
    second = page_text(client.get(f"/workgroups/{workgroup.slug}/members?page=2"))
    assert second.count("Appoint as facilitator") == 6


def test_the_directory_is_sorted_by_title_in_the_readers_language(client, sign_in, be, member_account,
                                                                  make_workgroup):
    make_workgroup(title="Zebra", titles={"en": "Zebra", "nl": "Aardvarken"})
    make_workgroup(title="Middle", titles={"en": "Middle"})
    make_workgroup(title="Apple", titles={"en": "Apple", "nl": "Zon"})
    sign_in(member_account(be, language="nl"))
    assert _titles(page_text(client.get("/workgroups/"))) == ["Aardvarken", "Middle", "Zon"]
