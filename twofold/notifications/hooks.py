"""Notifications that other apps' seams announce (registered in ``NotificationsConfig.ready``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twofold.notifications import kinds

if TYPE_CHECKING:
    from twofold.closeout.hypercare import HypercareNotice

HYPERCARE = kinds.register_kind(
    "hypercare", "A request on a queue my project handed over, during hypercare"
).key


def tell_project_team_of_hypercare_request(notice: HypercareNotice) -> None:
    """A request raised on a handed-over queue during hypercare: tell the project team.

    Called by ``closeout.hypercare`` after the request's transaction committed; the event key
    makes a second call for the same request tell nobody twice.
    """
    from twofold.notifications.services import notify

    request = notice.request
    notify(
        recipients=notice.recipients,
        kind=HYPERCARE,
        actor=None,
        target=request,
        summary=(
            f"Hypercare of {notice.project_name}: new request “{request.title}” "
            f"on {request.queue.name}"
        ),
        event_key=f"hypercare:{request.pk}",
    )


TIMESHEET_APPROVAL = kinds.register_kind(
    "timesheet_approval", "A timesheet waiting for my approval"
).key
CHANGE_REQUEST = kinds.register_kind(
    "change_request", "A change request waiting for my decision"
).key
