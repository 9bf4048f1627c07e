"""Documents: type checked by content and name, size limit, served as attachments to the roll and managers only."""
from __future__ import annotations

import io
import zipfile

import pytest

from governance.assemblies import operations as ops

from .conftest import page_text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind == "odt":
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<x/>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, content_type", [
    ("accounts.pdf", PDF, "application/pdf"),
    ("plan.png", PNG, "image/png"),
    ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
    ("notes.txt", "Comptes annuels — résumé\n".encode(), "text/plain; charset=utf-8"),
    ("README.md", b"# Budget\n\n- one\n", "text/markdown; charset=utf-8"),
    ("statutes.odt", office("odt"), "application/vnd.oasis.opendocument.text"),
    ("letter.docx", office("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("budget.xlsx", office("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_accepted_types(db, make_assembly, admin, name, data, content_type):
    document = ops.add_document(make_assembly(), actor=admin, filename=name, data=data)
    assert document.content_type == content_type and document.size == len(data)


@pytest.mark.parametrize("name, data", [
    ("accounts.pdf", PNG),                       # content and name disagree
    ("page.html", b"<html><script>alert(1)</script></html>"),
    ("virus.exe", b"MZ\x90\x00"),
    ("fake.docx", office("xlsx")),
    ("fake.docx", b"PK\x03\x04not really a zip"),
    ("binary.txt", b"\x00\x01\x02"),
    ("noextension", PDF),
])
def test_refused_types(db, make_assembly, admin, name, data):
    with pytest.raises(ops.DocumentTypeRefused):
        ops.add_document(make_assembly(), actor=admin, filename=name, data=data)


def test_size_limit(app, db, make_assembly, admin, monkeypatch):
    monkeypatch.setitem(app.config, "ASSEMBLY_DOCUMENT_MAX_BYTES", 1024 * 1024)
    with pytest.raises(ops.DocumentTooLarge) as refused:
        ops.add_document(make_assembly(), actor=admin, filename="big.pdf", data=PDF + b"0" * (1024 * 1024))
    assert refused.value.status_code == 413


def test_file_name_is_cleaned():
    assert ops.clean_filename("../../etc/passwd\x00.pdf") == "passwd.pdf"
    assert ops.clean_filename("C:\\Users\\me\\Comptes 2026.pdf") == "Comptes 2026.pdf"
    assert ops.clean_filename('a"b<c>.pdf') == "abc.pdf"


@pytest.fixture
def with_document(db, make_assembly, add_item, roll_member, be, convene, admin):
    assembly = make_assembly()
    item = add_item(assembly)
    roll_member(be)
    document = ops.add_document(assembly, actor=admin, filename="Comptes annuels é.pdf", data=PDF,
                                agenda_item=item, title="Annual accounts")
    convene(assembly)
    return assembly, document


def test_roll_member_downloads_as_attachment(db, client, sign_in, with_document, roll_account, be):
    assembly, document = with_document
    sign_in(roll_account(be))
    assert "Annual accounts" in page_text(client.get(f"/assemblies/{assembly.id}"))
    response = client.get(f"/assemblies/{assembly.id}/documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Comptes%20annuels%20%C3%A9.pdf" in disposition


def test_member_off_the_roll_cannot_download(db, client, sign_in, with_document, roll_account, be, fr):
    assembly, document = with_document
    sign_in(roll_account(be, status="suspended"))  # sees the branch's assembly, is not on its roll
    assert client.get(f"/assemblies/{assembly.id}").status_code == 200
    assert "Annual accounts" not in page_text(client.get(f"/assemblies/{assembly.id}"))
    assert client.get(f"/assemblies/{assembly.id}/documents/{document.id}").status_code == 403
    client.post("/account/sign-out")
    sign_in(roll_account(fr))
    assert client.get(f"/assemblies/{assembly.id}/documents/{document.id}").status_code == 404


def test_document_of_another_assembly_is_404(db, client, sign_in, with_document, make_assembly, admin):
    assembly, document = with_document
    other = make_assembly()
    sign_in(admin)
    assert client.get(f"/assemblies/{other.id}/documents/{document.id}").status_code == 404


def test_upload_page(db, client, sign_in, make_assembly, admin, audit_events):
    assembly = make_assembly()
    sign_in(admin)
    assert client.get(f"/assemblies/{assembly.id}/documents").status_code == 200
    response = client.post(f"/assemblies/{assembly.id}/documents", data={
        "file": (io.BytesIO(PDF), "accounts.pdf"), "title": "Accounts", "agenda_item": "", "language": ""},
        content_type="multipart/form-data")
    assert response.status_code == 303
    response = client.post(f"/assemblies/{assembly.id}/documents", data={
        "file": (io.BytesIO(b"<html></html>"), "page.html"), "title": "Kept title", "agenda_item": "",
        "language": ""}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Kept title" in page_text(response) and "not accepted" in page_text(response)
    assert [e.data["filename"] for e in audit_events("assembly.document")] == ["accounts.pdf"]


def test_upload_too_large_is_413(app, db, client, sign_in, make_assembly, admin, monkeypatch):
    monkeypatch.setitem(app.config, "ASSEMBLY_DOCUMENT_MAX_BYTES", 1024)
    assembly = make_assembly()
    sign_in(admin)
    response = client.post(f"/assemblies/{assembly.id}/documents", data={
        "file": (io.BytesIO(PDF + b"0" * 2048), "big.pdf"), "title": "", "agenda_item": "", "language": ""},
        content_type="multipart/form-data")
    assert response.status_code == 413


def test_delete_document(db, client, sign_in, with_document, admin, audit_events):
    assembly, document = with_document
    sign_in(admin)
    assert client.post(f"/assemblies/{assembly.id}/documents/{document.id}/delete").status_code == 303
    assert client.get(f"/assemblies/{assembly.id}/documents/{document.id}").status_code == 404
    [entry] = audit_events("assembly.document_deleted")
    assert entry.data["after_convocation"] is True
