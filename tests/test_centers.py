"""reports.centres_file: the centres file is validated with errors that name the file, the centre and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reports.centres_file import CentersError, load_centers, parse_centers

ROOT = Path(__file__).parent.parent


def centre(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "4803", "districts": ["4803"], "notify": [{"inbox": {}}]}
    base.update(over)
    return base


def doc(*centres: dict[str, Any], fallback: str = "national") -> dict[str, Any]:
    return {"fallback": fallback, "centers": [*centres, {"id": "national", "districts": [], "notify": [{"inbox": {}}]}]}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (doc(centre()), None),
        (doc(centre(notify=[{"telegram": {"chat_id": -100123, "thread_id": 7}}, {"inbox": {}}])), None),
        (doc(centre(notify=[{"sms": {"to": ["+66812345678"]}}])), None),
        (doc(centre(members=[{"role": "head", "telegram_user_id": 1}])), None),
        ([], "top level"),
        ({"centers": "x"}, "top level"),
        (doc(centre(), fallback="nowhere"), "fallback"),
        (doc(centre(), centre()), "duplicate id"),
        (doc(centre(), centre(id="x", districts=["4803"])), "already served"),
        (doc(centre(districts=["48O3"])), "4-digit"),
        (doc(centre(notify=[])), "at least one notify"),
        (doc(centre(notify=[{"fax": {}}])), "unknown notify kind"),
        (doc(centre(notify=[{"telegram": {"chat_id": "group"}}])), r"notify\[0\]\.telegram\.chat_id: .*integer"),
        (doc(centre(notify=[{"telegram": {"chat_id": -1, "thread_id": "7"}}])), "thread_id"),
        (doc(centre(notify=[{"sms": {"to": ["0812345678"]}}])), "E.164"),
        (doc(centre(notify=[{"line": {}}])), r"notify\[0\]\.line\.to: Field required"),
        (doc(centre(language="fr")), "language"),
        (doc(centre(members=[{"role": "boss"}])), r"members\[0\]\.role: Input should be 'head'"),
        (doc({"districts": []}), r"centers\[0\]: id: Field required"),
    ],
)
def test_parse_centers(data: Any, error: str | None) -> None:
    if error is None:
        centers = parse_centers(data)
        assert centers.for_district("4803") is not None
        assert centers.fallback.id == "national"
    else:
        with pytest.raises(CentersError, match=error) as info:
            parse_centers(data, Path("centres.yaml"))
        assert str(info.value).startswith("centres.yaml: ")


def test_demo_centres_file_covers_every_border_district() -> None:
    centers = load_centers(ROOT / "config/centers.yaml")
    assert len(centers.by_district) == 67
    assert all(t.kind == "inbox" for c in centers.by_id.values() for t in c.notify)


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(CentersError, match="cannot read"):
        load_centers(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("centers: [unclosed")
    with pytest.raises(CentersError, match="not valid YAML"):
        load_centers(bad)


def test_target_keys_distinguish_forum_topics() -> None:
    centers = parse_centers(doc(centre(notify=[{"telegram": {"chat_id": -5, "thread_id": 7}},
                                               {"telegram": {"chat_id": -5}}])))
    keys = [t.key for t in centers.by_id["4803"].notify]
    assert keys == ["telegram:-5:7", "telegram:-5"]
