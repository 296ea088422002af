"""The `mail` job: send over SMTP (STARTTLS, TLS or plain, as configured) or, with SMTP off,
only keep it; either way the mail is stored in the outbox table with the job's end.

A worker killed between the SMTP server's acceptance and the commit sends that mail again on
the retry (at least once); everything before the SMTP transaction happens once. The outbox
table is the record of what was sent (not the round's audit history, which ends with the round).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from workflows import jobs, settings
from workflows.mail.queue import MAIL
from workflows.storage.db import Database
from workflows.storage.models import OutboxMail

TIMEOUT_SECONDS = 30


def _message(job: jobs.ClaimedJob) -> EmailMessage:
    config = settings.get()
    message = EmailMessage()
    message["From"] = config.mail_sender
    message["To"] = job.payload["to"]
    message["Subject"] = job.payload["subject"]
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=config.mail_sender.rsplit("@", 1)[-1].strip("> ") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(job.payload["body"])
    return message


def _send(message: EmailMessage) -> None:
    config = settings.get()
    assert config.smtp_host
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(config.smtp_host, config.smtp_port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=TIMEOUT_SECONDS)
    with smtp:
        if config.smtp_security == "starttls":
            smtp.starttls(context=context)
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password or "")
        smtp.send_message(message)


@jobs.handler(MAIL)
def send_mail(db: Database, job: jobs.ClaimedJob) -> None:
    message = _message(job)
    sending = bool(settings.get().smtp_host)
    if sending:
        try:
            _send(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise jobs.JobError(f"Die E-Mail an {job.payload['to']} konnte nicht versandt werden "
                                f"(Mailserver {settings.get().smtp_host}: {exc}).") from exc
    with db.write() as session:
        session.add(OutboxMail(job_id=job.id, instance_id=job.instance_id, recipient=job.payload["to"],
                               username=job.payload.get("username"), subject=job.payload["subject"],
                               body=job.payload["body"], status="sent" if sending else "kept"))
        jobs.mark_done(session, job)
