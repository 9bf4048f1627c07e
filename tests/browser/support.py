"""Paths, browser settings and personas shared by the browser tests."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = ROOT / "test-artifacts" / "browser"

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

#: a phone (the crawl's screenshots and accessibility checks are taken at this size)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

#: Accept-Language sent by the anonymous visitor, per interface language
ACCEPT_LANGUAGE = {"nl": "nl-BE,nl;q=0.9", "fr": "fr-BE,fr;q=0.9", "en": "en-GB,en;q=0.9", "de": "de-DE,de;q=0.9"}


def require(condition: bool, reason: str) -> None:
    """Skip when a browser tool is missing, but fail under CI, where the tools must be present."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Persona:
    """Who visits: ``email`` None is an anonymous visitor."""

    key: str
    email: str | None
    #: the language the pages must be in (the account's language when signed in)
    language: str
    #: sent as Accept-Language; for a signed-in persona it differs from ``language`` on purpose
    accept_language: str



# --- checking one page ------------------------------------------------------------------------------
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: axe impacts that fail the test ("minor" and "moderate" are not reported)
FAILING_IMPACTS = {"serious", "critical"}

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
  }));
}"""

PAGE_FACTS = """() => ({
  lang: document.documentElement.getAttribute('lang'),
  title: document.title.trim(),
  h1: document.querySelectorAll('h1').length,
  width: document.documentElement.clientWidth,
  scrollWidth: document.documentElement.scrollWidth,
  wide: Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right <= document.documentElement.clientWidth + 1)
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.classList.length ? '.' + Array.from(el.classList).join('.') : '')),
})"""


@dataclass
class Visit:
    """One page as one persona saw it."""

    persona: str
    url: str
    status: int | None = None
    #: what happened: "checked", "redirected to …", "same page as …"
    outcome: str = ""
    html_file: Path | None = None
    problems: list[str] = field(default_factory=list)


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"


def check_page(page, response, persona: Persona, visit: Visit, name: str, axe_source: str, artifacts: Path) -> None:
    """Save the page (HTML and a screenshot) and record its problems on ``visit``: the language,
    the title, one h1, a phone-width layout, and axe-core's serious and critical WCAG 2.1 A/AA
    violations.

    The HTML saved (for the Nu HTML Checker) is the response as the server sent it, when there is
    one: the serialized DOM (``page.content()``) would hide the errors the HTML parser repairs, such
    as a <div> inside a <p>."""
    where = f"[{persona.key}] {visit.url}" + (f" ({visit.outcome})" if "redirected" in visit.outcome else "")
    name = f"{persona.key}--{name}"
    visit.html_file = artifacts / f"{name}.html"
    visit.html_file.write_text(response.text() if response is not None else page.content(), encoding="utf-8")
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)

    facts = page.evaluate(PAGE_FACTS)
    if facts["lang"] != persona.language:
        visit.problems.append(f"{where}: <html lang={facts['lang']!r}>, expected {persona.language!r}")
    if not facts["title"]:
        visit.problems.append(f"{where}: the <title> is empty")
    elif "<" in facts["title"] or len(facts["title"]) > 200 or "\n" in facts["title"]:
        visit.problems.append(f"{where}: the <title> holds more than a title: {facts['title'][:120]!r}")
    if facts["h1"] != 1:
        visit.problems.append(f"{where}: {facts['h1']} <h1> elements, expected exactly one")
    if facts["scrollWidth"] > facts["width"] + 1:  # WCAG 1.4.10 Reflow, on the phone-sized window
        visit.problems.append(f"{where}: the page is {facts['scrollWidth']}px wide in a {facts['width']}px window "
                              f"(it scrolls sideways; WCAG 1.4.10); too wide: {', '.join(facts['wide'])}")

    # injected with evaluate, which the page's Content-Security-Policy does not apply to
    page.evaluate(axe_source)
    for violation in page.evaluate(RUN_AXE, AXE_TAGS):
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        targets = "; ".join(node["target"] for node in violation["nodes"][:8])
        more = len(violation["nodes"]) - 8
        detail = violation["nodes"][0]["summary"].replace("\n", " ") if violation["nodes"] else ""
        visit.problems.append(
            f"{where}: axe {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"      at: {targets}{f' and {more} more' if more > 0 else ''}\n"
            f"      {detail}\n      {violation['helpUrl']}")
