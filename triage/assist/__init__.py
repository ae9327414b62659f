"""LLM assistance in the running service: fields, summary and second opinion after routing.

The building blocks live in ``triage.fields`` (patterns, grounding) and ``triage.llm``
(backends, prompts, tasks); this package stores their results and runs them as worker jobs.
"""
