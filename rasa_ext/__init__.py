"""What the Rasa server loads besides its channels: the tracker store and
the response generator (endpoints.yml), the NLU components (config.yml),
the measured fixes to Rasa 3.6 they apply on import, and the domain as the
model is trained from it.

The package itself imports nothing, so importing one module (the action
server reads the domain through rasa_ext.domain) loads only that module.
"""
