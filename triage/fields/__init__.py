"""Fields of a document: deterministic extraction, grounding of LLM values, pseudonymisation."""
