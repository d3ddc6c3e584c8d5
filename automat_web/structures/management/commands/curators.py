"""Grant, revoke or list the curators of a lab group (no Django admin needed)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from automat_web.structures.curators import NotALabMember, grant_curator, revoke_curator
from automat_web.structures.models import LabCurator


class Command(BaseCommand):
    help = (
        "Manage the curators of a lab group: `curators grant LAB USER...`, "
        "`curators revoke LAB USER...`, `curators list [LAB]`. A curator must be a member."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["grant", "revoke", "list"])
        parser.add_argument("lab", nargs="?", help="name of the lab group")
        parser.add_argument("users", nargs="*", help="user names")

    def handle(self, *args: object, action: str, lab: str | None, users: list[str], **_) -> None:
        if action == "list":
            roles = LabCurator.objects.select_related("group", "user")
            if lab:
                roles = roles.filter(group=self._group(lab))
            for role in roles:
                self.stdout.write(f"{role.group.name}\t{role.user.get_username()}")
            return
        if not lab or not users:
            raise CommandError(f"`curators {action}` needs a lab group and at least one user")
        group = self._group(lab)
        for user in self._users(users):
            name = user.get_username()
            if action == "grant":
                try:
                    grant_curator(user, group)
                except NotALabMember as exc:
                    raise CommandError(f"{exc}: add them to the group first") from exc
                self.stdout.write(f"{name} now curates {group.name}.")
            elif revoke_curator(user, group):
                self.stdout.write(f"{name} no longer curates {group.name}.")
            else:
                self.stdout.write(f"{name} was not a curator of {group.name}.")

    def _group(self, name: str) -> Group:
        try:
            return Group.objects.get(name=name)
        except Group.DoesNotExist as exc:
            raise CommandError(f"no lab group named {name!r}") from exc

    def _users(self, names: list[str]) -> list:
        model = get_user_model()
        found = {u.get_username(): u for u in model.objects.filter(username__in=names)}
        missing = [n for n in names if n not in found]
        if missing:
            raise CommandError(f"no such user: {', '.join(missing)}")
        return [found[n] for n in names]
