"""Explanations: local LLM runtime (llama-cpp-python), prompts, grounding checker, templates."""
