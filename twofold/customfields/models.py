"""Models of this bounded context."""
