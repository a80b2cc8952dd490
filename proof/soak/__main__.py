"""`python -m proof.soak [options]` from the project directory: the soak as a script, outside
the deployed package (`--help` lists the options)."""

import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartbook.settings")
    django.setup()
    from proof.soak.command import Command

    # Usage lines read "python -m proof.soak [options]".
    Command().run_from_argv(["python -m", "proof.soak", *sys.argv[1:]])


if __name__ == "__main__":
    main()
