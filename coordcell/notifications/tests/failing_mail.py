"""Mail backends for tests: a server that is down, or that refuses the mail."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPException("421 Service not available, closing transmission channel")


class DownBackend(BaseEmailBackend):
    def open(self) -> bool:
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, email_messages: Any) -> int:
        self.open()
        return 0
