"""The Markdown renderer against the whole XSS payload corpus of shared/security."""
import importlib.util
import os
from pathlib import Path

import pytest

from governance.core.markdown import render_markdown

SECURITY_DIR = Path(os.environ.get("SECURITY_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "security"))


def _oracle():
    path = SECURITY_DIR / "md_xss_oracle.py"
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"the security corpus is missing at {SECURITY_DIR}")
        pytest.skip(f"the security corpus is not at {SECURITY_DIR}")
    spec = importlib.util.spec_from_file_location("md_xss_oracle", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_payload_renders_harmless():
    oracle = _oracle()
    payloads = list(oracle.payload_lines(str(SECURITY_DIR / "payloads")))
    assert len(payloads) > 500
    bad = [(name, line, oracle.problems(str(render_markdown(line)))) for name, line in payloads]
    bad = [b for b in bad if b[2]]
    assert not bad, bad[:5]


def test_whole_payload_files_render_harmless():
    oracle = _oracle()
    for path in sorted((SECURITY_DIR / "payloads").glob("*.txt")):
        html = str(render_markdown(path.read_text(encoding="utf-8", errors="replace")))
        assert not oracle.problems(html), path.name


def test_links_get_rel_and_only_safe_schemes():
    html = str(render_markdown("[a](https://coop.example/x) [b](mailto:board@coop.example) [c](javascript:alert(1)) "
                               "[d](data:text/html,x) [e](vbscript:x)"))
    assert html.count('rel="nofollow noopener noreferrer ugc"') == 5
    assert 'href="https://coop.example/x"' in html and 'href="mailto:board@coop.example"' in html
    assert "javascript:" not in html and "data:" not in html and "vbscript:" not in html


def test_raw_html_is_shown_as_text():
    html = str(render_markdown("Hello <b onclick=\"x()\">there</b>\n\n<script>alert(1)</script>"))
    assert "&lt;b onclick" in html and "<script>" not in html


def test_markdown_features_survive():
    html = str(render_markdown("# Title\n\n**bold** *em* `code`\n\n- a\n- b\n\n> quote\n\n| x | y |\n|---|---|\n| 1 | 2 |"))
    for tag in ("<h2>", "<strong>", "<em>", "<code>", "<ul>", "<blockquote>", "<table>"):
        assert tag in html
    assert "<h1>" not in html  # the page's own title is its only h1


def test_empty_source():
    assert render_markdown(None) == "" and render_markdown("") == ""
