"""Inspection (督促检查): plans, visits, findings, rectification and 回头看, escalation, supervision reports, feedback."""
