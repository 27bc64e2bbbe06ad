"""Data in and out: the native export/import of everything, and imports of other CRMs' exports."""
