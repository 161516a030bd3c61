"""The Celery app: tasks live in each app's tasks.py; beat's schedule lives in the database."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.conf.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_audit_tokens = {}


@task_prerun.connect
def _audit_as_task(task_id=None, task=None, **kwargs):
    # Whatever a task writes is audited as coming from that task, unless it names a person.
    from tracker.core.audit import begin_task_context

    _audit_tokens[task_id] = begin_task_context(task.name)


@task_postrun.connect
def _end_audit_as_task(task_id=None, **kwargs):
    from tracker.core.audit import end_task_context

    token = _audit_tokens.pop(task_id, None)
    if token is not None:
        end_task_context(token)
