"""The web gateway: provider webhooks in, replies out; the reports API, the centre inbox, health and metrics."""
