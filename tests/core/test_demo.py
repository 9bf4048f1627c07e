from sqlalchemy import func, select

from governance.accounts.models import Account
from governance.core.audit import verify_chain
from governance.members.models import Branch, Member


def test_demo_load_builds_a_multi_branch_cooperative_once(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["governance", "demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    codes = set(db.session.execute(select(Branch.code)).scalars())
    assert {"BE", "FR", "DE", "NL", "IT", "ES"} <= codes
    statuses = set(db.session.execute(select(Member.status)).scalars())
    assert statuses == {"applicant", "active", "suspended", "resigned", "excluded", "deceased"}
    belgian_languages = set(db.session.execute(
        select(Member.language).join(Branch).where(Branch.code == "BE")).scalars())
    assert {"nl", "fr"} <= belgian_languages
    admin = db.session.execute(select(Account).where(Account.email == "admin@demo.coop")).scalar_one()
    assert admin.is_admin
    assert verify_chain().ok

    members_before = db.session.execute(select(func.count()).select_from(Member)).scalar()
    again = runner.invoke(args=["governance", "demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    assert db.session.execute(select(func.count()).select_from(Member)).scalar() == members_before


def test_demo_member_can_sign_in_and_sees_their_membership(app, db, client):
    from governance.demo import DEMO_PASSWORD, load_demo

    load_demo()
    db.session.commit()
    response = client.post("/account/sign-in", data={"email": "an.peeters@demo.coop", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Mijn lidmaatschap" in page and "BE-" in page
