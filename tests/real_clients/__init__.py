"""Real client questions: the honest judge of the assistant's understanding (issue 10)."""
