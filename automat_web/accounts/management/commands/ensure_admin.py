"""Create the first administrator from AUTOMAT_ADMIN_* and make sure a lab group exists."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from automat_web.accounts.models import LabAdmin


class Command(BaseCommand):
    help = (
        "Create the administrator named by AUTOMAT_ADMIN_USERNAME / AUTOMAT_ADMIN_PASSWORD "
        "(if not there yet) and make them a member and admin of the default lab group "
        "AUTOMAT_DEFAULT_LAB_GROUP."
    )

    def handle(self, *args: object, **options: object) -> None:
        group, _ = Group.objects.get_or_create(name=settings.DEFAULT_LAB_GROUP)
        username, password = settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD
        user_model = get_user_model()
        if not username or not password:
            if not user_model.objects.filter(is_superuser=True).exists():
                self.stdout.write(
                    "No administrator yet. Create one with:\n"
                    "  .venv/bin/python manage.py createsuperuser\n"
                    "or start with AUTOMAT_ADMIN_USERNAME and AUTOMAT_ADMIN_PASSWORD set."
                )
            return
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_superuser(
                username=username, email=settings.ADMIN_EMAIL or "", password=password
            )
            self.stdout.write(f"Created administrator {username!r}.")
        user.groups.add(group)
        # So the default lab has an admin of its own from the start (the Labs page).
        LabAdmin.objects.get_or_create(group=group, user=user)
        self.stdout.write(f"Log in as {username!r} (admin of lab group {group.name!r}).")
