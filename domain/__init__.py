"""The Needs Ledger domain: pure Python rules, aggregates and the application service.

Nothing in this package imports Flask, SQL or anything from `portal` or `projections`.
"""
