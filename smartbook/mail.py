"""The development email backend: each message is written whole to a file under
`EMAIL_FILE_PATH` and summed up on the console in one line (recipients, subject, its first
link), so that a verification link is easy to find while `make run` serves."""

from __future__ import annotations

import re
import sys

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

LINK = re.compile(r"https?://[^\s<>\"')\]]+")


def summary(message, file_name: str) -> str:
    links = list(dict.fromkeys(LINK.findall(message.body or "")))
    link = f" {links[0]}" if links else ""
    more = f" (and {len(links) - 1} more links)" if len(links) > 1 else ""
    recipients = ", ".join(message.recipients())
    return f'Email to {recipients}: "{message.subject}"{link}{more}; in full: {file_name}'


class DevelopmentEmailBackend(FileEmailBackend):
    def write_message(self, message):
        super().write_message(message)
        print(summary(message, self._get_filename()), file=sys.stdout, flush=True)
