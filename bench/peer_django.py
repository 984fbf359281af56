"""The peer for bench_scheduling's table: django-appointment 3.12 and a bare Django JSON endpoint.

Nothing here is a dependency of Tandem. Set up once, outside the repository (a throwaway venv):

    python3 -m venv /tmp/tandem-peer/venv
    /tmp/tandem-peer/venv/bin/pip install django-appointment==3.12.0 gunicorn==27.0.1 'psycopg[binary]==3.3.9'

then ``BENCH_DJANGO=1 .venv/bin/python bench/bench_scheduling.py``. ``prepare`` writes a tiny
Django project (``peersite``) into that folder, makes its own database on the same PostgreSQL,
migrates it and seeds the same calendar as Tandem's (one staff member, a 50-minute service,
Monday to Friday 09:00-17:00, 5,000 past appointments and three a day ahead), and returns the
database URL and the path of its one-day slot endpoint (``available_slots``, an AJAX view).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.throwaway_db import PG_ADMIN_URL

AJAX = {"X-Requested-With": "XMLHttpRequest"}

SETTINGS = '''
import os
from urllib.parse import urlparse
u = urlparse(os.environ["PEER_DATABASE_URL"])
SECRET_KEY = "peer-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                  "django.contrib.messages", "django.contrib.staticfiles", "phonenumber_field", "appointment"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.contrib.sessions.middleware.SessionMiddleware",
              "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
ROOT_URLCONF = "peersite.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": u.path.lstrip("/"),
                         "USER": u.username or "postgres", "HOST": u.hostname, "PORT": u.port or 5432,
                         "CONN_MAX_AGE": 600}}
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
WSGI_APPLICATION = "peersite.wsgi.application"
'''

URLS = '''
from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    return JsonResponse({"coach_id": 1, "session_type": "consultation", "timezone": "UTC", "slots": []})


urlpatterns = [path("bare", bare), path("appointment/", include("appointment.urls"))]
'''

WSGI = '''
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
'''

SEED = '''
import json, sys
from datetime import datetime, timedelta
import django
django.setup()
from django.contrib.auth import get_user_model
from appointment.models import Appointment, AppointmentRequest, Service, StaffMember, WorkingHours
from datetime import time
rows = json.load(open(sys.argv[1]))
User = get_user_model()
coach = User.objects.create_user("coach", "c@example.com", "x", first_name="Coach")
client = User.objects.create_user("client", "client@example.com", "x", first_name="Client")
service = Service.objects.create(name="Consultation", duration=timedelta(minutes=50), price=0)
staff = StaffMember.objects.create(user=coach, slot_duration=30, lead_time=time(9), finish_time=time(17))
staff.services_offered.add(service)
for day in range(7):
    WorkingHours.objects.create(staff_member=staff, day_of_week=day, start_time=time(9), end_time=time(17))
requests = AppointmentRequest.objects.bulk_create([AppointmentRequest(
    date=datetime.fromisoformat(s).date(), start_time=datetime.fromisoformat(s).time(),
    end_time=datetime.fromisoformat(e).time(), service=service, staff_member=staff) for s, e in rows])
Appointment.objects.bulk_create([Appointment(client=client, appointment_request=r, phone="") for r in requests])
print(staff.id, service.id)
'''


def prepare(folder: Path, tandem_url: str) -> tuple[str, str]:
    """Write the project, create and seed its database; return (database URL, slot path)."""
    from bench.bench_scheduling import history

    site = folder / "peersite"
    site.mkdir(parents=True, exist_ok=True)
    for name, body in (("__init__.py", ""), ("settings.py", SETTINGS), ("urls.py", URLS), ("wsgi.py", WSGI)):
        (site / name).write_text(body)
    (folder / "seed.py").write_text(SEED)
    drop(folder)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"tandem_bench_peer_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    (folder / "last_db").write_text(name)
    url = tandem_url.rsplit("/", 1)[0] + f"/{name}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peersite.settings", "PEER_DATABASE_URL": url,
           "PYTHONPATH": str(folder)}
    python = str(folder / "venv/bin/python")
    for extra in ([], ["--run-syncdb"]):  # Django's own migrations, then the app's tables (it ships none)
        subprocess.run([python, "-m", "django", "migrate", *extra, "-v", "0"], cwd=folder, env=env, check=True)
    now = datetime.now(UTC)
    rows = [(s.isoformat(), e.isoformat()) for s, e in history(now, 5_000)]
    (folder / "rows.json").write_text(json.dumps(rows))
    out = subprocess.run([python, "seed.py", str(folder / "rows.json")], cwd=folder, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    staff_id, service_id = out[-2], out[-1]
    day = now.date() + timedelta(days=1)
    while day.weekday() >= 5:  # a working day with appointments, as Tandem's one-day query
        day += timedelta(days=1)
    return url, f"/appointment/ajax/available_slots/?selected_date={day}&staff_member={staff_id}&service_id={service_id}"


def drop(folder: Path) -> None:
    """Drop the peer's database (the last one ``prepare`` made)."""
    marker = folder / "last_db"
    if marker.exists():
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{marker.read_text()}" WITH (FORCE)'))
        admin.dispose()
        marker.unlink()
