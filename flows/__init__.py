"""The conversation engine: flows defined as data (YAML), one engine for every channel."""
