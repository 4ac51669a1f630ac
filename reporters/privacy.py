"""A reporter's FORGET: the conversation and profile are gone at once (flows/engine.py); this erases the rest —
the encrypted contact in the database (and the link from their number to their past reports), in the payloads of
reports still waiting to be stored, and in the data of jobs that carried it (sends, subscriptions), finished or
failed. A second pass an hour later catches what was still in flight the first time (RQ keeps a finished job's
data for an hour). Reports stay, under a pseudonym nothing leads back from."""

from __future__ import annotations

import json
import logging

from rq.job import Job, JobStatus

from reports import keys, store
from reports.context import Context
from reports.identity import IdentityError, decrypt_contact, pseudonym

log = logging.getLogger("ntswatch.privacy")


def forget(ctx: Context, pid: str) -> bool:
    """Erase what is kept of reporter `pid`; True when the database knew them."""
    with ctx.sessions.begin() as session:
        known = store.forget_reporter(session, pid)
    drafts = erase_from_intake(ctx, pid)
    jobs = erase_from_jobs(ctx, pid)
    if drafts or jobs:
        log.info("forget: contact erased from %d waiting report(s) and %d job(s)", drafts, jobs)
    return known


def erase_from_intake(ctx: Context, pid: str) -> int:
    """Drop the contact from this reporter's report payloads still in Redis (waiting, or kept a day after)."""
    erased = 0
    for key in ctx.redis.scan_iter(match=keys.INTAKE("*"), count=500):
        if keys.text(key) == keys.PENDING_REPORTS:
            continue  # the sweeper's index of waiting reports (ids only)
        raw = keys.text(ctx.redis.get(key))
        if not raw:
            continue
        data = json.loads(raw)
        if data.get("reporter") != pid or not data.get("contact"):
            continue
        data["contact"] = None
        ttl = ctx.redis.ttl(key)
        # Written back with its expiry: a report still waiting is stored without a contact, never lost.
        ctx.redis.set(key, json.dumps(data, ensure_ascii=False), ex=ttl if ttl and ttl > 0 else None)
        erased += 1
    return erased


def _addresses(job: Job) -> list[str]:
    """The encrypted reporter addresses a job's arguments hold."""
    name = job.func_name or ""
    if name.endswith(".send_reply") and job.args and isinstance(job.args[0], dict):
        return [str(job.args[0].get("address") or "")]
    if name.endswith(".subscribe") and len(job.args) > 1:
        return [str(job.args[1])]
    return []


def erase_from_jobs(ctx: Context, pid: str) -> int:
    """Delete the finished and failed jobs whose data holds this reporter's contact (waiting ones are left to
    run: the FORGET confirmation itself may be one of them; the second pass comes after they are done)."""
    secret = ctx.settings.secret_key
    erased = 0
    redis = ctx.jobs.redis
    ids = [k.decode().removeprefix("rq:job:") for k in redis.scan_iter(match="rq:job:*", count=500)
           if k.count(b":") == 2]
    for job in Job.fetch_many(ids, connection=redis):
        if job is None:
            continue
        try:
            addresses = _addresses(job)
        except Exception:  # noqa: S112 - a job whose data no longer loads holds nothing we can read either
            continue
        if not any(_is(secret, a, pid) for a in addresses):
            continue
        if job.get_status(refresh=False) in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED,
                                             JobStatus.STOPPED):
            job.delete(remove_from_queue=True)
            erased += 1
    return erased


def _is(secret: str, encrypted: str, pid: str) -> bool:
    try:
        return pseudonym(secret, decrypt_contact(secret, encrypted)) == pid
    except (IdentityError, ValueError, TypeError):
        return False

