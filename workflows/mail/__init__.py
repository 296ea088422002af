"""E-mail to the people of a round: composed in the step's transaction, sent by a job.

Events: a task for me or my Gemeinde (`aufgabe`), a document to sign or release (`unterschrift`),
a reminder before a deadline and a deadline passed (`frist`: always sent), a round's result and
other messages of the process (`ergebnis`, from the `notify` service). One mail per person and
event (the job's unique key). Without `GRANTFLOW_SMTP_HOST` mails are only kept in the outbox
table, which Administration sees.
"""

from workflows.mail.events import configure, on_step_saved
from workflows.mail.queue import queue_mail

__all__ = ["configure", "on_step_saved", "queue_mail"]
