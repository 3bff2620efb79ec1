"""The entity labels of the project's spaCy pipeline.

One home for the names both sides rely on: ``pipeline.py`` writes them on
the spans its rulers match, ``reader.py`` turns those spans into findings.
Kept apart from both so that neither has to import the other for a string
(the reader loads the pipeline lazily, and the pipeline must not import the
reader at all).
"""

CONDITION = "CONDITION"
MEDICATION = "MEDICATION"
MASSAGE_TYPE = "MASSAGE_TYPE"
QUALIFIER = "QUALIFIER"
BODY_AREA = "BODY_AREA"
#: the rules file's not_contraindications ("flu jab", "tension headache"):
#: matched so that a longer harmless phrase wins over the condition word
#: inside it ("flu"); the reader then ignores them
NOT_CONTRAINDICATION = "NOT_CONTRAINDICATION"
