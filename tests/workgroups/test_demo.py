"""The demo data's workgroups: local and cross-branch, in several languages, with facilitators and requests."""
from __future__ import annotations

from sqlalchemy import select

from governance.demo import DEMO_PASSWORD, load_demo
from governance.workgroups.models import Workgroup, WorkgroupMembership


def test_demo_workgroups(client, db):
    load_demo()
    db.session.commit()
    workgroups = {w.titles.get("en") or w.titles[w.original_language]: w
                  for w in db.session.execute(select(Workgroup)).scalars()}
    assert {"Who is the cooperative for?", "Tools we share", "Economic model", "Governance"} <= set(workgroups)
    assert workgroups["Tools we share"].original_language == "fr"
    assert {b.code for b in workgroups["Governance"].branches} == {"BE", "FR", "NL"}
    assert {b.code for b in workgroups["Groupe local de Lyon"].branches} == {"FR"}
    assert sum(w.is_archived for w in workgroups.values()) == 1
    pending = db.session.execute(select(WorkgroupMembership).where(WorkgroupMembership.status == "pending")).all()
    assert pending

    # the member persona, An Peeters (Belgium, reads Dutch)
    response = client.post("/account/sign-in", data={"email": "an.peeters@demo.coop", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Bestuur" in home and "Gedeelde werkplaats Brussel" in home
    directory = client.get("/workgroups/").get_data(as_text=True)
    assert "Gedeelde werkplaats Brussel" in directory and "Groupe local de Lyon" not in directory
    assert client.get(f"/workgroups/{workgroups['Groupe local de Lyon'].slug}").status_code == 404
    assert client.get(f"/workgroups/{workgroups['Governance'].slug}/members").status_code == 200  # she facilitates
