"""Every page, as every persona, in headless Chromium: accessibility (axe-core, WCAG 2.1 A and AA),
language, title and heading, then HTML validity (the Nu HTML Checker) of everything that was seen.

Personas: anonymous (once per interface language, chosen by Accept-Language), a signed-in member
(an.peeters@demo.coop) and the administrator (admin@demo.coop). A page may answer 403, 404 or a
redirect for a persona; that is recorded, not a failure. Every HTML page that renders is checked, and
saved with a phone-width screenshot into test-artifacts/browser/.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.routes import FORM_STATES, CrawlSetupError, page_urls, stale_exclusions
from tests.browser.support import PHONE, ROOT, VNU_JAR, Visit, check_page, require, slug

pytestmark = pytest.mark.browser

PERSONAS = ["anonymous-nl", "anonymous-fr", "anonymous-en", "anonymous-de", "member", "admin"]


class Crawler:
    """Visits every page once per persona; the results are kept for the session (the HTML check
    reuses them)."""

    def __init__(self, live, new_context, axe_source: str, artifacts: Path):
        self.live = live
        self.new_context = new_context
        self.axe_source = axe_source
        self.artifacts = artifacts
        self.pages = page_urls(live.app)
        self.results: dict[str, list[Visit]] = {}

    def crawl(self, persona_key: str) -> list[Visit]:
        if persona_key not in self.results:
            self.results[persona_key] = self._crawl(self.live.personas[persona_key])
        return self.results[persona_key]

    def _crawl(self, persona) -> list[Visit]:
        context = self.new_context(persona, **PHONE)
        page = context.new_page()
        checked: dict[str, str] = {}  # final path → the URL it was first checked from
        # the pages seen while signing in (two-step sign-in set-up), checked then
        visits = list(self.live.sign_in_visits.get(persona.key, []))
        try:
            for target in self.pages:
                visit = Visit(persona.key, target.url)
                visits.append(visit)
                response = self._load(visit, lambda: page.goto(target.url), target.expected_status, target.endpoint)
                if response is None:
                    continue
                final = urlsplit(page.url)
                if response.request.redirected_from is not None:
                    visit.outcome = f"redirected to {final.path}{'?' + final.query if final.query else ''}"
                # an error page (403, 404 …) is the same template whatever the URL: checked once per status
                key = final.path if visit.status < 400 or target.expected_status else f"error {visit.status}"
                if key in checked:
                    visit.outcome = visit.outcome or f"same page as {checked[key]}"
                    continue
                checked[key] = target.url
                visit.outcome = (visit.outcome + "; checked").lstrip("; ")
                name = slug(target.rule if final.path == urlsplit(target.url).path else final.path)
                check_page(page, response, persona, visit, name, self.axe_source, self.artifacts)
            for name, (personas, go, status) in FORM_STATES.items():
                if persona.key not in personas:
                    continue
                visit = Visit(persona.key, f"({name})")
                visits.append(visit)
                response = self._load(visit, lambda: go(page), status, name)
                if response is not None:
                    visit.outcome = "checked"
                    check_page(page, response, persona, visit, name, self.axe_source, self.artifacts)
        finally:
            page.close()
            context.close()
        return visits

    def _load(self, visit: Visit, go, expected_status: int | None, endpoint: str):
        """The response, or None (with the problem recorded) when it is not an HTML page to check."""
        where = f"[{visit.persona}] {visit.url}"
        errors_before = len(self.live.errors)
        response = go()
        visit.status = response.status if response else None
        if visit.status is None or visit.status >= 500:
            visit.problems.append(f"{where}: answered {visit.status}; server errors: "
                                  f"{self.live.errors[errors_before:] or 'none recorded'}")
            return None
        if expected_status and visit.status != expected_status:
            visit.problems.append(f"{where}: answered {visit.status}, expected {expected_status}")
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/html"):
            visit.problems.append(
                f"{where}: answered {content_type!r}, not an HTML page; if that is right, add "
                f"{endpoint!r} to NOT_PAGES in tests/browser/routes.py")
            return None
        return response


@pytest.fixture(scope="session")
def crawler(live_server, new_context, axe_source, artifacts_dir):
    try:
        return Crawler(live_server, new_context, axe_source, artifacts_dir)
    except CrawlSetupError as exc:
        pytest.fail(f"the crawl cannot list its pages:\n{exc}", pytrace=False)


def _report(visits: list[Visit]) -> str:
    width = max(len(v.url) for v in visits)
    return "\n".join(f"  {v.url:<{width}}  {v.status}  {v.outcome}" for v in visits)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_is_accessible(crawler, persona):
    visits = crawler.crawl(persona)
    print(f"pages visited as {persona}:\n{_report(visits)}")
    problems = [problem for visit in visits for problem in visit.problems]
    assert not problems, f"{len(problems)} problem(s) as {persona}:\n" + "\n".join(problems)
    assert any(v.html_file for v in visits), f"no page rendered as {persona}"


def test_exclusions_still_exist(live_server):
    stale = stale_exclusions(live_server.app)
    assert not stale, f"NOT_PAGES in tests/browser/routes.py lists endpoints that no longer answer GET: {stale}"


def test_every_page_is_valid_html(crawler):
    java = shutil.which("java")
    require(java is not None, "java is missing: run `make browser-deps` (default-jre-headless) for the Nu HTML Checker")
    require(VNU_JAR.is_file(), f"the Nu HTML Checker is missing ({VNU_JAR.relative_to(ROOT)}): run `make node-deps`")
    files = [visit.html_file for persona in PERSONAS for visit in crawler.crawl(persona) if visit.html_file]
    assert files

    # one JVM for all the files: starting it is the slow part
    run = subprocess.run([java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    try:
        messages = json.loads(run.stderr or run.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu HTML Checker did not answer JSON (exit {run.returncode}):\n{run.stderr[-3000:]}")
    errors: dict[str, list[str]] = {}  # message → the files (and lines) where it occurs
    examples: dict[str, str] = {}  # message → the first piece of HTML it was found in
    for message in messages:
        if message.get("type") not in {"error", "non-document-error"}:
            continue
        text = message.get("message", "?")
        name = Path(urlsplit(message.get("url", "")).path).name
        errors.setdefault(text, []).append(f"{name}:{message.get('lastLine', '?')}")
        examples.setdefault(text, message.get("extract", "").strip())
    assert not errors, "the Nu HTML Checker found errors (files in test-artifacts/browser/):\n" + "\n".join(
        f"  {text}\n      for example: {examples[text]!r}\n"
        f"      in {len(where)} file(s): {', '.join(where[:6])}{' …' if len(where) > 6 else ''}"
        for text, where in errors.items())
    assert run.returncode == 0, run.stderr[-3000:]
