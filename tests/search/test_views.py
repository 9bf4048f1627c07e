"""The search page: a GET form (no CSRF token), results linking to proposals and to comments in their
threads, messages for empty, short and long queries, pagination, and a fixed number of queries."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from governance.search.queries import MAX_QUERY_LENGTH
from tests.proposals.conftest import url
from tests.workgroups.conftest import page_text


def test_results_link_to_proposals_and_comments(client, sign_in, group, write, comment):
    proposal = write(group, state="discussion", titles={"en": "Share the vans", "fr": "Partager les camionnettes"},
                     bodies={"en": "Every week.", "fr": "Chaque semaine."})
    talk = comment(group, proposal, group.members[0], "The vans are free on Sundays.")
    sign_in(group.members[1])
    response = client.get("/search?q=vans")
    assert response.status_code == 200
    page = page_text(response)
    assert "2 results for “vans”" in page
    assert f'href="{url(group, proposal)}?lang=en"' in page
    assert "Share the <mark>vans</mark>" in page
    assert f'href="/search/comments/{talk.id}"' in page
    assert "The <mark>vans</mark> are free on Sundays" in page
    assert 'name="csrf_token"' not in page.split('role="search"')[1].split("</form>")[0]
    # a found comment opens in its thread
    response = client.get(f"/search/comments/{talk.id}")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == url(group, proposal) and target.fragment == f"comment-{talk.id}"
    assert parse_qs(target.query) == {"page": ["1"]}


def test_a_french_result_is_marked_with_its_language(client, sign_in, group, write):
    write(group, state="discussion", titles={"en": "Share the vans", "fr": "Partager les camionnettes"},
          bodies={"en": "Every week.", "fr": "Chaque semaine."})
    sign_in(group.members[1])
    page = page_text(client.get("/search?q=camionnette&lang=fr&kind=proposal"))
    assert "1 result for “camionnette”" in page
    assert 'lang="fr">Partager les <mark>camionnettes</mark></a>' in page
    assert "French" in page


def test_the_empty_form_and_no_results(client, sign_in, group):
    sign_in(group.members[0])
    response = client.get("/search")
    page = page_text(response)
    assert response.status_code == 200
    assert '<label for="q">Search for</label>' in page and "results for" not in page
    assert client.get("/search?q=+++").status_code == 200
    page = page_text(client.get("/search?q=nothing+like+this"))
    assert "0 results for “nothing like this”" in page
    assert "No proposal or comment you can read matches this search." in page


def test_short_long_and_odd_queries_are_refused_with_a_message(client, sign_in, group):
    sign_in(group.members[0])
    response = client.get("/search?q=a")
    assert response.status_code == 400
    assert "Type at least 2 characters." in page_text(response)
    long_query = "vans " * (MAX_QUERY_LENGTH // 5 + 1)
    response = client.get("/search", query_string={"q": long_query})
    assert response.status_code == 400
    page = page_text(response)
    assert f"Type at most {MAX_QUERY_LENGTH} characters." in page
    assert 'value="vans vans' in page  # what the member typed stays in the field
    response = client.get("/search?q=!!!")
    assert response.status_code == 400 and "Type at least one word" in page_text(response)
    assert client.get("/search?q=vans&kind=secret").status_code == 400
    assert client.get("/search?q=vans&lang=xx").status_code == 400


def test_the_query_is_shown_as_text(client, sign_in, group, write):
    sign_in(group.members[0])
    page = page_text(client.get("/search", query_string={"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in page
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;”" in page


def test_anonymous_visitors_are_asked_to_sign_in(client, group, write):
    write(group, state="discussion")
    response = client.get("/search?q=vans")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]
    comment_response = client.get("/search/comments/1")
    assert comment_response.status_code == 302


def test_a_comment_the_reader_may_not_see_is_not_found(client, switch_to, group, write, comment, fr, member_account):
    proposal = write(group, state="discussion")
    talk = comment(group, proposal, group.members[0], "Belgian matters")
    switch_to(member_account(fr))
    assert client.get(f"/search/comments/{talk.id}").status_code == 404
    assert client.get("/search/comments/999999").status_code == 404
    assert "0 results" in page_text(client.get("/search?q=belgian"))


def test_pages_of_results(client, sign_in, group, write):
    for i in range(23):
        write(group, state="discussion", titles={"en": f"Van plan {i}"}, bodies={"en": "About vans."})
    sign_in(group.members[0])
    page = page_text(client.get("/search?q=van+plan"))
    assert "23 results" in page and "Page 1 of 2" in page
    assert 'href="/search?page=2&amp;q=van+plan"' in page or 'href="/search?q=van+plan&amp;page=2"' in page
    second = page_text(client.get("/search?q=van+plan&page=2"))
    assert "Page 2 of 2" in second and second.count('class="card"') == 3
    assert '<ol class="search-results" start="21">' in second


def test_a_page_of_results_takes_a_fixed_number_of_queries(client, sign_in, group, write, comment, count_queries):
    proposal = write(group, state="discussion", titles={"en": "Vans"}, bodies={"en": "Vans."})
    sign_in(group.members[0])
    with count_queries() as few:
        assert client.get("/search?q=vans").status_code == 200
    for i in range(8):
        other = write(group, group.other if i % 2 else group.author, state="discussion",
                      titles={"en": f"More vans {i}", "fr": f"Plus de vans {i}"}, bodies={"en": "Vans.", "fr": "Vans."})
        comment(group, other, group.members[i % 3], f"Vans comment {i}")
    comment(group, proposal, group.members[1], "Vans again")
    with count_queries() as many:
        page = page_text(client.get("/search?q=vans"))
    assert "20 results" not in page and "Page 1 of 2" in page
    assert many.count == few.count, many.statements


def test_results_from_an_archived_workgroup_say_so(client, sign_in, db, group, write):
    write(group, state="discussion", titles={"en": "Old vans"})
    group.workgroup.archive()
    db.session.flush()
    sign_in(group.members[0])
    page = page_text(client.get("/search?q=vans"))
    assert "1 result for “vans”" in page
    assert f'in the workgroup <a href="/workgroups/{group.workgroup.slug}">Tools we share</a> (archived)' in page


def test_searching_is_rate_limited_per_account(app, client, sign_in, group, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_RATE_LIMIT", "2 per hour")
    sign_in(group.members[0])
    assert [client.get("/search?q=vans").status_code for _ in range(3)] == [200, 200, 429]
