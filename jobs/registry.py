"""Every job Lorebot runs, in the order they are listed and run. Adding a job means one module with a ``JOB``
and one line here."""
from __future__ import annotations

from bot.errors import LorebotError
from jobs import digest, lessons_prompt, nudges, reverify, shout_out
from jobs.job import Job
from jobs.outbox import AfterSent

JOBS: tuple[Job, ...] = (nudges.JOB, lessons_prompt.JOB, digest.JOB, reverify.JOB, shout_out.JOB)
JOB_NAMES = tuple(job.name for job in JOBS)
RUNNABLE = JOB_NAMES + ("sync",)  # what ``lorebot jobs run`` takes: every job, and the sync of every source
AFTER_SENT: dict[str, AfterSent] = {job.name: job.after_sent for job in JOBS if job.after_sent is not None}


def job_named(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise LorebotError(f"unknown job {name!r}: use one of {', '.join(JOB_NAMES)}")
