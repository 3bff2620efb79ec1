"""Code that runs inside the Rasa server: channels, the tracker store and the
response generator that credentials.yml and endpoints.yml name.

The modules Rasa loads from those files apply the measured fixes to Rasa 3.6
in channels/rasa_patches.py when imported, so every Rasa process of this
project has them; the package itself imports nothing (the action server
uses channels.action_token without loading Rasa).
"""
