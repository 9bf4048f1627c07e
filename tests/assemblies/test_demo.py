"""The demo assemblies load through the operations and their pages open."""
from __future__ import annotations

from sqlalchemy import select

from governance.assemblies.models import Assembly, Petition
from governance.demo import DEMO_PASSWORD, load_demo


def test_demo_assemblies(db, client):
    result = load_demo()
    assert result["assemblies"] == 3 and result["petitions"] == 2
    assemblies = db.session.execute(select(Assembly).order_by(Assembly.id)).scalars().all()
    assert [a.state for a in assemblies] == ["convened", "draft", "closed"]
    assert assemblies[2].quorum_missed
    response = client.post("/account/sign-in", data={"email": "an.peeters@demo.coop", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(f"/assemblies/{assemblies[0].id}").status_code == 200
    assert client.get(f"/assemblies/{assemblies[1].id}").status_code == 404  # a draft
    petition = db.session.execute(select(Petition).where(Petition.branch_id.is_(None))).scalar_one()
    assert client.get(f"/assemblies/petitions/{petition.id}").status_code == 200
    client.post("/account/sign-out")
    client.post("/account/sign-in", data={"email": "admin@demo.coop", "password": DEMO_PASSWORD})
    for path in ("", "/convocation", "/deliveries", "/letters", "/roles", "/documents"):
        assert client.get(f"/assemblies/{assemblies[0].id}{path}").status_code == 200, path
    assert client.get(f"/assemblies/{assemblies[2].id}").status_code == 200
    assert client.get(f"/assemblies/{assemblies[2].id}/second-convocation").status_code == 200
