"""A/B experiment outcomes: import, attribution, statistics, report (docs/experimentos.md).

Modules are imported on demand (``results.store`` is also used by the batch to record
assignments), so importing this package costs nothing.
"""
