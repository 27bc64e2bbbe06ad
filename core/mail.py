"""The app's e-mails: a notification sent to its user's address over SMTP (Settings.smtp), with the
link that opens the deal. The worker sends them from the outbox (core.webhooks), as it does the
webhooks' deliveries."""

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from core.settings import Smtp

SMTP_TIMEOUT_S = 10
# The e-mail of each notification kind, in each language: subject and first line.
TEXTS = {
    "stage_entered": {
        "en": ("Deal {title} entered {stage}", "Your deal {title} has entered the stage {stage}."),
        "ru": ("Сделка {title}: этап «{stage}»", "Ваша сделка {title} перешла на этап «{stage}»."),
    },
}
OPEN = {"en": "Open it: {link}", "ru": "Открыть: {link}"}


@dataclass(frozen=True)
class Mailer:
    smtp: Smtp
    app_url: str
    language: str = "en"

    def message(self, to: str, kind: str, deal_id: int | None, data: dict) -> EmailMessage:
        subject, first = TEXTS[kind][self.language]
        message = EmailMessage()
        message["From"], message["To"] = self.smtp.sender, to
        message["Subject"] = subject.format(**data)
        body = first.format(**data)
        if deal_id is not None:
            body += "\n\n" + OPEN[self.language].format(link=f"{self.app_url}/deals?deal={deal_id}")
        message.set_content(body + "\n")
        return message

    def send(self, message: EmailMessage) -> None:
        """Raises smtplib.SMTPException or OSError when the server refuses it or cannot be reached."""
        with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=SMTP_TIMEOUT_S) as connection:
            if self.smtp.starttls:
                connection.starttls()
            if self.smtp.user:
                connection.login(self.smtp.user, self.smtp.password)
            connection.send_message(message)
