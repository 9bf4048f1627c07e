"""Choosing the language version of multilingual content."""
from governance.core.i18n import LocalText, pick_version


def test_a_requested_version_that_exists_is_shown_for_every_text():
    version, texts = pick_version("de", "fr", {"fr": "Outils", "de": "Werkzeuge"}, {"fr": "Texte", "de": "Text"})
    assert version == "de"
    assert texts == [LocalText("Werkzeuge", "de", False), LocalText("Text", "de", False)]


def test_a_missing_or_empty_version_falls_back_to_the_reader():
    assert pick_version("nl", "fr", {"fr": "Outils"}, {"fr": "Texte"}) == ("", None)
    assert pick_version("nl", "fr", {"fr": "Outils", "nl": ""}) == ("", None)
    assert pick_version(None, "fr", {"fr": "Outils"}) == ("", None)
