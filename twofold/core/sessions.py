"""The database session store, with its per-request read compiled once (``SESSION_ENGINE``).

Same table, same semantics as Django's ``db`` backend — an expired or unknown key loads as an
empty session and is replaced on save; sign-out deletes the row, so it ends the session in
every server process at once — but the read of the session is a :class:`FastRead`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

from twofold.core.fastread import FastRead

_READ = FastRead(Session, "t.session_key = %s AND t.expire_date > %s")


class SessionStore(DBStore):
    def load(self) -> dict[str, Any]:
        connection = connections[router.db_for_read(Session)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        found = _READ.first([self.session_key, now])
        if found is None:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(found.session_data)
        return data
