"""reports/queue.py: job ids made from any text are ids RQ accepts, and different texts never share one."""

from __future__ import annotations

import pytest
from rq.job import validate_job_id  # what RQ checks when a job is made (a provider id with "Û" raised a 500)

from reports.queue import safe_id


@pytest.mark.parametrize("raw", ["reply-SM0123abc", "reply-YÛE(iÑ", "reply-แจ้ง", "reply-" + "x" * 300, "a b:c/d", ""])
def test_any_key_makes_a_valid_job_id_and_different_keys_different_ids(raw: str) -> None:
    made = safe_id(raw)
    assert made and len(made) <= 128
    validate_job_id(made)
    assert safe_id(raw + "1") != made and safe_id(raw.replace("Û", "Ñ") + "!") != made
    if raw.isascii() and raw.replace("-", "").isalnum() and len(raw) <= 120:
        assert made == raw  # a valid id stays readable
