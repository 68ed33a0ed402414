"""A project with a task, people in every role (shared with the comment tests: tests/collab_fixtures.py)."""

from tests.collab_fixtures import admin, guest, priya, project, task

__all__ = ["admin", "guest", "priya", "project", "task"]
