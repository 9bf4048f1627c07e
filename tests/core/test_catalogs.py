"""Every message the code uses is translated in nl, fr, en and de, and nothing is fuzzy."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("nl", "fr", "en", "de")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


@pytest.fixture(scope="module")
def used_messages():
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, filename)
    assert len(found) > 50
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete(used_messages, lang):
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh)
    missing, untranslated, fuzzy = [], [], []
    for msgid, filename in used_messages.items():
        entry = catalog.get(msgid)
        if entry is None:
            missing.append(f"{filename}: {msgid}")
            continue
        strings = entry.string if isinstance(entry.string, (tuple, list)) else (entry.string,)
        if not all(strings):
            untranslated.append(msgid)
        if entry.fuzzy:
            fuzzy.append(msgid)
    assert not missing, f"{lang}: {len(missing)} missing, e.g. {missing[:5]}"
    assert not untranslated, f"{lang}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{lang}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("lang", ("nl", "fr", "de"))
def test_placeholders_survive_translation(lang):
    import re

    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    pattern = re.compile(r"%\(\w+\)[sd]")
    wrong = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, (tuple, list)) else (entry.id,)
        strings = entry.string if isinstance(entry.string, (tuple, list)) else (entry.string,)
        expected = set(pattern.findall(ids[-1]))
        for s in strings:
            if set(pattern.findall(s)) - set(pattern.findall(" ".join(ids))) or (expected and not set(pattern.findall(s)) <= expected | set(pattern.findall(ids[0]))):
                wrong.append(entry.id)
    assert not wrong, wrong[:5]
