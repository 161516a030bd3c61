"""Gunicorn settings for production (`gunicorn -c deploy/gunicorn.conf.py tracker.conf.wsgi`)."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Streaming blocklist exports can be long; keep-alive short for a reverse proxy in front.
keepalive = 5
accesslog = "-"
# Gunicorn's largest request line (its default is 4094 bytes, answered with its own HTML 414): long enough that
# the tracker refuses long addresses itself, in the API's JSON error shape (REQUEST_URL_MAX_LENGTH, 4096).
# Never 0, which would mean unlimited.
limit_request_line = 8190
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
