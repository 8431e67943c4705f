"""A center of the original design: Django + rpc4django 0.6.3 serving
testrpc.MyRPC over a table, JSON-RPC and XML-RPC on one URL.

    python rpc4django_server.py PORT DB_FILE
"""
import sys

import django
from django.conf import settings

PORT, DB_FILE = sys.argv[1], sys.argv[2]

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="interop-test-only",
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rpc4django"],
    MIDDLEWARE=[],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_FILE}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
)
django.setup()

from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402
from rpc4django import rpcmethod  # noqa: E402
from rpc4django.views import serve_rpc_request  # noqa: E402

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS rules (name TEXT PRIMARY KEY, action TEXT, hits INTEGER)")


@rpcmethod(name="testrpc.MyRPC", signature=["array"])
def my_rpc(**kwargs):
    """Every row of the rules table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, action, hits FROM rules ORDER BY name")
        return [{"name": n, "action": a, "hits": h} for n, a, h in cursor.fetchall()]


@rpcmethod(name="testrpc.setRule", signature=["boolean", "string", "string", "int"])
def set_rule(name, action, hits, **kwargs):
    """Inserts or replaces one row."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT OR REPLACE INTO rules VALUES (%s, %s, %s)", [name, action, hits])
    return True


@rpcmethod(name="testrpc.deleteRule", signature=["boolean", "string"])
def delete_rule(name, **kwargs):
    """Deletes one row."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM rules WHERE name = %s", [name])
    return True


urlpatterns = [path("RPC", serve_rpc_request)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], "runserver", f"127.0.0.1:{PORT}", "--noreload", "--nothreading"])
