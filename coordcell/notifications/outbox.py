"""The mail backend of an installation without a mail server: each mail a file in the data
folder's ``mail/`` (Django's file backend).

coordcell runs air-gapped as often as not. There, notices are read in the inbox, and the mails
are kept as files for an operator or a relay to pick up, or to check what users would receive.
It is coordcell's default on purpose, also in production, so it has a name of its own: Django's
deploy check (mail.E001) takes the file backend itself for a development leftover.
Set COORDCELL_EMAIL_HOST to send through SMTP (docs/deployment.md#e-mail).
"""

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    pass
