"""What the Rasa server loads besides its channels: the SQL tracker store
and the response generator (endpoints.yml), the NLU components (rasa_ext/nlu,
config.yml), the measured fixes to Rasa 3.6 (rasa_patches.py) and the live
hand-over patch (handover.py), and the domain as the model is trained from
it (domain.py).

Every module Rasa loads from the configuration calls `rasa_patches.apply()`
when imported, so every Rasa process of this project runs with the fixes.
The package itself imports nothing, so the action server can read the
domain through rasa_ext.domain without loading the rest.
"""
