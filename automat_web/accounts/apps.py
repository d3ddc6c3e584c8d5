from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "automat_web.accounts"
    label = "accounts"
    verbose_name = "Accounts and lab groups"
