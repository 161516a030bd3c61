"""Environment for the test run, set before Django reads its settings (loaded with `-p`)."""

import os
import tempfile

os.environ.setdefault("TRACKER_TESTING", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("TRACKER_VAR_DIR", tempfile.mkdtemp(prefix="tracker-test-var-"))
# A queue of this run's own, so a `make run` worker on the same Redis never takes test tasks.
os.environ.setdefault("CELERY_QUEUE", f"tracker-test-{os.getpid()}")
# Playwright's sync API runs an event loop in the test thread; the ORM calls in the
# same test are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# No DNS server for the RPZ zones unless a test starts one (tests/blocking/bind.py sets BLOCKING_BIND_DIR).
os.environ.setdefault("BLOCKING_BIND_DIR", "")
