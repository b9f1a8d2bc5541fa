"""Lorebot's scheduled jobs: champion nudges, weekly lessons prompt, manager digest and re-verification.

    runner = JobRunner(core)                    # or JobRunner(config=..., engine=..., messengers=..., knowledge=...)
    runner.list_jobs()                          # [(name, crontab, next run)]
    runner.run("digest", dry_run=True).text()   # what would be sent, as people would read it
    scheduler = start_scheduler(runner)         # APScheduler in the background, one active per store
"""
from jobs.locks import SchedulerLock
from jobs.registry import JOB_NAMES
from jobs.scheduler import JobRunner, JobScheduler, RunResult, format_deliveries, format_job_list, start_scheduler

__all__ = ["JOB_NAMES", "JobRunner", "JobScheduler", "RunResult", "SchedulerLock", "format_deliveries",
           "format_job_list", "start_scheduler"]
