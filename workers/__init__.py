"""RQ jobs: plain functions that take ids (process a report, notify one channel of one centre)."""
