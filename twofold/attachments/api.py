"""API endpoints of this bounded context (registered in twofold/api.py)."""

from ninja import Router

router = Router(tags=["attachments"])
