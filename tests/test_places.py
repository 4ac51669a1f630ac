"""reports.places: every border district by name, crossing towns, Lao and Khmer names, GPS points."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from reports.places import Gazetteer, gazetteer

FIXTURES = Path(__file__).parent / "fixtures"
DISTRICTS = list(csv.DictReader((Path(__file__).parent.parent / "config/gazetteer/border_districts.csv").open()))


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return gazetteer()


def test_gazetteer_has_the_67_border_districts(gaz: Gazetteer) -> None:
    assert len(gaz.districts) == 67
    assert len(DISTRICTS) == 67


@pytest.mark.parametrize("row", DISTRICTS, ids=[r["district_code"] for r in DISTRICTS])
def test_every_border_district_by_thai_and_english_name(gaz: Gazetteer, row: dict[str, str]) -> None:
    for name in (row["district_th"], row["district_en"], "อำเภอ" + row["district_th"]):
        place = gaz.search(name)
        assert place is not None and place.district_code == row["district_code"], name
        assert "ambiguous" not in place.flags, name


@pytest.mark.parametrize("row", DISTRICTS, ids=[r["district_code"] for r in DISTRICTS])
def test_every_border_district_from_its_interior_point(gaz: Gazetteer, row: dict[str, str]) -> None:
    place = gaz.locate(float(row["point_lat"]), float(row["point_lon"]))
    assert place is not None and place.district_code == row["district_code"]
    assert place.via == "gps" and place.tambon_code and place.tambon_code.startswith(row["district_code"])


def test_place_name_test_set_hit_rate(gaz: Gazetteer, record_property: Callable[[str, object], None]) -> None:
    rows = list(csv.DictReader((FIXTURES / "places.csv").open(encoding="utf-8")))
    misses = []
    for row in rows:
        place = gaz.search(row["query"])
        if place is None or place.district_code != row["district"]:
            misses.append((row["query"], row["district"], place.district_code if place else None))
    rate = 1 - len(misses) / len(rows)
    record_property("resolver_hit_rate", rate)
    print(f"resolver hit rate: {len(rows) - len(misses)}/{len(rows)} = {rate:.1%}; misses: {misses}")
    assert rate >= 0.97, misses


@pytest.mark.parametrize(
    ("text", "district", "via"),
    [
        ("เห็นเรือที่ท่าอุเทนเมื่อคืน", "4803", "district"),  # found inside unspaced Thai
        ("ต.พนอม อ.ท่าอุเทน", "4803", "tambon"),
        ("Poipet", "2706", "crossing"),
        ("Khammouane", None, "neighbour"),  # a neighbour province: the Thai district with the longest border
        ("บางรัก", "1004", "thai"),  # a Bangkok district: resolved, but no border centre
    ],
)
def test_search_reports_how_it_resolved(gaz: Gazetteer, text: str, district: str | None, via: str) -> None:
    place = gaz.search(text)
    assert place is not None and place.via == via
    if district:
        assert place.district_code == district


def test_outside_thailand_flagged(gaz: Gazetteer) -> None:
    place = gaz.search("บางรัก")
    assert place is not None and "outside_border_districts" in place.flags


@pytest.mark.parametrize("text", ["xyzzy", "national park", "", "12345", "ก"])
def test_unknown_places_are_none(gaz: Gazetteer, text: str) -> None:
    assert gaz.search(text) is None


def test_gps_point_across_the_river_goes_to_the_facing_district(gaz: Gazetteer) -> None:
    # Thakhek town, Laos: just across the Mekong from Mueang Nakhon Phanom.
    place = gaz.locate(17.4105, 104.8312)
    assert place is not None and place.district_code == "4801"
    assert "gps_outside_thailand" in place.flags


def test_gps_far_away_is_none(gaz: Gazetteer) -> None:
    assert gaz.locate(13.7563, 100.5018) is None  # Bangkok: not in the border provinces' polygons


def test_describe_in_thai_and_english(gaz: Gazetteer) -> None:
    place = gaz.search("ต.พนอม อ.ท่าอุเทน")
    assert place is not None
    assert gaz.describe(place, "th") == "ต.พนอม อ.ท่าอุเทน จ.นครพนม"
    assert gaz.describe(place, "en") == "Phanom, Tha Uthen, Nakhon Phanom"
