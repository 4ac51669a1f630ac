"""Reports as CSV and GeoJSON for the workspace's exports and `ntswatch reports export`: pseudonymous fields only
(no contact, no reporter id), points rounded to ~100 m, and every CSV cell safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from reports.models import Report

COLUMNS = ("ticket", "center_id", "status", "category", "when_code", "channel", "language", "district_code",
           "tambon_code", "province_code", "place_text", "details", "flags", "received_at", "created_at")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ or a control character gets a '."""
    text = "" if value is None else json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(reports: Iterable[Report]) -> str:
    """A header and one row per report (UTF-8 with a BOM, so that Excel reads Thai, Lao and Khmer)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in reports:
        writer.writerow([cell(getattr(r, c)) for c in COLUMNS])
    return "\ufeff" + out.getvalue()


def to_geojson(reports: Iterable[Report]) -> dict[str, Any]:
    """A FeatureCollection of the reports that have a point (the details left out of the map's properties)."""
    features = []
    for r in reports:
        if r.lat is None or r.lon is None:
            continue
        props = {c: (str(getattr(r, c)) if getattr(r, c) is not None else None) for c in COLUMNS if c != "details"}
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Point", "coordinates": [round(r.lon, 3), round(r.lat, 3)]}})
    return {"type": "FeatureCollection", "features": features}
