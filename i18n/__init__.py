"""Languages and scripts: catalogs (th/lo/km/en), normalisation, script detection and SMS/USSD budgets."""

LANGUAGES: tuple[str, ...] = ("th", "lo", "km", "en")
DEFAULT_LANGUAGE = "th"
