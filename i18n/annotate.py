"""`python -m i18n.annotate` (run by `make messages`): put `#. key: <message key>` above every entry of the
template and the catalogs, so translators see which text of i18n/messages.py they are writing."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

from i18n import LANGUAGES
from i18n.messages import ALL

I18N_DIR = Path(__file__).resolve().parent


def annotate() -> int:
    """Rewrite the catalogs with key comments; how many files."""
    keys_by_source: dict[str, list[str]] = {}
    for key, source in ALL.items():
        keys_by_source.setdefault(source, []).append(key)
    paths = [I18N_DIR / "messages.pot", *(I18N_DIR / "locales" / lang / "LC_MESSAGES" / "messages.po"
                                          for lang in LANGUAGES)]
    for path in paths:
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.id in keys_by_source:
                message.auto_comments = [f"key: {', '.join(keys_by_source[message.id])}"]
        with path.open("wb") as f:
            write_po(f, catalog, width=0, sort_output=True, include_previous=False)
    return len(paths)


if __name__ == "__main__":
    print(f"annotated {annotate()} catalogs")
