"""Maps drawn on the server as SVG from the project's own district polygons (reports/places.py): no tile server,
no CDN, no script — a district office whose internet is down but whose LAN is up still sees them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape
from typing import Any

WIDTH = 640


def svg(outlines: dict[str, Any], names: dict[str, str], highlight: set[str],
        points: Iterable[tuple[float, float]], width: int = WIDTH) -> str:
    """The `outlines` (district code → shapely geometry) framed to their extent, `highlight` filled, each point a
    dot (rounded to ~1 km: a map is not where to read a reporter's exact position)."""
    bounds = [g.bounds for g in outlines.values()]
    west, south = min(b[0] for b in bounds), min(b[1] for b in bounds)
    east, north = max(b[2] for b in bounds), max(b[3] for b in bounds)
    pad = max(east - west, north - south) * 0.04
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    squeeze = math.cos(math.radians((north + south) / 2))
    scale = width / ((east - west) * squeeze)
    height = (north - south) * scale

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (lon - west) * squeeze * scale, (north - lat) * scale

    paths = []
    for code, geom in sorted(outlines.items()):
        rings = [p.exterior.coords for p in getattr(geom, "geoms", [geom])]
        d = " ".join("M" + " L".join("{:.1f},{:.1f}".format(*xy(x, y)) for x, y in ring) + " Z" for ring in rings)
        fill = "#cfe2f3" if code in highlight else "#eeeeee"
        paths.append(f'<path d="{d}" fill="{fill}" stroke="#777" stroke-width="0.6">'
                     f'<title>{escape(names.get(code, code))}</title></path>')
    dots = []
    for lat, lon in points:
        if west <= lon <= east and south <= lat <= north:
            x, y = xy(round(lon, 2), round(lat, 2))
            dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#c62828" fill-opacity="0.65"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="100%" role="img" '
            f'aria-label="map">{"".join(paths)}{"".join(dots)}</svg>')
