"""The assistant's channels, as credentials.yml names them: the website
widget (socket.io) and its files, REST, Telegram, WhatsApp through Twilio
and Facebook Messenger, each a hardened subclass of Rasa's connector, and
what they share (channels/common.py).

Everything else the Rasa server loads is in rasa_ext/. The REST channel
applies the measured fixes to Rasa 3.6 (rasa_ext/rasa_patches.py) when
imported, like every module Rasa loads from the configuration.
"""
