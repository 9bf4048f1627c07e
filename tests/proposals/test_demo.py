"""The demo data's proposals: revisions, co-authors, supports and states, readable by the member persona."""
from __future__ import annotations

from sqlalchemy import select

from governance.demo import DEMO_PASSWORD, load_demo
from governance.proposals.models import Proposal
from governance.workgroups.models import Workgroup


def test_demo_proposals(client, db):
    load_demo()
    db.session.commit()
    proposals = list(db.session.execute(select(Proposal).order_by(Proposal.id)).scalars())
    assert [p.state for p in proposals] == ["discussion", "draft", "ready_for_vote"]
    tools = db.session.execute(select(Workgroup).where(Workgroup.id == proposals[0].workgroup_id)).scalar_one()
    assert tools.titles["en"] == "Tools we share"
    response = client.post("/account/sign-in", data={"email": "an.peeters@demo.coop", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    base = f"/workgroups/{tools.slug}/proposals"
    page = client.get(f"{base}/{proposals[0].id}").get_data(as_text=True)
    # (a member translated it into Dutch: she reads the translation, the original is a link away)
    assert "Eén gedeelde agenda voor de bestelwagens" in page and f"{base}/{proposals[0].id}?lang=fr" in page
    # (the persona reads Dutch: only content and links are checked, not interface strings)
    assert proposals[0].coauthors[0].full_name in page
    assert f"{base}/{proposals[0].id}/changes?to=2" in page
    assert f"{base}/{proposals[0].id}/support" not in page  # she is not a member of the workgroup
    changes = client.get(f"{base}/{proposals[0].id}/changes?to=2").get_data(as_text=True)
    assert "<ins>- le plein est fait au retour</ins>" in changes
    assert client.get(f"{base}/{proposals[1].id}").status_code == 404  # someone else's draft
    # a short thread of comments, with a reply
    assert "<strong>which branch</strong>" in page and "each booking will show the branch" in page
    assert '<ul class="comment-replies">' in page
