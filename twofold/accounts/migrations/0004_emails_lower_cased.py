"""Every stored e-mail lower-cased, as every path that creates a person writes it.

Sign-in and the look-ups by e-mail now compare exactly (``email = %s``) instead of ``iexact``,
which PostgreSQL runs as ``UPPER(email) = UPPER(%s)``: there "alice@gıthub.com" (a dotless i, a
valid address on another domain) equalled "alice@github.com". A row written otherwise (by hand,
an old admin) is lower-cased here unless another person already holds the lower-cased address,
in which case it is left as it is (and found only by its exact spelling).
"""

from typing import Any

from django.db import migrations


def lower_case(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("accounts", "User")
    taken = set(User.objects.values_list("email", flat=True))
    for pk, email in User.objects.values_list("pk", "email"):
        lowered = email.strip().lower()
        if lowered != email and lowered not in taken:
            User.objects.filter(pk=pk).update(email=lowered)
            taken.add(lowered)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_directory_stamp")]

    operations = [migrations.RunPython(lower_case, migrations.RunPython.noop)]
