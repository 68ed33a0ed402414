"""Fixtures for project templates: the projects fixtures (a project with a chain of tasks, people in every role)."""

from tests.projects.conftest import MONDAY, admin, chain, editor, guest, project

__all__ = ["MONDAY", "admin", "chain", "editor", "guest", "project"]
