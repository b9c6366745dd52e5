from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from coordcell.api.models import ApiToken
from coordcell.api.services import token_create, token_revoke
from coordcell.exchange.cli import command_user
from coordcell.registry.models import User


class Command(BaseCommand):
    help = "Create, list or revoke a user's API tokens (a token is printed once, stored hashed)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for USER and print it once")
        create.add_argument("username")
        create.add_argument("--name", default="command line", help="what the token is for")
        listing = sub.add_parser("list", help="list USER's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token, by its id or its first characters")
        revoke.add_argument("username")
        revoke.add_argument("token", help="token id (from 'list'), its first characters, or 'all'")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        actor = command_user(None)
        action = options["action"]
        if action == "create":
            try:
                token, raw = token_create(actor=actor, user=user, name=options["name"])
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
            self.stderr.write(f"Token {token.pk} for {user.username}; it is not shown again:")
            self.stdout.write(raw)
        elif action == "list":
            for token in ApiToken.objects.filter(user=user):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                self.stdout.write(f"{token.pk:>5}  {token.hint}…  {token.name}  {state}")
        else:
            wanted = options["token"]
            tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
            if wanted != "all":
                tokens = (
                    tokens.filter(pk=int(wanted))
                    if wanted.isdigit()
                    else tokens.filter(hint__startswith=wanted[:10])
                )
            found = list(tokens)
            if not found:
                raise CommandError(f"{user.username} has no active token {wanted!r}.")
            for token in found:
                token_revoke(actor=actor, token=token)
                self.stdout.write(f"Revoked {token}.")
