"""Health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the database status when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "unhealthy"
        return JsonResponse(
            {"status": "error", "database": f"unavailable: {type(exc).__name__}"}, status=503
        )
    return JsonResponse({"status": "ok", "database": connection.vendor})
