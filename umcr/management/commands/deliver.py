"""Run the delivery loop: send the outbox's pending deliveries, retrying with backoff.

`manage.py deliver` makes one pass; `--loop` keeps going every `--every` seconds until
stopped, for a process of its own beside gunicorn and qcluster (it needs only the database,
so alerts go out even while the task broker is down).
"""

import time

from django.core.management.base import BaseCommand

from umcr.outbox import deliver_due


class Command(BaseCommand):
    help = "Send pending deliveries (alerts, reminders) from the outbox."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running.")
        parser.add_argument("--every", type=float, default=2.0, help="Seconds between passes.")
        parser.add_argument(
            "--passes", type=int, default=0, help="With --loop: stop after this many (0: never)."
        )

    def handle(self, *args, loop: bool, every: float, passes: int, **options):
        done = 0
        while True:
            sent = deliver_due()
            if sent or not loop:
                self.stdout.write(f"Sent {sent} deliveries.")
            done += 1
            if not loop or (passes and done >= passes):
                return
            time.sleep(max(every, 0.1))
