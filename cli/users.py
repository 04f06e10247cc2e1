"""``casework users``: staff accounts for the console's password login (issue 19 item 4).

    casework users add ID --role ROLE --jurisdiction CODE [--name 姓名] [--password-stdin]
    casework users disable ID
    casework users reset-password ID [--password-stdin]      (also lifts a lock-out)
    casework users list

The password is asked for twice on a terminal, or read as one line from standard input with
``--password-stdin``; it is never an argument (it would stay in the shell history and the process list).
The staff id is the opaque id every decision records; never a resident ID number.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import Any

from domain.actors import HUMAN_ROLES


def register(subparsers: Any) -> None:
    users = subparsers.add_parser("users", help="staff accounts for the console login: add, disable, reset-password")
    sub = users.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create a staff account")
    add.add_argument("staff_id", help="the staff id recorded on decisions (letters, digits, . _ -)")
    add.add_argument("--role", required=True, choices=sorted(r.value for r in HUMAN_ROLES))
    add.add_argument("--jurisdiction", required=True, help="6-, 9- or 12-digit division code")
    add.add_argument("--name", default="", help="the person's name, shown in the console (never logged)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=_cmd_add)
    dis = sub.add_parser("disable", help="disable an account (its id is never reused)")
    dis.add_argument("staff_id")
    dis.set_defaults(func=_cmd_disable)
    reset = sub.add_parser("reset-password", help="set a new password and lift a lock-out")
    reset.add_argument("staff_id")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset.set_defaults(func=_cmd_reset)
    sub.add_parser("list", help="accounts, roles, jurisdictions and state (no names)").set_defaults(func=_cmd_list)


class _Refused(Exception):
    """An operator error: printed, exit 1."""


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise _Refused("no terminal to ask the password on: use --password-stdin")
    first = getpass.getpass("新密码 / new password: ")
    if getpass.getpass("再输入一次 / again: ") != first:
        raise _Refused("the two passwords differ")
    return first


def _run(args: argparse.Namespace, work: Any) -> int:
    from adapters.db.staff import NoSuchStaff, StaffExists
    from adapters.passwords import WeakPassword
    from adapters.runtime import NotConfigured
    from adapters.settings import Settings
    from cli.common import run_with_pool

    try:
        run_with_pool(Settings(), work)
    except StaffExists:
        sys.stderr.write(f"casework users: an account {args.staff_id} exists already (ids are never reused)\n")
        return 1
    except NoSuchStaff:
        sys.stderr.write(f"casework users: no account {args.staff_id}\n")
        return 1
    except (WeakPassword, _Refused, NotConfigured) as err:
        sys.stderr.write(f"casework users: {err}\n")
        return 1
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from domain.actors import Actor, Role
    from services.staff import add_account

    try:
        actor = Actor(id=args.staff_id, role=Role(args.role), jurisdiction=args.jurisdiction)
    except ValidationError:
        sys.stderr.write("casework users: --jurisdiction must be a 6-, 9- or 12-digit division code\n")
        return 2
    try:
        password = _password(args)
    except _Refused as err:
        sys.stderr.write(f"casework users: {err}\n")
        return 1
    code = _run(args, lambda pool: add_account(pool, actor, args.name.strip(), password))
    if code == 0:
        sys.stdout.write(f"added {actor.id} ({actor.role.value}, {actor.jurisdiction})\n")
    return code


def _cmd_disable(args: argparse.Namespace) -> int:
    from services.staff import disable_account

    code = _run(args, lambda pool: disable_account(pool, args.staff_id, datetime.now(UTC)))
    if code == 0:
        sys.stdout.write(f"disabled {args.staff_id}\n")
    return code


def _cmd_reset(args: argparse.Namespace) -> int:
    from services.staff import reset_password

    try:
        password = _password(args)
    except _Refused as err:
        sys.stderr.write(f"casework users: {err}\n")
        return 1
    code = _run(args, lambda pool: reset_password(pool, args.staff_id, password, datetime.now(UTC)))
    if code == 0:
        sys.stdout.write(f"password reset for {args.staff_id}; any lock-out lifted\n")
    return code


def _cmd_list(args: argparse.Namespace) -> int:
    from adapters.db.staff import list_accounts

    rows: list[Any] = []

    async def work(pool: Any) -> None:
        rows.extend(await list_accounts(pool))

    args.staff_id = ""
    code = _run(args, work)
    now = datetime.now(UTC)
    for a in rows:
        state = "disabled" if a.disabled_at else ("locked" if a.locked(now) else "active")
        sys.stdout.write(f"{a.staff_id}\t{a.role.value}\t{a.jurisdiction}\t{state}\n")
    return code
