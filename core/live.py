"""What an open dashboard polls: one number that moves with every change it shows (db.changes).

Figures read in a transaction after the number was read include at least the changes it counts, so
figures may be kept under it; equal numbers mean equal data."""

from sqlalchemy.orm import Session

from db import changes


def data_version(session: Session) -> int:
    return changes.current(session)
