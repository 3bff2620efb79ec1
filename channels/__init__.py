"""Code that runs inside the Rasa server: channels, the tracker store and the
response generator that credentials.yml and endpoints.yml name.

Importing the package applies the measured fixes to Rasa 3.6 in
channels/rasa_patches.py, so every Rasa process of this project has them.
"""
from channels import rasa_patches

rasa_patches.apply()
