"""Rollups: summary tables kept in the transaction of every write, so a dashboard reads a few hundred
sums instead of a million rows.

- `sources`: what each table sums, as source queries over the deals, their stage history and the
  activities (one definition per table; the key and value columns are the table's own);
- `upkeep`: keeping them current in every flush (installed on the project's sessionmaker) and in the
  writes that bypass the ORM;
- `build`: computing them from scratch, and checking the stored rows against their sources.

core/analytics/sums.py reads them, and answers from the same source queries what the stored rows
cannot (the edge hours of a period in another time zone; two or three of source, region and segment
at once, which the rollups keep one at a time).
"""
