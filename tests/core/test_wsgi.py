"""The web process keeps its startup objects out of the cyclic garbage collector's scans."""

from __future__ import annotations

import gc
import importlib


def test_the_web_process_freezes_what_it_loaded_at_startup() -> None:
    from django.urls import get_resolver

    try:
        wsgi = importlib.import_module("twofold.wsgi")  # the import freezes (first time)
        frozen = wsgi.freeze_startup_objects()
        assert frozen == gc.get_freeze_count()
        # The application, the URL patterns and the views they name are out of every
        # generation a collection scans: a full collection no longer walks them.
        pattern = get_resolver().url_patterns[0]
        scanned = gc.get_objects()
        assert not any(o is wsgi.application for o in scanned)
        assert not any(o is pattern for o in scanned)
        # What is made afterwards is scanned as usual.
        fresh: list[object] = [object()]
        assert any(o is fresh for o in gc.get_objects())
    finally:
        gc.unfreeze()  # the rest of the test run collects as before
        gc.set_threshold(*importlib.import_module("twofold.wsgi").DEFAULT_THRESHOLDS)


def test_the_web_process_collects_cycles_less_often() -> None:
    wsgi = importlib.import_module("twofold.wsgi")
    wsgi.tune_collector()
    try:
        assert gc.get_threshold() == wsgi.GC_THRESHOLDS == (50_000, 20, 100)
    finally:
        gc.set_threshold(*wsgi.DEFAULT_THRESHOLDS)
