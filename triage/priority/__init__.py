"""Priority of a document: deadlines in its text, statutory periods it starts, working days.

Kept free of imports so `triage.fields` can use the resolvers here without a cycle.
"""
