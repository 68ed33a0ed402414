from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "twofold.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from twofold.accounts import directory

        directory.STAMP.follow_migrations(self)
