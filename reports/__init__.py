"""The domain: reports, reporters, deliveries and the audit trail, and the places and centres they route to."""
