"""gunicorn's production defaults for Tandem: ``gunicorn -c gunicorn.conf.py app:app``.

Every value can be changed without editing this file: gunicorn reads ``WEB_CONCURRENCY`` for
the number of workers, and any command-line flag (``-b``, ``-w``, ``--timeout``) or
``GUNICORN_CMD_ARGS`` overrides what is set here. The README's "Running in production" says
how to size workers against PostgreSQL's connections.
"""

from __future__ import annotations

import multiprocessing
import os

# Where to listen: behind a TLS proxy on the same host by default; in a container, set
# TANDEM_BIND=0.0.0.0:8000.
bind = [os.environ.get("TANDEM_BIND", "127.0.0.1:8000")]

# Sync workers: a request is short (a few queries) and holds one database connection while it
# runs, so workers x instances bounds the connections the web tier can take. The usual
# 2 x cores + 1, capped so that a big machine does not open more connections than it can use.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12)))
worker_class = "sync"

# A request that runs longer than this is killed and logged (its transaction rolls back).
timeout = int(os.environ.get("TANDEM_WORKER_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5

# Recycle each worker after some requests (with jitter so they do not all restart at once):
# a slow leak in any library cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

# The app is created in each worker, after the fork: no database connection or Redis socket is
# ever shared between processes.
preload_app = False

# Heartbeat files on tmpfs, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Access log to stdout. Tandem's filter on the ``gunicorn.access`` logger (coaching/access_log)
# replaces the secret in token URLs (/bookings/manage/<token>, /account/reset/<token>, feed
# links) and token query parameters, in the request line and the Referer, before it is written.
accesslog = os.environ.get("TANDEM_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("TANDEM_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# Only trust X-Forwarded-* from the proxy in front (set FORWARDED_ALLOW_IPS to its address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Refuse absurd request lines and headers before the app sees them (the app bounds bodies
# with MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
