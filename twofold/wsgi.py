"""WSGI entry point for gunicorn (``twofold serve``)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
application = get_wsgi_application()


def freeze_startup_objects() -> int:
    """Load every view module, then move what the process holds so far (Django, the apps,
    numpy: ~280,000 objects) out of the cyclic garbage collector's reach; returns how many.

    Those objects live as long as the process. Without this, every full collection re-scanned
    them all: 250-430 ms, in the middle of whichever request's allocations set it off (every
    few reschedules of a 2,000-task plan: the p95 of an edit was ~3x its p50, issue 16 item 6).
    After it, a full collection scans only what requests created since (~15 ms). Reference
    counting still frees everything as before; only cycles among the frozen objects would
    never be collected, and startup leaves none (a collection runs first).
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's views and their modules
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


# Collector thresholds for the web process (Python's defaults: 700, 10, 10). After the freeze
# the collector counts only what requests made, so with the defaults a full collection ran
# every ~0.4-1 s under load, each scanning the caches requests fill (the capacity model, the
# portfolio's figures, compiled reads): 61 full collections of up to 54 ms in one
# `benchmarks/web.py` run, 1.85 s in all. With these, 2 (99 ms), and every p95 of that run the
# same or lower (docs/benchmarks-web.md, "The garbage collector's thresholds"). Reference
# counting frees everything acyclic as before; cycles wait a little longer to be collected.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_collector() -> tuple[int, int, int]:
    """Set :data:`GC_THRESHOLDS`; returns the previous thresholds."""
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    return previous


freeze_startup_objects()
DEFAULT_THRESHOLDS = tune_collector()  # what the interpreter had (for tests that import this)
