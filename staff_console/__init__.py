"""The clinic's staff console (issue 14): a Sanic application of its own.

Staff sign in, work the review queue of non-ok pre-screens, keep the
therapists' diaries, call clients back, take over a chat from the assistant
and read the figures at a glance. It reads and writes through clinic_core
(never through the action server) and talks to the Rasa server only through
Rasa's HTTP API (transcripts, pause/resume, lines to a client). See
docs/console.md; started by `make run` (scripts/run.sh) or
`python -m staff_console`.
"""
