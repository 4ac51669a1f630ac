"""Flask blueprints, one per concern."""
