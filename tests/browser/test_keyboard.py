"""Keyboard use: the skip link, the language switcher, and a visible focus on everything Tab reaches."""
from __future__ import annotations

import pytest

from tests.browser.support import DESKTOP

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href'), type: el.type || null,
    form: el.form ? el.form.getAttribute('action') : null, text: (el.innerText || el.value || '').trim().slice(0, 40),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0,
  };
}"""


@pytest.fixture
def page(new_context, live_server):
    """A desktop page as an anonymous visitor whose browser asks for English."""
    context = new_context(live_server.personas["anonymous-en"], **DESKTOP)
    page = context.new_page()
    yield page
    context.close()


def tab(page) -> dict | None:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def tab_to(page, description: str, predicate, limit: int = 80) -> dict:
    for _ in range(limit):
        focused = tab(page)
        if focused and predicate(focused):
            return focused
    pytest.fail(f"pressing Tab {limit} times never reached {description}")


def test_first_tab_focuses_the_skip_link_which_moves_focus_to_main(page):
    page.goto("/")
    focused = tab(page)
    assert focused and focused["tag"] == "a" and focused["href"] == "#main", \
        f"the first Tab should focus the skip link (href=#main), it focused {focused}"
    assert focused["visible"], "the skip link is focused but not visible"
    box = page.evaluate("() => document.activeElement.getBoundingClientRect().top")
    assert box >= 0, "the focused skip link is above the top of the window"

    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'", timeout=3000)
    assert page.evaluate("() => document.activeElement.tagName") == "MAIN"
    # the next Tab continues inside main, not back at the header
    after = tab(page)
    inside_main = page.evaluate("() => !!document.activeElement.closest('main')")
    assert inside_main, f"after the skip link, Tab went to {after} outside main"


@pytest.mark.parametrize("key,language", [("Enter", "fr"), ("Space", "de"), ("Enter", "nl")])
def test_language_switcher_works_with_the_keyboard(page, key, language):
    page.goto("/")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    tab_to(page, "the language select", lambda f: f["tag"] == "select" and f["id"] == "language-select")

    # arrow keys change a closed select's value in Chromium (on Linux and Windows)
    values = page.eval_on_selector_all("#language-select option", "options => options.map(o => o.value)")
    current = page.eval_on_selector("#language-select", "s => s.value")
    steps = values.index(language) - values.index(current)
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
    assert page.eval_on_selector("#language-select", "s => s.value") == language

    focused = tab(page)
    assert focused and focused["tag"] == "button" and focused["form"].endswith("/language"), \
        f"Tab after the language select should reach its button, it reached {focused}"
    with page.expect_navigation():
        page.keyboard.press(key)
    assert page.evaluate("() => document.documentElement.lang") == language
    assert page.url.endswith("/"), f"the switcher should come back to the same page, not {page.url}"
    assert page.eval_on_selector("#language-select", "s => s.value") == language


@pytest.mark.parametrize("persona,path", [("anonymous-en", "/"), ("anonymous-en", "/account/sign-in"), ("member", "/")])
def test_focus_is_visible_on_everything_tab_reaches(new_context, live_server, persona, path):
    context = new_context(live_server.personas[persona], **DESKTOP)
    page = context.new_page()
    try:
        page.goto(path)
        seen, invisible = [], []
        for _ in range(80):
            focused = tab(page)
            if focused is None or focused in seen[:1]:
                break  # focus left the page (to the browser) or came round again
            seen.append(focused)
            if not focused["visible"] or not (focused["outline"] or focused["shadow"]):
                invisible.append(focused)
        assert len(seen) >= 4, f"Tab reached only {seen} on {path}"
        assert not invisible, f"[{persona}] {path}: focused elements without a visible focus indicator: {invisible}"
    finally:
        context.close()
