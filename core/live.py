"""What an open dashboard polls: one number that moves with every change it shows."""

from sqlalchemy.orm import Session

from db import changes


def data_version(session: Session) -> int:
    return changes.current(session)
