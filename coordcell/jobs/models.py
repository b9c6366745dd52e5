from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import FLOAT, INTEGER, between


class WorkerHeartbeat(models.Model):
    """One running ``coordcell worker``: where it runs and when it last said it was alive.

    A worker writes its row before it takes any job and deletes it when it stops cleanly; a row
    left behind belongs to a worker that was killed, crashed or lost its machine.
    """

    worker_id = models.CharField(_("worker id"), max_length=64, unique=True)
    hostname = models.CharField(_("host name"), max_length=255)
    # Where ``pid`` means something: the boot of the machine and the process-id namespace (one
    # container). Empty where the operating system cannot tell (not Linux).
    machine = models.CharField(_("machine"), max_length=200, blank=True)
    pid = models.PositiveIntegerField(_("process id"), validators=between(0, INTEGER[1]))
    # The kernel's start time of the process: a pid used again by a new process does not match.
    process_started = models.CharField(_("process start"), max_length=32, blank=True)
    beat_seconds = models.FloatField(_("seconds between heartbeats"), validators=between(*FLOAT))
    started_at = models.DateTimeField(_("started at"))
    last_seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("worker heartbeat")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}, pid {self.pid})"
