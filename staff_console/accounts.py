"""Staff accounts from the command line: the first admin at set-up, and a
way back in when every admin is locked out or forgot their password.

    .venv/bin/python -m staff_console.accounts create-admin --username sam --name "Sam Lee"
    .venv/bin/python -m staff_console.accounts create --username anna --name Anna --role therapist --therapist anna
    .venv/bin/python -m staff_console.accounts set-password --username sam
    .venv/bin/python -m staff_console.accounts list

The password is typed at a prompt (twice, not echoed), or read from the
environment variable STAFF_NEW_PASSWORD for scripted set-ups; never from the
command line, where it would stay in the shell history and the process list.
Options: --db-url (default $CLINIC_DB_URL or var/clinic.db), --profile.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from clinic_core.staff import ROLE_ADMIN, ROLES, StaffDirectory, StaffError

PASSWORD_ENV = "STAFF_NEW_PASSWORD"


def read_password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise StaffError(
            f"Type the password at a prompt (run in a terminal) or set {PASSWORD_ENV}."
        )
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Again: ") != first:
        raise StaffError("The two passwords differ.")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m staff_console.accounts", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--db-url", help="clinic database (default $CLINIC_DB_URL or var/clinic.db)"
    )
    parser.add_argument("--profile", help="clinic profile (default clinic/profile.yml)")
    sub = parser.add_subparsers(dest="command", required=True)
    admin = sub.add_parser("create-admin", help="create an admin account (the first one at set-up)")
    admin.add_argument("--username", required=True)
    admin.add_argument("--name", required=True, help="the name clients read in a hand-over")
    create = sub.add_parser("create", help="create an account with any role")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument(
        "--therapist", help="the therapist id in clinic/profile.yml (therapist accounts)"
    )
    password = sub.add_parser("set-password", help="set a new password (also unlocks the account)")
    password.add_argument("--username", required=True)
    sub.add_parser("list", help="list the accounts")
    args = parser.parse_args(argv)

    store = BookingStore(args.db_url, profile=load_profile(args.profile))
    staff = StaffDirectory(store)
    try:
        if args.command == "list":
            for m in staff.users():
                state = "active" if m.active else "inactive"
                print(f"{m.username:20} {m.role:10} {state:8} {m.display_name}")
        elif args.command == "set-password":
            staff.set_password(args.username, read_password())
            print(f"Password of {args.username} changed; their sessions are ended.")
        else:
            role = ROLE_ADMIN if args.command == "create-admin" else args.role
            member = staff.create_user(
                args.username,
                args.name,
                role,
                read_password(),
                therapist_id=getattr(args, "therapist", None),
            )
            print(f"Created {member.role} account {member.username}.")
    except StaffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
