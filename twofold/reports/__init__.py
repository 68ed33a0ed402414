"""Reports: a cross-cutting, read-only view over projects and operations, and CSV exports."""
