"""`python -m i18n.review` (run by `make messages`): write `i18n/locales/REVIEW.md`, the list of names and texts
a native speaker at a centre should check — the Lao and Khmer place names marked `review` in
config/gazetteer/names.yaml, and every Lao and Khmer catalog text beside its English source — shipped with
the catalogs so that the centres' staff can correct them and send the corrections back."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from i18n.catalog import text
from i18n.messages import ALL

REVIEW_FILE = Path(__file__).resolve().parent / "locales" / "REVIEW.md"
GAZETTEER_DIR = Path(__file__).resolve().parent.parent / "config" / "gazetteer"
LANGUAGE_NAMES = {"lo": "Lao", "km": "Khmer"}


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def names_to_review(directory: Path = GAZETTEER_DIR) -> list[tuple[str, str, str, str]]:
    """(code, Thai name, language, spelling) of every district or province name marked `review`."""
    thai: dict[str, str] = {}
    with (directory / "border_districts.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            thai[row["district_code"]] = row["district_th"]
            thai[row["province_code"]] = row["province_th"]
    data = yaml.safe_load((directory / "names.yaml").read_text("utf-8"))
    found = []
    for section in ("districts", "provinces"):
        for code, names in (data.get(section) or {}).items():
            for lang in names.get("review", []):
                found.append((str(code), thai.get(str(code), ""), str(lang), str(names[lang])))
    return sorted(found)


def render() -> str:
    """The review list as Markdown."""
    lines = [
        "# Names and texts for a native speaker's check",
        "",
        "Written by `python -m i18n.review` (`make messages`); do not edit by hand. Mark a line checked by",
        "correcting the name in `config/gazetteer/names.yaml` (and removing its `review` marker) or the text in",
        "`i18n/locales/<lang>/LC_MESSAGES/messages.po`. Reporters read these on 2G feature phones: plain village",
        "words, one word each for ticket, centre, report and acknowledged.",
        "",
        "## Place names spelt by ear",
        "",
        "| district | Thai | language | spelling to check |",
        "|---|---|---|---|",
    ]
    for code, thai, lang, name in names_to_review():
        lines.append(f"| {code} | {thai} | {LANGUAGE_NAMES.get(lang, lang)} | {name} |")
    for lang, language in LANGUAGE_NAMES.items():
        lines += ["", f"## {language} texts", "", "| key | English | " + language + " |", "|---|---|---|"]
        for key in sorted(ALL):
            lines.append(f"| {key} | {_cell(text('en', key))} | {_cell(text(lang, key))} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the review list."""
    REVIEW_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {REVIEW_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
